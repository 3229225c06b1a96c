"""Staff pages: every order (filter, search, refund) and the Stripe event log with replay.
Staff must have two-factor set up (accounts.middleware sends them to set it up first)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import staff_required
from config.errors import ApplicationError
from config.input_fields import canonical_choice, parse_id
from marketplace.models import OrderStatus
from marketplace.selectors.datasets import order_for_staff, orders_for_staff
from marketplace.services.refunds import order_refund
from marketplace.views.orders import STATUS_EXPLAINED, with_terms
from payouts.models import StripeEvent
from payouts.webhooks import Outcome, event_replay

PER_PAGE = 50


@staff_required
def staff_orders(request):
    status = canonical_choice(request.GET.get("status", ""), OrderStatus.values) or ""
    q = request.GET.get("q", "").strip()[:200]
    page = Paginator(orders_for_staff(status=status, q=q), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "status": status, "q": q, "statuses": OrderStatus.choices}
    return render(request, "marketplace/staff_orders.html", context)


def _order(order_uuid):
    try:
        return order_for_staff(order_uuid=order_uuid)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


@staff_required
def staff_order_detail(request, order_uuid):
    order = _order(order_uuid)
    return render(request, "marketplace/staff_order_detail.html", _detail_context(order))


def _detail_context(order, *, error: ApplicationError | None = None, form=None) -> dict:
    items = with_terms(order.items.all())
    refunds = list(order.refunds.all())
    pending = {i.id for r in refunds if r.status != "failed" for i in r.items.all()}
    return {
        "order": order,
        "items": items,
        "refundable_ids": {i.id for i in items if i.refunded_at is None and i.id not in pending},
        "refunds": refunds,
        "explained": STATUS_EXPLAINED.get(order.status, ""),
        "error": error,
        "form": form or {},
        "chosen": [i for i in map(parse_id, form.getlist("item_ids") if form else []) if i],
    }


def _item_id(raw: str) -> int:
    item_id = parse_id(raw)
    if item_id is None:
        raise ValueError(raw)
    return item_id


@staff_required
@require_POST
def staff_order_refund(request, order_uuid):
    order = _order(order_uuid)
    whole = request.POST.get("scope", "whole") == "whole"
    try:
        item_ids = None if whole else [_item_id(i) for i in request.POST.getlist("item_ids")]
        if item_ids == []:
            raise ApplicationError(
                "Choose the items to refund.", fields={"item_ids": ["Required."]}
            )
        refund = order_refund(
            order=order,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            item_ids=item_ids,
        )
    except (ApplicationError, ValueError) as exc:
        if isinstance(exc, ValueError):
            exc = ApplicationError("Choose items of this order.")
        order = _order(order_uuid)
        context = _detail_context(order, error=exc, form=request.POST)
        return render(request, "marketplace/staff_order_detail.html", context, status=400)
    n = refund.items.count()
    messages.success(
        request, f"Refunded {n} item{'s' if n != 1 else ''}. The team and the creators were told."
    )
    return redirect("staff_market:order", order.uuid)


@staff_required
def staff_webhooks(request):
    events = StripeEvent.objects.order_by("-received_at", "-id").defer("payload")
    failed_only = request.GET.get("failed") == "1"
    if failed_only:
        events = events.filter(processed_at__isnull=True)
    q = request.GET.get("q", "").strip()[:255]
    if q:
        events = events.filter(Q(type__icontains=q) | Q(object_id=q) | Q(event_id=q))
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    failing = StripeEvent.objects.filter(processed_at__isnull=True).exclude(error="").count()
    context = {"page": page, "failed_only": failed_only, "q": q, "failing": failing}
    return render(request, "marketplace/staff_webhooks.html", context)


@staff_required
@require_POST
def staff_webhook_replay(request, event_id: str):
    try:
        outcome = event_replay(event_id=event_id)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    if outcome == Outcome.FAILED:
        messages.error(request, f"{event_id} failed again; the error is shown below.")
    elif outcome == Outcome.DUPLICATE:
        messages.info(request, f"{event_id} was already processed; nothing was done.")
    else:
        messages.success(request, f"{event_id} processed.")
    return redirect("staff_market:webhooks")
