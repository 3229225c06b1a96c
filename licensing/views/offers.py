"""Creator pages for offers and consent: offer a work, withdraw, the consent history, bulk offers."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from accounts.permissions import creator_required
from common.money import CURRENCY_EXPONENTS, format_money
from config.errors import ApplicationError
from config.input_fields import parse_id
from licensing import documents
from licensing.consent import ConsentContext
from licensing.forms import OfferPriceForm, OfferTermsForm
from licensing.models import BulkOfferJob, Offer
from licensing.money import net_per_sale, price_floor
from licensing.pricing import rate_unit
from licensing.selectors.offers import (
    consent_history,
    live_licenses_for_work,
    offers_for_work,
    sale_summaries,
)
from licensing.services.offers import (
    OFFERABLE_STATUSES,
    bulk_offer_job_create,
    offer_create,
    offer_rules_check,
    offer_withdraw,
    shown_license_text,
    work_consent_withdraw,
)
from licensing.terms import PRESETS, LicenseTerms
from uploads.models import UploadBatch, Work


def _own_work(request, work_id: int) -> Work:
    return get_object_or_404(Work, id=work_id, owner=request.user)


def offers_panel(request, work) -> str:
    """The licensing section of a work's page (registered with uploads in AppConfig.ready)."""

    context = {
        "work": work,
        "offers": offers_for_work(work=work),
        "can_offer": work.status in OFFERABLE_STATUSES,
    }
    return render_to_string("licensing/_offers_panel.html", context, request=request)


def work_card_sale_lines(request, works) -> dict[int, str]:
    """Each card of the works grid says whether the work is on sale and at what price, or
    offers to make an offer (registered with uploads in AppConfig.ready)."""
    summaries = sale_summaries(work_ids=[work.id for work in works])
    return {
        work.id: render_to_string(
            "licensing/_work_card_sale.html",
            {
                "work": work,
                "sale": summaries[work.id],
                "can_offer": work.status in OFFERABLE_STATUSES,
            },
            request=request,
        )
        for work in works
    }


def _floors() -> list[tuple[str, str]]:
    return [(c, format_money(price_floor(c), c)) for c in sorted(CURRENCY_EXPONENTS)]


def _step(request) -> str:
    """`edit` wins over anything else posted (the consent page's "Change terms" button adds it
    to the hidden `step=confirm`); confirmation needs `confirm` alone."""
    steps = request.POST.getlist("step")
    if "edit" in steps:
        return "edit"
    return "confirm" if steps == ["confirm"] else "review"


def _consent_context(form, *, works, creator, per_work: bool) -> dict:
    terms: LicenseTerms = form.cleaned_data["terms"]
    sample = works[0] if per_work else None
    return {
        "form": form,
        "terms": terms,
        "works": works,
        "summary": documents.plain_summary(
            terms,
            price_amount=form.cleaned_data["price_amount"],
            currency=form.cleaned_data["currency"],
        ),
        "license_text": shown_license_text(terms, work=sample, creator=creator),
        "price_display": format_money(
            form.cleaned_data["price_amount"], form.cleaned_data["currency"]
        ),
        "net": net_per_sale(
            price_amount=form.cleaned_data["price_amount"],
            currency=form.cleaned_data["currency"],
        ),
        # A price set by a rate says so to its creator ("$12.00 · $4.00 a minute"); the
        # offer, and so every buyer, has only the price.
        "rate_price": form.cleaned_data.get("rate_price"),
    }


def _net_preview(request, work: Work | None = None) -> dict:
    """The fee and net figures under the price field, for the price on the form now (typed
    and sent back, or the form's first price), or the price a typed rate sets for `work`."""
    if request.method == "POST":
        data = request.POST
    else:
        data = {
            "price": OfferTermsForm.base_fields["price"].initial,
            "currency": OfferTermsForm.base_fields["currency"].initial,
        }
    return _net_figures(data, work=work)


def _net_figures(data, *, work: Work | None = None) -> dict:
    """`net` for licensing/_offer_net.html, or `net_errors`: why this price has none; with
    `rate_price` when a rate set the price (audio and text works)."""
    form = OfferPriceForm(data, work=work)
    net = form.net()
    fields = ("price", "rate", "currency")
    errors = [str(e) for field in fields for e in form.errors.get(field, [])]
    return {
        "net": net,
        "net_errors": [] if net else errors,
        "rate_price": form.rate_price,
    }


def _rate_context(work: Work) -> dict:
    """What the price card needs to offer a rate for an audio or text work."""
    return {"rate_unit": rate_unit(work)}


@creator_required
@require_GET
def offer_net(request):
    """The fee and net figures for a price being typed (static/js/offer_net.js asks as the
    creator types): the fragment the form page renders under the price field. With `work`
    (one of the creator's own audio or text works) and `rate`, the price is the one that
    rate sets, worked out here like on the form."""
    work_id = parse_id(request.GET.get("work") or "")
    work = (
        Work.objects.filter(id=work_id, owner=request.user).first() if work_id is not None else None
    )
    return render(request, "licensing/_offer_net.html", _net_figures(request.GET, work=work))


@creator_required
def offer_new(request, work_id: int):
    """Step 1: choose terms and price. Step 2 (`step=review`): read the summary and the
    license, then confirm (`step=confirm`, with the consent box ticked)."""
    work = _own_work(request, work_id)
    form = OfferTermsForm(request.POST or None, work=work)
    base = {"work": work, "presets": PRESETS.values(), "floors": _floors(), **_rate_context(work)}
    if request.method != "POST" or not form.is_valid() or _step(request) == "edit":
        context = {**base, "form": form, **_net_preview(request, work)}
        return render(request, "licensing/offer_form.html", context)
    try:
        # Before the consent step: a collective's floor refuses the price here, not after.
        offer_rules_check(
            work=work,
            terms=form.cleaned_data["terms"],
            price_amount=form.cleaned_data["price_amount"],
            currency=form.cleaned_data["currency"],
        )
    except ApplicationError as exc:
        form.add_error("rate" if form.cleaned_data.get("rate_price") else "price", exc.message)
        context = {**base, "form": form, **_net_preview(request, work)}
        return render(request, "licensing/offer_form.html", context, status=400)
    context = {
        **base,
        **_consent_context(form, works=[work], creator=request.user, per_work=True),
    }
    if _step(request) != "confirm":
        return render(request, "licensing/consent.html", context)
    try:
        offer_create(
            work=work,
            actor=request.user,
            terms=form.cleaned_data["terms"],
            price_amount=form.cleaned_data["price_amount"],
            currency=form.cleaned_data["currency"],
            consent=request.POST.get("consent") == "yes",
            preset=form.preset_key,
            context=ConsentContext.from_request(request),
        )
    except ApplicationError as exc:
        return render(
            request, "licensing/consent.html", {**context, "error": exc.message}, status=400
        )
    rate = context["rate_price"]
    at = f" ({rate.rate_display} {rate.unit.per})" if rate else ""
    messages.success(
        request, f"“{work.title}” is offered at {context['price_display']} per license{at}."
    )
    return redirect("uploads:work_detail", work_id=work.id)


@creator_required
def offer_withdraw_view(request, work_id: int, offer_id: int):
    work = _own_work(request, work_id)
    offer = get_object_or_404(Offer, id=offer_id, work=work)
    if request.method == "POST":
        offer_withdraw(
            offer=offer, actor=request.user, context=ConsentContext.from_request(request)
        )
        messages.success(request, "Consent withdrawn: this offer is no longer sold.")
        return redirect("uploads:work_detail", work_id=work.id)
    context = {"work": work, "offers": [offer], "licenses": live_licenses_for_work(work=work)}
    return render(request, "licensing/withdraw.html", context)


@creator_required
def work_withdraw_view(request, work_id: int):
    work = _own_work(request, work_id)
    if request.method == "POST":
        withdrawn = work_consent_withdraw(
            work=work, actor=request.user, context=ConsentContext.from_request(request)
        )
        messages.success(
            request, f"Consent withdrawn for {len(withdrawn)} offer(s) of “{work.title}”."
        )
        return redirect("uploads:work_detail", work_id=work.id)
    context = {
        "work": work,
        "offers": [o for o in offers_for_work(work=work) if o.is_active],
        "licenses": live_licenses_for_work(work=work),
    }
    return render(request, "licensing/withdraw.html", context)


@creator_required
def consent_history_view(request):

    page = Paginator(consent_history(user=request.user), 50).get_page(request.GET.get("page"))
    return render(
        request, "licensing/consent_history.html", {"page": page, "records": page.object_list}
    )


def _bulk_works(request) -> list[Work]:
    named = request.POST.getlist("works") or request.GET.getlist("work")
    ids = [i for i in map(parse_id, named) if i is not None]
    works = Work.objects.filter(owner=request.user, status__in=OFFERABLE_STATUSES)
    batch_id = parse_id(request.POST.get("batch") or request.GET.get("batch") or "")
    if batch_id is not None:
        batch = get_object_or_404(UploadBatch, id=batch_id, owner=request.user)
        return list(works.filter(batch=batch).order_by("id"))
    return list(works.filter(id__in=ids).order_by("id")) if ids else []


@creator_required
def bulk_offer(request):
    """Apply one set of terms and a price to many works, with the same two-step consent."""
    works = _bulk_works(request)
    form = OfferTermsForm(request.POST or None)
    base = {
        "presets": PRESETS.values(),
        "floors": _floors(),
        "works": works,
        "batch": request.POST.get("batch") or request.GET.get("batch") or "",
    }
    if not works:
        return render(request, "licensing/bulk_form.html", {**base, "form": form, "nothing": True})
    if request.method != "POST" or not form.is_valid() or _step(request) == "edit":
        context = {**base, "form": form, **_net_preview(request)}
        return render(request, "licensing/bulk_form.html", context)
    context = {
        **base,
        **_consent_context(form, works=works, creator=request.user, per_work=False),
    }
    if _step(request) != "confirm":
        return render(request, "licensing/bulk_consent.html", context)
    try:
        job = bulk_offer_job_create(
            owner=request.user,
            work_ids=[w.id for w in works],
            terms=form.cleaned_data["terms"],
            preset=form.preset_key,
            price_amount=form.cleaned_data["price_amount"],
            currency=form.cleaned_data["currency"],
            consent=request.POST.get("consent") == "yes",
            context=ConsentContext.from_request(request),
        )
    except ApplicationError as exc:
        return render(
            request, "licensing/bulk_consent.html", {**context, "error": exc.message}, status=400
        )
    return redirect("licensing:bulk_job", job_id=job.id)


@creator_required
def bulk_job(request, job_id: int):
    job = get_object_or_404(BulkOfferJob, id=job_id, owner=request.user)
    template = (
        "licensing/_bulk_progress.html"
        if request.headers.get("HX-Request")
        else "licensing/bulk_job.html"
    )
    return render(request, template, {"job": job})
