"""Users: sign-up roles, creating a user, a creator's public profile."""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import (
    SYSTEM_ACTOR_EMAIL,
    CreatorProfile,
    Membership,
    MembershipRole,
    Organization,
    Role,
    User,
)
from accounts.services.teams import organization_create
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


def system_actor() -> User:
    """The account automatic acts are recorded as (see accounts.models.SYSTEM_ACTOR_EMAIL): it
    can never sign in, nor pass a staff page's check."""
    user, _ = User.objects.get_or_create(
        email=SYSTEM_ACTOR_EMAIL,
        defaults={
            "role": Role.STAFF,
            "is_staff": True,
            "is_active": False,
            "password": make_password(None),
        },
    )
    return user


@transaction.atomic
def user_role_setup(
    *,
    user: User,
    role: str,
    display_name: str = "",
    organization_name: str = "",
) -> User:
    """Give a freshly signed-up user their role: a creator profile, or an AI team."""
    if role not in (Role.CREATOR, Role.BUYER):
        raise ApplicationError("Choose whether you are a creator or an AI team.", code="role")
    user.role = role
    user.save(update_fields=["role"])
    if role == Role.CREATOR:
        CreatorProfile.objects.create(
            user=user, display_name=display_name.strip() or user.email.split("@")[0]
        )
    elif organization_name.strip():
        organization_create(owner=user, name=organization_name)
    return user


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    role: str,
    organization_name: str = "",
    display_name: str = "",
) -> User:
    """Operators' and scripts' way in: a ready user with a verified email address."""
    email = email.strip().lower()
    if role not in Role.values:
        raise ApplicationError(f"Unknown role {role!r}.", code="role")
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(f"A user with email {email} already exists.", code="email_taken")
    is_staff = role == Role.STAFF
    user = User.objects.create_user(
        email=email,
        password=password,
        role=role,
        is_staff=is_staff,
        is_superuser=is_staff,
    )
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    if role == Role.CREATOR:
        CreatorProfile.objects.create(user=user, display_name=display_name or email.split("@")[0])
    elif role == Role.BUYER and organization_name:
        existing = Organization.objects.filter(name=organization_name).first()
        if existing:
            Membership.objects.create(organization=existing, user=user, role=MembershipRole.MEMBER)
        else:
            organization_create(owner=user, name=organization_name)
    return user


def creator_profile_update(
    *,
    user: User,
    display_name: str,
    bio: str,
    links: list[str],
    is_named_publicly: bool | None = None,
) -> CreatorProfile:
    if not user.is_creator:
        raise ApplicationError(
            "Only creators have a public profile.", code="not_creator", status=403
        )
    profile = user.creator_profile
    profile.display_name = display_name.strip()
    profile.bio = bio.strip()
    profile.links = [link.strip() for link in links if link.strip()][:10]
    if is_named_publicly is not None:  # None: leave the creator's earlier choice as it is
        profile.is_named_publicly = is_named_publicly
    profile.full_clean()
    profile.save()
    return profile
