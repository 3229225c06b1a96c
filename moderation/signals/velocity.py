"""Upload velocity: works an account uploaded in the hour and the day up to this upload, against
limits that depend on the account's age and history (settings MODERATION_*_PER_HOUR / _PER_DAY).
Counted up to the work's own upload time, so screening it again later finds the same."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate

from moderation.models import SignalKind
from moderation.policy import WEIGHTS
from moderation.signals.base import Finding, ScreeningContext
from uploads.models import Work, WorkStatus


def _is_new_account(context: ScreeningContext) -> bool:
    owner, at = context.owner, context.work.created_at
    young = at - owner.date_joined < timedelta(days=settings.MODERATION_NEW_ACCOUNT_DAYS)
    listed = Work.objects.filter(owner=owner, status=WorkStatus.LISTED, created_at__lt=at).count()
    return young or listed < settings.MODERATION_ESTABLISHED_MIN_LISTED


def _usual_per_day(context: ScreeningContext) -> float:
    """Average uploads per active day over the 30 days before the last 24 hours."""
    at = context.work.created_at
    days = (
        Work.objects.filter(
            owner=context.owner,
            created_at__lt=at - timedelta(days=1),
            created_at__gte=at - timedelta(days=31),
        )
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
    )
    counts = [row["n"] for row in days]
    return sum(counts) / len(counts) if counts else 0.0


def velocity_findings(context: ScreeningContext) -> list[Finding]:
    at = context.work.created_at
    mine = Work.objects.filter(owner=context.owner, created_at__lte=at)
    per_hour = mine.filter(created_at__gt=at - timedelta(hours=1)).count()
    per_day = mine.filter(created_at__gt=at - timedelta(days=1)).count()
    if _is_new_account(context):
        hour_limit = settings.MODERATION_NEW_ACCOUNT_MAX_PER_HOUR
        day_limit = settings.MODERATION_NEW_ACCOUNT_MAX_PER_DAY
        weight, usual = WEIGHTS["velocity_new_account"], None
    else:
        hour_limit, day_limit = settings.MODERATION_MAX_PER_HOUR, settings.MODERATION_MAX_PER_DAY
        weight, usual = WEIGHTS["velocity_established"], _usual_per_day(context)
    burst = (
        usual is not None
        and per_day > settings.MODERATION_NEW_ACCOUNT_MAX_PER_DAY
        and per_day > settings.MODERATION_HISTORY_BURST_FACTOR * max(usual, 1.0)
    )
    if per_hour <= hour_limit and per_day <= day_limit and not burst:
        return []
    return [
        Finding(
            kind=SignalKind.VELOCITY,
            subject="account",
            weight=weight,
            summary=(
                f"The account uploaded {per_hour} works in an hour and {per_day} in a day, "
                "more than we expect from it."
            ),
            evidence={
                "per_hour": per_hour,
                "per_day": per_day,
                "hour_limit": hour_limit,
                "day_limit": day_limit,
                "new_account": usual is None,
                "usual_per_day": usual,
                "burst": burst,
            },
        )
    ]
