"""Rights claims: anyone files one on a work, the creator answers, staff uphold or dismiss and refund buyers."""

from __future__ import annotations

import math

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import creator_required, staff_required
from config.errors import ApplicationError
from config.input_fields import canonical_choice
from moderation.apis.claims import claim_throttle_wait
from moderation.forms import ClaimForm, ClaimReasonForm
from moderation.models import ClaimStatus
from moderation.selectors.claims import (
    claim_by_reference,
    claim_sold_items,
    claim_work_freezes,
    claims_for_staff,
    claims_on_work,
)
from moderation.services.claims import (
    claim_answer,
    claim_dismiss,
    claim_file,
    claim_reference,
    claim_refunds_settle,
    claim_uphold,
)
from uploads.models import Work, WorkStatus

PER_PAGE = 50


def _apply_error(form: forms.Form, exc: ApplicationError) -> None:
    """A service's refusal shown on the form: by field where it names one, else at the top."""
    known = {name: errors for name, errors in exc.fields.items() if name in form.fields}
    for name, errors in known.items():
        for error in errors:
            form.add_error(name, error)
    if not known:
        form.add_error(None, exc.message)


def claim_new(request, work_uuid):
    work = get_object_or_404(Work.objects.select_related("owner"), uuid=work_uuid)
    claimable = work.status == WorkStatus.LISTED
    status = 200
    if request.method == "POST":
        form = ClaimForm(request.POST)
        wait = claim_throttle_wait(request)
        if wait is not None:
            minutes = max(1, math.ceil(wait / 60))
            form.add_error(None, f"Too many claims from you just now. Try again in {minutes} min.")
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                claim = claim_file(
                    work=work,
                    claimant=request.user,
                    claimant_name=data["claimant_name"],
                    claimant_email=data["claimant_email"],
                    identity=data["identity"],
                    evidence=data["evidence"],
                    links=data["links"].split(),
                    sworn=data["sworn"],
                )
            except ApplicationError as exc:
                _apply_error(form, exc)
                status = exc.status
            else:
                return redirect("claims:claim_status", claim_uuid=claim.uuid)
        else:
            status = 400
    else:
        user = request.user
        initial = {"claimant_email": user.email} if user.is_authenticated else {}
        form = ClaimForm(initial=initial)
    # A work that is not for sale is private: only its owner and staff see its title here.
    user = request.user
    shows_work = claimable or user.is_staff or (user.is_authenticated and user.id == work.owner_id)
    context = {"work": work, "form": form, "claimable": claimable, "shows_work": shows_work}
    return render(request, "moderation/claims/claim_form.html", context, status=status)


def claim_status(request, claim_uuid):
    claim = claim_by_reference(claim_uuid=claim_uuid)
    if claim is None:
        raise Http404("No such claim.")
    context = {"claim": claim, "reference": claim_reference(claim)}
    return render(request, "moderation/claims/claim_status.html", context)


def claim_panel(request, work) -> str:
    """The claims section of a work's page (registered with uploads.registry): each claim on
    the work and, while one is open and unanswered, the uploader's one answer."""
    claims = claims_on_work(work=work)
    if not claims:
        return ""
    rows = [{"claim": c, "reference": claim_reference(c)} for c in claims]
    return render_to_string(
        "moderation/claims/_work_panel.html", {"work": work, "rows": rows}, request=request
    )


@creator_required
@require_POST
def claim_answer_view(request, claim_uuid):
    claim = claim_by_reference(claim_uuid=claim_uuid)
    if claim is None or claim.work.owner_id != request.user.id:
        raise Http404("No such claim on your works.")
    try:
        claim_answer(claim=claim, uploader=request.user, text=request.POST.get("text", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your answer was sent to our staff with the claim.")
    return redirect(reverse("uploads:work_detail", args=[claim.work_id]) + "#rights-claim")


@staff_required
def staff_claims(request):
    status = canonical_choice(request.GET.get("status", ""), ClaimStatus.values) or ""
    page = Paginator(claims_for_staff(status=status), PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"claim": c, "reference": claim_reference(c)} for c in page.object_list]
    context = {"page": page, "rows": rows, "status": status, "statuses": ClaimStatus.choices}
    return render(request, "moderation/claims/staff_list.html", context)


def _staff_claim(claim_uuid):
    claim = claim_by_reference(claim_uuid=claim_uuid)
    if claim is None:
        raise Http404("No such claim.")
    return claim


@staff_required
def staff_claim(request, claim_uuid):
    claim = _staff_claim(claim_uuid)
    items = claim_sold_items(claim=claim)
    context = {
        "claim": claim,
        "reference": claim_reference(claim),
        "work": claim.work,
        "items": items,
        "unsettled": claim.status == ClaimStatus.UPHELD
        and any(
            i.refunded_at is None and i.order.status in ("paid", "partially_refunded")
            for i in items
        ),
        "freezes": claim_work_freezes(claim=claim),
    }
    return render(request, "moderation/claims/staff_claim.html", context)


def _decide(request, claim_uuid, decide, done: str):
    claim = _staff_claim(claim_uuid)
    form = ClaimReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was decided: say why (the parties are told).")
        return redirect("claims:staff_claim", claim_uuid=claim.uuid)
    try:
        result = decide(claim=claim, actor=request.user, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        _report_refunds(request, result[1] if isinstance(result, tuple) else None)
        messages.success(request, done)
    return redirect("claims:staff_claim", claim_uuid=claim.uuid)


def _report_refunds(request, outcome) -> None:
    if outcome is None:
        return
    if outcome.refunded:
        messages.info(request, f"{len(outcome.refunded)} license(s) refunded and revoked.")
    for item, message in outcome.failed:
        messages.error(
            request,
            f"Refund of {item.work_title} in order {item.order.number} "
            f"failed: {message} Retry below.",
        )


@staff_required
@require_POST
def staff_claim_uphold(request, claim_uuid):
    return _decide(request, claim_uuid, claim_uphold, "Claim upheld: the work is removed.")


@staff_required
@require_POST
def staff_claim_dismiss(request, claim_uuid):
    return _decide(request, claim_uuid, claim_dismiss, "Claim dismissed: the work is restored.")


@staff_required
@require_POST
def staff_claim_refunds(request, claim_uuid):
    claim = _staff_claim(claim_uuid)
    try:
        _report_refunds(request, claim_refunds_settle(claim=claim, actor=request.user))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("claims:staff_claim", claim_uuid=claim.uuid)
