"""Worker side of payouts. Money-moving tasks are acks_late with reject-on-worker-lost, and
idempotent by database uniqueness and Stripe idempotency keys: a redelivery changes nothing."""

from celery import shared_task

from .models import PayoutStatus
from .services import holds_release_due, payout_run_create, payout_send


@shared_task(name="payouts.tasks.holds_release_due_task", time_limit=600)
def holds_release_due_task() -> int:
    return holds_release_due()


@shared_task(name="payouts.tasks.payout_run_task", time_limit=1800, acks_late=True,
             reject_on_worker_lost=True)  # fmt: skip
def payout_run_task() -> int:
    run = payout_run_create()
    pending = list(run.payouts.filter(status=PayoutStatus.PENDING).values_list("id", flat=True))
    for payout_id in pending:
        payout_send_task.delay(payout_id)
    return len(pending)


@shared_task(
    name="payouts.tasks.payout_send_task",
    time_limit=120,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def payout_send_task(payout_id: int) -> str:
    return payout_send(payout_id=payout_id).status
