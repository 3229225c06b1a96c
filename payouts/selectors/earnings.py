"""Reads for a creator's earnings: balances per currency, ledger lines, events, payouts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from payouts.models import AccountKind, JournalTransaction, LedgerEntry, Payout
from payouts.selectors.ledger import CreatorBalances, creator_balances, shown

DEFAULT_CURRENCY = "USD"


# What each kind of journal transaction means to a person. Kinds not listed are shown as they
# are named ("claw_back" -> "Claw back").
TRANSACTION_LABELS = {
    "sale": "Sale",
    "hold_release": "Hold ended",
    "payout_start": "Payout started",
    "payout_paid": "Paid out",
    "payout_failed": "Payout failed",
    "refund": "Refund",
    "dispute_opened": "Dispute opened",
    "dispute_won": "Dispute won",
    "dispute_lost": "Dispute lost",
    "transfer_reversal": "Transfer reversed",
    # The holdback on `destroy-models` sales (services/events.py): a creator sees only a
    # forfeit, which is theirs; a release is the team's credit, never the creator's money.
    "holdback_forfeit": "Compensation: model not destroyed",
    "holdback_release": "Holdback released to the team",
    "team_credit_paid": "Team credit paid out",
}


# How a creator's own accounts are named on their page.
CREATOR_ACCOUNT_LABELS = {
    AccountKind.CREATOR_HELD: "Held",
    AccountKind.CREATOR_AVAILABLE: "Available",
    AccountKind.CREATOR_IN_TRANSIT: "In transit",
    AccountKind.CREATOR_PAID: "Paid",
    AccountKind.CREATOR_DEBT: "Owed",
}


def transaction_label(kind: str) -> str:
    return TRANSACTION_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def creator_currencies(*, creator) -> list[str]:
    currencies = (
        LedgerEntry.objects.filter(account__creator=creator)
        .values_list("currency", flat=True)
        .distinct()
    )
    return sorted(set(currencies))


def creator_balances_all(*, creator) -> list[CreatorBalances]:
    """The creator's balances in each currency they have money in; the default currency (all
    zero) when they have none yet."""
    currencies = creator_currencies(creator=creator) or [DEFAULT_CURRENCY]
    return [creator_balances(creator, currency) for currency in currencies]


def creator_ledger_lines(*, creator) -> QuerySet[LedgerEntry]:
    """The creator's own entries, newest first (entries are appended, so id order is time)."""
    return (
        LedgerEntry.objects.filter(account__creator=creator)
        .select_related("transaction", "account")
        .order_by("-id")
    )


@dataclass(frozen=True)
class LedgerLine:
    """One of a creator's entries as they read it: positive is money to them."""

    id: int
    at: object
    kind: str
    label: str
    account: str
    account_kind: str
    amount: int
    currency: str
    item_ref: str
    work_id: int | None
    reference: str
    memo: str
    work_title: str = ""


def ledger_line(entry: LedgerEntry) -> LedgerLine:
    kind = entry.account.kind
    journal = entry.transaction
    return LedgerLine(
        id=entry.id,
        at=journal.created_at,
        kind=journal.kind,
        label=transaction_label(journal.kind),
        account=CREATOR_ACCOUNT_LABELS.get(kind, entry.account.get_kind_display()),
        account_kind=kind,
        amount=shown(kind, entry.amount),
        currency=entry.currency,
        item_ref=entry.item_ref,
        work_id=entry.work_id,
        reference=_reference(journal),
        memo=journal.memo,
    )


def _reference(journal: JournalTransaction) -> str:
    """`order:5f3c…`, once: sale references already carry their type ("order:…")."""
    kind, ref = journal.reference_type, journal.reference_id
    if not kind or ref.startswith(f"{kind}:"):
        return ref
    return f"{kind}:{ref}"


def creator_transactions(*, creator) -> QuerySet[JournalTransaction]:
    """The journal transactions that touched the creator's accounts, newest first, each with
    only the creator's own entries (as `mine`): other parties' entries are not theirs to see."""
    mine = LedgerEntry.objects.filter(account__creator=creator)
    return (
        JournalTransaction.objects.filter(id__in=mine.values("transaction_id"))
        .order_by("-id")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=mine.select_related("account").order_by("id"),
                to_attr="mine",
            )
        )
    )


@dataclass(frozen=True)
class EarningsEvent:
    """One transaction as the creator reads it, in one currency: what it did to their money.

    `net` is the change in what they have earned in all (held + available + in transit + paid,
    less what they owe): a sale adds, a refund takes away, and a move between their own
    balances (a hold ending, a payout) changes nothing, so it is shown as `moved` from one
    balance to another instead."""

    id: int
    at: object
    kind: str
    label: str
    currency: str
    net: int
    moved: int
    source: str  # for a move: the balance it left, and ...
    target: str  # ... the balance it went to
    parts: list[tuple[str, str, int]]  # (account kind, label, amount as shown) otherwise
    items: list[tuple[str, int | None]]  # (item_ref, work_id)
    memo: str
    works: dict = field(default_factory=dict)  # work_id -> title, filled in by the view
    sales: dict = field(default_factory=dict)  # item_ref -> registry.SaleDescription, likewise

    @property
    def is_move(self) -> bool:
        return bool(self.source and self.target)


def earnings_events(journal: JournalTransaction) -> list[EarningsEvent]:
    by_currency: dict[str, list[LedgerEntry]] = {}
    for entry in journal.mine:
        by_currency.setdefault(entry.currency, []).append(entry)
    events = []
    for currency, entries in sorted(by_currency.items()):
        per_kind: dict[str, int] = {}
        items: list[tuple[str, int | None]] = []
        for entry in entries:
            kind = entry.account.kind
            per_kind[kind] = per_kind.get(kind, 0) + shown(kind, entry.amount)
            if entry.item_ref and (entry.item_ref, entry.work_id) not in items:
                items.append((entry.item_ref, entry.work_id))
        per_kind = {k: v for k, v in per_kind.items() if v}
        net = sum(-v if k == AccountKind.CREATOR_DEBT else v for k, v in per_kind.items())
        source = target = ""
        moved = 0
        losers = [k for k, v in per_kind.items() if v < 0]
        gainers = [k for k, v in per_kind.items() if v > 0]
        if net == 0 and len(losers) == 1 and len(gainers) == 1:
            source, target = CREATOR_ACCOUNT_LABELS[losers[0]], CREATOR_ACCOUNT_LABELS[gainers[0]]
            moved = per_kind[gainers[0]]
        order = list(CREATOR_ACCOUNT_LABELS)
        parts = [
            (k, CREATOR_ACCOUNT_LABELS.get(k, k), v)
            for k, v in sorted(per_kind.items(), key=lambda kv: order.index(kv[0]))
        ]
        events.append(
            EarningsEvent(
                id=journal.id,
                at=journal.created_at,
                kind=journal.kind,
                label=transaction_label(journal.kind),
                currency=currency,
                net=net,
                moved=moved,
                source=source,
                target=target,
                parts=parts,
                items=items,
                memo=journal.memo,
            )
        )
    return events


def creator_payouts(*, creator) -> QuerySet[Payout]:
    return (
        Payout.objects.filter(creator=creator).select_related("run").order_by("-created_at", "-id")
    )


def fee_percent() -> str:
    bps = settings.PLATFORM_FEE_BPS
    return f"{bps / 100:g}%"
