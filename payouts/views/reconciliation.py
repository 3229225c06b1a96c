"""Staff reconciliation: our ledger against Stripe's records over a window."""

from __future__ import annotations

from django.shortcuts import render

from accounts.permissions import staff_required
from config.errors import ApplicationError
from payouts.forms import PRESET_DAYS, WindowForm
from payouts.reconciliation import DEFAULT_WINDOW, reconciliation_report

TEMPLATE = "payouts/reconciliation.html"


@staff_required
def staff_reconciliation(request):
    form = WindowForm(request.GET)
    context = {"form": form, "presets": PRESET_DAYS, "days": None}
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    since, until = form.cleaned_data["window"]
    is_custom = bool(form.cleaned_data.get("since") or form.cleaned_data.get("until"))
    context |= {
        "since": since,
        "until": until,
        "days": None if is_custom else form.cleaned_data.get("days") or DEFAULT_WINDOW.days,
    }
    try:
        context["report"] = reconciliation_report(since=since, until=until)
    except ApplicationError as exc:
        # Stripe unreachable (or refusing us): say so; the books themselves are fine.
        context |= {"error": exc.message, "error_detail": exc.extra.get("detail", "")}
        return render(request, TEMPLATE, context, status=exc.status)
    return render(request, TEMPLATE, context)
