"""Reads for collectives: the directory, one collective's page (rules, strikes, proposals,
members' pool), a member's standing, and the collective's sales."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from collectives.models import (
    Assignment,
    Ballot,
    Collective,
    Floor,
    Member,
    Proposal,
    ProposalStatus,
    Strike,
)
from collectives.rules import floor_text, in_pool
from collectives.services.membership import open_membership, quorum_needed_for
from marketplace.selectors.datasets import sold_items
from uploads.models import Work, WorkStatus


def collectives_directory() -> QuerySet[Collective]:
    now = timezone.now()
    return Collective.objects.annotate(
        member_count=Count(
            "members", filter=Q(members__leave_requested_at__isnull=True), distinct=True
        ),
        work_count=Count("assignments", filter=in_pool(now, "assignments__"), distinct=True),
    ).order_by("name")


def collective_by_slug(slug: str) -> Collective | None:
    return collectives_directory().filter(slug=slug).first()


def collectives_of(user) -> QuerySet[Collective]:
    return collectives_directory().filter(
        members__user=user, members__leave_requested_at__isnull=True
    )


@dataclass
class FloorView:
    floor: Floor
    text: str


def floors(collective: Collective) -> list[FloorView]:
    rows = Floor.objects.filter(collective=collective).order_by("currency", "use")
    return [FloorView(f, floor_text(f, f.currency)) for f in rows]


def strikes_running(collective: Collective) -> QuerySet[Strike]:
    return (
        Strike.objects.filter(collective=collective, ended_at__isnull=True)
        .select_related("organization")
        .order_by("started_at")
    )


def proposals(collective: Collective, *, user=None) -> QuerySet[Proposal]:
    qs = collective.proposals.select_related("proposed_by__creator_profile").order_by(
        "-status", "-opened_at"
    )  # "open" sorts before the decided statuses
    qs = qs.annotate(
        ballots_cast=Count("ballots"),
        yes_so_far=Count("ballots", filter=Q(ballots__in_favour=True)),
    )
    if user is not None and user.is_authenticated:
        mine = Ballot.objects.filter(proposal=OuterRef("pk"), voter=user)
        qs = qs.annotate(
            my_vote=Exists(mine),
            my_vote_yes=Exists(mine.filter(in_favour=True)),
        )
    return qs


def open_proposals_first(collective: Collective, *, user=None) -> list[Proposal]:
    rows = list(proposals(collective, user=user)[:50])
    rows.sort(key=lambda p: (p.status != ProposalStatus.OPEN, -p.opened_at.timestamp()))
    return rows


def member_count(collective: Collective) -> int:
    return Member.objects.filter(collective=collective, leave_requested_at__isnull=True).count()


def members(collective: Collective) -> QuerySet[Member]:
    return (
        Member.objects.filter(collective=collective)
        .select_related("user", "user__creator_profile")
        .order_by("leave_requested_at", "joined_at")
    )


def standing(collective: Collective, user) -> Member | None:
    if not (user and user.is_authenticated):
        return None
    return open_membership(collective=collective, user=user)


def leaving(collective: Collective, user) -> Member | None:
    if not (user and user.is_authenticated):
        return None
    return (
        Member.objects.filter(collective=collective, user=user, leave_requested_at__isnull=False)
        .order_by("-leave_requested_at")
        .first()
    )


def pooled(collective: Collective, *, member=None) -> QuerySet[Assignment]:
    qs = Assignment.objects.filter(in_pool(timezone.now()), collective=collective)
    if member is not None:
        qs = qs.filter(member=member)
    return qs.select_related("work").order_by("-assigned_at")


def poolable_works(collective: Collective, user) -> QuerySet[Work]:
    """The member's works that may be pooled: listed or waiting, in no pool now."""
    in_a_pool = Assignment.objects.filter(work_id=OuterRef("pk"), end_requested_at__isnull=True)
    return (
        Work.objects.filter(owner=user, status__in=(WorkStatus.LISTED, WorkStatus.PENDING_REVIEW))
        .exclude(Exists(in_a_pool))
        .order_by("-created_at")
    )


def quorum_needed(collective: Collective) -> int:
    return quorum_needed_for(collective, member_count(collective))


def _pooled_at_sale(collective_id: int) -> Exists:
    """Per order item: its work was in this pool when the order was paid."""
    return Exists(
        Assignment.objects.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=OuterRef("order__paid_at")),
            collective_id=collective_id,
            work_id=OuterRef("work_id"),
            assigned_at__lte=OuterRef("order__paid_at"),
        )
    )


def collective_sales(collective: Collective) -> QuerySet:
    """Items sold while their work was pooled here, newest first."""
    return (
        sold_items()
        .filter(_pooled_at_sale(collective.id))
        .select_related("order__organization")
        .order_by("-order__paid_at", "-id")
    )


@dataclass
class SalesSummary:
    revenue: list[dict]  # per currency: {"currency", "total", "creators_share", "count"}
    teams: list[dict]  # {"name", "count"}


def sales_summary(collective: Collective) -> SalesSummary:
    sales = collective_sales(collective)
    revenue = list(
        sales.order_by()
        .values("currency")
        .annotate(total=Sum("price_amount"), creators_share=Sum("creator_share"), count=Count("id"))
        .order_by("currency")
    )
    teams = list(
        sales.order_by()
        .values("order__organization__name")
        .annotate(count=Count("id"))
        .order_by("-count", "order__organization__name")
    )
    return SalesSummary(
        revenue=revenue,
        teams=[{"name": t["order__organization__name"], "count": t["count"]} for t in teams],
    )
