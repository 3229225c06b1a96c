"""allauth adapter: our email templates and where people land after signing in."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        return reverse("dashboard")

    def save_user(self, request, user, form, commit=True):
        # The role is set by RoleSignupForm.signup right after; it must pass the check
        # constraint on the first insert, so start from the form's answer.
        user.role = form.cleaned_data.get("role", "creator")
        return super().save_user(request, user, form, commit=commit)
