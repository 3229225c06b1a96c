"""The staff reconciliation page: our books against Stripe's records for a chosen window. The
comparison is payouts.reconciliation's; this view only reads the window and renders."""

from __future__ import annotations

from django import forms
from django.shortcuts import render

from accounts.permissions import staff_required
from config.errors import ApplicationError

from .reconciliation import DEFAULT_WINDOW, reconciliation_report, reconciliation_window

PRESET_DAYS = (7, 30, 90, 365)
TEMPLATE = "payouts/reconciliation.html"


class WindowForm(forms.Form):
    """Either a preset (the last N days, up to now) or dates (whole days, local time)."""

    days = forms.TypedChoiceField(
        choices=[(d, f"Last {d} days") for d in PRESET_DAYS], coerce=int, required=False
    )
    since = forms.DateField(label="From", required=False)
    until = forms.DateField(label="To", required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["window"] = reconciliation_window(
                days=data.get("days"), since_day=data.get("since"), until_day=data.get("until")
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


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
