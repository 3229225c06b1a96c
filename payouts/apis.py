"""Earnings API: a creator's balances and payout account, and their payouts. Both read only
the caller's own money."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCreator

from . import serializers as s
from .selectors import creator_balances_all, creator_payouts, payout_account_state


class EarningsApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        summary="Your balances per currency and your payout account",
        responses=s.EarningsOutput,
    )
    def get(self, request):
        body = {
            "balances": creator_balances_all(creator=request.user),
            "payout_account": payout_account_state(creator=request.user),
        }
        return Response(s.EarningsOutput(body).data)


@extend_schema(summary="Your payouts, newest first")
class PayoutListApi(ListAPIView):
    permission_classes = [IsCreator]
    serializer_class = s.PayoutOutput

    def get_queryset(self):
        return creator_payouts(creator=self.request.user)
