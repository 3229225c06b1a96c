"""Reads for bans and an account's history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from moderation.models import AccountBan, Decision
from uploads.models import Work, WorkStatus


@dataclass(frozen=True)
class AccountHistory:
    user: object
    joined_days_ago: int
    works: list  # the account's other works, newest first
    status_counts: dict[str, int]  # by status label
    decisions: list  # earlier decisions on the account or its works
    bans: list
    active_ban: AccountBan | None


HISTORY_WORKS = 24


HISTORY_DECISIONS = 20


def account_history(*, user, exclude_work_id: int | None = None) -> AccountHistory:
    works = Work.objects.filter(owner=user).order_by("-created_at", "-id")
    labels = dict(WorkStatus.choices)
    counts = {
        labels.get(status, status): n
        for status, n in works.order_by("status").values_list("status").annotate(n=Count("id"))
    }
    if exclude_work_id is not None:
        works = works.exclude(id=exclude_work_id)
    work_ids = Work.objects.filter(owner=user).values("id")
    decisions = list(
        (Decision.objects.filter(account=user) | Decision.objects.filter(work_id__in=work_ids))
        .select_related("actor", "case")
        .order_by("-at", "-id")[:HISTORY_DECISIONS]
    )
    bans = list(AccountBan.objects.filter(user=user).select_related("banned_by", "lifted_by"))
    return AccountHistory(
        user=user,
        joined_days_ago=(timezone.now() - user.date_joined).days,
        works=list(works[:HISTORY_WORKS]),
        status_counts=counts,
        decisions=decisions,
        bans=bans,
        active_ban=next((b for b in bans if b.lifted_at is None), None),
    )


def active_ban(*, user_id: int) -> AccountBan | None:
    return AccountBan.objects.filter(user_id=user_id, lifted_at__isnull=True).first()


def is_banned(*, user_id: int) -> bool:
    return AccountBan.objects.filter(user_id=user_id, lifted_at__isnull=True).exists()
