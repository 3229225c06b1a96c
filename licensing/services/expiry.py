"""Expiry of license items: reminders to the team before items end, and the end itself (items
stop being usable; where the terms say `destroy-models` and a model was declared on them, the
team now owes a destruction attestation).

Reminders: each item is in the tightest reminder window it has reached (settings
`LICENSE_REMINDER_DAYS`, e.g. 90, 30 and 7 days). The team gets one notice per member for each
(grant, window, expiry date), naming every item of the grant in that window that ends on that
date; a dedupe key per (grant, window, expiry date, member) makes the hourly sweep repeat
nothing. An item first seen inside a tighter window gets only that window's notice, never the
looser ones it skipped (an item bought with 20 days left is told once, at "30 days", then at "7
days"). Items of one grant usually share a start and end on the same date, so this is one
notice per grant per window; the expiry date in the key keeps a second batch of the same grant
(a longer term, ending later) from being swallowed by the first."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Membership
from accounts.services.notifications import notify
from common.dates import day_text
from licensing.models import GrantStatus, LicenseGrant, LicenseGrantItem, ModelDeclarationItem
from licensing.selectors.status import renews, requires_destruction, superseded_ids
from licensing.services.duties import duties_settle_on_commit

logger = logging.getLogger(__name__)


# At most this many items are expired per call; the hourly sweep takes the rest next time.
EXPIRE_BATCH = 2000


REMINDER_CHUNK = 2000  # items read (and checked for renewals) at a time


REMINDER_LINES = 20  # items named in a reminder; the rest are counted


def license_url(grant: LicenseGrant) -> str:
    """The team's page for a license (served by the marketplace; licensing only names it)."""
    return f"/licenses/{grant.uuid}/"


def team_members(organization_id: int) -> list:
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=organization_id, user__is_active=True
        ).select_related("user")
    ]


def _window(remaining: timedelta, days: list[int]) -> int | None:
    """The tightest reminder window (in days) that `remaining` has reached."""
    for n in days:  # ascending
        if remaining <= timedelta(days=n):
            return n
    return None


def _later_license() -> Exists:
    """A later running license item of the same team on the same work: the cheap test, in SQL,
    of which items may have been renewed (`_renewed` then applies the full rule)."""
    return Exists(
        LicenseGrantItem.objects.filter(
            grant__organization_id=OuterRef("grant__organization_id"),
            work_id=OuterRef("work_id"),
            status=GrantStatus.ACTIVE,
            expires_at__gt=OuterRef("expires_at"),
        )
    )


def _renewed(items: list[LicenseGrantItem]) -> set[int]:
    """The ids of these items that a later running license of the same team renews, by the rule
    that carries declared models on (`status.renews`: starting before this one's grace period
    runs out, permitting every use it did, commercially if it did). A later license for less
    (evaluation only, say) does not: the team is still reminded that this one ends. One query."""
    maybe = [i for i in items if i.has_later_license]
    if not maybe:
        return set()
    later: dict[tuple, list[tuple]] = defaultdict(list)
    rows = LicenseGrantItem.objects.filter(
        status=GrantStatus.ACTIVE,
        work_id__in={i.work_id for i in maybe},
        grant__organization_id__in={i.grant.organization_id for i in maybe},
    ).values_list("work_id", "grant__organization_id", "starts_at", "expires_at", "terms")
    for work_id, organization_id, starts_at, expires_at, terms in rows:
        later[(work_id, organization_id)].append((starts_at, expires_at, terms))
    return {
        i.id
        for i in maybe
        if any(
            expires_at > i.expires_at and renews(i, starts_at=starts_at, terms=terms)
            for starts_at, expires_at, terms in later[(i.work_id, i.grant.organization_id)]
        )
    }


def license_reminders_send(*, now: datetime | None = None) -> int:
    """Tell teams about items that expire soon (see the module docstring). Returns how many
    notifications were created (0 on a repeat). Streams the items ending within the widest
    window, a chunk at a time, so a license of any size is reminded whole."""
    now = now or timezone.now()
    days = sorted({int(n) for n in settings.LICENSE_REMINDER_DAYS if int(n) > 0})
    if not days:
        return 0
    items = (
        LicenseGrantItem.objects.filter(
            status=GrantStatus.ACTIVE,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=days[-1]),
        )
        .annotate(has_later_license=_later_license())
        .select_related("grant__organization")
        .only(
            "id",
            "grant_id",
            "work_id",
            "work_title",
            "terms",
            "starts_at",
            "expires_at",
            "grant__uuid",
            "grant__organization_id",
            "grant__organization__name",
        )
        .order_by("grant_id", "expires_at", "id")
    )
    sent = 0
    group: _Reminder | None = None
    for chunk in _chunks(items.iterator(chunk_size=REMINDER_CHUNK), REMINDER_CHUNK):
        renewed = _renewed(chunk)
        for item in chunk:
            if item.id in renewed:
                continue
            key = (item.grant_id, _window(item.expires_at - now, days), item.expires_at.date())
            if group is None or group.key != key:
                if group is not None:
                    sent += group.send()
                group = _Reminder(key, item.grant)
            group.add(item)
    if group is not None:
        sent += group.send()
    return sent


def _chunks(iterable, size: int):
    chunk = []
    for value in iterable:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Reminder:
    """One notice to each member of a team: the items of one grant in one window, ending on one
    date. Names the first REMINDER_LINES items and counts the rest, so memory and the notice
    stay small for a license of any size."""

    def __init__(self, key: tuple, grant: LicenseGrant) -> None:
        self.key, self.grant = key, grant
        self.count = self.destroy = 0
        self.lines: list[str] = []

    def add(self, item: LicenseGrantItem) -> None:
        self.count += 1
        destroy = requires_destruction(item)
        self.destroy += destroy
        if len(self.lines) < REMINDER_LINES:
            self.lines.append(
                f"- {item.work_title}: ends {day_text(timezone.localdate(item.expires_at))}"
                + (", models trained on it must then be destroyed" if destroy else "")
            )

    def send(self) -> int:
        _grant_id, window, expires_on = self.key
        grant, count = self.grant, self.count
        subject = (
            f"{count} licensed work{'s' if count != 1 else ''} "
            f"expire{'s' if count == 1 else ''} in {window} days or less"
        )
        lines = self.lines + (
            [f"- … and {count - len(self.lines)} more"] if count > len(self.lines) else []
        )
        body = (
            f"Your team {grant.organization.name}'s license {grant.uuid} has items that end on "
            f"{day_text(expires_on)}:\n" + "\n".join(lines) + "\n\nAfter that date the files can "
            "no longer be downloaded and the works may not be used for new training."
        )
        if self.destroy:
            body += (
                f"\n\n{self.destroy} of them require every model trained on them to be "
                f"destroyed: an owner of the team must attest it within "
                f"{settings.LICENSE_DESTRUCTION_GRACE_DAYS} days of expiry, or the team is "
                "restricted."
            )
        body += "\n\nYou can renew where the creators still consent, from the license page."
        sent = 0
        with transaction.atomic():
            for user in team_members(grant.organization_id):
                key = f"license-reminder:{grant.uuid}:{window}:{expires_on.isoformat()}:{user.id}"
                if notify(
                    user=user, subject=subject, body=body, url=license_url(grant), dedupe_key=key
                ):
                    sent += 1
        return sent


@dataclass(frozen=True)
class ExpiryResult:
    expired: int = 0
    destruction_due: int = 0
    destroyed: int = 0
    duty_met_refs: tuple[str, ...] = ()


def grant_status_sync(grant_id: int) -> str:
    """The grant's status follows its items: active while any item runs; else the most pressing
    of the others (breached, destruction due, destroyed, revoked), else expired."""
    statuses = set(
        LicenseGrantItem.objects.filter(grant_id=grant_id).values_list("status", flat=True)
    )
    for status in (GrantStatus.ACTIVE, GrantStatus.BREACHED, GrantStatus.DESTRUCTION_DUE):
        if status in statuses:
            break
    else:
        if statuses == {GrantStatus.REVOKED}:
            status = GrantStatus.REVOKED
        elif statuses - {GrantStatus.REVOKED} == {GrantStatus.DESTROYED}:
            status = GrantStatus.DESTROYED
        else:
            status = GrantStatus.EXPIRED
    LicenseGrant.objects.filter(id=grant_id).exclude(status=status).update(status=status)
    return status


def license_items_expire(*, now: datetime | None = None) -> ExpiryResult:
    """End every running item past its expiry (a bounded batch per call). An item whose terms
    say destroy-models becomes `destruction-due` when a declared model that is not yet attested
    destroyed used it; with no declared model its duty is met at once (`expired`), and with
    every such model already attested it is `destroyed`. The marketplace hears of met duties
    after commit (the holdback is released); the team is told once per grant."""
    now = now or timezone.now()
    with transaction.atomic():
        items = list(
            LicenseGrantItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=GrantStatus.ACTIVE, expires_at__lte=now)
            .select_related("grant__organization")
            .order_by("id")[:EXPIRE_BATCH]
        )
        if not items:
            return ExpiryResult()
        by_status = _expiry_statuses(items)
        for status, group in by_status.items():
            LicenseGrantItem.objects.filter(id__in=[i.id for i in group]).update(status=status)
            for item in group:
                item.status = status
        for grant_id in {i.grant_id for i in items}:
            grant_status_sync(grant_id)
        _tell_teams_expired(items)
        met = [
            i for i in items if requires_destruction(i) and i.status != GrantStatus.DESTRUCTION_DUE
        ]
        duties_settle_on_commit(i.id for i in met)
    return ExpiryResult(
        expired=len(by_status.get(GrantStatus.EXPIRED, [])),
        destruction_due=len(by_status.get(GrantStatus.DESTRUCTION_DUE, [])),
        destroyed=len(by_status.get(GrantStatus.DESTROYED, [])),
        duty_met_refs=tuple(i.item_ref for i in met),
    )


def _expiry_statuses(items: list[LicenseGrantItem]) -> dict[str, list[LicenseGrantItem]]:
    destroy_ids = [i.id for i in items if requires_destruction(i)]
    declared = defaultdict(set)  # item id -> {declaration id: attested?}
    for item_id, declaration_id, attested in ModelDeclarationItem.objects.filter(
        grant_item_id__in=destroy_ids
    ).values_list("grant_item_id", "declaration_id", "declaration__attestations__id"):
        declared[item_id].add((declaration_id, attested is not None))
    carried = superseded_ids([i for i in items if i.id in declared])
    by_status: dict[str, list[LicenseGrantItem]] = defaultdict(list)
    for item in items:
        if item.id not in declared or item.id in carried:
            by_status[GrantStatus.EXPIRED].append(item)
            continue
        attested = {d for d, yes in declared[item.id] if yes}
        all_declarations = {d for d, _ in declared[item.id]}
        status = (
            GrantStatus.DESTROYED if attested == all_declarations else GrantStatus.DESTRUCTION_DUE
        )
        by_status[status].append(item)
    return by_status


def _tell_teams_expired(items: list[LicenseGrantItem]) -> None:
    by_grant: dict[int, list[LicenseGrantItem]] = defaultdict(list)
    for item in items:
        by_grant[item.grant_id].append(item)
    grace = settings.LICENSE_DESTRUCTION_GRACE_DAYS
    for batch in by_grant.values():
        grant = batch[0].grant
        due = [i for i in batch if i.status == GrantStatus.DESTRUCTION_DUE]
        lines = [f"- {i.work_title}" for i in batch]
        body = (
            f"These works in your team {grant.organization.name}'s license {grant.uuid} have "
            "expired:\n" + "\n".join(lines) + "\n\nDownloads of them have stopped and they may "
            "not be used for new training. You may renew them from the license page where the "
            "creators still consent."
        )
        if due:
            body += (
                f"\n\n{len(due)} of them require every model trained on them to be destroyed. "
                f"An owner of the team must attest each declared model destroyed within {grace} "
                "days, or the team is restricted (no purchases, no downloads)."
            )
        subject = f"{len(batch)} licensed work{'s' if len(batch) != 1 else ''} expired"
        first_ref = min(i.id for i in batch)
        for user in team_members(grant.organization_id):
            notify(
                user=user,
                subject=subject,
                body=body,
                url=license_url(grant),
                dedupe_key=f"license-expired:{grant.uuid}:{first_ref}:{user.id}",
            )


def license_items_superseded(*, now: datetime | None = None) -> int:
    """Items due for destruction whose work the team renewed within the grace period: the
    renewal carries the models on, so the old item's duty is met (`expired`; its holdback is
    released) and the renewal's own terms decide what happens at its end."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            LicenseGrantItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=GrantStatus.DESTRUCTION_DUE)
            .select_related("grant")
            .order_by("id")[:EXPIRE_BATCH]
        )
        carried = superseded_ids(due)
        if not carried:
            return 0
        LicenseGrantItem.objects.filter(id__in=carried).update(status=GrantStatus.EXPIRED)
        for grant_id in {i.grant_id for i in due if i.id in carried}:
            grant_status_sync(grant_id)
        duties_settle_on_commit(carried)
    return len(carried)
