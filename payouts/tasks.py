"""Worker side of payouts. Money-moving tasks are acks_late with reject-on-worker-lost, and
idempotent by database uniqueness and Stripe idempotency keys: a redelivery changes nothing."""

from celery import shared_task

from payouts.models import Payout, PayoutStatus
from payouts.services.events import holds_release_due
from payouts.services.payout_runs import payout_run_create, payout_send
from payouts.stripe_gateway import StripeUnavailable


@shared_task(name="payouts.tasks.holds_release_due_task", time_limit=600, soft_time_limit=590)
def holds_release_due_task() -> int:
    return holds_release_due()


@shared_task(
    name="payouts.tasks.payout_run_task",
    time_limit=1800,
    soft_time_limit=1780,
    acks_late=True,
    reject_on_worker_lost=True,
)
def payout_run_task() -> int:
    payout_run_create()
    # Every payout still pending, this run's and any an earlier outage left behind.
    pending = list(Payout.objects.filter(status=PayoutStatus.PENDING).values_list("id", flat=True))
    for payout_id in pending:
        payout_send_task.delay(payout_id)
    return len(pending)


@shared_task(
    name="payouts.tasks.payout_send_task",
    time_limit=120,
    soft_time_limit=110,
    acks_late=True,
    reject_on_worker_lost=True,
    # Network trouble, Stripe's own 5xx/rate limits and a send of the same payout still in
    # flight are worth retrying: the transfer's idempotency key makes a retry safe. A refusal
    # (StripeRefused) is handled inside: the payout fails and its money is available again.
    autoretry_for=(ConnectionError, StripeUnavailable),
    retry_backoff=True,
    max_retries=5,
)
def payout_send_task(payout_id: int) -> str:
    return payout_send(payout_id=payout_id).status
