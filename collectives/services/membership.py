"""Founding, joining and leaving a collective. Each change takes the collective's row lock, so
concurrent joins, leaves and votes count the same electorate and leave no half state."""

from __future__ import annotations

import math
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Role
from collectives.models import Assignment, Collective, Member
from config.errors import ApplicationError

MAX_CHARTER = 5000
RESERVED_SLUGS = {"new"}  # /collectives/new/ is the founding page
QUORUM_RANGE = (1, 100)
WINDOW_HOURS_RANGE = (1, 24 * 30)
NOTICE_DAYS_RANGE = (0, 365)


def creator_required(user) -> None:
    if not (user and user.is_authenticated and user.role == Role.CREATOR):
        raise ApplicationError(
            "Only creator accounts can be members of a collective.", code="forbidden", status=403
        )


def _whole(value, *, name: str, low: int, high: int, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApplicationError(
            f"{label} is a whole number from {low} to {high}.",
            code="invalid",
            fields={name: [f"{low} to {high}."]},
        )
    return value


def rules_check(*, quorum_percent, vote_window_hours, leave_notice_days) -> dict:
    return {
        "quorum_percent": _whole(
            quorum_percent, name="quorum_percent", low=1, high=100, label="The quorum (percent)"
        ),
        "vote_window_hours": _whole(
            vote_window_hours,
            name="vote_window_hours",
            low=WINDOW_HOURS_RANGE[0],
            high=WINDOW_HOURS_RANGE[1],
            label="The vote window (hours)",
        ),
        "leave_notice_days": _whole(
            leave_notice_days,
            name="leave_notice_days",
            low=NOTICE_DAYS_RANGE[0],
            high=NOTICE_DAYS_RANGE[1],
            label="The notice period (days)",
        ),
    }


def collective_found(
    *,
    founder,
    name: str,
    charter: str,
    quorum_percent: int = 50,
    vote_window_hours: int = 72,
    leave_notice_days: int = 30,
) -> Collective:
    """Any creator may found a collective; they are its first member."""
    creator_required(founder)
    name = " ".join((name or "").split())
    charter = (charter or "").strip()
    errors = {}
    if not 3 <= len(name) <= 120:
        errors["name"] = ["3 to 120 characters."]
    if not charter:
        errors["charter"] = ["Say what the collective stands for."]
    elif len(charter) > MAX_CHARTER:
        errors["charter"] = [f"At most {MAX_CHARTER} characters."]
    slug = slugify(name)[:140]
    if name and not slug:
        errors["name"] = ["Use some letters or digits."]
    elif slug in RESERVED_SLUGS:
        errors["name"] = ["That name is taken by a page of the site; choose another."]
    if errors:
        raise ApplicationError(" ".join(m[0] for m in errors.values()), fields=errors)
    rules = rules_check(
        quorum_percent=quorum_percent,
        vote_window_hours=vote_window_hours,
        leave_notice_days=leave_notice_days,
    )
    try:
        with transaction.atomic():
            collective = Collective.objects.create(
                name=name, slug=slug, charter=charter, founder=founder, **rules
            )
            Member.objects.create(collective=collective, user=founder)
    except IntegrityError as exc:
        raise ApplicationError(
            "A collective with that name exists already; choose another name.",
            code="name_taken",
            status=409,
            fields={"name": ["Taken."]},
        ) from exc
    return collective


def _lock(collective: Collective) -> Collective:
    return Collective.objects.select_for_update().get(id=collective.id)


def open_membership(*, collective: Collective, user) -> Member | None:
    return Member.objects.filter(
        collective=collective, user=user, leave_requested_at__isnull=True
    ).first()


def collective_join(*, collective: Collective, user) -> Member:
    """Join (idempotent: a member joining again keeps their membership)."""
    creator_required(user)
    with transaction.atomic():
        _lock(collective)
        member = open_membership(collective=collective, user=user)
        if member is None:
            member = Member.objects.create(collective=collective, user=user)
    return member


def collective_leave(*, collective: Collective, user) -> Member:
    """Leave after the notice period: the member's pooled works stay under the collective's
    rules for new sales until then; licenses already sold run to their end. Leaving again is a
    no-op. Ballots already cast stay counted; from now on the member no longer votes."""
    with transaction.atomic():
        locked = _lock(collective)
        member = open_membership(collective=locked, user=user)
        if member is None:
            raise ApplicationError(
                "You are not a member of this collective.", code="not_member", status=409
            )
        now = timezone.now()
        leaves_at = now + timedelta(days=locked.leave_notice_days)
        member.leave_requested_at, member.leaves_at = now, leaves_at
        member.save(update_fields=["leave_requested_at", "leaves_at"])
        Assignment.objects.filter(
            collective=locked, member=user, end_requested_at__isnull=True
        ).update(end_requested_at=now, ends_at=leaves_at)
    return member


def voters(collective: Collective):
    """Who votes: members who have not asked to leave."""
    return Member.objects.filter(collective=collective, leave_requested_at__isnull=True)


def quorum_needed_for(collective: Collective, electorate: int) -> int:
    """Ballots a proposal needs to count: the quorum's share of who may vote, at least one."""
    return max(1, math.ceil(electorate * collective.quorum_percent / 100))
