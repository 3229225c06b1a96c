"""A creator's payouts API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView

from accounts.permissions import IsCreator
from payouts import serializers as s
from payouts.selectors.earnings import creator_payouts


@extend_schema(summary="Your payouts, newest first")
class PayoutListApi(ListAPIView):
    permission_classes = [IsCreator]
    serializer_class = s.PayoutOutput

    def get_queryset(self):
        return creator_payouts(creator=self.request.user)
