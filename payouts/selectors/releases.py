"""When a creator's held money becomes available: per release day, read from the ledger (each
sale's date and what is still held of it), and what no date can be given for (a freeze, an
open dispute). Nothing is stored: the schedule is derived, as the balances are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q, Sum
from django.utils import timezone

from payouts.models import AccountKind, Freeze, JournalTransaction, LedgerEntry
from payouts.selectors.ledger import shown

# The hold release (payouts.tasks.holds_release_due_task) runs at this minute of every hour
# (config/celery.py), and releases an item once its sale is EARNINGS_HOLD_DAYS old.
RELEASE_RUN_MINUTE = 5

ON_DATE, FROZEN, DISPUTED = "date", "frozen", "disputed"


@dataclass(frozen=True)
class HeldRelease:
    """Money of the creator's that waits, in one currency: either the day it becomes
    available (`available_on`), or, when no day can be given, why (`waits_for`)."""

    currency: str
    amount: int  # minor units, positive
    items: int  # how many sold items it comes from
    available_on: date | None = None
    waits_for: str = ON_DATE  # ON_DATE, FROZEN or DISPUTED
    explanation: str = ""  # in plain words, for the undated ones

    @property
    def is_dated(self) -> bool:
        return self.available_on is not None


def release_day(sold_at: datetime, *, now: datetime) -> date:
    """The day an item sold at `sold_at` becomes available: the first release run once its
    hold has passed (or the next one, when that moment is already behind us)."""
    due = max(sold_at + timedelta(days=settings.EARNINGS_HOLD_DAYS), now)
    run = due.replace(minute=RELEASE_RUN_MINUTE, second=0, microsecond=0)
    if run < due:
        run += timedelta(hours=1)
    return timezone.localdate(run)


def held_releases(*, creator, now: datetime | None = None) -> list[HeldRelease]:
    """The creator's held money grouped by the day it becomes available, soonest first, then
    what waits on a freeze and what an open dispute has taken back (not part of held: it
    comes back to held if the dispute is won)."""
    now = now or timezone.now()
    held = _held_items(creator)
    freezes = _freezes(creator, {row["work_id"] for row in held})
    dated: dict[tuple[str, date], list[int]] = {}
    frozen: dict[tuple[str, str], list[int]] = {}
    for row in held:
        freeze = freezes.get(("creator", None)) or freezes.get(("work", row["work_id"]))
        if freeze is not None:
            frozen.setdefault((row["currency"], freeze.reason), []).append(row["held"])
        else:
            day = release_day(row["sold_at"], now=now)
            dated.setdefault((row["currency"], day), []).append(row["held"])
    releases = [
        HeldRelease(currency=c, amount=sum(a), items=len(a), available_on=day)
        for (c, day), a in sorted(dated.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    releases += [
        HeldRelease(
            currency=c,
            amount=sum(a),
            items=len(a),
            waits_for=FROZEN,
            explanation=f"On hold until our staff lift it: {reason}",
        )
        for (c, reason), a in sorted(frozen.items())
    ]
    return releases + _disputed(creator)


def _held_items(creator) -> list[dict]:
    """What is still held of each sold item, with the day it sold: one grouped query. The
    release counts from the item's first entry on held, its sale, as the release task does."""
    rows = (
        LedgerEntry.objects.filter(account__creator=creator, account__kind=AccountKind.CREATOR_HELD)
        .exclude(item_ref="")
        .values("item_ref", "currency", "work_id")
        .annotate(total=Sum("amount"), sold_at=Min("transaction__created_at"))
        .order_by("sold_at", "item_ref")
    )
    found = []
    for row in rows:
        amount = shown(AccountKind.CREATOR_HELD, row["total"])
        if amount > 0:
            found.append({**row, "held": amount})
    return found


def _freezes(creator, work_ids: set) -> dict[tuple[str, int | None], Freeze]:
    """The freezes in force on the creator (key ("creator", None)) or one of the works
    (("work", id)), oldest first kept: the one that has held the money longest."""
    works = {w for w in work_ids if w is not None}
    found: dict[tuple[str, int | None], Freeze] = {}
    standing = Freeze.objects.filter(
        Q(creator=creator) | Q(work_id__in=works), lifted_at__isnull=True
    ).order_by("created_at", "id")
    for freeze in standing:
        if freeze.creator_id == creator.id:
            found.setdefault(("creator", None), freeze)
        if freeze.work_id in works:
            found.setdefault(("work", freeze.work_id), freeze)
    return found


def _outcome_keys(opening: JournalTransaction) -> tuple[str, str]:
    """The keys a won or lost outcome of this opening posts under (services/events.py)."""
    dispute_and_item = opening.idempotency_key.removeprefix("dispute-opened:")
    return f"dispute-won:{dispute_and_item}", f"dispute-lost:{dispute_and_item}"


def _disputed(creator) -> list[HeldRelease]:
    """What open disputes took back from the creator, per currency. A dispute is open while
    its opening has no outcome (won or lost) posted under the same dispute and item."""
    opened = list(
        JournalTransaction.objects.filter(
            kind="dispute_opened", entries__account__creator=creator
        ).distinct()
    )
    if not opened:
        return []
    settled = set(
        JournalTransaction.objects.filter(
            idempotency_key__in=[key for j in opened for key in _outcome_keys(j)]
        ).values_list("idempotency_key", flat=True)
    )
    still_open = [j.id for j in opened if settled.isdisjoint(_outcome_keys(j))]
    taken = (
        LedgerEntry.objects.filter(transaction_id__in=still_open, account__creator=creator)
        .values("transaction_id", "currency", "account__kind")
        .annotate(total=Sum("amount"))
    )
    per_currency: dict[str, int] = {}
    disputes: dict[str, set[int]] = {}
    for row in taken:
        # A dispute takes the share from held and available (shown as less money) and books
        # the rest as owed (shown as more debt): both are what it took.
        amount = shown(row["account__kind"], row["total"])
        amount = amount if row["account__kind"] == AccountKind.CREATOR_DEBT else -amount
        per_currency[row["currency"]] = per_currency.get(row["currency"], 0) + amount
        disputes.setdefault(row["currency"], set()).add(row["transaction_id"])
    return [
        HeldRelease(
            currency=currency,
            amount=amount,
            items=len(disputes[currency]),
            waits_for=DISPUTED,
            explanation=(
                "Taken back while a buyer's bank dispute is open; no date until it is decided. "
                "If the dispute is won, it is held again and becomes available when its hold ends."
            ),
        )
        for currency, amount in sorted(per_currency.items())
        if amount > 0
    ]
