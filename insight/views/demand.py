"""The demand page for creators (/studio/demand/): what teams asked for and paid, by use and
tag, and where the creator's own prices stand. Staff see the same figures, without a position."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.models import Role
from accounts.permissions import has_role
from insight.selectors.demand import creator_price_positions, demand_snapshot


def creator_or_staff_required(view):
    """Teams are refused: the page is the supply side's view of demand, and a team has no
    prices to place in it (it would only learn about its competitors)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (has_role(request.user, Role.CREATOR) or has_role(request.user, Role.STAFF)):
            raise PermissionDenied("This page is for creator accounts.")
        return view(request, *args, **kwargs)

    return wrapped


@creator_or_staff_required
def demand(request):
    overview = demand_snapshot()
    is_creator = has_role(request.user, Role.CREATOR)
    positions = (
        creator_price_positions(creator=request.user, overview=overview) if is_creator else []
    )
    context = {"overview": overview, "positions": positions, "is_creator": is_creator}
    return render(request, "insight/demand.html", context)
