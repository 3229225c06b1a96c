"""Tokens API: obtain a token with email and password (and a TOTP code for staff), list and revoke."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import serializers as s
from accounts.selectors.tokens import api_tokens_for_user
from accounts.selectors.users import user_has_totp
from accounts.services.tokens import api_token_create, api_token_revoke
from config.errors import ApplicationError


def _authenticate_for_token(request, data) -> object:
    """Password check with the same lockout as the web login, then email and 2FA checks."""
    adapter = get_adapter(request._request)
    try:
        user = adapter.authenticate(
            request._request, email=data["email"], password=data["password"]
        )
    except ValidationError as exc:
        where = getattr(request._request, "sign_in_blocked_for", "account")
        raise ApplicationError(
            "Too many failed sign-in attempts from your network. Try again in a minute."
            if where == "network"
            else "Too many failed sign-in attempts for this account. Try again later.",
            code="too_many_attempts",
            status=429,
            extra={"blocked_for": where},
        ) from exc
    if user is None or not user.is_active:
        raise ApplicationError(
            "Email or password is wrong.", code="invalid_credentials", status=401
        )
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise ApplicationError(
            "Verify your email address first (see the link we sent you).",
            code="email_unverified",
            status=403,
        )
    if user.is_staff and not user_has_totp(user):
        raise ApplicationError(
            "Staff accounts must turn on two-factor authentication before using the API.",
            code="mfa_required",
            status=403,
        )
    if user_has_totp(user):
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        code = (data.get("otp") or "").strip()
        if not code or not TOTP(authenticator).validate_code(code):
            raise ApplicationError(
                "This account uses two-factor authentication: send the current code as 'otp'.",
                code="otp_required" if not code else "otp_invalid",
                status=401,
            )
    return user


class TokenObtainApi(APIView):
    """Exchange email and password (and a TOTP code when 2FA is on) for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_create"

    @extend_schema(request=s.TokenObtainInput, responses={201: s.ApiTokenCreatedOutput})
    def post(self, request):
        data = s.TokenObtainInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _authenticate_for_token(request, data.validated_data)
        token, raw = api_token_create(user=user, name=data.validated_data["name"])
        token.key = raw
        return Response(s.ApiTokenCreatedOutput(token).data, status=status.HTTP_201_CREATED)


class TokenListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.ApiTokenOutput(many=True))
    def get(self, request):
        tokens = api_tokens_for_user(user=request.user)
        return Response(s.ApiTokenOutput(tokens, many=True).data)

    @extend_schema(request=s.TokenCreateInput, responses={201: s.ApiTokenCreatedOutput})
    def post(self, request):
        data = s.TokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = api_token_create(user=request.user, name=data.validated_data["name"])
        token.key = raw
        return Response(s.ApiTokenCreatedOutput(token).data, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, token_id: int):
        api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
