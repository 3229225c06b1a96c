"""Banning and unbanning an account."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import staff_required
from config.errors import ApplicationError
from moderation.forms import ReasonForm
from moderation.services.bans import account_ban, account_unban


def back_url(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _ban_action(request, user_id: int, *, service, missing: str, done: str):
    """Ban or unban: a reason is required, the result is a message on the page we came from."""
    user = get_object_or_404(User, id=user_id)
    form = ReasonForm(request.POST)
    back = back_url(request, reverse("moderation:log") + f"?account={user.id}")
    if not form.is_valid():
        messages.error(request, missing)
        return redirect(back)
    try:
        service(user=user, actor=request.user, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(email=user.email))
    return redirect(back)


@staff_required
@require_POST
def account_ban_view(request, user_id: int):
    return _ban_action(
        request,
        user_id,
        service=account_ban,
        missing="Say why the account is banned.",
        done="Banned {email}: works removed, earnings frozen.",
    )


@staff_required
@require_POST
def account_unban_view(request, user_id: int):
    return _ban_action(
        request,
        user_id,
        service=account_unban,
        missing="Say why the ban is lifted.",
        done="Lifted the ban on {email}; its works stay removed.",
    )
