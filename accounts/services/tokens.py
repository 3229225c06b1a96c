"""API tokens: created once and shown once, stored only as a hash; revoked by their owner."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiToken, User
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


API_TOKEN_PREFIX = "asnt_"


MAX_ACTIVE_TOKENS = 20


def secret_hash(raw: str) -> str:
    """Tokens are 256-bit random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw key is returned once and never stored."""
    name = (name or "").strip()[:80] or "API token"
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ApplicationError(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens. Revoke one first.",
            code="too_many_tokens",
        )
    for _ in range(3):
        raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user, name=name, key_hash=secret_hash(raw), prefix=raw[:12]
                )
            return token, raw
        except IntegrityError:  # pragma: no cover - a 256-bit collision
            continue
    raise ApplicationError("Could not create a token; please retry.", code="retry", status=503)


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, id=token_id).first()
    if token is None:
        raise ApplicationError("No such token.", code="not_found", status=404)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute per token, so reads don't turn into writes."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
        token.last_used_at = now
