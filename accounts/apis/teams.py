"""Teams API: a user's teams and inviting a member."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts.permissions import IsBuyer
from accounts.selectors.teams import memberships_for_user
from accounts.services.teams import invitation_create


class OrganizationListApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(responses=s.MembershipOutput(many=True))
    def get(self, request):
        return Response(s.MembershipOutput(memberships_for_user(user=request.user), many=True).data)


class InvitationCreateApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(request=s.InvitationInput, responses={201: s.InvitationOutput})
    def post(self, request, slug: str):
        membership = get_object_or_404(
            memberships_for_user(user=request.user), organization__slug=slug
        )
        data = s.InvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, _ = invitation_create(
            organization=membership.organization,
            invited_by=request.user,
            email=data.validated_data["email"],
            role=data.validated_data["role"],
        )
        return Response(s.InvitationOutput(invitation).data, status=status.HTTP_201_CREATED)
