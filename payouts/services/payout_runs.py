"""Payout runs: one payout row per creator and run, one Stripe transfer per payout whose
idempotency key derives from that row. Sending twice (a redelivered task, a worker killed
between the Stripe call and our commit) asks Stripe for the same transfer again and gets the
same one back, and the ledger keys make the postings happen once.

Freezes: a run pays nothing to a frozen creator, and leaves out the available money of a
frozen work. The ledger keeps available money per item (payouts/services/ledger.py), so what a work
earned is a sum by item; the payout moves each payable item's money from available to in
transit on its own line, and a frozen work's stays available, still the creator's and shown as
theirs, until the freeze is lifted and a later run pays it. No posting is made to freeze or
unfreeze, so there is nothing to undo.

Recovering a creator's debt from their transfers lives in services/recovery.py."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from config.celery import enqueue_or_log
from payouts.models import AccountKind, LedgerEntry, Payout, PayoutAccount, PayoutRun, PayoutStatus
from payouts.selectors.ledger import Bucket, available_buckets, raw_balance
from payouts.services.freezes import frozen_scope
from payouts.services.ledger import Line, account_lock, ledger_accounts, post, take_from
from payouts.stripe_gateway import StripeRefused, transfer_create

logger = logging.getLogger(__name__)
K = AccountKind


def payout_run_create(
    *, on: date | None = None, started_by=None, currency: str = "USD"
) -> PayoutRun:
    """Create the day's run (once) and a payout for each eligible creator; the money moves from
    available to in transit in the same database transaction as the payout row."""
    on = on or timezone.localdate()
    currency = currency.upper()
    run = PayoutRun.objects.filter(scheduled_for=on).first()
    if run is None:
        try:
            with transaction.atomic():
                run = PayoutRun.objects.create(scheduled_for=on, started_by=started_by)
        except IntegrityError:  # started twice at once: the other one made it
            run = PayoutRun.objects.get(scheduled_for=on)
    for creator_id in _creators_to_pay(run, currency):
        _payout_start(run=run, creator_id=creator_id, currency=currency)
    return run


def payout_send_enqueue(*, payout_ids: Iterable[int]) -> list[int]:
    """Hand each payout's transfer to a worker, once its rows are committed. A broker that is
    down leaves a payout pending, not failed: the next run (or pressing "Run payouts now" again)
    queues it. Returns the ids that could not be queued."""
    # payouts/tasks.py imports this module at its top; importing the task here breaks the cycle.
    from payouts.tasks import payout_send_task

    return [pid for pid in payout_ids if not enqueue_or_log(payout_send_task, pid)]


def _creators_to_pay(run: PayoutRun, currency: str) -> list[int]:
    """Creators with payouts enabled, not yet paid in this run, whose available balance
    reaches the minimum: one grouped query over the available accounts' entries (each creator
    is checked again, under a lock and with freezes, by _payout_start)."""
    rows = (
        LedgerEntry.objects.filter(
            account__kind=K.CREATOR_AVAILABLE,
            currency=currency,
            account__creator_id__in=PayoutAccount.objects.filter(payouts_enabled=True).values(
                "creator_id"
            ),
        )
        .exclude(account__creator_id__in=run.payouts.filter(currency=currency).values("creator_id"))
        .values("account__creator_id")
        .annotate(total=Sum("amount"))
        .filter(total__lte=-settings.PAYOUT_MINIMUM)
        .order_by("account__creator_id")
    )
    return [row["account__creator_id"] for row in rows]


def _payout_start(*, run: PayoutRun, creator_id: int, currency: str) -> Payout | None:
    accounts = ledger_accounts(creator_id, (K.CREATOR_AVAILABLE, K.CREATOR_IN_TRANSIT))
    try:
        with transaction.atomic():
            # A refund taking from the same money at this moment waits for us (and we for it).
            account_lock(accounts[K.CREATOR_AVAILABLE])
            buckets = available_buckets(creator_id, currency)
            creator_frozen, frozen = frozen_scope(
                creator_id=creator_id, work_ids=[b.work_id for b in buckets]
            )
            payable = [b for b in buckets if b.work_id not in frozen]
            amount = sum(b.amount for b in payable)
            if creator_frozen or amount < settings.PAYOUT_MINIMUM:
                return None
            payout = Payout.objects.create(
                run=run, creator_id=creator_id, currency=currency, amount=amount
            )
            post(
                idempotency_key=f"payout-start:{payout.id}",
                kind="payout_start",
                lines=[
                    *(
                        Line(
                            accounts[K.CREATOR_AVAILABLE], b.amount, currency, b.item_ref, b.work_id
                        )
                        for b in payable
                    ),
                    Line(accounts[K.CREATOR_IN_TRANSIT], -amount, currency),
                ],
                reference_type="payout",
                reference_id=str(payout.id),
            )
            return payout
    except IntegrityError:
        # The same run started twice at once: the other one made this creator's payout.
        if not Payout.objects.filter(run=run, creator_id=creator_id, currency=currency).exists():
            raise
        return None


def payout_send(*, payout_id: int) -> Payout:
    """Send one payout's transfer. Safe to run any number of times. When Stripe does not
    answer (StripeUnavailable, also a key conflict while another send of it is in flight)
    the payout stays pending and the error leaves: the task retries under the same key."""
    payout = Payout.objects.select_related("creator__payout_account").get(id=payout_id)
    if payout.status != PayoutStatus.PENDING:
        return payout
    try:
        transfer = transfer_create(payout=payout)
    except StripeRefused as exc:
        if exc.is_key_refused:
            raise  # our key, not this payout: it stays pending for the next run
        return _payout_failed(payout, reason=exc.reason)  # refused by Stripe: nothing was sent
    return _payout_paid(payout, transfer_id=transfer["id"])


def _payout_paid(payout: Payout, *, transfer_id: str) -> Payout:
    c, cur, a = payout.creator_id, payout.currency, payout.amount
    accounts = ledger_accounts(
        c,
        (K.CREATOR_IN_TRANSIT, K.CREATOR_PAID),
        platform=(K.PLATFORM_CASH, K.TRANSFERS_OUT),
    )
    # Durable: recorded at once, never inside a caller's transaction that could roll it back.
    with transaction.atomic(durable=True):
        locked = Payout.objects.select_for_update().get(id=payout.id)
        if locked.status != PayoutStatus.PENDING:
            return locked
        post(
            idempotency_key=f"payout-paid:{payout.id}",
            kind="payout_paid",
            lines=[
                Line(accounts[K.CREATOR_IN_TRANSIT], a, cur),
                Line(accounts[K.CREATOR_PAID], -a, cur),
                Line(accounts[K.PLATFORM_CASH], -a, cur),
                Line(accounts[K.TRANSFERS_OUT], a, cur),
            ],
            reference_type="payout",
            reference_id=str(payout.id),
        )
        locked.status, locked.stripe_transfer_id = PayoutStatus.PAID, transfer_id
        locked.settled_at = timezone.now()
        locked.save(update_fields=["status", "stripe_transfer_id", "settled_at"])
    return locked


def _payout_failed(payout: Payout, *, reason: str) -> Payout:
    c, cur, a = payout.creator_id, payout.currency, payout.amount
    accounts = ledger_accounts(c, (K.CREATOR_IN_TRANSIT, K.CREATOR_AVAILABLE, K.CREATOR_DEBT))
    with transaction.atomic(durable=True):
        locked = Payout.objects.select_for_update().get(id=payout.id)
        if locked.status != PayoutStatus.PENDING:
            return locked
        account_lock(accounts[K.CREATOR_DEBT])
        # The money goes back to the items it came from, but a debt incurred meanwhile is paid
        # first (from works not frozen first, as a refund would take it).
        returned = _payout_buckets(payout)
        debt = max(0, raw_balance(accounts[K.CREATOR_DEBT], cur))
        _, frozen = frozen_scope(creator_id=c, work_ids=[b.work_id for b in returned])
        repaid = dict(
            (b.item_ref, part) for b, part in take_from(returned, debt, frozen_works=frozen)
        )
        post(
            idempotency_key=f"payout-failed:{payout.id}",
            kind="payout_failed",
            lines=[
                Line(accounts[K.CREATOR_IN_TRANSIT], a, cur),
                *(
                    Line(
                        accounts[K.CREATOR_AVAILABLE],
                        -(b.amount - repaid.get(b.item_ref, 0)),
                        cur,
                        b.item_ref,
                        b.work_id,
                    )
                    for b in returned
                ),
                Line(accounts[K.CREATOR_DEBT], -sum(repaid.values()), cur),
            ],
            reference_type="payout",
            reference_id=str(payout.id),
        )
        locked.status, locked.failure_reason = PayoutStatus.FAILED, reason[:1000]
        locked.settled_at = timezone.now()
        locked.save(update_fields=["status", "failure_reason", "settled_at"])
    return locked


def _payout_buckets(payout: Payout):
    """The items whose money a payout moved to in transit, as buckets, in the payout's order."""
    entries = LedgerEntry.objects.filter(
        transaction__idempotency_key=f"payout-start:{payout.id}",
        account__kind=K.CREATOR_AVAILABLE,
    ).order_by("id")
    return [Bucket(e.item_ref, e.work_id, e.amount, e.id) for e in entries]
