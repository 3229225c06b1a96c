"""Reads for API tokens: the token a key names, a user's tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiToken, User
from accounts.services.tokens import secret_hash


def api_token_for_key(raw_key: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=secret_hash(raw_key), revoked_at__isnull=True)
        .first()
    )


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")
