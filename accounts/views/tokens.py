"""API token pages: create (shown once), list and revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import ApiTokenForm
from accounts.selectors.tokens import api_tokens_for_user
from accounts.services.tokens import api_token_create, api_token_revoke
from config.errors import ApplicationError


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
