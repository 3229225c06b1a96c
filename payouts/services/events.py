"""Business events as ledger postings. Each event has one idempotency key, so a replay (a
redelivered webhook, a repeated task) posts nothing new.

Money flows (signed entries, each event sums to zero per currency):
- sale, per item: cash +amount; creator held −share; fee revenue −fee.
- hold release: held +share; available −share (less any debt the creator owes, paid first).
- refund or claw-back of an item: cash −amount; fee revenue +fee; the creator's share taken
  back from held, then available, and what was already paid out becomes debt (+).
- dispute opened: as a refund (Stripe takes the money); won: the money comes back and the
  share is held again; lost: nothing more moves.

Available money is kept per item (every available entry names the item it came from: see
payouts/ledger.py). Taking a share back from available takes the item's own money first, then
the creator's other money, works not frozen first, oldest first (`ledger.take_from`).

Rounding: the creator's share is floor(amount × (10000 − fee_bps) / 10000); the fee is the rest,
so each item's share and fee add up to its exact price and remainders go to the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from ..ledger import (
    Line,
    account_lock,
    available_buckets,
    creator_accounts,
    ledger_accounts,
    post,
    raw_balance,
    take_from,
)
from ..models import AccountKind, JournalTransaction, LedgerEntry
from .freezes import frozen_scope, is_frozen

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
    accounts = creator_accounts(
        {i.creator_id for i in items},
        K.CREATOR_HELD,
        platform=(K.PLATFORM_CASH, K.FEE_REVENUE),
    )
    lines: list[Line] = []
    for item in items:
        share, fee = split_amount(item.amount, fee_bps)
        ref = {"item_ref": item.item_ref, "work_id": item.work_id}
        lines += [
            Line(accounts[K.PLATFORM_CASH], item.amount, item.currency, **ref),
            Line(accounts[item.creator_id], -share, item.currency, **ref),
            Line(accounts[K.FEE_REVENUE], -fee, item.currency, **ref),
        ]
    return post(
        idempotency_key=f"sale:{order_ref}",
        kind="sale",
        lines=lines,
        reference_type="order",
        reference_id=order_ref,
    )


# Refunds and open disputes hold an item's money back; a won dispute gives it back.
TAKEN_BACK = {"refund": 1, "dispute_opened": 1, "dispute_won": -1}


@dataclass
class _ItemLedger:
    """What the ledger says about one sold item, read in one query (its entries are few)."""

    share_entry: LedgerEntry  # the sale's entry on the creator's held account
    cash_entry: LedgerEntry
    fee: int
    held: int  # the share still held (as shown)
    releases: int  # hold releases so far
    taken_back: int  # refunds and open disputes holding its money back now
    posted: dict[str, JournalTransaction]  # the item's transactions by idempotency key

    @property
    def creator_id(self) -> int:
        return self.share_entry.account.creator_id

    @property
    def currency(self) -> str:
        return self.share_entry.currency

    @property
    def ref(self) -> dict:
        return {"item_ref": self.share_entry.item_ref, "work_id": self.share_entry.work_id}


def _item_ledger(item_ref: str) -> _ItemLedger:
    entries = list(
        LedgerEntry.objects.filter(item_ref=item_ref).select_related("account", "transaction")
    )

    def sale_entry(kind):
        return next(
            (e for e in entries if e.transaction.kind == "sale" and e.account.kind == kind), None
        )

    share_entry, cash_entry = sale_entry(K.CREATOR_HELD), sale_entry(K.PLATFORM_CASH)
    if share_entry is None or cash_entry is None:
        raise LookupError(f"No sale recorded for {item_ref}.")
    fee_entry = sale_entry(K.FEE_REVENUE)
    held = [e for e in entries if e.account_id == share_entry.account_id]
    return _ItemLedger(
        share_entry=share_entry,
        cash_entry=cash_entry,
        fee=-fee_entry.amount if fee_entry else 0,
        held=-sum(e.amount for e in held),
        releases=sum(e.transaction.kind == "hold_release" for e in held),
        taken_back=sum(
            TAKEN_BACK.get(e.transaction.kind, 0)
            for e in entries
            if e.account.kind == K.PLATFORM_CASH
        ),
        posted={e.transaction.idempotency_key: e.transaction for e in entries},
    )


def hold_release(*, item_ref: str, now=None):
    """Make an item's held share available, unless it is frozen or no longer held."""
    item = _item_ledger(item_ref)
    creator_id, currency, held = item.creator_id, item.currency, item.held
    if held <= 0 or is_frozen(creator_id=creator_id, work_id=item.share_entry.work_id):
        return None, False
    accounts = ledger_accounts(creator_id, (K.CREATOR_AVAILABLE, K.CREATOR_DEBT))
    # Keyed by item and how many times it was released, so a share held again (a dispute won)
    # can be released again later, while a replay of the same release posts nothing.
    key = f"release:{item_ref}:{item.releases}"
    if raw_balance(accounts[K.CREATOR_DEBT], currency) <= 0:  # the common case: nothing owed
        return post(**_release_posting(item, accounts, key=key, repaid=0))
    with transaction.atomic(savepoint=False):
        # Paying a debt: a recovery reading it at this moment would count the part repaid here
        # twice, so take the lock recoveries take, and read the debt again under it.
        account_lock(accounts[K.CREATOR_DEBT])
        debt = raw_balance(accounts[K.CREATOR_DEBT], currency)
        return post(**_release_posting(item, accounts, key=key, repaid=min(held, max(0, debt))))


def _release_posting(item: _ItemLedger, accounts, *, key: str, repaid: int) -> dict:
    held, currency = item.held, item.currency
    return {
        "idempotency_key": key,
        "kind": "hold_release",
        "lines": [
            Line(item.share_entry.account, held, currency, **item.ref),
            Line(accounts[K.CREATOR_AVAILABLE], -(held - repaid), currency, **item.ref),
            Line(accounts[K.CREATOR_DEBT], -repaid, currency, **item.ref),
        ],
        "reference_type": "item",
        "reference_id": item.share_entry.item_ref,
    }


def holds_release_due(*, now=None) -> int:
    """The beat task's work: release every item whose hold period has passed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EARNINGS_HOLD_DAYS)
    held_items = (
        LedgerEntry.objects.filter(account__kind=K.CREATOR_HELD)
        .exclude(item_ref="")
        .values("item_ref")
        .annotate(total=Sum("amount"), first=Min("transaction__created_at"), oldest=Min("id"))
        .filter(total__lt=0, first__lte=cutoff)
        .order_by("oldest")  # oldest sales first: they are the ones that pay a debt first
    )
    released = 0
    for row in held_items:
        _, created = hold_release(item_ref=row["item_ref"])
        released += bool(created)
    return released


def _reverse_item(*, key: str, kind: str, item_ref: str, reference: str):
    """Take an item's money back (refund, claw-back, dispute opened): the buyer's payment and
    the fee, and the creator's share from held, then available (`ledger.take_from`), the rest
    as debt."""
    item = _item_ledger(item_ref)
    if key in item.posted:
        return item.posted[key], False
    if item.taken_back > 0:
        # A second refund or dispute of money already taken back (another reference for the
        # same item) must not take the creator's share twice.
        raise ValueError(f"{item_ref} is already refunded or under dispute.")
    creator_id, currency = item.creator_id, item.currency
    accounts = ledger_accounts(
        creator_id,
        (K.CREATOR_AVAILABLE, K.CREATOR_DEBT),
        platform=(K.PLATFORM_CASH, K.FEE_REVENUE),
    )
    share = -item.share_entry.amount
    from_held = min(share, max(0, item.held))
    with transaction.atomic(savepoint=False):
        taken = []
        if share > from_held:
            # Hold the creator's available money: a payout run must not move it meanwhile.
            account_lock(accounts[K.CREATOR_AVAILABLE])
            buckets = available_buckets(creator_id, currency)
            _, frozen = frozen_scope(creator_id=creator_id, work_ids=[b.work_id for b in buckets])
            taken = take_from(buckets, share - from_held, frozen_works=frozen, own_item=item_ref)
        lines = [
            Line(accounts[K.PLATFORM_CASH], -item.cash_entry.amount, currency, **item.ref),
            Line(accounts[K.FEE_REVENUE], item.fee, currency, **item.ref),
            Line(item.share_entry.account, from_held, currency, **item.ref),
            *(
                Line(accounts[K.CREATOR_AVAILABLE], part, currency, b.item_ref, b.work_id)
                for b, part in taken
            ),
            Line(
                accounts[K.CREATOR_DEBT],
                share - from_held - sum(part for _, part in taken),
                currency,
                **item.ref,
            ),
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
    item = _item_ledger(item_ref)
    if f"dispute-opened:{dispute_ref}:{item_ref}" not in item.posted:
        raise LookupError(f"Dispute {dispute_ref} was never opened in the ledger.")
    currency = item.currency
    platform = ledger_accounts(platform=(K.PLATFORM_CASH, K.FEE_REVENUE))
    lines = [
        Line(platform[K.PLATFORM_CASH], item.cash_entry.amount, currency, **item.ref),
        Line(platform[K.FEE_REVENUE], -item.fee, currency, **item.ref),
        Line(item.share_entry.account, item.share_entry.amount, currency, **item.ref),
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
