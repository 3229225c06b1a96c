"""Reading the ledger: balances, a creator's available money per sold item, the trial balance.

A creator's available money is kept per sold item: every entry on an available account carries
the item (and work) the money came from, so `available_buckets` can say how much of it each work
earned, and a frozen work's share can be kept back (see services/payout_runs.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Min, Prefetch, QuerySet, Sum

from payouts.models import (
    CREDIT_NORMAL,
    AccountKind,
    JournalTransaction,
    LedgerAccount,
    LedgerEntry,
)


def raw_balance(account: LedgerAccount, currency: str, *, item_ref: str | None = None) -> int:
    entries = LedgerEntry.objects.filter(account=account, currency=currency.upper())
    if item_ref is not None:
        entries = entries.filter(item_ref=item_ref)
    return entries.aggregate(total=Sum("amount"))["total"] or 0


@dataclass(frozen=True)
class Bucket:
    """The part of a creator's available money that one sold item brought in."""

    item_ref: str  # "" for money posted without an item (none of the services do)
    work_id: int | None
    amount: int  # as shown: positive is money the creator has available
    first_entry_id: int  # buckets are taken oldest first


def available_buckets(creator, currency: str) -> list[Bucket]:
    """The creator's available money per item, oldest first, empty buckets left out. One grouped
    query over the creator's available entries (index on account, currency)."""
    rows = (
        LedgerEntry.objects.filter(
            account__creator=creator,
            account__kind=AccountKind.CREATOR_AVAILABLE,
            currency=currency.upper(),
        )
        .values("item_ref", "work_id")
        .annotate(total=Sum("amount"), first=Min("id"))
        .exclude(total=0)
        .order_by("first")
    )
    return [Bucket(r["item_ref"], r["work_id"], -r["total"], r["first"]) for r in rows]


def shown(kind: str, raw: int) -> int:
    """The balance as a person reads it: what we owe or earned is shown positive."""
    return -raw if kind in CREDIT_NORMAL else raw


@dataclass(frozen=True)
class CreatorBalances:
    currency: str
    held: int
    available: int
    in_transit: int
    paid: int
    owed: int  # what the creator owes us (clawed back money we could not recover)


def creator_balances(creator, currency: str = "USD") -> CreatorBalances:
    """One grouped sum over the creator's accounts (index on account, currency)."""
    rows = (
        LedgerEntry.objects.filter(account__creator=creator, currency=currency.upper())
        .values("account__kind")
        .annotate(total=Sum("amount"))
    )
    by_kind = {row["account__kind"]: shown(row["account__kind"], row["total"]) for row in rows}
    return CreatorBalances(
        currency=currency.upper(),
        held=by_kind.get(AccountKind.CREATOR_HELD, 0),
        available=by_kind.get(AccountKind.CREATOR_AVAILABLE, 0),
        in_transit=by_kind.get(AccountKind.CREATOR_IN_TRANSIT, 0),
        paid=by_kind.get(AccountKind.CREATOR_PAID, 0),
        owed=by_kind.get(AccountKind.CREATOR_DEBT, 0),
    )


def trial_balance() -> dict[str, dict[str, int]]:
    """Per currency, per account kind: the sums. Each currency's column must total zero."""
    rows = LedgerEntry.objects.values("currency", "account__kind").annotate(total=Sum("amount"))
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        table[row["currency"]][row["account__kind"]] = row["total"]
    return dict(table)


def journal_transactions(*, creator_email: str = "", kind: str = "") -> QuerySet:
    """Journal transactions, newest first, with their entries (and whose accounts they hit)."""
    transactions = JournalTransaction.objects.order_by("-id").prefetch_related(
        Prefetch(
            "entries",
            queryset=LedgerEntry.objects.select_related(
                "account__creator", "account__organization"
            ).order_by("id"),
        )
    )
    if creator_email:
        transactions = transactions.filter(
            id__in=LedgerEntry.objects.filter(
                account__creator__email__iexact=creator_email.strip()
            ).values("transaction_id")
        )
    if kind:
        transactions = transactions.filter(kind=kind)
    return transactions


def transaction_kinds() -> list[str]:
    return sorted(set(JournalTransaction.objects.values_list("kind", flat=True).distinct()))


@dataclass(frozen=True)
class TrialBalanceRow:
    kind: str
    label: str
    total: int


@dataclass(frozen=True)
class TrialBalance:
    currency: str
    rows: list[TrialBalanceRow]
    total: int

    @property
    def balanced(self) -> bool:
        return self.total == 0


def trial_balances() -> list[TrialBalance]:
    """Per currency, the raw sum of every account kind; each currency must total zero."""
    labels = dict(AccountKind.choices)
    order = {kind: i for i, kind in enumerate(AccountKind.values)}
    tables = []
    for currency, by_kind in sorted(trial_balance().items()):
        rows = [
            TrialBalanceRow(kind=k, label=labels.get(k, k), total=v)
            for k, v in sorted(by_kind.items(), key=lambda kv: order.get(kv[0], 99))
        ]
        tables.append(TrialBalance(currency=currency, rows=rows, total=sum(r.total for r in rows)))
    return tables
