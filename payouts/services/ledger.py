"""Posting to the ledger. Every write goes through `post`: it is idempotent by key, checks that
the entries balance per currency (PostgreSQL checks it again at commit), and never updates or
deletes anything."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from payouts.models import (
    AccountKind,
    JournalTransaction,
    LedgerAccount,
    LedgerEntry,
)
from payouts.selectors.ledger import Bucket


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
    account, _ = LedgerAccount.objects.get_or_create(kind=kind, creator=None, organization=None)
    return account


def team_account(organization, kind: AccountKind) -> LedgerAccount:
    """A team's (accounts.Organization's) account of `kind` (models.TEAM_KINDS)."""
    organization_id = getattr(organization, "id", organization)
    account, _ = LedgerAccount.objects.get_or_create(
        kind=kind, organization_id=organization_id, creator=None
    )
    return account


def creator_account(creator, kind: AccountKind) -> LedgerAccount:
    creator_id = getattr(creator, "id", creator)
    account, _ = LedgerAccount.objects.get_or_create(kind=kind, creator_id=creator_id)
    return account


def creator_accounts(
    creator_ids, kind: AccountKind, platform: tuple[AccountKind, ...] = ()
) -> dict:
    """One account kind for many creators (a sale's items may have many), by creator id, and
    the platform accounts of `platform`, by kind, in one query; any missing one is created."""
    ids = {getattr(c, "id", c) for c in creator_ids}
    wanted = Q(kind=kind, creator_id__in=ids)
    if platform:
        wanted |= Q(creator__isnull=True, organization__isnull=True, kind__in=platform)
    found: dict = {}
    for account in LedgerAccount.objects.filter(wanted):
        found[account.creator_id if account.creator_id else account.kind] = account
    for creator_id in ids - set(found):
        found[creator_id] = creator_account(creator_id, kind)
    for platform_kind in platform:
        if platform_kind not in found:
            found[platform_kind] = platform_account(platform_kind)
    return found


def ledger_accounts(
    creator=None, kinds: tuple[AccountKind, ...] = (), platform: tuple[AccountKind, ...] = ()
) -> dict[AccountKind, LedgerAccount]:
    """A creator's accounts of `kinds` and the platform accounts of `platform`, by kind, in one
    query (the kinds of the two never overlap); any missing one is created."""
    creator_id = getattr(creator, "id", creator)
    wanted = Q(pk__in=[])
    if kinds:
        wanted |= Q(creator_id=creator_id, kind__in=kinds)
    if platform:
        wanted |= Q(creator__isnull=True, organization__isnull=True, kind__in=platform)
    found = {account.kind: account for account in LedgerAccount.objects.filter(wanted)}
    for kind in kinds:
        if kind not in found:
            found[kind] = creator_account(creator_id, kind)
    for kind in platform:
        if kind not in found:
            found[kind] = platform_account(kind)
    return found


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
    # Atomic without a savepoint of its own: inside a caller's transaction, the posting stands
    # or falls with it (and costs no SAVEPOINT round trips); alone, it is its own transaction.
    with transaction.atomic(savepoint=False):
        journal = _journal_insert(
            JournalTransaction(
                idempotency_key=idempotency_key,
                kind=kind,
                reference_type=reference_type,
                reference_id=str(reference_id),
                memo=memo[:500],
            )
        )
        if journal is None:
            # Posted before (a replay), or just now by a concurrent delivery of the same event
            # (PostgreSQL waits for that one to commit): the first transaction is the answer.
            return JournalTransaction.objects.get(idempotency_key=idempotency_key), False
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
    return journal, True


def _journal_insert(journal: JournalTransaction) -> JournalTransaction | None:
    """Insert the row unless its key exists: the saved row, or None. ON CONFLICT DO NOTHING
    (PostgreSQL, and SQLite from 3.35) instead of catching the unique violation, which would
    need a savepoint around the insert."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payouts_journaltransaction "
            "(idempotency_key, kind, reference_type, reference_id, memo, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [
                journal.idempotency_key,
                journal.kind,
                journal.reference_type,
                journal.reference_id,
                journal.memo,
                connection.ops.adapt_datetimefield_value(journal.created_at),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    journal.id = row[0]
    journal._state.adding, journal._state.db = False, connection.alias
    return journal


def take_from(
    buckets: list[Bucket], amount: int, *, frozen_works=frozenset(), own_item: str = ""
) -> list[tuple[Bucket, int]]:
    """Which buckets give `amount` (or as much of it as they hold), and how much each: the
    item's own money first, then money of works not frozen, oldest first, and a frozen work's
    money last, so a freeze keeps back as much as it can of what may have to be clawed back."""
    order = sorted(
        buckets,
        key=lambda b: (b.item_ref != own_item or not own_item, b.work_id in frozen_works),
    )
    taken = []
    for bucket in order:
        if amount <= 0:
            break
        part = min(amount, bucket.amount)
        if part > 0:
            taken.append((bucket, part))
            amount -= part
    return taken


def account_lock(account: LedgerAccount) -> None:
    """Serialize the services that take money from this account (inside their transaction).
    FOR NO KEY UPDATE: it does not block inserting entries that refer to the account."""
    LedgerAccount.objects.select_for_update(no_key=True).only("id").get(id=account.id)
