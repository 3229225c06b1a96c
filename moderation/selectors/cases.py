"""Reads for review cases: the queue, one case with its signals (the decision log is in
selectors/log.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from accounts.models import MembershipRole
from licensing.selectors.status import declaration_state, team_overdue_declarations
from moderation.models import (
    CaseKind,
    CaseStatus,
    DecisionAction,
    ReviewCase,
    ScreeningSignal,
)


def open_case_count() -> int:
    return ReviewCase.objects.filter(status=CaseStatus.OPEN).count()


def case_get(*, case_id: int) -> ReviewCase | None:
    return (
        ReviewCase.objects.select_related("work__owner", "organization").filter(id=case_id).first()
    )


def case_signals(*, case: ReviewCase) -> list[ScreeningSignal]:
    """Every signal on the case's work, heaviest first, with the matched work (if any) and its
    owner, for the side-by-side view."""
    if case.work_id is None:  # a case about a team
        return []
    return list(
        ScreeningSignal.objects.filter(work_id=case.work_id)
        .select_related("related_work__owner")
        .order_by("-weight", "id")
    )


def work_open_case(*, work) -> ReviewCase | None:
    """The case a creator may answer on their work's page: the open one, or else the latest."""
    cases = ReviewCase.objects.filter(work=work).exclude(kind=CaseKind.CLAIM)
    return cases.filter(status=CaseStatus.OPEN).first() or cases.order_by("-opened_at").first()


ACTION_CHOICES = DecisionAction.choices


@dataclass(frozen=True)
class TeamCaseFacts:
    """What staff need on a destruction-overdue case: the team's owners, and each declared
    model that is overdue now, with its deadline and the items that require destruction."""

    organization: object
    owners: list
    overdue: list  # (declaration, DeclarationState)


def team_case_facts(*, case: ReviewCase) -> TeamCaseFacts:
    organization = case.organization
    now = timezone.now()
    overdue = [
        (d, declaration_state(d, now=now)) for d in team_overdue_declarations(organization, now=now)
    ]
    owners = [
        m.user
        for m in organization.memberships.filter(role=MembershipRole.OWNER)
        .select_related("user")
        .order_by("user__email")
    ]
    return TeamCaseFacts(organization, owners, overdue)
