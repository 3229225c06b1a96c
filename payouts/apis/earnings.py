"""A creator's earnings API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCreator
from payouts import serializers as s
from payouts.selectors.connect import payout_account_state
from payouts.selectors.earnings import creator_balances_all
from payouts.selectors.releases import held_releases


class EarningsApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        summary="Your balances per currency, when held money becomes available, and your "
        "payout account",
        responses=s.EarningsOutput,
    )
    def get(self, request):
        body = {
            "balances": creator_balances_all(creator=request.user),
            "held_releases": held_releases(creator=request.user),
            "payout_account": payout_account_state(creator=request.user),
        }
        return Response(s.EarningsOutput(body).data)
