"""GET /api/v1/insight/demand/: demand over the last 90 days for creators (and staff)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsStaffWithTwoFactor, has_role
from insight.selectors.demand import creator_price_positions, demand_snapshot
from insight.serializers import DemandOutput


class IsCreatorOrStaff(BasePermission):
    message = "Only creator accounts (and Assent staff) can see demand."

    def has_permission(self, request, view):
        return has_role(request.user, Role.CREATOR) or IsStaffWithTwoFactor().has_permission(
            request, view
        )


class DemandApi(APIView):
    permission_classes = [IsCreatorOrStaff]

    @extend_schema(
        operation_id="insight_demand",
        summary="What teams asked for and paid (last 90 days)",
        description="Aggregates only, by intended use and by tag: teams asking, searches, "
        "quotes, data requests, works sold, terms asked and the median price per work paid "
        "and asked, per currency. A use or tag fewer than `min_teams` teams asked about is "
        "left out; a figure within a row backed by fewer teams is null. The figures are "
        "recomputed every few minutes (`computed_at`). For a creator, `your_prices` places "
        "their prices on sale against the median paid.",
        responses=DemandOutput,
    )
    def get(self, request):
        overview = demand_snapshot()
        positions = (
            creator_price_positions(creator=request.user, overview=overview)
            if has_role(request.user, Role.CREATOR)
            else []
        )
        body = {
            "computed_at": overview.computed_at,
            "since": overview.since,
            "window_days": overview.window_days,
            "min_teams": overview.min_teams,
            "uses": overview.uses,
            "tags": overview.tags,
            "your_prices": positions,
        }
        return Response(DemandOutput(body).data)
