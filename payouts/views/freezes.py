"""Staff freezing and unfreezing money."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import staff_required
from config.errors import ApplicationError
from payouts.forms import FreezeForm
from payouts.models import Freeze
from payouts.services.freezes import freeze_create, freeze_lift
from payouts.views.ledger import staff_ledger_context


@staff_required
@require_POST
def staff_freeze_create(request):
    form = FreezeForm(request.POST)
    if form.is_valid():
        try:
            freeze = freeze_create(
                actor=request.user,
                reason=form.cleaned_data["reason"],
                creator=form.cleaned_data.get("creator"),
                work_id=form.cleaned_data.get("work_id"),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Frozen: {_freeze_target(freeze)}.")
            return redirect(reverse("payouts:staff_ledger") + "#freezes")
    context = staff_ledger_context(request, freeze_form=form)
    return render(request, "payouts/staff_ledger.html", context, status=400)


def _freeze_target(freeze: Freeze) -> str:
    parts = []
    if freeze.creator_id:
        parts.append(f"earnings of {freeze.creator.email}")
    if freeze.work_id:
        parts.append(f"earnings of work #{freeze.work_id}")
    return " and ".join(parts)


@staff_required
@require_POST
def staff_freeze_lift(request, freeze_id: int):
    freeze = get_object_or_404(Freeze.objects.select_related("creator"), id=freeze_id)
    try:
        freeze_lift(freeze=freeze, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Lifted the freeze on {_freeze_target(freeze)}.")
    return redirect(reverse("payouts:staff_ledger") + "#freezes")
