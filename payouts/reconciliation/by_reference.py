"""Charges and refunds: paired with our sales and refunds by the reference in their metadata
(`assent_reference`)."""

from __future__ import annotations

from dataclasses import dataclass

from payouts.reconciliation.records import (
    AMOUNT_DIFFERS,
    CHARGES,
    MISSING_AT_STRIPE,
    MISSING_IN_BOOKS,
    REFUND_NOT_PAID,
    REFUNDS,
    STATUS_DIFFERS,
    BookRecord,
    KindReport,
    StripeRecord,
    Window,
    at_utc,
    book_records,
    metadata_reference,
)
from payouts.stripe_gateway import charges_created_between, refunds_created_between


def _charge_record(charge: dict) -> StripeRecord:
    captured = charge.get("amount_captured")
    return StripeRecord(
        id=charge["id"],
        at=at_utc(charge["created"]),
        amount=charge["amount"] if captured is None else captured,
        currency=charge["currency"].upper(),
        reference=metadata_reference(charge) or metadata_reference(charge.get("payment_intent")),
        status=charge["status"],
    )


def _refund_record(refund: dict) -> StripeRecord:
    return StripeRecord(
        id=refund["id"],
        at=at_utc(refund["created"]),
        amount=refund["amount"],
        currency=refund["currency"].upper(),
        reference=metadata_reference(refund),
        status=refund.get("status") or "succeeded",
        note=refund.get("failure_reason") or "",
    )


@dataclass(frozen=True)
class Words:
    """How a discrepancy of one kind is put to a person."""

    no_reference: str
    unknown_reference: str
    second: str
    missing_at_stripe: str
    amount: str
    currency: str
    failed: str = ""


CHARGE_WORDS = Words(
    no_reference="A charge at Stripe that names no order of ours (no assent_reference on it "
    "or its PaymentIntent).",
    unknown_reference="Stripe's charge names an order for which our books record no sale.",
    second="A second charge at Stripe for an order our books record as sold once: charged twice?",
    missing_at_stripe="Our books record this sale, but no charge at Stripe names its order.",
    amount="Stripe charged a different amount than our sale records.",
    currency="Stripe charged in {stripe}; our sale is recorded in {ours}.",
)
REFUND_WORDS = Words(
    no_reference="A refund at Stripe that names nothing of ours: made in Stripe's "
    "Dashboard? Our books do not record it.",
    unknown_reference="Stripe's refund names a refund our books do not record.",
    second="A second refund at Stripe for a refund our books record once.",
    missing_at_stripe="Our books record this refund as paid back, but no refund at Stripe "
    "names it.",
    amount="Stripe refunded a different amount than our books record.",
    currency="Stripe refunded in {stripe}; our books record {ours}.",
    failed="The refund {status} at Stripe{note}, but our books record the money as paid back.",
)


def reconcile_charges(window: Window) -> KindReport:
    report = KindReport(CHARGES)
    objects, report.truncated = charges_created_between(**window.stripe_bounds())
    # Failed or pending charges moved no money, so our books have nothing to match them.
    charges = [_charge_record(obj) for obj in objects if obj.get("status") == "succeeded"]
    books = book_records(
        kinds=["sale"], window=window, prefix="order:", also=[c.reference for c in charges]
    )
    _pair(report, window, charges, books, CHARGE_WORDS)
    return report


def reconcile_refunds(window: Window) -> KindReport:
    report = KindReport(REFUNDS)
    objects, report.truncated = refunds_created_between(**window.stripe_bounds())
    refunds = [_refund_record(obj) for obj in objects]
    books = book_records(
        kinds=["refund"],
        window=window,
        prefix="refund:",
        also=[r.reference for r in refunds],
        sign=-1,
    )
    _pair(report, window, refunds, books, REFUND_WORDS)
    return report


def _pair(report, window, records: list[StripeRecord], books: dict, words: Words) -> None:
    claimed: set[str] = set()
    # Stripe lists newest first; the oldest record for a reference is its pair.
    for record in reversed(records):
        ours = books.get(record.reference) if record.reference else None
        if ours is None or record.reference in claimed:
            if record.at in window and record.status not in REFUND_NOT_PAID:
                _not_in_books(report, record, words, second=ours is not None)
            continue
        claimed.add(record.reference)
        if record.at in window or ours.at in window:
            _compare(report, record, ours, words)
    for reference, ours in books.items():
        if reference not in claimed and ours.at in window:
            amount, currency = ours.amount_and_currency
            report.add(
                MISSING_AT_STRIPE,
                words.missing_at_stripe,
                at=ours.at,
                reference=reference,
                our_amount=amount,
                our_currency=currency,
                transaction_id=ours.transaction_id,
            )


def _not_in_books(report, record: StripeRecord, words: Words, *, second: bool) -> None:
    if second:
        reason = words.second
    elif record.reference:
        reason = words.unknown_reference
    else:
        reason = words.no_reference
    report.add(
        MISSING_IN_BOOKS,
        reason,
        at=record.at,
        reference=record.reference,
        stripe_id=record.id,
        stripe_amount=record.amount,
        stripe_currency=record.currency,
    )


def _compare(report, record: StripeRecord, ours: BookRecord, words: Words) -> None:
    our_amount, our_currency = ours.amount_and_currency
    details = {
        "at": record.at,
        "reference": ours.reference,
        "stripe_id": record.id,
        "stripe_amount": record.amount,
        "stripe_currency": record.currency,
        "our_amount": our_amount,
        "our_currency": our_currency,
        "transaction_id": ours.transaction_id,
    }
    if record.status in REFUND_NOT_PAID:
        note = f" ({record.note.replace('_', ' ')})" if record.note else ""
        reason = words.failed.format(status=record.status, note=note)
        report.add(STATUS_DIFFERS, reason, **details)
    elif our_currency != record.currency:
        reason = words.currency.format(stripe=record.currency, ours=our_currency or "nothing")
        report.add(AMOUNT_DIFFERS, reason, **details)
    elif our_amount != record.amount:
        report.add(AMOUNT_DIFFERS, words.amount, **details)
    else:
        report.match(record.amount, record.currency)
