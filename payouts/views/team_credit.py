"""Staff paying out a team's credit."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Organization
from accounts.permissions import staff_required
from common.money import format_money
from config.errors import ApplicationError
from payouts.forms import TeamCreditPaymentForm
from payouts.services.team_credit import team_credit_pay_out
from payouts.views.ledger import staff_ledger_context


@staff_required
@require_POST
def staff_team_credit_pay(request):
    form = TeamCreditPaymentForm(request.POST)
    if form.is_valid():
        organization = Organization.objects.filter(id=form.cleaned_data["organization_id"]).first()
        if organization is None:
            form.add_error(None, "No such team.")
        else:
            try:
                _, created = team_credit_pay_out(
                    organization=organization,
                    currency=form.cleaned_data["currency"],
                    amount=form.cleaned_data["amount_minor"],
                    reference=form.cleaned_data["reference"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                amount = format_money(
                    form.cleaned_data["amount_minor"], form.cleaned_data["currency"]
                )
                if created:
                    messages.success(
                        request, f"Recorded: {amount} of credit paid to {organization.name}."
                    )
                else:
                    messages.info(request, "That payment was already recorded; nothing changed.")
                return redirect(reverse("payouts:staff_ledger") + "#team-credit")
    context = staff_ledger_context(request, credit_form=form)
    return render(request, "payouts/staff_ledger.html", context, status=400)
