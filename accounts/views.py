"""Account pages: dashboard routing, creator profile, team, invitations, API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from config.input_fields import parse_id

from . import registry
from .forms import ApiTokenForm, CreatorProfileForm, InvitationForm, OrganizationForm
from .models import Invitation, Membership, Role
from .permissions import buyer_required, creator_required
from .selectors import (
    api_tokens_for_user,
    invitation_for_token,
    is_organization_owner,
    memberships_for_user,
    organization_for_member,
    organization_members,
    organization_open_invitations,
)
from .services import (
    api_token_create,
    api_token_revoke,
    creator_profile_update,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_remove,
    notifications_mark_read,
    organization_create,
)


@login_required
def dashboard(request):
    destinations = {
        Role.CREATOR: "accounts:studio",
        Role.BUYER: "accounts:team",
        Role.STAFF: "moderation:staff_home",
    }
    return redirect(destinations.get(request.user.role, "home"))


@creator_required
def studio(request):
    profile = request.user.creator_profile
    if request.method == "POST":
        form = CreatorProfileForm(request.POST)
        if form.is_valid():
            try:
                creator_profile_update(user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Your public profile is saved.")
                return redirect("accounts:studio")
    else:
        form = CreatorProfileForm(
            initial={
                "display_name": profile.display_name,
                "bio": profile.bio,
                "links": "\n".join(profile.links),
                "is_named_publicly": profile.is_named_publicly,
            }
        )
    context = {"profile": profile, "form": form, "counts": registry.work_counts(request.user)}
    return render(request, "accounts/studio.html", context)


@buyer_required
def team(request):
    organization = organization_for_member(user=request.user, slug=request.GET.get("team"))
    if organization is None:
        return render(request, "accounts/team_none.html", {"form": OrganizationForm()})
    context = {
        "organization": organization,
        "memberships": memberships_for_user(user=request.user),
        "members": organization_members(organization=organization),
        "invitations": organization_open_invitations(organization=organization),
        "is_owner": is_organization_owner(organization=organization, user=request.user),
        "invite_form": InvitationForm(),
        "sections": [
            html for hook in registry.team_page_sections if (html := hook(request, organization))
        ],
    }
    return render(request, "accounts/team.html", context)


@buyer_required
@require_POST
def team_create(request):
    form = OrganizationForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/team_none.html", {"form": form}, status=400)
    organization = organization_create(owner=request.user, name=form.cleaned_data["name"])
    messages.success(request, f"{organization.name} is ready. Invite your colleagues.")
    return redirect(f"/team/?team={organization.slug}")


@buyer_required
@require_POST
def team_invite(request, slug: str):
    membership = get_object_or_404(memberships_for_user(user=request.user), organization__slug=slug)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation, _ = invitation_create(
                organization=membership.organization,
                invited_by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if getattr(invitation, "email_sent", True) is False:
                messages.warning(
                    request,
                    f"The invitation for {invitation.email} is saved, but its email could not be "
                    "sent. Invite the address again to resend it.",
                )
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
    else:
        messages.error(request, "Enter a valid email address.")
    return redirect(f"/team/?team={slug}")


@buyer_required
@require_POST
def invitation_revoke_view(request, invitation_id: int):
    organizations = [m.organization_id for m in memberships_for_user(user=request.user)]
    invitation = get_object_or_404(
        Invitation.objects.select_related("organization"),
        id=invitation_id,
        organization_id__in=organizations,
    )
    try:
        invitation_revoke(invitation=invitation, user=request.user)
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(f"/team/?team={invitation.organization.slug}")


@buyer_required
@require_POST
def membership_remove_view(request, membership_id: int):
    organizations = [m.organization_id for m in memberships_for_user(user=request.user)]
    membership = get_object_or_404(
        Membership.objects.select_related("organization", "user"),
        id=membership_id,
        organization_id__in=organizations,
    )
    try:
        membership_remove(membership=membership, user=request.user)
        messages.success(request, f"{membership.user.email} left {membership.organization.name}.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:team")


def invitation_accept_view(request, token: str):
    invitation = invitation_for_token(token)
    if invitation is None or not invitation.is_open:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = invitation_accept(raw_token=token, user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Welcome to {membership.organization.name}.")
            return redirect(f"/team/?team={membership.organization.slug}")
    return render(request, "accounts/invitation.html", {"invitation": invitation, "token": token})


@login_required
def tokens(request):
    new_key = None
    form = ApiTokenForm()
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                _, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                form = ApiTokenForm()
    context = {"tokens": api_tokens_for_user(user=request.user), "form": form, "new_key": new_key}
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke_view(request, token_id: int):
    try:
        token = api_token_revoke(user=request.user, token_id=token_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Token “{token.name}” revoked. Programs using it are now refused."
        )
    return redirect("accounts:tokens")


# --- notifications ------------------------------------------------------------------------------


@login_required
def notifications(request):
    from django.core.paginator import Paginator

    from .models import Notification

    page = Paginator(Notification.objects.filter(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    unread = sum(1 for n in page.object_list if n.read_at is None)
    return render(request, "accounts/notifications.html", {"page": page, "unread": unread})


@login_required
@require_POST
def notifications_read(request):
    """Mark one notification (`id`) or all of them read; only the user's own."""
    ids = None  # all of them
    if note_id := request.POST.get("id", ""):
        parsed = parse_id(note_id)
        ids = [parsed] if parsed is not None else []  # a malformed id ("²", 10**30): none
    notifications_mark_read(user=request.user, ids=ids)
    target = request.POST.get("url", "")
    # Only our own pages: "/\evil.example" passes a plain startswith("/") check.
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("accounts:notifications")
