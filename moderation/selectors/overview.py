"""The staff home's counts: what needs a person now."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse

from marketplace.models import Order, OrderStatus
from moderation.models import (
    CaseKind,
    CaseStatus,
    ClaimStatus,
    ReviewCase,
    RightsClaim,
    ScreeningSignal,
)
from payouts.models import Freeze, StripeEvent


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
