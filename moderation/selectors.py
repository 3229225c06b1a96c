"""Reads for staff moderation: the review queue, a case with its evidence and the account's
history, the decision log, and whether an account is banned."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Order, OrderStatus
from payouts.models import Freeze, StripeEvent
from uploads.models import Work, WorkStatus

from .models import (
    AccountBan,
    CaseKind,
    CaseStatus,
    ClaimStatus,
    Decision,
    DecisionAction,
    ReviewCase,
    RightsClaim,
    ScreeningSignal,
)


def open_cases(*, kind: str | None = None) -> QuerySet[ReviewCase]:
    """The queue: open cases, riskiest first, then oldest first (the model's ordering), each
    with its work, the work's owner and its signals loaded, so a page of 50 costs a few
    queries."""
    return cases_list(kind=kind, status=CaseStatus.OPEN)


def cases_list(*, kind: str | None = None, status: str | None = None) -> QuerySet[ReviewCase]:
    cases = (
        ReviewCase.objects.filter(**({"status": status} if status else {}))
        .select_related("work__owner", "organization")
        .annotate(signal_count=Count("work__signals", distinct=True))
        # Explicit: Meta.ordering is not applied to a query with an aggregate.
        .order_by("-risk_score", "opened_at", "id")
        .prefetch_related(
            Prefetch("work__signals", queryset=ScreeningSignal.objects.order_by("-weight", "id"))
        )
    )
    if kind:
        cases = cases.filter(kind=kind)
    return cases


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


def decision_log(
    *,
    action: str = "",
    actor_id: int | None = None,
    account_id: int | None = None,
    work_id: int | None = None,
    batch=None,
) -> QuerySet[Decision]:
    decisions = Decision.objects.select_related("actor", "account", "case")
    if action:
        decisions = decisions.filter(action=action)
    if actor_id:
        decisions = decisions.filter(actor_id=actor_id)
    if account_id:
        decisions = decisions.filter(account_id=account_id)
    if work_id:
        decisions = decisions.filter(work_id=work_id)
    if batch:
        decisions = decisions.filter(batch=batch)
    return decisions.order_by("-at", "-id")


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
    from accounts.models import MembershipRole
    from licensing.lifecycle.status import declaration_state, team_overdue_declarations

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


def staff_overview() -> list[dict]:
    """What waits for staff, for the staff home: each area with how many need a person and
    where to go. A handful of counts, one query each."""
    open_cases = ReviewCase.objects.filter(status=CaseStatus.OPEN)
    return [
        {
            "title": "Review queue",
            "icon": "bi-shield-check",
            "url": reverse("moderation:queue"),
            "count": open_cases.exclude(kind=CaseKind.DESTRUCTION_OVERDUE).count(),
            "waiting": "held uploads and flagged works",
            "clear": "No upload is waiting for review.",
        },
        {
            "title": "Overdue teams",
            "icon": "bi-hourglass-bottom",
            "url": reverse("moderation:queue") + "?kind=" + CaseKind.DESTRUCTION_OVERDUE,
            "count": open_cases.filter(kind=CaseKind.DESTRUCTION_OVERDUE).count(),
            "waiting": "teams late to attest that models are destroyed",
            "clear": "No team is late on a destruction duty.",
        },
        {
            "title": "Rights claims",
            "icon": "bi-flag",
            "url": reverse("claims:staff_claims"),
            "count": RightsClaim.objects.filter(status=ClaimStatus.OPEN).count(),
            "waiting": "open claims (the works are off sale meanwhile)",
            "clear": "No rights claim is open.",
        },
        {
            "title": "Disputed orders",
            "icon": "bi-exclamation-octagon",
            "url": reverse("staff_market:orders"),
            "count": Order.objects.filter(status=OrderStatus.DISPUTED).count(),
            "waiting": "orders whose payment the buyer's bank disputes",
            "clear": "No payment is disputed.",
        },
        {
            "title": "Failed webhooks",
            "icon": "bi-broadcast",
            "url": reverse("staff_market:webhooks"),
            "count": StripeEvent.objects.filter(processed_at=None).exclude(error="").count(),
            "waiting": "Stripe events that failed and wait for a retry",
            "clear": "Every Stripe event was processed.",
        },
        {
            "title": "Frozen earnings",
            "icon": "bi-snow",
            "url": reverse("payouts:staff_ledger"),
            "count": Freeze.objects.filter(lifted_at=None).count(),
            "waiting": "freezes in force on creators' or works' money",
            "clear": "No earnings are frozen.",
        },
    ]
