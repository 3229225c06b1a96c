"""Payout runs: one payout row per creator and run, one Stripe transfer per payout whose
idempotency key derives from that row. Sending twice (a redelivered task, a worker killed
between the Stripe call and our commit) asks Stripe for the same transfer again and gets the
same one back, and the ledger keys make the postings happen once."""

from __future__ import annotations

import logging
from datetime import date

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import stripe_gateway
from ..ledger import Line, creator_account, creator_balances, platform_account, post, raw_balance
from ..models import AccountKind, LedgerAccount, Payout, PayoutAccount, PayoutRun, PayoutStatus
from .freezes import is_frozen

logger = logging.getLogger(__name__)
K = AccountKind


def payout_run_create(
    *, on: date | None = None, started_by=None, currency: str = "USD"
) -> PayoutRun:
    """Create today's run (once) and a payout for each eligible creator; the money moves from
    available to in transit in the same database transaction as the payout row."""
    on = on or timezone.localdate()
    try:
        with transaction.atomic():
            run, _ = PayoutRun.objects.get_or_create(
                scheduled_for=on, defaults={"started_by": started_by}
            )
    except IntegrityError:
        run = PayoutRun.objects.get(scheduled_for=on)
    eligible = PayoutAccount.objects.filter(payouts_enabled=True).select_related("creator")
    for account in eligible:
        if is_frozen(creator_id=account.creator_id):
            continue
        available = creator_balances(account.creator, currency).available
        if available < settings.PAYOUT_MINIMUM:
            continue
        with transaction.atomic():
            payout, created = Payout.objects.get_or_create(
                run=run, creator=account.creator, currency=currency, defaults={"amount": available}
            )
            if created:
                post(
                    idempotency_key=f"payout-start:{payout.id}",
                    kind="payout_start",
                    lines=[
                        Line(
                            creator_account(account.creator_id, K.CREATOR_AVAILABLE),
                            available,
                            currency,
                        ),
                        Line(
                            creator_account(account.creator_id, K.CREATOR_IN_TRANSIT),
                            -available,
                            currency,
                        ),
                    ],
                    reference_type="payout",
                    reference_id=str(payout.id),
                )
    return run


def payout_send(*, payout_id: int) -> Payout:
    """Send one payout's transfer. Safe to run any number of times."""
    payout = Payout.objects.select_related("creator__payout_account").get(id=payout_id)
    if payout.status != PayoutStatus.PENDING:
        return payout
    destination = payout.creator.payout_account.stripe_account_id
    try:
        transfer = stripe_gateway.client().v1.transfers.create(
            params={
                "amount": payout.amount,
                "currency": payout.currency.lower(),
                "destination": destination,
                "transfer_group": f"payout-run-{payout.run_id}",
                "metadata": {"payout_id": str(payout.id), "creator_id": str(payout.creator_id)},
            },
            options={"idempotency_key": payout.idempotency_key},
        )
    except stripe.InvalidRequestError as exc:  # refused by Stripe: nothing was sent
        return _payout_failed(payout, reason=exc.user_message or str(exc))
    return _payout_paid(payout, transfer_id=transfer.id)


def _payout_paid(payout: Payout, *, transfer_id: str) -> Payout:
    c, cur, a = payout.creator_id, payout.currency, payout.amount
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(id=payout.id)
        if locked.status != PayoutStatus.PENDING:
            return locked
        post(
            idempotency_key=f"payout-paid:{payout.id}",
            kind="payout_paid",
            lines=[
                Line(creator_account(c, K.CREATOR_IN_TRANSIT), a, cur),
                Line(creator_account(c, K.CREATOR_PAID), -a, cur),
                Line(platform_account(K.PLATFORM_CASH), -a, cur),
                Line(platform_account(K.TRANSFERS_OUT), a, cur),
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
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(id=payout.id)
        if locked.status != PayoutStatus.PENDING:
            return locked
        # The money comes back to available, but a debt incurred meanwhile is paid first.
        debt = max(0, raw_balance(creator_account(c, K.CREATOR_DEBT), cur))
        repaid = min(a, debt)
        post(
            idempotency_key=f"payout-failed:{payout.id}",
            kind="payout_failed",
            lines=[
                Line(creator_account(c, K.CREATOR_IN_TRANSIT), a, cur),
                Line(creator_account(c, K.CREATOR_AVAILABLE), -(a - repaid), cur),
                Line(creator_account(c, K.CREATOR_DEBT), -repaid, cur),
            ],
            reference_type="payout",
            reference_id=str(payout.id),
        )
        locked.status, locked.failure_reason = PayoutStatus.FAILED, reason[:1000]
        locked.settled_at = timezone.now()
        locked.save(update_fields=["status", "failure_reason", "settled_at"])
    return locked


def transfer_reversal_recover(*, creator, currency: str = "USD", reason_ref: str) -> int:
    """Recover what a creator owes us by reversing their most recent transfers, up to the debt
    and as far as their connected balance allows. Returns the amount recovered."""
    with transaction.atomic():
        # One recovery per creator at a time: two could read the same debt and both reverse.
        debt_account = LedgerAccount.objects.select_for_update().get(
            id=creator_account(creator, K.CREATOR_DEBT).id
        )
        return _recover(creator=creator, currency=currency, reason_ref=reason_ref,
                        debt=raw_balance(debt_account, currency))  # fmt: skip


def _recover(*, creator, currency: str, reason_ref: str, debt: int) -> int:
    recovered = 0
    for payout in Payout.objects.filter(
        creator=creator, currency=currency, status=PayoutStatus.PAID
    ).order_by("-settled_at"):
        if debt - recovered <= 0:
            break
        amount = min(debt - recovered, payout.amount)
        # The amount is part of the key: a retry of the same recovery replays, a recovery of a
        # different amount (the debt changed) is a new request, not an idempotency conflict.
        key = f"reversal:{reason_ref}:{payout.id}:{amount}"
        try:
            reversal = stripe_gateway.client().v1.transfers.reversals.create(
                payout.stripe_transfer_id,
                params={"amount": amount, "metadata": {"reason": reason_ref}},
                options={"idempotency_key": key},
            )
        except stripe.InvalidRequestError as exc:
            logger.info("reversal of %s refused: %s", payout.stripe_transfer_id, exc)
            continue  # stays owed; later earnings pay it first
        post(
            idempotency_key=key,
            kind="transfer_reversal",
            lines=[
                Line(platform_account(K.PLATFORM_CASH), reversal.amount, currency),
                Line(platform_account(K.TRANSFERS_OUT), -reversal.amount, currency),
                Line(creator_account(creator, K.CREATOR_PAID), reversal.amount, currency),
                Line(creator_account(creator, K.CREATOR_DEBT), -reversal.amount, currency),
            ],
            reference_type="transfer_reversal",
            reference_id=reversal.id,
        )
        recovered += reversal.amount
    return recovered
