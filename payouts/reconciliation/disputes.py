"""Disputes: paired with our dispute transactions by Stripe's dispute id."""

from __future__ import annotations

from payouts.reconciliation.records import (
    AMOUNT_DIFFERS,
    DISPUTE_KINDS,
    DISPUTES,
    MAX_LOOKUPS,
    MISSING_AT_STRIPE,
    MISSING_IN_BOOKS,
    STATUS_DIFFERS,
    BookRecord,
    KindReport,
    Window,
    at_utc,
    book_records,
)
from payouts.stripe_gateway import dispute_retrieve, disputes_created_between


def reconcile_disputes(window: Window) -> KindReport:
    report = KindReport(DISPUTES)
    listed, report.truncated = disputes_created_between(**window.stripe_bounds())
    disputes = {d["id"]: d for d in listed}
    books = book_records(
        kinds=DISPUTE_KINDS,
        window=window,
        also=list(disputes),
        sign=-1,
        amount_kinds=["dispute_opened"],
    )
    unlisted = [ref for ref, ours in books.items() if ref not in disputes and ours.at in window]
    for lookups, reference in enumerate(unlisted):
        if lookups == MAX_LOOKUPS:
            report.truncated = True
            break
        found = dispute_retrieve(reference)
        if found:
            disputes[reference] = found
            continue
        amount, currency = books[reference].amount_and_currency
        report.add(
            MISSING_AT_STRIPE,
            f"Our books record dispute {reference}, which Stripe does not know.",
            at=books[reference].at,
            reference=reference,
            our_amount=amount,
            our_currency=currency,
            transaction_id=books[reference].transaction_id,
        )
    for dispute in disputes.values():
        ours = books.get(dispute["id"])
        if at_utc(dispute["created"]) in window or (ours and ours.at in window):
            _compare_dispute(report, dispute, ours)
    return report


def _compare_dispute(report, dispute: dict, ours: BookRecord | None) -> None:
    status, currency = dispute.get("status") or "", dispute["currency"].upper()
    details = {
        "at": at_utc(dispute["created"]),
        "reference": dispute["id"],
        "stripe_id": dispute["id"],
        "stripe_amount": dispute["amount"],
        "stripe_currency": currency,
    }
    if ours is None or "dispute_opened" not in ours.kinds:
        if not status.startswith("warning"):  # an inquiry takes no money
            report.add(
                MISSING_IN_BOOKS,
                f"Stripe has a dispute ({status.replace('_', ' ')}) on charge "
                f"{dispute.get('charge')}; our books record no dispute.",
                **details,
            )
        return
    amount, our_currency = ours.amount_and_currency
    details |= {
        "our_amount": amount,
        "our_currency": our_currency,
        "transaction_id": ours.transaction_id,
    }
    won_here = "dispute_won" in ours.kinds
    if status == "won" and not won_here:
        reason = "Stripe decided the dispute for us and returned the money; our books still "
        report.add(STATUS_DIFFERS, reason + "record it as taken.", **details)
    elif won_here and status != "won":
        reason = f"Our books record the dispute as won; at Stripe it is {status.replace('_', ' ')}."
        report.add(STATUS_DIFFERS, reason, **details)
    elif our_currency != currency or amount != dispute["amount"]:
        report.add(
            AMOUNT_DIFFERS,
            "Stripe disputed a different amount than our books took back.",
            **details,
        )
    else:
        report.match(dispute["amount"], currency)
