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
payouts/services/ledger.py). Taking a share back from available takes the item's own money first, then
the creator's other money, works not frozen first, oldest first (`ledger.take_from`).

Rounding (common/fees.py): the creator's share is floor(amount × (10000 − fee_bps) / 10000); the
fee is the rest, so each item's share and fee add up to its exact price and remainders go to
the platform.

The holdback (licenses whose terms carry `destroy-models`; services/holdback.py):
- A sale of such an item holds back floor(price × LICENSE_HOLDBACK_BPS / 10000) (default 10%).
  It is taken FROM THE PLATFORM FEE, so creators' shares never change; LICENSE_HOLDBACK_BPS may
  not exceed PLATFORM_FEE_BPS (a system check, payouts/checks.py, refuses to start otherwise).
  The sale posts: cash +amount; creator held −share; fee revenue −(fee − holdback); holdback
  −holdback (a platform liability account; its entries carry the item).
- It stays with Assent until the team's destruction duty is settled, once, one way:
  met (the team attested destruction, or the license expired with no model declared):
  `holdback_release` moves it to the team's credit (a team-owned account: money Assent owes
  the team, shown on its pages, used as agreed: staff may pay it out off-platform; spending it
  at checkout is not built). Breached for good: `holdback_forfeit` gives it to the item's
  creator as compensation, into their available money for that item (paying first any debt
  they owe, as a hold release does); if the creator or the work is frozen, it goes to the
  item's held money instead, and the ordinary hold release makes it available once the freeze
  is lifted. Whichever of the two comes first wins; the other then does nothing (None).
  Neither acts on an item whose money is taken back at that moment (refunded, or under an
  open dispute); a won dispute holds the holdback again, and it can be settled then (the
  marketplace applies a duty outcome recorded during the dispute when it is won).
- A refund, claw-back or opened dispute takes back whatever the holdback became: still held,
  from the holdback account; released, from the team's credit (nothing takes credit out
  yet, as paying it is off-platform; a balance below zero, were that recorded, is what the
  team owes Assent); forfeited, from the creator like their share (held, then
  available, then debt). A won dispute puts it back where it was (a forfeited one into held).
  The creator's earnings never include a holdback unless it was forfeited to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from common.fees import fee_split
from payouts.models import AccountKind, LedgerEntry
from payouts.selectors.ledger import available_buckets, raw_balance
from payouts.services.freezes import frozen_scope, is_frozen
from payouts.services.item_ledger import (
    HOLDBACK_FORFEITED,
    HOLDBACK_RELEASED,
    ItemLedger,
    item_ledger,
)
from payouts.services.ledger import (
    Line,
    account_lock,
    creator_accounts,
    ledger_accounts,
    post,
    take_from,
)

K = AccountKind


@dataclass(frozen=True)
class SaleItem:
    creator_id: int
    item_ref: str  # unique per sold item, e.g. "order_item:42"
    amount: int  # the buyer's price for this item, minor units
    currency: str
    work_id: int | None = None
    # For items whose terms carry `destroy-models`: settings.LICENSE_HOLDBACK_BPS (see above).
    holdback_bps: int = 0


def split_amount(amount: int, fee_bps: int | None = None) -> tuple[int, int]:
    """(creator share, platform fee) for one item; they add up to `amount` exactly. The rule
    is common.fees.fee_split, which the creator's price form shows too."""
    split = fee_split(amount, settings.PLATFORM_FEE_BPS if fee_bps is None else fee_bps)
    return split.net, split.fee


def holdback_amount(amount: int, holdback_bps: int) -> int:
    """The part of an item's platform fee held back until its destruction duty is settled."""
    return amount * holdback_bps // 10_000


def sale_post(*, order_ref: str, items: list[SaleItem], fee_bps: int | None = None):
    platform = (K.PLATFORM_CASH, K.FEE_REVENUE)
    if any(i.holdback_bps for i in items):
        platform += (K.HOLDBACK,)
    accounts = creator_accounts({i.creator_id for i in items}, K.CREATOR_HELD, platform=platform)
    lines: list[Line] = []
    for item in items:
        share, fee = split_amount(item.amount, fee_bps)
        holdback = holdback_amount(item.amount, item.holdback_bps)
        if not 0 <= holdback <= fee:
            raise ValueError("A holdback is part of the platform fee: 0 <= holdback <= fee.")
        ref = {"item_ref": item.item_ref, "work_id": item.work_id}
        lines += [
            Line(accounts[K.PLATFORM_CASH], item.amount, item.currency, **ref),
            Line(accounts[item.creator_id], -share, item.currency, **ref),
            Line(accounts[K.FEE_REVENUE], -(fee - holdback), item.currency, **ref),
        ]
        if holdback:
            lines.append(Line(accounts[K.HOLDBACK], -holdback, item.currency, **ref))
    return post(
        idempotency_key=f"sale:{order_ref}",
        kind="sale",
        lines=lines,
        reference_type="order",
        reference_id=order_ref,
    )


def hold_release(*, item_ref: str, now=None):
    """Make an item's held share available, unless it is frozen or no longer held."""
    item = item_ledger(item_ref)
    creator_id, currency, held = item.creator_id, item.currency, item.held
    if held <= 0 or is_frozen(creator_id=creator_id, work_id=item.share_entry.work_id):
        return None, False
    accounts = ledger_accounts(creator_id, (K.CREATOR_AVAILABLE, K.CREATOR_DEBT))
    with transaction.atomic(savepoint=False):
        # A refund or dispute taking the share from held at this moment would leave it both
        # taken back and released: take the lock those take, and read the item again under it.
        account_lock(item.share_entry.account)
        item = item_ledger(item_ref)
        if item.held <= 0:
            return None, False
        # Keyed by item and how many times it was released, so a share held again (a dispute
        # won) can be released again later, while a replay of the same release posts nothing.
        key = f"release:{item_ref}:{item.releases}"
        repaid = 0
        if raw_balance(accounts[K.CREATOR_DEBT], currency) > 0:
            # Paying a debt: a recovery reading it at this moment would count the part repaid
            # here twice, so take the lock recoveries take, and read the debt again under it.
            account_lock(accounts[K.CREATOR_DEBT])
            debt = raw_balance(accounts[K.CREATOR_DEBT], currency)
            repaid = min(item.held, max(0, debt))
        return post(**_release_posting(item, accounts, key=key, repaid=repaid))


def _release_posting(item: ItemLedger, accounts, *, key: str, repaid: int) -> dict:
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
    the fee, the holdback from wherever it went, and what the creator earned from the item
    from held, then available (`ledger.take_from`), the rest as debt."""
    item = item_ledger(item_ref)
    if key in item.posted:
        return item.posted[key], False
    with transaction.atomic(savepoint=False):
        if item.holdback:
            # A holdback being released or forfeited meanwhile would leave with the money we
            # take back: take the lock those take.
            account_lock(item.holdback_entry.account)
        # Two takings-back of the item at once (a refund and a dispute, under other references)
        # would both see it untaken and both take the share: the second waits here, then reads
        # the item again and sees the first.
        account_lock(item.share_entry.account)
        item = item_ledger(item_ref)
        if key in item.posted:
            return item.posted[key], False
        if item.taken_back <= 0:
            return post(
                idempotency_key=key,
                kind=kind,
                lines=_reversal_lines(item),
                reference_type=kind,
                reference_id=reference,
            )
    # A second refund or dispute of money already taken back (another reference for the same
    # item) must not take the creator's share twice. Raised outside the atomic block, so a
    # caller's transaction is not marked broken by it.
    raise ValueError(f"{item_ref} is already refunded or under dispute.")


def _reversal_lines(item: ItemLedger) -> list[Line]:
    creator_id, currency = item.creator_id, item.currency
    accounts = ledger_accounts(
        creator_id,
        (K.CREATOR_AVAILABLE, K.CREATOR_DEBT),
        platform=(K.PLATFORM_CASH, K.FEE_REVENUE),
    )
    earned = item.creator_part
    from_held = min(earned, max(0, item.held))
    taken = []
    if earned > from_held:
        # Hold the creator's available money: a payout run must not move it meanwhile.
        account_lock(accounts[K.CREATOR_AVAILABLE])
        buckets = available_buckets(creator_id, currency)
        _, frozen = frozen_scope(creator_id=creator_id, work_ids=[b.work_id for b in buckets])
        taken = take_from(
            buckets, earned - from_held, frozen_works=frozen, own_item=item.share_entry.item_ref
        )
    return [
        Line(accounts[K.PLATFORM_CASH], -item.cash_entry.amount, currency, **item.ref),
        Line(accounts[K.FEE_REVENUE], item.fee, currency, **item.ref),
        *_holdback_lines(item, sign=1),
        Line(item.share_entry.account, from_held, currency, **item.ref),
        *(
            Line(accounts[K.CREATOR_AVAILABLE], part, currency, b.item_ref, b.work_id)
            for b, part in taken
        ),
        Line(
            accounts[K.CREATOR_DEBT],
            earned - from_held - sum(part for _, part in taken),
            currency,
            **item.ref,
        ),
    ]


def _holdback_lines(item: ItemLedger, *, sign: int) -> list[Line]:
    """The holdback taken back (sign 1) or put back (sign −1) where it is now: the holdback
    account, or the team's credit once released (a forfeited one is the creator's part)."""
    if not item.holdback or item.holdback_outcome == HOLDBACK_FORFEITED:
        return []
    if item.holdback_outcome == HOLDBACK_RELEASED:
        account = item.team_credit.account
    else:
        account = item.holdback_entry.account
    return [Line(account, sign * item.holdback, item.currency, **item.ref)]


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
    """Stripe returns the money: what the creator earned from the item is held again (and
    released later), and the holdback goes back where it was."""
    key = f"dispute-won:{dispute_ref}:{item_ref}"
    item = item_ledger(item_ref)
    if f"dispute-opened:{dispute_ref}:{item_ref}" not in item.posted:
        raise LookupError(f"Dispute {dispute_ref} was never opened in the ledger.")
    if key in item.posted:
        return item.posted[key], False
    with transaction.atomic(savepoint=False):
        if item.holdback:
            account_lock(item.holdback_entry.account)
            item = item_ledger(item_ref)
        currency = item.currency
        platform = ledger_accounts(platform=(K.PLATFORM_CASH, K.FEE_REVENUE))
        lines = [
            Line(platform[K.PLATFORM_CASH], item.cash_entry.amount, currency, **item.ref),
            Line(platform[K.FEE_REVENUE], -item.fee, currency, **item.ref),
            *_holdback_lines(item, sign=-1),
            Line(item.share_entry.account, -item.creator_part, currency, **item.ref),
        ]
        return post(
            idempotency_key=key,
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
