"""Account writes: sign-up roles, profiles, organizations, invitations and API tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Collection
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from config.errors import ApplicationError

from .models import (
    ApiToken,
    CreatorProfile,
    Invitation,
    Membership,
    MembershipRole,
    Notification,
    Organization,
    Role,
    User,
)

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=14)
API_TOKEN_PREFIX = "asnt_"
MAX_ACTIVE_TOKENS = 20


def secret_hash(raw: str) -> str:
    """Tokens are 256-bit random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(raw.encode()).hexdigest()


# --- Roles ----------------------------------------------------------------------------------


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


# --- Organizations --------------------------------------------------------------------------


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


# --- API tokens -----------------------------------------------------------------------------


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


def notify(*, user: User, subject: str, body: str, url: str = "", dedupe_key: str | None = None):
    """Tell a user something, in the app and by email (sent after the surrounding transaction
    commits, so a rolled-back event mails nobody). With a dedupe key, a repeat is a no-op."""
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    notification = Notification.objects.create(
        user=user, subject=subject[:200], body=body, url=url, dedupe_key=dedupe_key
    )
    link = f"\n\n{settings.SITE_URL.rstrip('/')}{url}" if url else ""
    transaction.on_commit(lambda: _mail_notification(user.email, subject[:200], body + link))
    return notification


def notifications_mark_read(*, user: User, ids: Collection[int] | None = None) -> int:
    """Mark the user's unread notifications read: those among `ids`, or all of them when no
    ids are given. Another user's ids match nothing. Returns how many were marked."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(id__in=ids)
    return unread.update(read_at=timezone.now())


def _mail_notification(address: str, subject: str, text: str) -> None:
    # The in-app notification is the record; a mail server being down must not undo the event
    # that caused it (this runs after commit), so a failure is logged, not raised.
    try:
        send_mail(subject, text, None, [address])
    except Exception:
        logger.exception("Could not email notification %r to %s", subject, address)
