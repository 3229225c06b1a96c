"""A team's orders (status, items, refunds, a printable receipt); a creator's sales. (Licenses
are in views/licenses.py.) Every lookup is scoped to the user's teams (or the creator)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from accounts.permissions import buyer_required, creator_required
from config.errors import ApplicationError
from licensing.terms import LicenseTerms, Use
from marketplace.models import OrderStatus
from marketplace.selectors.datasets import order_for_member, orders_for_member, sales_for_creator
from marketplace.views.catalog import USE_NAMES
from marketplace.views.datasets import _is_htmx

PER_PAGE = 50

# What each status means for the team, in one sentence they can act on.
STATUS_EXPLAINED = {
    OrderStatus.AWAITING_PAYMENT: "Waiting for payment on Stripe's secure checkout page. Nothing "
    "has been charged yet.",
    OrderStatus.PAID: "Paid. Your license is active: every item may be used on its terms until "
    "its expiry date.",
    OrderStatus.PARTIALLY_REFUNDED: "Paid, with some items refunded. Refunded items are no "
    "longer licensed; the rest are.",
    OrderStatus.REFUNDED: "Refunded in full. The license is revoked: none of these works may be "
    "used.",
    OrderStatus.DISPUTED: "The payment is disputed with your bank. The license stays as it is "
    "until the dispute is decided.",
    OrderStatus.EXPIRED: "The checkout ended without payment. Nothing was charged; the dataset "
    "can be checked out again.",
    OrderStatus.FAILED: "The payment did not go through. Nothing was charged; the dataset can be "
    "checked out again.",
}


def _order(request, order_uuid):
    try:
        return order_for_member(user=request.user, order_uuid=order_uuid)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def with_fee_percent(order):
    order.fee_percent = f"{order.fee_bps / 100:g}%"
    return order


def with_terms(items):
    """OrderItems with their frozen terms as LicenseTerms, for the terms chips."""
    items = list(items)
    for item in items:
        item.license_terms = LicenseTerms.from_dict(item.terms)
        item.use_names = ", ".join(USE_NAMES[Use(u)].lower() for u in sorted(item.terms["uses"]))
    return items


@buyer_required
def order_list(request):
    page = Paginator(orders_for_member(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "marketplace/order_list.html", {"page": page, "orders": page})


@buyer_required
def order_detail(request, order_uuid):
    order = _order(request, order_uuid)
    confirming = (
        order.status == OrderStatus.AWAITING_PAYMENT and request.GET.get("checkout") == "done"
    )
    if _is_htmx(request):
        # The "Confirming your payment" poll: once the webhook has moved the order on, the
        # page reloads itself to show the outcome.
        if order.status != OrderStatus.AWAITING_PAYMENT:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "marketplace/_order_confirming.html", {"order": order})
    context = {
        "order": with_fee_percent(order),
        "items": with_terms(order.items.all()),
        "refunds": list(order.refunds.all()),
        "explained": STATUS_EXPLAINED.get(order.status, ""),
        "confirming": confirming,
    }
    return render(request, "marketplace/order_detail.html", context)


@buyer_required
def order_receipt(request, order_uuid):
    order = _order(request, order_uuid)
    if not order.is_paid:
        raise Http404("A receipt exists once the order is paid.")
    context = {
        "order": with_fee_percent(order),
        "items": with_terms(order.items.all()),
        "refunds": list(order.refunds.all()),
    }
    return render(request, "marketplace/order_receipt.html", context)


@creator_required
def sales(request):
    page = Paginator(sales_for_creator(creator=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    items = with_terms(page.object_list)
    return render(request, "marketplace/sales.html", {"page": page, "items": items})
