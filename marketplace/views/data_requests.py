"""Data request pages. A team's: its requests with the form to post one, a request with the
works offered into it (accept, decline, check out, close, cancel). A creator's: the open
requests with how many of their works fit, one request with those works, and the consent step
for offering one. Writes go through services; an ApplicationError becomes a message."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import buyer_required, creator_required
from accounts.selectors.teams import organization_for_member
from common.money import CURRENCY_EXPONENTS, to_minor_units
from config.errors import ApplicationError
from config.input_fields import BIGINT_MAX
from licensing.consent import ConsentContext
from licensing.money import net_per_sale
from licensing.terms import MAX_TERM_MONTHS, USE_LABELS, Use
from marketplace.models import Order, OrderStatus
from marketplace.selectors.data_requests import (
    creator_responses_in,
    match_counts,
    matching_works,
    open_requests,
    request_for_creator,
    request_for_member,
    request_responses,
    request_tally,
    requests_for_member,
    response_stage,
    responses_for_creator,
)
from marketplace.selectors.datasets import Duties
from marketplace.services.checkout import order_checkout_cancel
from marketplace.services.data_request_checkout import data_request_checkout_start
from marketplace.services.data_request_responses import (
    consent_hash,
    data_request_response_accept,
    data_request_response_create,
    data_request_response_decline,
    data_request_response_withdraw,
    response_consent_text,
    response_offer_basis,
    response_price,
)
from marketplace.services.data_requests import (
    data_request_cancel,
    data_request_close,
    data_request_create,
)
from marketplace.services.datasets import intended_use_parse
from marketplace.services.restrictions import team_restriction
from marketplace.views.catalog import USE_NAMES
from marketplace.views.datasets import intended_summary
from uploads.models import Work

PER_PAGE = 20


def _or_404(find, **kwargs):
    try:
        return find(**kwargs)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


# --- the team's side ---------------------------------------------------------------------------


@buyer_required
def request_list(request):
    if request.method == "POST":
        return _request_create(request)
    return render(request, "marketplace/requests/team_list.html", _list_context(request))


def _list_context(request, *, form=None, error: ApplicationError | None = None) -> dict:
    return {
        "requests": requests_for_member(user=request.user)[:200],
        "has_team": organization_for_member(user=request.user) is not None,
        "uses": [(str(u), USE_NAMES[u], USE_LABELS[u]) for u in Use],
        "currencies": sorted(CURRENCY_EXPONENTS),
        "max_term_months": MAX_TERM_MONTHS,
        "form": form or {},
        "form_uses": form.getlist("uses") if form else [],
        "default_deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "error": error,
        "field_errors": error.fields if error else {},
    }


def _whole(post, name: str, *, default: int | None = None) -> int:
    text = (post.get(name) or "").strip()
    if not text and default is not None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ApplicationError("A whole number, please.", fields={name: ["A whole number."]})
    return int(text)


def _money(post, name: str, currency: str) -> int:
    try:
        return to_minor_units(post.get(name) or "", currency)
    except ValueError as exc:
        raise ApplicationError(str(exc), fields={name: [str(exc)]}) from exc


def _deadline(text: str):
    """The end of the chosen day, in the site's time zone: offers are taken all that day."""
    try:
        day = dt.date.fromisoformat((text or "").strip())
    except ValueError as exc:
        message = "Choose the last day offers are taken."
        raise ApplicationError(message, fields={"deadline": [message]}) from exc
    end = dt.datetime.combine(day, dt.time(23, 59, 59))
    return timezone.make_aware(end, timezone.get_current_timezone())


def _request_create(request):
    post = request.POST
    try:
        organization = organization_for_member(user=request.user)
        if organization is None:
            raise ApplicationError(
                "You are not in a team yet: create one or accept an invitation first.",
                code="no_team",
            )
        currency = (post.get("currency") or "USD").strip().upper()
        is_budget = post.get("pricing") == "budget"
        amount = _money(post, "budget" if is_budget else "price", currency)
        data_request = data_request_create(
            organization=organization,
            user=request.user,
            title=post.get("title", ""),
            description=post.get("description", ""),
            intended=intended_use_parse(
                uses=post.getlist("uses"),
                commercial=post.get("commercial", "false"),
                months_needed=post.get("months_needed", ""),
                can_destroy_models=post.get("can_destroy_models", "false"),
            ),
            count_wanted=_whole(post, "count_wanted"),
            deadline=_deadline(post.get("deadline", "")),
            currency=currency,
            price_amount=None if is_budget else amount,
            budget_amount=amount if is_budget else None,
            tags=post.get("tags", ""),
            min_width=_whole(post, "min_width", default=0),
            min_height=_whole(post, "min_height", default=0),
            accepts_ai_generated=post.get("accepts_ai_generated") == "true",
            show_team_name=post.get("show_team_name") == "true",
        )
    except ApplicationError as exc:
        context = _list_context(request, form=post, error=exc)
        return render(request, "marketplace/requests/team_list.html", context, status=400)
    messages.success(request, f"Posted “{data_request.title}”: creators can offer works now.")
    return redirect("data_requests:detail", data_request.uuid)


def _team_request(request, request_uuid):
    return _or_404(request_for_member, user=request.user, request_uuid=request_uuid)


@buyer_required
def request_detail(request, request_uuid):
    data_request = _team_request(request, request_uuid)
    responses = request_responses(data_request=data_request)
    tally = request_tally(data_request=data_request, responses=responses)
    to_buy = [r for r in responses if r.stage == "accepted"]
    open_order = _open_order(data_request)
    context = {
        "data_request": data_request,
        "summary": intended_summary(data_request),
        "responses": responses,
        "tally": tally,
        "to_buy": to_buy,
        "duties": Duties(destroy_models=sum(r.offer.terms.requires_destruction for r in to_buy)),
        "open_order": open_order,
        "restriction": team_restriction(organization=data_request.organization),
    }
    return render(request, "marketplace/requests/team_detail.html", context)


def _team_response(request, request_uuid, response_uuid):
    data_request = _team_request(request, request_uuid)
    response = data_request.responses.filter(uuid=response_uuid).first()
    if response is None:
        raise Http404("No such response.")
    return response


def _decide(request, request_uuid, response_uuid, decide, done: str):
    response = _team_response(request, request_uuid, response_uuid)
    try:
        decide(response=response, user=request.user)
        messages.success(request, f"{done} “{response.work.title}”.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("data_requests:detail", request_uuid)


@buyer_required
@require_POST
def response_accept(request, request_uuid, response_uuid):
    return _decide(request, request_uuid, response_uuid, data_request_response_accept, "Accepted")


@buyer_required
@require_POST
def response_decline(request, request_uuid, response_uuid):
    return _decide(request, request_uuid, response_uuid, data_request_response_decline, "Declined")


@buyer_required
@require_POST
def request_checkout(request, request_uuid):
    data_request = _team_request(request, request_uuid)
    try:
        order = data_request_checkout_start(
            data_request=data_request,
            user=request.user,
            destruction_acknowledged=request.POST.get("acknowledge_destruction") == "yes",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("data_requests:detail", data_request.uuid)
    return redirect(order.checkout_url)


@buyer_required
@require_POST
def request_checkout_cancel(request, request_uuid):
    data_request = _team_request(request, request_uuid)
    order = _open_order(data_request)
    if order is not None:
        try:
            order_checkout_cancel(order=order)
            messages.info(request, "Checkout cancelled. The accepted works wait to be bought.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
            if exc.code == "checkout_completed":
                return redirect("orders:detail", order.uuid)
    return redirect("data_requests:detail", data_request.uuid)


def _open_order(data_request) -> Order | None:
    return Order.objects.filter(
        dataset__in=data_request.responses.filter(dataset__status="checking_out").values(
            "dataset_id"
        ),
        status=OrderStatus.AWAITING_PAYMENT,
    ).first()


def _change(request, request_uuid, change, done: str):
    data_request = _team_request(request, request_uuid)
    try:
        change(data_request=data_request)
        messages.success(request, done)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("data_requests:detail", data_request.uuid)


@buyer_required
@require_POST
def request_close(request, request_uuid):
    done = "Closed: no more offers are taken; accepted works can still be checked out."
    return _change(request, request_uuid, data_request_close, done)


@buyer_required
@require_POST
def request_cancel(request, request_uuid):
    return _change(request, request_uuid, data_request_cancel, "Cancelled.")


# --- the creators' side ------------------------------------------------------------------------


@creator_required
def studio_request_list(request):
    requests = list(open_requests()[:PER_PAGE])
    counts = match_counts(requests=requests, creator=request.user)
    for data_request in requests:
        data_request.match_count = counts[data_request.id]
    context = {
        "requests": requests,
        "my_responses": [
            (r, response_stage(r)) for r in responses_for_creator(creator=request.user)[:100]
        ],
    }
    return render(request, "marketplace/requests/studio_list.html", context)


def _creator_request(request, request_uuid):
    return _or_404(request_for_creator, creator=request.user, request_uuid=request_uuid)


@creator_required
def studio_request_detail(request, request_uuid):
    data_request = _creator_request(request, request_uuid)
    mine = creator_responses_in(data_request=data_request, creator=request.user)
    works = []
    if data_request.is_open:
        works = list(
            matching_works(data_request=data_request, creator=request.user)
            .exclude(id__in=list(mine))
            # What the cards show, size_text included (kind, length or words).
            .only(
                "id",
                "title",
                "kind",
                "width",
                "height",
                "duration_ms",
                "word_count",
                "thumbnail",
                "status",
                "tags",
            )[:200]
        )
    context = {
        "data_request": data_request,
        "summary": intended_summary(data_request),
        "works": works,
        "my_responses": [(r, response_stage(r)) for r in mine.values()],
    }
    return render(request, "marketplace/requests/studio_detail.html", context)


def _own_work(request, work_id: int) -> Work:
    work = None
    if work_id <= BIGINT_MAX:
        work = Work.objects.filter(id=work_id, owner=request.user).first()
    if work is None:
        raise Http404("No such work.")
    return work


@creator_required
def studio_offer(request, request_uuid, work_id: int):
    """The consent step: the terms, the price and what the creator nets, the exact text to
    confirm. For a budget-priced request the creator names a price first (GET ?price=)."""
    data_request = _creator_request(request, request_uuid)
    work = _own_work(request, work_id)
    try:
        offer = response_offer_basis(data_request=data_request, work=work, creator=request.user)
    except ApplicationError as exc:  # the offer itself cannot be: the request's page says why
        messages.error(request, exc.message)
        return redirect("data_requests:studio_detail", data_request.uuid)
    params = request.POST if request.method == "POST" else request.GET
    price, text, error = None, "", None
    try:
        price = response_price(data_request=data_request, price_amount=_typed(data_request, params))
        text = response_consent_text(
            data_request=data_request, work=work, offer=offer, price_amount=price
        )
    except ApplicationError as exc:
        # A budget-priced request asks for a price first; only a price typed is an error.
        error = exc if (params.get("price") or request.method == "POST") else None
    if request.method == "POST" and error is None:
        try:
            return _offer_confirm(request, data_request, work, price)
        except ApplicationError as exc:
            if exc.code not in {"consent_required", "consent_text_changed"}:
                messages.error(request, exc.message)
                return redirect("data_requests:studio_detail", data_request.uuid)
            error, text = exc, exc.extra.get("consent_text", text)
    context = {
        "data_request": data_request,
        "work": work,
        "offer": offer,
        "terms": offer.terms,
        "price": price,
        "price_typed": params.get("price") or "",
        "net": net_per_sale(price_amount=price, currency=data_request.currency) if price else None,
        "consent_text": text,
        "consent_hash": consent_hash(text) if text else "",
        "error": error,
    }
    status = 200 if error is None else (409 if error.status == 409 else 400)
    return render(request, "marketplace/requests/studio_offer.html", context, status=status)


def _typed(data_request, params) -> int | None:
    typed = (params.get("price") or "").strip()
    if not data_request.is_budget or not typed:
        return None
    try:
        return to_minor_units(typed, data_request.currency)
    except ValueError as exc:
        raise ApplicationError(str(exc), fields={"price": [str(exc)]}) from exc


def _offer_confirm(request, data_request, work, price):
    data_request_response_create(
        data_request=data_request,
        work=work,
        creator=request.user,
        consent=request.POST.get("consent") == "yes",
        context=ConsentContext.from_request(request),
        price_amount=price,
        shown_hash=request.POST.get("consent_hash") or None,
    )
    messages.success(
        request,
        f"Offered “{work.title}” into “{data_request.title}”. You are told when the team decides.",
    )
    return redirect("data_requests:studio_detail", data_request.uuid)


@creator_required
@require_POST
def studio_withdraw(request, response_uuid):
    response = responses_for_creator(creator=request.user).filter(uuid=response_uuid).first()
    if response is None:
        raise Http404("No such offer.")
    try:
        data_request_response_withdraw(response=response, creator=request.user)
        messages.success(request, f"Withdrew “{response.work.title}” from the request.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("data_requests:studio_detail", response.request.uuid)
