"""The report's shapes, the window, and our side of it: ledger transactions grouped by the
reference that names them at Stripe."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Q, Sum

from payouts.models import AccountKind, JournalTransaction, LedgerEntry

REFERENCE_KEY = "assent_reference"
DEFAULT_WINDOW = timedelta(days=90)
MAX_WINDOW = timedelta(days=366)
EDGE_MARGIN = timedelta(days=1)
# Per kind: more than this many Stripe objects in one window is too much to read for a page;
# the report says it is incomplete and asks for a narrower window.
MAX_STRIPE_OBJECTS = 5000
# Single retrievals (a paid payout's transfer, a dispute, made before the listed window).
MAX_LOOKUPS = 200
# Refund statuses in which no money left (a refund can fail days after it was created).
REFUND_NOT_PAID = {"failed", "canceled"}
DISPUTE_KINDS = ["dispute_opened", "dispute_won", "dispute_lost"]

CHARGES, REFUNDS, TRANSFERS, DISPUTES = "charges", "refunds", "transfers", "disputes"
KIND_LABELS = {
    CHARGES: "Charges",
    REFUNDS: "Refunds",
    TRANSFERS: "Transfers",
    DISPUTES: "Disputes",
}

MISSING_AT_STRIPE = "missing_at_stripe"
MISSING_IN_BOOKS = "missing_in_books"
AMOUNT_DIFFERS = "amount_differs"
STATUS_DIFFERS = "status_differs"
PROBLEM_LABELS = {
    MISSING_AT_STRIPE: "Missing at Stripe",
    MISSING_IN_BOOKS: "Not in our books",
    AMOUNT_DIFFERS: "Amount differs",
    STATUS_DIFFERS: "Status differs",
}


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discrepancy:
    """One record the two sides disagree on, with the reason in plain words."""

    kind: str
    problem: str
    reason: str
    at: datetime
    reference: str = ""  # ours: "order:…", "refund:…", "payout:12", "du_…"
    stripe_id: str = ""
    stripe_amount: int | None = None
    stripe_currency: str = ""
    our_amount: int | None = None
    our_currency: str = ""
    transaction_id: int | None = None  # the ledger transaction to look at, when there is one

    @property
    def problem_label(self) -> str:
        return PROBLEM_LABELS[self.problem]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class KindReport:
    kind: str
    matched: int = 0
    matched_totals: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    discrepancies: list[Discrepancy] = field(default_factory=list)
    truncated: bool = False  # Stripe had more than MAX_STRIPE_OBJECTS (or lookups) to read

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def totals(self) -> list[tuple[str, int]]:
        return sorted(self.matched_totals.items())

    def match(self, amount: int, currency: str) -> None:
        self.matched += 1
        self.matched_totals[currency] = self.matched_totals.get(currency, 0) + amount

    def add(self, problem: str, reason: str, *, at: datetime, **details) -> None:
        self.discrepancies.append(
            Discrepancy(kind=self.kind, problem=problem, reason=reason, at=at, **details)
        )


@dataclass
class ReconciliationReport:
    since: datetime
    until: datetime
    generated_at: datetime
    kinds: list[KindReport]

    @property
    def discrepancies(self) -> list[Discrepancy]:
        rows = [row for kind in self.kinds for row in kind.discrepancies]
        return sorted(rows, key=lambda row: row.at, reverse=True)

    @property
    def matched(self) -> int:
        return sum(kind.matched for kind in self.kinds)

    @property
    def is_reconciled(self) -> bool:
        return not self.discrepancies and not self.truncated

    @property
    def truncated(self) -> bool:
        return any(kind.truncated for kind in self.kinds)


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.since <= moment <= self.until

    def stripe_bounds(self) -> dict:
        """`created` bounds for Stripe's lists: the window plus the margin, in Unix seconds."""
        return {
            "gte": int((self.since - EDGE_MARGIN).timestamp()),
            "lte": int((self.until + EDGE_MARGIN).timestamp()) + 1,
            "at_most": MAX_STRIPE_OBJECTS,
        }


# --- our side and Stripe's, as records ---------------------------------------------------


def at_utc(unix_seconds: int) -> datetime:
    return datetime.fromtimestamp(unix_seconds, tz=UTC)


@dataclass(frozen=True)
class StripeRecord:
    id: str
    at: datetime
    amount: int
    currency: str
    reference: str
    status: str
    note: str = ""  # e.g. a refund's failure reason


@dataclass
class BookRecord:
    """Our side of one reference: its transactions' kinds and their cash, per currency, as
    Stripe would show it (a refund's cash leaves us, so its amount is shown positive)."""

    reference: str
    at: datetime
    transaction_id: int
    kinds: set[str] = field(default_factory=set)
    amounts: dict[str, int] = field(default_factory=dict)

    @property
    def amount_and_currency(self) -> tuple[int | None, str]:
        if len(self.amounts) == 1:
            currency, amount = next(iter(self.amounts.items()))
            return amount, currency
        return None, "/".join(sorted(self.amounts))


def metadata_reference(obj) -> str:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return str((metadata or {}).get(REFERENCE_KEY) or "")


def book_records(
    *,
    kinds: list[str],
    window: Window,
    also: Iterable[str] = (),
    prefix: str = "",
    sign: int = 1,
    amount_kinds: Iterable[str] | None = None,
) -> dict[str, BookRecord]:
    """Our transactions of `kinds`, grouped by reference: every reference with a transaction
    in the window, and the references in `also` (named by Stripe's records) whenever posted."""
    journals = JournalTransaction.objects.filter(kind__in=kinds)
    if prefix:
        journals = journals.filter(reference_id__startswith=prefix)
    wanted = Q(created_at__gte=window.since, created_at__lte=window.until)
    also = sorted({ref for ref in also if ref})
    if also:
        wanted |= Q(reference_id__in=also)
    references = set(journals.filter(wanted).values_list("reference_id", flat=True))
    if not references:
        return {}
    amount_kinds = set(amount_kinds or kinds)
    rows = journals.filter(reference_id__in=references).order_by("created_at", "id")
    records: dict[str, BookRecord] = {}
    for journal_id, kind, reference, created in rows.values_list(
        "id", "kind", "reference_id", "created_at"
    ):
        record = records.setdefault(reference, BookRecord(reference, created, journal_id))
        if kind in amount_kinds and not record.kinds & amount_kinds:
            record.transaction_id = journal_id  # link the sale, not what followed it
        record.kinds.add(kind)
    cash = (
        LedgerEntry.objects.filter(
            transaction__in=rows,
            transaction__kind__in=amount_kinds,
            account__kind=AccountKind.PLATFORM_CASH,
        )
        .values_list("transaction__reference_id", "currency")
        .annotate(total=Sum("amount"))
    )
    for reference, currency, total in cash:
        if total:
            records[reference].amounts[currency] = sign * total
    return records
