"""Reconciliation: our books against Stripe's records, for staff. Reads only; it never posts.

For a window of time (the last 90 days by default) it lists Stripe's charges, refunds,
transfers and disputes (through `stripe_gateway`, page by page) and compares each with what our
ledger and payout rows record. How the two sides name each other:

- Charges: the Checkout Session is created with
  `payment_intent_data.metadata = {"assent_reference": "order:<uuid>"}`; the sale is posted as
  a `sale` transaction with reference_id "order:<uuid>", whose PLATFORM_CASH entries sum to
  the amount charged. Stripe does not copy a PaymentIntent's metadata to its Charge (the local
  server does), so the reference is read from the charge, else from its PaymentIntent.
- Refunds: created with `metadata = {"assent_reference": "refund:<our refund id>"}`; the
  ledger has one `refund` transaction per refunded item, all with reference_id
  "refund:<id>", whose PLATFORM_CASH entries sum to minus the refunded amount. A refund made in
  Stripe's Dashboard has no reference and shows up as "in Stripe, not in our books". Refund
  transactions under other references (claw-backs on upheld claims) move no money at Stripe
  and are not compared.
- Transfers: a paid Payout row records its transfer's id; the transfer's metadata names the
  payout (`payout_id`, see services/payout_runs.py). Reversals are `transfer_reversal`
  transactions whose reference_id is Stripe's reversal id; a transfer's reversed amount at
  Stripe must equal the reversals our books record for it.
- Disputes: the ledger's dispute transactions carry Stripe's dispute id (du_...) as
  reference_id; `dispute_opened` PLATFORM_CASH entries sum to minus the disputed amount, and a
  dispute Stripe decided as won needs a `dispute_won` transaction.

Stripe is read a day wider than the window on each side, so a record near an edge still finds
its partner; only records inside the window are reported."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from config.errors import ApplicationError
from payouts.reconciliation.by_reference import reconcile_charges, reconcile_refunds
from payouts.reconciliation.disputes import reconcile_disputes
from payouts.reconciliation.records import (
    AMOUNT_DIFFERS,
    DEFAULT_WINDOW,
    MAX_WINDOW,
    MISSING_AT_STRIPE,
    MISSING_IN_BOOKS,
    STATUS_DIFFERS,
    Discrepancy,
    KindReport,
    ReconciliationReport,
    Window,
)
from payouts.reconciliation.transfers import reconcile_transfers

__all__ = [
    "AMOUNT_DIFFERS",
    "DEFAULT_WINDOW",
    "MAX_WINDOW",
    "MISSING_AT_STRIPE",
    "MISSING_IN_BOOKS",
    "STATUS_DIFFERS",
    "Discrepancy",
    "KindReport",
    "ReconciliationReport",
    "reconciliation_report",
    "reconciliation_window",
]


def reconciliation_window(
    *, days: int | None = None, since_day: date | None = None, until_day: date | None = None
) -> tuple[datetime, datetime]:
    """(since, until) for whole local days, `since_day` to `until_day` both included (up to
    now when `until_day` is today or not given); without days, the last `days` days up to now
    (90 by default). Raises ApplicationError (`invalid_window`) as reconciliation_report."""
    now = timezone.now()
    if not (since_day or until_day):
        since, until = now - (timedelta(days=days) if days else DEFAULT_WINDOW), now
    else:
        until = now
        if until_day and until_day < timezone.localdate(now):
            until = timezone.make_aware(datetime.combine(until_day + timedelta(days=1), time()))
        since = (
            timezone.make_aware(datetime.combine(since_day, time()))
            if since_day
            else until - DEFAULT_WINDOW
        )
    _window_check(since, until)
    return since, until


def _window_check(since: datetime, until: datetime) -> None:
    if since >= until:
        raise ApplicationError("Choose a start date before the end date.", code="invalid_window")
    if until - since > MAX_WINDOW:
        raise ApplicationError(
            "Reconcile at most a year at a time; choose a shorter window.", code="invalid_window"
        )


def reconciliation_report(*, since=None, until=None) -> ReconciliationReport:
    """Compare our books with Stripe's records created between `since` (default: 90 days
    ago) and `until` (default: now). Raises ApplicationError (code `stripe_unavailable`, 503)
    when Stripe cannot be read, and (code `invalid_window`) for a window that is backwards or
    longer than a year."""
    now = timezone.now()
    until = until or now
    since = since or until - DEFAULT_WINDOW
    _window_check(since, until)
    window = Window(since, until)
    kinds = [
        reconcile_charges(window),
        reconcile_refunds(window),
        reconcile_transfers(window),
        reconcile_disputes(window),
    ]
    return ReconciliationReport(since=since, until=until, generated_at=now, kinds=kinds)
