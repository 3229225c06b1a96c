"""The staff home: what needs a person now."""

from __future__ import annotations

from django.shortcuts import render

from accounts.permissions import staff_required
from moderation.selectors.overview import staff_overview


@staff_required
def staff_home(request):
    areas = staff_overview()
    return render(
        request,
        "moderation/staff_home.html",
        {"areas": areas, "waiting": sum(area["count"] for area in areas)},
    )
