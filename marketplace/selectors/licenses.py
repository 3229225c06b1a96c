"""Reads for a team's license pages: each item's status as it stands now (an item past its expiry
is expired even before the hourly sweep marks it), the models declared on the license, and
the team's credit (released holdbacks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from licensing.lifecycle.status import DeclarationState, declaration_state
from licensing.models import GrantStatus, LicenseGrant, LicenseGrantItem, ModelDeclaration
from payouts.selectors import team_credit_balances


def item_status(item: LicenseGrantItem, *, now: datetime | None = None) -> str:
    """The item's status now: stored by the lifecycle sweep, or `expired` once past its expiry
    while the sweep has not run yet."""
    now = now or timezone.now()
    if item.status == GrantStatus.ACTIVE and item.expires_at <= now:
        return GrantStatus.EXPIRED
    return item.status


def item_is_running(item: LicenseGrantItem, *, now: datetime | None = None) -> bool:
    return item_status(item, now=now) == GrantStatus.ACTIVE


def with_status(items, *, now: datetime | None = None) -> list[LicenseGrantItem]:
    """Items with `current_status`, `current_label` and `is_running` set for the pages."""
    now = now or timezone.now()
    items = list(items)
    for item in items:
        item.current_status = item_status(item, now=now)
        item.current_label = GrantStatus(item.current_status).label
        item.is_running = item.current_status == GrantStatus.ACTIVE
    return items


@dataclass(frozen=True)
class LicenseEnd:
    """Whether the license has ended as a whole, and when its last item ended or ends."""

    has_ended: bool
    last_expiry: datetime | None


def license_end(items: list[LicenseGrantItem], *, now: datetime | None = None) -> LicenseEnd:
    now = now or timezone.now()
    live = [i for i in items if i.status != GrantStatus.REVOKED]
    last = max((i.expires_at for i in live), default=None)
    return LicenseEnd(not any(item_is_running(i, now=now) for i in items), last)


def renewal_opens_at(items: list[LicenseGrantItem]) -> datetime | None:
    """Renewing opens with the first expiry reminder (the longest of LICENSE_REMINDER_DAYS)
    before the first live item ends: a license bought today has nothing to renew yet."""
    from datetime import timedelta

    from django.conf import settings

    live = [i.expires_at for i in items if i.status != GrantStatus.REVOKED and i.expires_at]
    if not live:
        return None
    days = max([int(n) for n in settings.LICENSE_REMINDER_DAYS if int(n) > 0] or [90])
    return min(live) - timedelta(days=days)


@dataclass(frozen=True)
class DeclaredModel:
    declaration: ModelDeclaration
    state: DeclarationState
    items_in_license: int


def license_declared_models(*, grant: LicenseGrant, now: datetime | None = None):
    """The team's models declared as trained on any item of this license, with their status."""
    declarations = (
        ModelDeclaration.objects.filter(declared_items__grant_item__grant=grant)
        .distinct()
        .prefetch_related("items")
        .order_by("-created_at", "-id")
    )
    return [
        DeclaredModel(
            declaration=d,
            state=declaration_state(d, now=now),
            items_in_license=sum(1 for i in d.items.all() if i.grant_id == grant.id),
        )
        for d in declarations
    ]


def team_credit(*, organization) -> list[tuple[str, int]]:
    """What Assent owes the team (released holdbacks), per currency, for display."""
    return sorted(team_credit_balances(organization).items())
