"""Settling an item's holdback (the part of the platform fee kept on `destroy-models` sales; see
the module docstring of services/events.py): released to the team's credit when its destruction
duty is met, or forfeited to the creator when it is breached for good. One of the two, once."""

from __future__ import annotations

from django.db import transaction

from payouts.models import AccountKind
from payouts.selectors.ledger import raw_balance
from payouts.services.freezes import is_frozen
from payouts.services.item_ledger import (
    HOLDBACK_FORFEITED,
    HOLDBACK_RELEASED,
    ItemLedger,
    item_ledger,
)
from payouts.services.ledger import Line, account_lock, ledger_accounts, post, team_account

K = AccountKind


def holdback_release(*, item_ref: str, organization_id: int):
    """The team met the item's destruction duty: its holdback becomes the team's credit.

    Returns (transaction, created): created is False for a replay. Returns None when there is
    nothing to release: no sale or no holdback for the item, already forfeited, or the item's
    money is taken back (refunded, or under an open dispute)."""
    return _holdback_settle(
        item_ref=item_ref,
        kind=HOLDBACK_RELEASED,
        lines=lambda item: [
            Line(item.holdback_entry.account, item.holdback, item.currency, **item.ref),
            Line(
                team_account(organization_id, K.TEAM_CREDIT),
                -item.holdback,
                item.currency,
                **item.ref,
            ),
        ],
    )


def holdback_forfeit(*, item_ref: str):
    """The team breached the item's destruction duty for good: its holdback goes to the item's
    creator as compensation, into their available money for the item (paying first what they
    owe us, as a hold release does). If the creator or the work is frozen, it goes to the item's
    held money instead, and the hold release makes it available once the freeze is lifted.

    Returns as `holdback_release` (None if already released, or nothing to forfeit)."""
    return _holdback_settle(item_ref=item_ref, kind=HOLDBACK_FORFEITED, lines=_forfeit_lines)


def _holdback_settle(*, item_ref: str, kind: str, lines):
    key = f"{kind.replace('_', '-')}:{item_ref}"
    try:
        item = item_ledger(item_ref)
    except LookupError:
        return None
    if not item.holdback:
        return None
    if key in item.posted:
        return item.posted[key], False
    with transaction.atomic(savepoint=False):
        # Release, forfeit, refunds and disputes of a holdback take this lock, then read the
        # item again: whichever comes first is what the others see.
        account_lock(item.holdback_entry.account)
        item = item_ledger(item_ref)
        if key in item.posted:
            return item.posted[key], False
        if item.holdback_outcome or item.taken_back > 0 or item.holdback_held != item.holdback:
            return None
        return post(
            idempotency_key=key,
            kind=kind,
            lines=lines(item),
            reference_type="item",
            reference_id=item_ref,
        )


def _forfeit_lines(item: ItemLedger) -> list[Line]:
    amount, currency = item.holdback, item.currency
    from_holdback = Line(item.holdback_entry.account, amount, currency, **item.ref)
    if is_frozen(creator_id=item.creator_id, work_id=item.share_entry.work_id):
        return [from_holdback, Line(item.share_entry.account, -amount, currency, **item.ref)]
    accounts = ledger_accounts(item.creator_id, (K.CREATOR_AVAILABLE, K.CREATOR_DEBT))
    repaid = 0
    if raw_balance(accounts[K.CREATOR_DEBT], currency) > 0:
        # As hold_release: a recovery reading the debt now would count what is repaid here.
        account_lock(accounts[K.CREATOR_DEBT])
        repaid = min(amount, max(0, raw_balance(accounts[K.CREATOR_DEBT], currency)))
    return [
        from_holdback,
        Line(accounts[K.CREATOR_AVAILABLE], -(amount - repaid), currency, **item.ref),
        Line(accounts[K.CREATOR_DEBT], -repaid, currency, **item.ref),
    ]
