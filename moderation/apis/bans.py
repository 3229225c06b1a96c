"""Staff bans API."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsStaffWithTwoFactor
from moderation.services.bans import account_ban


class BanOutput(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    reason = serializers.CharField()
    at = serializers.DateTimeField()
    lifted_at = serializers.DateTimeField(allow_null=True)


class StaffAccountBanApi(APIView):
    permission_classes = [IsStaffWithTwoFactor]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

        class Meta:
            ref_name = "AccountBanInput"

    @extend_schema(
        summary="Ban an account: delist its works, freeze its earnings, open licensee cases",
        request=InputSerializer,
        responses={201: BanOutput},
    )
    def post(self, request, user_id: int):
        user = get_object_or_404(User, id=user_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ban = account_ban(user=user, actor=request.user, reason=data.validated_data["reason"])
        return Response(BanOutput(ban).data, status=status.HTTP_201_CREATED)
