"""allauth adapter: our email templates and where people land after signing in."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request, **credentials):
        """allauth refuses a sign-in past either failure limit (per IP, per account) with one
        error; note which one it was, so the refusal can say what really happened."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            request.sign_in_blocked_for = "network" if _ip_limit_reached(request) else "account"
            raise

    def get_login_redirect_url(self, request):
        return reverse("dashboard")

    def save_user(self, request, user, form, commit=True):
        # The role is set by RoleSignupForm.signup right after; it must pass the check
        # constraint on the first insert, so start from the form's answer.
        user.role = form.cleaned_data.get("role", "creator")
        return super().save_user(request, user, form, commit=commit)


def _ip_limit_reached(request) -> bool:
    rates = settings.ACCOUNT_RATE_LIMITS.get("login_failed", "").split(",")
    per_ip = ",".join(rate.strip() for rate in rates if rate.strip().endswith("/ip"))
    if not per_ip:
        return False
    # The same rates give the same cache keys as allauth's own check; dry_run records nothing.
    usage = allauth_ratelimit.consume(
        request,
        app="allauth.account",
        action="login_failed",
        config={"login_failed": per_ip},
        dry_run=True,
    )
    return usage is None
