"""What the ledger says about one sold item (its sale, hold, refunds, disputes and holdback),
read in one query from the entries that carry its reference: the services that move an item's
money decide from this."""

from __future__ import annotations

from dataclasses import dataclass

from payouts.models import AccountKind, JournalTransaction, LedgerEntry

K = AccountKind

# Refunds and open disputes hold an item's money back; a won dispute gives it back.
TAKEN_BACK = {"refund": 1, "dispute_opened": 1, "dispute_won": -1}
# The journal kinds that settle an item's holdback (services/holdback.py).
HOLDBACK_RELEASED, HOLDBACK_FORFEITED = "holdback_release", "holdback_forfeit"


@dataclass
class ItemLedger:
    """What the ledger says about one sold item, read in one query (its entries are few)."""

    share_entry: LedgerEntry  # the sale's entry on the creator's held account
    cash_entry: LedgerEntry
    fee: int  # the fee revenue the sale posted (the fee less any holdback)
    held: int  # the share still held (as shown)
    releases: int  # hold releases so far
    taken_back: int  # refunds and open disputes holding its money back now
    posted: dict[str, JournalTransaction]  # the item's transactions by idempotency key
    holdback_entry: LedgerEntry | None = None  # the sale's entry on the holdback account
    holdback_held: int = 0  # what the holdback account holds for the item now (as shown)
    holdback_outcome: str = ""  # "", HOLDBACK_RELEASED or HOLDBACK_FORFEITED
    team_credit: LedgerEntry | None = None  # the release's entry on the team's credit

    @property
    def creator_id(self) -> int:
        return self.share_entry.account.creator_id

    @property
    def currency(self) -> str:
        return self.share_entry.currency

    @property
    def ref(self) -> dict:
        return {"item_ref": self.share_entry.item_ref, "work_id": self.share_entry.work_id}

    @property
    def holdback(self) -> int:
        return -self.holdback_entry.amount if self.holdback_entry else 0

    @property
    def creator_part(self) -> int:
        """What the creator earned from the item: the share, and a holdback forfeited to them."""
        forfeited = self.holdback if self.holdback_outcome == HOLDBACK_FORFEITED else 0
        return -self.share_entry.amount + forfeited


def item_ledger(item_ref: str) -> ItemLedger:
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
    outcome = next(
        (
            e.transaction.kind
            for e in entries
            if e.transaction.kind in (HOLDBACK_RELEASED, HOLDBACK_FORFEITED)
        ),
        "",
    )
    return ItemLedger(
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
        holdback_entry=sale_entry(K.HOLDBACK),
        holdback_held=-sum(e.amount for e in entries if e.account.kind == K.HOLDBACK),
        holdback_outcome=outcome,
        team_credit=next(
            (
                e
                for e in entries
                if e.transaction.kind == HOLDBACK_RELEASED and e.account.kind == K.TEAM_CREDIT
            ),
            None,
        ),
    )
