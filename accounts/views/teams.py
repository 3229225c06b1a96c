"""The team page: members, invitations, creating a team, accepting an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import registry
from accounts.forms import InvitationForm, OrganizationForm
from accounts.models import Invitation, Membership
from accounts.permissions import buyer_required
from accounts.selectors.teams import (
    invitation_for_token,
    is_organization_owner,
    memberships_for_user,
    organization_for_member,
    organization_members,
    organization_open_invitations,
)
from accounts.services.teams import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_remove,
    organization_create,
)
from config.errors import ApplicationError


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
