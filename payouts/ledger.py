"""Posting to the ledger and reading balances. Every write goes through `post`: it is
idempotent by key, checks that the entries balance per currency (PostgreSQL checks it again at
commit), and never updates or deletes anything."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum

from .models import CREDIT_NORMAL, AccountKind, JournalTransaction, LedgerAccount, LedgerEntry


class UnbalancedTransaction(ValueError):
    pass


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    amount: int
    currency: str
    item_ref: str = ""
    work_id: int | None = None


def platform_account(kind: AccountKind) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(kind=kind, creator=None)
    return account


def creator_account(creator, kind: AccountKind) -> LedgerAccount:
    creator_id = getattr(creator, "id", creator)
    account, _ = LedgerAccount.objects.get_or_create(kind=kind, creator_id=creator_id)
    return account


def post(
    *,
    idempotency_key: str,
    kind: str,
    lines: list[Line],
    reference_type: str = "",
    reference_id: str = "",
    memo: str = "",
) -> tuple[JournalTransaction, bool]:
    """Post one business event. Returns (transaction, created); posting the same key again
    returns the first transaction and changes nothing."""
    lines = [line for line in lines if line.amount != 0]
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.amount != int(line.amount):
            raise UnbalancedTransaction("Amounts are integers in minor units.")
        totals[line.currency.upper()] += line.amount
    if any(totals.values()):
        raise UnbalancedTransaction(f"Entries do not balance: {dict(totals)}")
    existing = JournalTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            journal = JournalTransaction.objects.create(
                idempotency_key=idempotency_key,
                kind=kind,
                reference_type=reference_type,
                reference_id=str(reference_id),
                memo=memo[:500],
            )
            LedgerEntry.objects.bulk_create(
                LedgerEntry(
                    transaction=journal,
                    account=line.account,
                    amount=line.amount,
                    currency=line.currency.upper(),
                    item_ref=line.item_ref,
                    work_id=line.work_id,
                )
                for line in lines
            )
    except IntegrityError:
        # The same event posted concurrently: the other one won; it is the answer.
        existing = JournalTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    return journal, True


# --- Reading ---------------------------------------------------------------------------------


def raw_balance(account: LedgerAccount, currency: str, *, item_ref: str | None = None) -> int:
    entries = LedgerEntry.objects.filter(account=account, currency=currency.upper())
    if item_ref is not None:
        entries = entries.filter(item_ref=item_ref)
    return entries.aggregate(total=Sum("amount"))["total"] or 0


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
