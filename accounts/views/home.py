"""The signed-in landing pages: the dashboard each role starts from and the creator's studio."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts import registry
from accounts.forms import CreatorProfileForm
from accounts.models import Role
from accounts.permissions import creator_required
from accounts.services.users import creator_profile_update
from config.errors import ApplicationError


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
