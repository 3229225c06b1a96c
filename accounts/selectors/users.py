"""Reads for users."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from accounts.models import SYSTEM_ACTOR_EMAIL, User

AUTOMATIC = "Automatic"


def is_system_actor(user) -> bool:
    """Whether `user` stands for an automatic act (accounts.services.users.system_actor)."""
    return user is not None and user.email == SYSTEM_ACTOR_EMAIL


def actor_name(user, *, automatic: str = AUTOMATIC) -> str:
    """Who did something, for staff pages: the person's email, or `automatic` when no person
    did it (no actor recorded, or the system account)."""
    if user is None or is_system_actor(user):
        return automatic
    return user.email


def user_has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
