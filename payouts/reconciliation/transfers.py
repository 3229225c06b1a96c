"""Transfers: paired with our payout rows (the row records the transfer's id, the transfer's
metadata names the payout), and each transfer's reversals with our `transfer_reversal`
transactions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from payouts.models import JournalTransaction, Payout, PayoutStatus
from payouts.reconciliation.records import (
    AMOUNT_DIFFERS,
    MAX_LOOKUPS,
    MISSING_AT_STRIPE,
    MISSING_IN_BOOKS,
    STATUS_DIFFERS,
    TRANSFERS,
    BookRecord,
    KindReport,
    Window,
    at_utc,
    book_records,
)
from payouts.stripe_gateway import (
    transfer_retrieve,
    transfer_reversals_list,
    transfers_created_between,
)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _reversal_payout_ids(window: Window) -> set[int]:
    """Payouts whose transfers our books reversed within the window. Their ids are in the
    reversal's idempotency key, `reversal:<reason>:<payout id>:<amount>` (payout_runs.py)."""
    keys = JournalTransaction.objects.filter(
        kind="transfer_reversal", created_at__gte=window.since, created_at__lte=window.until
    ).values_list("idempotency_key", flat=True)
    ids = (_int_or_none(key.rsplit(":", 2)[-2]) if key.count(":") >= 3 else None for key in keys)
    return {payout_id for payout_id in ids if payout_id}


@dataclass
class _TransferCheck:
    """What is needed to compare transfers: Stripe's, our payouts, and both sides'
    reversals."""

    transfers: dict[str, dict]
    payouts: list[Payout]
    reversals: dict[str, list[str]]  # transfer id -> its reversal ids at Stripe
    books: dict[str, BookRecord]  # our transfer_reversal transactions by reversal id
    journals: dict[int, int]  # payout id -> its payout_paid (or payout_start) transaction
    unknown: list[Payout]  # paid payouts whose transfer Stripe does not know


def reconcile_transfers(window: Window) -> KindReport:
    report = KindReport(TRANSFERS)
    listed, report.truncated = transfers_created_between(**window.stripe_bounds())
    reversed_payouts = _reversal_payout_ids(window)
    check = _transfer_check(report, window, {t["id"]: t for t in listed}, reversed_payouts)
    by_transfer = {p.stripe_transfer_id: p for p in check.payouts if p.stripe_transfer_id}
    by_id = {p.id: p for p in check.payouts}
    in_scope_payouts = {
        p.id for p in check.payouts if p.settled_at and p.settled_at in window
    } | reversed_payouts
    for transfer in check.transfers.values():
        payout = by_transfer.get(transfer["id"]) or by_id.get(
            _int_or_none((transfer.get("metadata") or {}).get("payout_id"))
        )
        if at_utc(transfer["created"]) in window or (payout and payout.id in in_scope_payouts):
            _compare_transfer(report, transfer, payout, check)
    for payout in check.unknown:
        if payout.settled_at and payout.settled_at in window:
            _transfer_unknown(report, payout, check)
    known = {rid for ids in check.reversals.values() for rid in ids}
    for reference, ours in check.books.items():
        if reference not in known and ours.at in window:
            amount, currency = ours.amount_and_currency
            report.add(
                MISSING_AT_STRIPE,
                f"Our books record transfer reversal {reference}, which Stripe does not know.",
                at=ours.at,
                reference=reference,
                our_amount=amount,
                our_currency=currency,
                transaction_id=ours.transaction_id,
            )
    return report


def _transfer_check(
    report: KindReport, window: Window, transfers: dict, reversed_payouts: set[int]
) -> _TransferCheck:
    """Our payouts for Stripe's transfers and Stripe's transfers for our payouts (each paid
    payout in the window, each payout our books reversed in it), and both sides' reversals."""
    named = {_int_or_none((t.get("metadata") or {}).get("payout_id")) for t in transfers.values()}
    payouts = list(
        Payout.objects.filter(
            Q(status=PayoutStatus.PAID, settled_at__gte=window.since, settled_at__lte=window.until)
            | Q(stripe_transfer_id__in=list(transfers))
            | Q(id__in={i for i in named if i} | reversed_payouts)
        ).select_related("creator__payout_account")
    )
    unknown = []
    lookups = 0
    for payout in payouts:
        if payout.status != PayoutStatus.PAID or payout.stripe_transfer_id in transfers:
            continue
        if lookups == MAX_LOOKUPS:
            report.truncated = True
            break
        lookups += 1
        found = payout.stripe_transfer_id and transfer_retrieve(payout.stripe_transfer_id)
        if found:
            transfers[found["id"]] = found
        else:
            unknown.append(payout)
    reversals = {tid: _reversal_ids(transfer) for tid, transfer in transfers.items()}
    books = book_records(
        kinds=["transfer_reversal"],
        window=window,
        also=[rid for ids in reversals.values() for rid in ids],
    )
    journals: dict[int, int] = {}
    for kind, reference, journal_id in JournalTransaction.objects.filter(
        kind__in=["payout_start", "payout_paid"],
        reference_id__in=[str(p.id) for p in payouts],
    ).values_list("kind", "reference_id", "id"):
        if kind == "payout_paid" or int(reference) not in journals:
            journals[int(reference)] = journal_id
    return _TransferCheck(transfers, payouts, reversals, books, journals, unknown)


def _reversal_ids(transfer: dict) -> list[str]:
    if not transfer.get("amount_reversed"):
        return []
    embedded = transfer.get("reversals") or {}
    if embedded.get("has_more") or not embedded.get("data"):
        return [r["id"] for r in transfer_reversals_list(transfer["id"])]
    return [r["id"] for r in embedded["data"]]


def _compare_transfer(report, transfer: dict, payout: Payout | None, check) -> None:
    currency = transfer["currency"].upper()
    details = {
        "at": at_utc(transfer["created"]),
        "stripe_id": transfer["id"],
        "stripe_amount": transfer["amount"],
        "stripe_currency": currency,
    }
    destination = transfer.get("destination") or "?"
    if payout is None:
        report.add(
            MISSING_IN_BOOKS,
            f"A transfer to {destination} at Stripe that no payout of ours records.",
            **details,
        )
        return
    details |= {
        "reference": f"payout:{payout.id}",
        "our_amount": payout.amount,
        "our_currency": payout.currency,
        "transaction_id": check.journals.get(payout.id),
    }
    problem = _transfer_problem(transfer, payout, destination)
    if problem:
        report.add(problem[0], problem[1], **details)
        return
    ours = sum(
        check.books[rid].amounts.get(currency, 0)
        for rid in check.reversals.get(transfer["id"], [])
        if rid in check.books
    )
    theirs = transfer.get("amount_reversed") or 0
    if theirs != ours:
        details |= {"stripe_amount": theirs, "our_amount": ours}
        report.add(
            STATUS_DIFFERS,
            f"Stripe has taken back {'all' if transfer.get('reversed') else 'part'} of this "
            f"transfer, but our books record a different amount reversed and payout "
            f"#{payout.id} as paid (reversed in Stripe's Dashboard?). Amounts shown: reversed "
            "so far.",
            **details,
        )
        return
    report.match(transfer["amount"], currency)


def _transfer_problem(transfer: dict, payout: Payout, destination: str):
    """(problem, reason) when the transfer and our payout row disagree, else None."""
    if payout.status == PayoutStatus.PENDING:
        return STATUS_DIFFERS, (
            f"Stripe made this transfer, but our payout #{payout.id} is still pending: the "
            "worker stopped before recording it? Sending the payout again records it (same "
            "idempotency key, same transfer)."
        )
    if payout.status == PayoutStatus.FAILED:
        return STATUS_DIFFERS, (
            f"Stripe made this transfer, but our payout #{payout.id} is recorded as failed "
            "and its money as available again."
        )
    if payout.stripe_transfer_id != transfer["id"]:
        return STATUS_DIFFERS, (
            f"This transfer names our payout #{payout.id}, which records another transfer "
            f"({payout.stripe_transfer_id or 'none'})."
        )
    if payout.currency != transfer["currency"].upper() or payout.amount != transfer["amount"]:
        return AMOUNT_DIFFERS, f"Stripe transferred a different amount than payout #{payout.id}."
    account = getattr(payout.creator, "payout_account", None)
    if account is not None and account.stripe_account_id != destination:
        return STATUS_DIFFERS, (
            f"Stripe sent this transfer to {destination}; the creator's payout account is "
            f"{account.stripe_account_id}."
        )
    return None


def _transfer_unknown(report, payout: Payout, check) -> None:
    transfer = payout.stripe_transfer_id
    report.add(
        MISSING_AT_STRIPE,
        f"Our payout #{payout.id} says paid with transfer {transfer}, which Stripe does not know."
        if transfer
        else f"Our payout #{payout.id} says paid but records no Stripe transfer.",
        at=payout.settled_at,
        reference=f"payout:{payout.id}",
        stripe_id=transfer,
        our_amount=payout.amount,
        our_currency=payout.currency,
        transaction_id=check.journals.get(payout.id),
    )
