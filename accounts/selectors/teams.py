"""Reads for teams: a user's memberships, a team's members and open invitations."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, User
from accounts.services.tokens import secret_hash


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def organization_for_member(*, user: User, slug: str | None = None) -> Organization | None:
    """The team a buyer is acting for: the named one if they belong to it, else their first."""
    memberships = memberships_for_user(user=user)
    if slug:
        memberships = memberships.filter(organization__slug=slug)
    membership = memberships.first()
    return membership.organization if membership else None


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("role", "user__email")


def organization_open_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    return organization.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def is_organization_owner(*, organization: Organization, user: User) -> bool:
    return organization.memberships.filter(user=user, role="owner").exists()


def invitation_for_token(raw_token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=secret_hash(raw_token))
        .first()
    )
