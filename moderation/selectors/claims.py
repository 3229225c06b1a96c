"""Reads for rights claims: a claim by its reference, the staff list and page, the claims on an
uploader's work."""

from __future__ import annotations

import uuid

from django.db.models import Case, IntegerField, QuerySet, Value, When

from marketplace.models import OrderItem
from moderation.models import ClaimStatus, RightsClaim
from payouts.models import Freeze


def claim_by_reference(*, claim_uuid: uuid.UUID) -> RightsClaim | None:
    return RightsClaim.objects.select_related("work").filter(uuid=claim_uuid).first()


def claims_for_staff(*, status: str = "") -> QuerySet[RightsClaim]:
    """Open claims first (oldest first: their money is frozen), then the decided, newest first."""
    claims = RightsClaim.objects.select_related("work__owner", "decided_by").annotate(
        _open=Case(
            When(status=ClaimStatus.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    if status:
        claims = claims.filter(status=status)
    return claims.order_by("_open", "created_at", "id")


def claims_on_work(*, work) -> list[RightsClaim]:
    return list(RightsClaim.objects.filter(work=work).order_by("-created_at", "-id"))


def claim_sold_items(*, claim: RightsClaim) -> list[OrderItem]:
    """Every sale of the claimed work, with its order, team and refunds, for the staff page."""
    return list(
        OrderItem.objects.filter(work_id=claim.work_id)
        .select_related("order__organization")
        .prefetch_related("refunds")
        .order_by("id")
    )


def claim_work_freezes(*, claim: RightsClaim) -> list[Freeze]:
    return list(
        Freeze.objects.filter(work_id=claim.work_id).select_related("frozen_by", "lifted_by")
    )
