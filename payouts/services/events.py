"""Business events as ledger postings. Each event has one idempotency key, so a replay (a
redelivered webhook, a repeated task) posts nothing new.

Money flows (signed entries, each event sums to zero per currency):
- sale, per item: cash +amount; creator held −share; fee revenue −fee.
- hold release: held +share; available −share (less any debt the creator owes, paid first).
- refund or claw-back of an item: cash −amount; fee revenue +fee; the creator's share taken
  back from held, then available, and what was already paid out becomes debt (+).
- dispute opened: as a refund (Stripe takes the money); won: the money comes back and the
  share is held again; lost: nothing more moves.

Rounding: the creator's share is floor(amount × (10000 − fee_bps) / 10000); the fee is the rest,
so each item's share and fee add up to its exact price and remainders go to the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone

from ..ledger import Line, creator_account, platform_account, post, raw_balance
from ..models import AccountKind, JournalTransaction, LedgerEntry
from .freezes import is_frozen

K = AccountKind


@dataclass(frozen=True)
class SaleItem:
    creator_id: int
    item_ref: str  # unique per sold item, e.g. "order_item:42"
    amount: int  # the buyer's price for this item, minor units
    currency: str
    work_id: int | None = None


def split_amount(amount: int, fee_bps: int | None = None) -> tuple[int, int]:
    """(creator share, platform fee) for one item; they add up to `amount` exactly."""
    bps = settings.PLATFORM_FEE_BPS if fee_bps is None else fee_bps
    share = amount * (10_000 - bps) // 10_000
    return share, amount - share


def sale_post(*, order_ref: str, items: list[SaleItem], fee_bps: int | None = None):
    lines: list[Line] = []
    for item in items:
        share, fee = split_amount(item.amount, fee_bps)
        ref = {"item_ref": item.item_ref, "work_id": item.work_id}
        lines += [
            Line(platform_account(K.PLATFORM_CASH), item.amount, item.currency, **ref),
            Line(creator_account(item.creator_id, K.CREATOR_HELD), -share, item.currency, **ref),
            Line(platform_account(K.FEE_REVENUE), -fee, item.currency, **ref),
        ]
    return post(
        idempotency_key=f"sale:{order_ref}",
        kind="sale",
        lines=lines,
        reference_type="order",
        reference_id=order_ref,
    )


def _sale_entries(item_ref: str):
    """The sale's entries for one item: who the creator is, the share, the fee, the currency."""
    sale = LedgerEntry.objects.filter(item_ref=item_ref, transaction__kind="sale").select_related(
        "account"
    )
    share_entry = next((e for e in sale if e.account.kind == K.CREATOR_HELD), None)
    fee_entry = next((e for e in sale if e.account.kind == K.FEE_REVENUE), None)
    cash_entry = next((e for e in sale if e.account.kind == K.PLATFORM_CASH), None)
    if share_entry is None or cash_entry is None:
        raise LookupError(f"No sale recorded for {item_ref}.")
    return share_entry, (-fee_entry.amount if fee_entry else 0), cash_entry


def _owed_for_item(creator_id: int, kind: AccountKind, item_ref: str, currency: str) -> int:
    return -raw_balance(creator_account(creator_id, kind), currency, item_ref=item_ref)


def hold_release(*, item_ref: str, now=None):
    """Make an item's held share available, unless it is frozen or no longer held."""
    share_entry, _, _ = _sale_entries(item_ref)
    creator_id, currency = share_entry.account.creator_id, share_entry.currency
    held = _owed_for_item(creator_id, K.CREATOR_HELD, item_ref, currency)
    if held <= 0 or is_frozen(creator_id=creator_id, work_id=share_entry.work_id):
        return None, False
    debt_account = creator_account(creator_id, K.CREATOR_DEBT)
    debt = raw_balance(debt_account, currency)
    repaid = min(held, max(0, debt))
    ref = {"item_ref": item_ref, "work_id": share_entry.work_id}
    lines = [
        Line(creator_account(creator_id, K.CREATOR_HELD), held, currency, **ref),
        Line(creator_account(creator_id, K.CREATOR_AVAILABLE), -(held - repaid), currency, **ref),
        Line(debt_account, -repaid, currency, **ref),
    ]
    # Keyed by item and how much of it is held, so a share held again (a dispute won) can be
    # released again later, while a replay of the same release posts nothing.
    count = JournalTransaction.objects.filter(kind="hold_release", reference_id=item_ref).count()
    return post(
        idempotency_key=f"release:{item_ref}:{count}",
        kind="hold_release",
        lines=lines,
        reference_type="item",
        reference_id=item_ref,
    )


def holds_release_due(*, now=None) -> int:
    """The beat task's work: release every item whose hold period has passed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EARNINGS_HOLD_DAYS)
    held_items = (
        LedgerEntry.objects.filter(account__kind=K.CREATOR_HELD)
        .exclude(item_ref="")
        .values("item_ref")
        .annotate(total=Sum("amount"), first=Min("transaction__created_at"))
        .filter(total__lt=0, first__lte=cutoff)
    )
    released = 0
    for row in held_items:
        _, created = hold_release(item_ref=row["item_ref"])
        released += bool(created)
    return released


def _take_back_share(creator_id: int, item_ref: str, currency: str, share: int, work_id):
    """Lines taking an item's share back: from held, then available, the rest as debt."""
    ref = {"item_ref": item_ref, "work_id": work_id}
    held = max(0, _owed_for_item(creator_id, K.CREATOR_HELD, item_ref, currency))
    from_held = min(share, held)
    available_total = -raw_balance(creator_account(creator_id, K.CREATOR_AVAILABLE), currency)
    from_available = min(share - from_held, max(0, available_total))
    as_debt = share - from_held - from_available
    return [
        Line(creator_account(creator_id, K.CREATOR_HELD), from_held, currency, **ref),
        Line(creator_account(creator_id, K.CREATOR_AVAILABLE), from_available, currency, **ref),
        Line(creator_account(creator_id, K.CREATOR_DEBT), as_debt, currency, **ref),
    ]


def _times_taken_back(item_ref: str) -> int:
    """How many refunds and open disputes currently hold this item's money back."""
    kinds = LedgerEntry.objects.filter(
        item_ref=item_ref, account__kind=K.PLATFORM_CASH
    ).values_list("transaction__kind", flat=True)
    counted = {"refund": 1, "dispute_opened": 1, "dispute_won": -1}
    return sum(counted.get(kind, 0) for kind in kinds)


def _reverse_item(*, key: str, kind: str, item_ref: str, reference: str):
    share_entry, fee, cash_entry = _sale_entries(item_ref)
    creator_id, currency = share_entry.account.creator_id, share_entry.currency
    if JournalTransaction.objects.filter(idempotency_key=key).exists():
        return JournalTransaction.objects.get(idempotency_key=key), False
    if _times_taken_back(item_ref) > 0:
        # A second refund or dispute of money already taken back (another reference for the
        # same item) must not take the creator's share twice.
        raise ValueError(f"{item_ref} is already refunded or under dispute.")
    ref = {"item_ref": item_ref, "work_id": share_entry.work_id}
    lines = [
        Line(platform_account(K.PLATFORM_CASH), -cash_entry.amount, currency, **ref),
        Line(platform_account(K.FEE_REVENUE), fee, currency, **ref),
        *_take_back_share(creator_id, item_ref, currency, -share_entry.amount, share_entry.work_id),
    ]
    return post(
        idempotency_key=key, kind=kind, lines=lines, reference_type=kind, reference_id=reference
    )


def refund_post(*, refund_ref: str, item_ref: str):
    """A full refund (or a claw-back on an upheld claim) of one item. One refund may cover
    several items: each is posted once under the refund's reference."""
    return _reverse_item(
        key=f"refund:{refund_ref}:{item_ref}",
        kind="refund",
        item_ref=item_ref,
        reference=refund_ref,
    )


def dispute_opened_post(*, dispute_ref: str, item_ref: str):
    return _reverse_item(
        key=f"dispute-opened:{dispute_ref}:{item_ref}",
        kind="dispute_opened",
        item_ref=item_ref,
        reference=dispute_ref,
    )


def dispute_won_post(*, dispute_ref: str, item_ref: str):
    """Stripe returns the money: the item's share is held again (and released later)."""
    opened = JournalTransaction.objects.filter(
        idempotency_key=f"dispute-opened:{dispute_ref}:{item_ref}"
    ).first()
    if opened is None:
        raise LookupError(f"Dispute {dispute_ref} was never opened in the ledger.")
    share_entry, fee, cash_entry = _sale_entries(item_ref)
    creator_id, currency = share_entry.account.creator_id, share_entry.currency
    ref = {"item_ref": item_ref, "work_id": share_entry.work_id}
    lines = [
        Line(platform_account(K.PLATFORM_CASH), cash_entry.amount, currency, **ref),
        Line(platform_account(K.FEE_REVENUE), -fee, currency, **ref),
        Line(creator_account(creator_id, K.CREATOR_HELD), share_entry.amount, currency, **ref),
    ]
    return post(
        idempotency_key=f"dispute-won:{dispute_ref}:{item_ref}",
        kind="dispute_won",
        lines=lines,
        reference_type="dispute",
        reference_id=dispute_ref,
    )


def dispute_lost_post(*, dispute_ref: str, item_ref: str):
    """Nothing moves: the money left when the dispute opened. Recorded so the history says so."""
    return post(
        idempotency_key=f"dispute-lost:{dispute_ref}:{item_ref}",
        kind="dispute_lost",
        lines=[],
        reference_type="dispute",
        reference_id=dispute_ref,
        memo=f"Dispute lost for {item_ref}; the share was taken back when it opened.",
    )
