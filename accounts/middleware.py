"""Staff must use two-factor authentication: until a staff account has TOTP set up, every page
but the ones needed to set it up (and to sign out) sends them to the setup page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.selectors.users import user_has_totp

_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz")


class StaffTwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and not request.path.startswith("/api/")  # API tokens for staff need an OTP code
            and not user_has_totp(user)
        ):
            if request.headers.get("HX-Request") == "true":
                # A fragment (the staff menu's review badge) gets nothing: the page it sits on
                # is the setup page or one on the way to it (sign-in, password check), and
                # sending it there again would reload that page, and its fragments, forever.
                return HttpResponse(status=204)
            return redirect(reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)
