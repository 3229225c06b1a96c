"""Who may do what: one place for role checks, used by DRF views and HTML views alike."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.models import Role
from accounts.selectors.users import user_has_totp


def has_role(user, role: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == role)


class IsCreator(BasePermission):
    message = "Only creator accounts can do this."

    def has_permission(self, request, view):
        return has_role(request.user, Role.CREATOR)


class IsBuyer(BasePermission):
    message = "Only AI team accounts can do this."

    def has_permission(self, request, view):
        return has_role(request.user, Role.BUYER)


class IsStaffRole(BasePermission):
    message = "Only Assent staff can do this."

    def has_permission(self, request, view):
        return has_role(request.user, Role.STAFF) and request.user.is_staff


class IsStaffWithTwoFactor(IsStaffRole):
    """Staff tokens already need a TOTP code; this also refuses a staff session that has not
    set two-factor up (the pages' middleware leaves /api/ to the API)."""

    message = "Only Assent staff with two-factor authentication can do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and user_has_totp(request.user)


_AUDIENCE = {
    Role.CREATOR: "creator accounts",
    Role.BUYER: "AI team accounts",
    Role.STAFF: "Assent staff",
}


def role_required(role: str):
    """Page decorator: anonymous users go to login; signed-in users of another role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise PermissionDenied(f"This page is for {_AUDIENCE[role]}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


creator_required = role_required(Role.CREATOR)
buyer_required = role_required(Role.BUYER)
staff_required = role_required(Role.STAFF)
