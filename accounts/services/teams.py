"""Teams: creating one, inviting by email, accepting and revoking invitations, removing members."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import (
    Invitation,
    Membership,
    MembershipRole,
    Organization,
    User,
)
from accounts.services.tokens import secret_hash
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


INVITATION_LIFETIME = timedelta(days=14)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "team"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organization_create(*, owner: User, name: str) -> Organization:
    name = name.strip()
    if not name:
        raise ApplicationError(
            "Give your team a name.", code="invalid", fields={"name": ["Required."]}
        )
    if not owner.is_buyer:
        raise ApplicationError(
            "Only AI team accounts can own a team.", code="not_buyer", status=403
        )
    organization = Organization.objects.create(name=name, slug=_unique_slug(name))
    Membership.objects.create(organization=organization, user=owner, role=MembershipRole.OWNER)
    return organization


def _require_owner(*, organization: Organization, user: User) -> None:
    is_owner = Membership.objects.filter(
        organization=organization, user=user, role=MembershipRole.OWNER
    ).exists()
    if not is_owner:
        raise ApplicationError(
            "Only the team's owners can do that.", code="not_team_owner", status=403
        )


@transaction.atomic
def invitation_create(
    *, organization: Organization, invited_by: User, email: str, role: str = MembershipRole.MEMBER
) -> tuple[Invitation, str]:
    """Invite an address to a team; returns the invitation and its one-time token.

    Inviting an address that already has an open invitation replaces it (a resend), so the
    newest email is the one that works.
    """
    _require_owner(organization=organization, user=invited_by)
    email = email.strip().lower()
    if role not in MembershipRole.values:
        raise ApplicationError(
            "Role must be owner or member.", code="invalid", fields={"role": ["Invalid."]}
        )
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ApplicationError(f"{email} is already in the team.", code="already_member")
    existing = User.objects.filter(email__iexact=email).first()
    if existing and not existing.is_buyer:
        raise ApplicationError(
            f"{email} is registered as a creator or staff account and cannot join a team.",
            code="not_buyer",
        )
    now = timezone.now()
    Invitation.objects.filter(
        organization=organization, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=secret_hash(raw),
        invited_by=invited_by,
        expires_at=now + INVITATION_LIFETIME,
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation, raw))
    return invitation, raw


def invitation_url(raw_token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation_accept", args=[raw_token])


def _send_invitation_email(invitation: Invitation, raw_token: str) -> None:
    """After commit. A mail server that is down must not turn a saved invitation into an error
    page: the failure is logged and `invitation.email_sent` says so, for the owner to be told
    (inviting the address again sends a fresh email)."""
    context = {"invitation": invitation, "url": invitation_url(raw_token)}
    try:
        send_mail(
            subject=f"[Assent] Join {invitation.organization.name} on Assent",
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception:
        logger.exception("Could not email the invitation to %s", invitation.email)
        invitation.email_sent = False
    else:
        invitation.email_sent = True


@transaction.atomic
def invitation_accept(*, raw_token: str, user: User) -> Membership:
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=secret_hash(raw_token)).first()
    )
    if invitation is None or not invitation.is_open:
        raise ApplicationError(
            "This invitation is no longer valid. Ask the team for a new one.",
            code="invitation_invalid",
        )
    if invitation.email.lower() != user.email.lower():
        raise ApplicationError(
            f"This invitation was sent to {invitation.email}. Sign in with that address to accept.",
            code="invitation_wrong_account",
            status=403,
        )
    if not user.is_buyer:
        raise ApplicationError(
            "Creator and staff accounts cannot join an AI team.", code="not_buyer", status=403
        )
    membership, _ = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, user: User) -> Invitation:
    _require_owner(organization=invitation.organization, user=user)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def membership_remove(*, membership: Membership, user: User) -> None:
    """Owners remove members; anyone may leave. A team always keeps at least one owner."""
    if membership.user_id != user.id:
        _require_owner(organization=membership.organization, user=user)
    if membership.role == MembershipRole.OWNER:
        owners = Membership.objects.select_for_update().filter(
            organization=membership.organization, role=MembershipRole.OWNER
        )
        if owners.count() <= 1:
            raise ApplicationError(
                "A team needs at least one owner. Make someone else an owner first.",
                code="last_owner",
            )
    membership.delete()


def invitations_purge_expired(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Drop unaccepted invitations long past their expiry; accepted ones stay as history."""
    cutoff = timezone.now() - older_than
    deleted, _ = Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=cutoff).delete()
    return deleted
