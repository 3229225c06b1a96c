"""Reading the money side for pages and the API. A creator's reads are always scoped to that
creator: every function here that takes `creator` filters by it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from .connect import disabled_reason_in_words, requirements_in_words
from .ledger import CreatorBalances, creator_balances, shown, trial_balance
from .models import (
    AccountKind,
    Freeze,
    JournalTransaction,
    LedgerEntry,
    Payout,
    PayoutAccount,
    PayoutRun,
    PayoutStatus,
)
from .registry import creator_work_ids

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


# --- a creator's money ------------------------------------------------------------------------


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


def creator_freezes(*, creator) -> list[Freeze]:
    """Active freezes on the creator or on one of their works, so their page can say why."""
    on_them = Q(creator=creator)
    for work_ids in creator_work_ids(creator):
        on_them |= Q(work_id__in=work_ids)
    return list(Freeze.objects.filter(on_them, lifted_at__isnull=True).order_by("-created_at"))


# --- a team's credit ------------------------------------------------------------------------


def team_credit_balances(organization) -> dict[str, int]:
    """What Assent owes the team (released holdbacks, less any taken back by refunds), per
    currency, in minor units; negative when the team owes it. Currencies at zero are left out.
    One grouped query."""
    rows = (
        LedgerEntry.objects.filter(
            account__organization=organization, account__kind=AccountKind.TEAM_CREDIT
        )
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {
        row["currency"]: shown(AccountKind.TEAM_CREDIT, row["total"])
        for row in rows
        if row["total"]
    }


def team_credits_outstanding() -> list[dict]:
    """Every team's credit that is not zero, per currency, for staff to pay out: dicts of
    organization id, name and slug, currency, amount (minor units). One grouped query."""
    rows = (
        LedgerEntry.objects.filter(account__kind=AccountKind.TEAM_CREDIT)
        .values(
            "account__organization_id",
            "account__organization__name",
            "account__organization__slug",
            "currency",
        )
        .annotate(total=Sum("amount"))
        .order_by("account__organization__name", "currency")
    )
    return [
        {
            "organization_id": row["account__organization_id"],
            "name": row["account__organization__name"],
            "slug": row["account__organization__slug"],
            "currency": row["currency"],
            "amount": shown(AccountKind.TEAM_CREDIT, row["total"]),
        }
        for row in rows
        if row["total"]
    ]


# --- the payout account, as the creator should understand it ----------------------------------


class AccountStatus:
    NOT_CONNECTED = "not_connected"
    INCOMPLETE = "incomplete"  # the creator has something to do
    VERIFYING = "verifying"  # submitted; Stripe is checking, nothing to do
    RESTRICTED = "restricted"  # Stripe disabled it for another reason
    ENABLED = "enabled"


@dataclass(frozen=True)
class PayoutAccountState:
    status: str
    headline: str
    explanation: str
    missing: list[str] = field(default_factory=list)
    action: str = ""  # the button's words, when there is something to do at Stripe
    account: PayoutAccount | None = None

    @property
    def payouts_enabled(self) -> bool:
        return self.status == AccountStatus.ENABLED


def payout_account_state(*, creator=None, payout_account: PayoutAccount | None = None):
    """Where the creator stands with Stripe, in words. Pass the creator or their account."""
    if payout_account is None and creator is not None:
        payout_account = PayoutAccount.objects.filter(creator=creator).first()
    account = payout_account
    if account is None:
        return PayoutAccountState(
            status=AccountStatus.NOT_CONNECTED,
            headline="Not connected",
            explanation=(
                "Connect a Stripe account to be paid. Stripe asks who you are and where to send "
                "the money; it takes about five minutes. We never see your bank details."
            ),
            action="Connect with Stripe",
        )
    missing = requirements_in_words(account.requirements_due)
    reason = disabled_reason_in_words(account.disabled_reason)
    if account.payouts_enabled:
        if missing:
            return PayoutAccountState(
                status=AccountStatus.ENABLED,
                headline="Payouts enabled",
                explanation=(
                    "Stripe will soon need a few more details to keep paying you. Add them "
                    "before your payouts are paused."
                ),
                missing=missing,
                action="Update details",
                account=account,
            )
        return PayoutAccountState(
            status=AccountStatus.ENABLED,
            headline="Payouts enabled",
            explanation=(
                "Your available earnings are sent to your Stripe account in each payout run; "
                "Stripe then pays them into your bank account."
            ),
            account=account,
        )
    if missing:
        return PayoutAccountState(
            status=AccountStatus.INCOMPLETE,
            headline="Setup not finished",
            explanation=(
                "Stripe still needs a few details before it can pay you. Your earnings are kept "
                "safe until then."
                if not account.details_submitted
                else f"{reason or 'Stripe needs more information before it can pay you.'} "
                "Your earnings are kept safe until then."
            ),
            missing=missing,
            action="Continue setup",
            account=account,
        )
    if account.disabled_reason in ("", "requirements.pending_verification"):
        return PayoutAccountState(
            status=AccountStatus.VERIFYING,
            headline="Stripe is verifying your details",
            explanation=disabled_reason_in_words("requirements.pending_verification")
            + " Your earnings are kept safe meanwhile.",
            account=account,
        )
    return PayoutAccountState(
        status=AccountStatus.RESTRICTED,
        headline="Payouts paused by Stripe",
        explanation=reason,
        account=account,
    )


# --- staff ------------------------------------------------------------------------------------


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


def freezes_for_staff() -> tuple[list[Freeze], list[Freeze]]:
    """(active, recently lifted) freezes."""
    base = Freeze.objects.select_related("creator", "frozen_by", "lifted_by")
    active = list(base.filter(lifted_at__isnull=True).order_by("-created_at"))
    lifted = list(base.filter(lifted_at__isnull=False).order_by("-lifted_at")[:10])
    return active, lifted


def recent_payout_runs(limit: int = 5):
    counts = {
        f"n_{status}": Count("payouts", filter=Q(payouts__status=status))
        for status in PayoutStatus.values
    }
    return (
        PayoutRun.objects.select_related("started_by")
        .annotate(n_all=Count("payouts"), **counts)
        .order_by("-scheduled_for")[:limit]
    )


def pending_payout_ids(*, run) -> list[int]:
    return list(
        run.payouts.filter(status=PayoutStatus.PENDING).order_by("id").values_list("id", flat=True)
    )


def fee_percent() -> str:
    bps = settings.PLATFORM_FEE_BPS
    return f"{bps / 100:g}%"
