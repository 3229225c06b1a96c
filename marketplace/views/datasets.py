"""A team's datasets: the list with a new-dataset form, and the builder (items, notices, the
live quote, checkout). Writes go through services; an ApplicationError becomes a message on the
page. Builder actions answer htmx with the refreshed builder, anything else with a redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.permissions import buyer_required
from accounts.selectors.teams import organization_for_member
from common.money import CURRENCY_EXPONENTS, format_money
from config.errors import ApplicationError
from licensing.terms import MAX_TERM_MONTHS, USE_LABELS, Use
from marketplace.models import Order, OrderStatus
from marketplace.selectors.catalog import catalog_query_from_params
from marketplace.selectors.datasets import dataset_for_member, dataset_quote, datasets_for_member
from marketplace.services.checkout import order_checkout_cancel, order_checkout_start
from marketplace.services.datasets import (
    dataset_create,
    dataset_delete,
    dataset_delete_refusal,
    dataset_notices_clear,
    dataset_rename,
    dataset_works_add,
    dataset_works_remove,
    intended_use_parse,
)
from marketplace.services.restrictions import team_restriction
from marketplace.views.catalog import USE_NAMES


def _dataset(request, dataset_uuid):
    """The dataset if the user's team owns it; another team's is simply not found."""
    try:
        return dataset_for_member(user=request.user, dataset_uuid=dataset_uuid)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _use_choices():
    return [(str(u), USE_NAMES[u], USE_LABELS[u]) for u in Use]


def intended_summary(dataset) -> str:
    uses = ", ".join(USE_NAMES[Use(u)].lower() for u in dataset.uses)
    months = dataset.months_needed
    parts = [
        uses,
        "commercial" if dataset.commercial else "non-commercial",
        f"for {months} month{'s' if months != 1 else ''}",
    ]
    if not dataset.can_destroy_models:
        parts.append("without destroying models")
    return ", ".join(parts)


# --- list and create ------------------------------------------------------------------------


@buyer_required
def dataset_list(request):
    if request.method == "POST":
        return _dataset_create(request)
    return render(request, "marketplace/dataset_list.html", _list_context(request))


def _list_context(request, *, form=None, error: ApplicationError | None = None) -> dict:
    return {
        "datasets": datasets_for_member(user=request.user),
        "has_team": organization_for_member(user=request.user) is not None,
        "uses": _use_choices(),
        "currencies": sorted(CURRENCY_EXPONENTS),
        "max_term_months": MAX_TERM_MONTHS,
        "form": form or {},
        "form_uses": form.getlist("uses") if form else [],
        "error": error,
        "field_errors": error.fields if error else {},
    }


def _dataset_create(request):
    post = request.POST
    try:
        organization = organization_for_member(user=request.user)
        if organization is None:
            raise ApplicationError(
                "You are not in a team yet: create one or accept an invitation first.",
                code="no_team",
            )
        intended = intended_use_parse(
            uses=post.getlist("uses"),
            commercial=post.get("commercial", "false"),
            months_needed=post.get("months_needed", ""),
            can_destroy_models=post.get("can_destroy_models", "false"),
        )
        dataset, skipped = dataset_create(
            organization=organization,
            user=request.user,
            name=post.get("name", ""),
            intended=intended,
            currency=post.get("currency", "USD"),
            work_ids=post.getlist("work_ids") or None,
        )
    except ApplicationError as exc:
        if post.get("next"):
            messages.error(request, exc.message)
            return redirect(_safe_next(request, reverse("datasets:list")))
        context = _list_context(request, form=post, error=exc)
        return render(request, "marketplace/dataset_list.html", context, status=400)
    _report_skipped(request, skipped)
    if post.get("next"):
        messages.success(request, f"Started “{dataset.name}”.")
        return redirect(_safe_next(request, reverse("datasets:detail", args=[dataset.uuid])))
    return redirect("datasets:detail", dataset.uuid)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _report_skipped(request, skipped: list[dict]) -> None:
    if skipped:
        n = len(skipped)
        messages.warning(
            request,
            f"{n} work{'s' if n != 1 else ''} could not be added: no offer on sale covers this "
            "dataset's intended use.",
        )


# --- the builder ------------------------------------------------------------------------------


def _builder_context(request, dataset) -> dict:
    quote = dataset_quote(dataset=dataset)
    open_order = None
    if dataset.status == "checking_out":
        open_order = Order.objects.filter(
            dataset=dataset, status=OrderStatus.AWAITING_PAYMENT
        ).first()
    return {
        "dataset": dataset,
        "quote": quote,
        "open_order": open_order,
        "summary": intended_summary(dataset),
        "catalog_url": _catalog_url(dataset),
        # An overdue team cannot check out: the page says why and what lifts it.
        "restriction": team_restriction(organization=dataset.organization)
        if dataset.is_draft
        else None,
    }


def _catalog_url(dataset) -> str:
    params = QueryDict(mutable=True)
    params.setlist("use", list(dataset.uses))
    params["commercial"] = "true" if dataset.commercial else "false"
    params["term_months"] = str(dataset.months_needed)
    if not dataset.can_destroy_models:
        params["can_destroy_models"] = "false"
    params["currency"] = dataset.currency
    return f"{reverse('catalog')}?{params.urlencode()}"


@buyer_required
def dataset_detail(request, dataset_uuid):
    dataset = _dataset(request, dataset_uuid)
    if request.GET.get("checkout") == "cancelled" and dataset.status == "checking_out":
        messages.info(
            request,
            "You left the payment page. Your checkout is still open: continue to payment, or "
            "cancel it to change the dataset.",
        )
    return _detail_page(request, dataset)


def _detail_page(request, dataset, *, rename_error: ApplicationError | None = None, name=None):
    context = {
        **_builder_context(request, dataset),
        # Said on the page before anyone tries: a dataset with an order is kept, and why.
        "delete_refusal": dataset_delete_refusal(dataset=dataset),
        "rename_error": rename_error,
        "rename_value": dataset.name if name is None else name,
    }
    status = rename_error.status if rename_error else 200
    return render(request, "marketplace/dataset_detail.html", context, status=status)


@buyer_required
@require_POST
def dataset_rename_view(request, dataset_uuid):
    dataset = _dataset(request, dataset_uuid)
    name = request.POST.get("name", "")
    try:
        dataset = dataset_rename(dataset=dataset, name=name)
    except ApplicationError as exc:
        return _detail_page(request, dataset, rename_error=exc, name=name)
    messages.success(request, f"Renamed to “{dataset.name}”.")
    return redirect("datasets:detail", dataset.uuid)


@buyer_required
def dataset_delete_view(request, dataset_uuid):
    """GET asks to confirm (or says why the dataset is kept); POST deletes."""
    dataset = _dataset(request, dataset_uuid)
    refusal = dataset_delete_refusal(dataset=dataset)
    if request.method == "POST" and refusal is None:
        try:
            dataset_delete(dataset=dataset)
        except ApplicationError as exc:  # an order was placed meanwhile
            refusal = exc
        else:
            messages.success(request, f"Deleted “{dataset.name}”.")
            return redirect("datasets:list")
    context = {"dataset": dataset, "refusal": refusal, "item_count": dataset.items.count()}
    status = refusal.status if refusal and request.method == "POST" else 200
    return render(request, "marketplace/dataset_delete.html", context, status=status)


def _builder_answer(request, dataset):
    """htmx gets the refreshed builder (live totals); a plain form post gets the page again."""
    if _is_htmx(request):
        dataset.refresh_from_db()
        return render(
            request, "marketplace/_dataset_builder.html", _builder_context(request, dataset)
        )
    return redirect("datasets:detail", dataset.uuid)


@buyer_required
@require_POST
def dataset_remove(request, dataset_uuid):
    dataset = _dataset(request, dataset_uuid)
    try:
        dataset_works_remove(dataset=dataset, work_ids=request.POST.getlist("work_id"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _builder_answer(request, dataset)


@buyer_required
@require_POST
def dataset_notices_dismiss(request, dataset_uuid):
    dataset = _dataset(request, dataset_uuid)
    dataset_notices_clear(dataset=dataset)
    return _builder_answer(request, dataset)


@buyer_required
@require_POST
def dataset_add(request, dataset_uuid):
    """From the catalog: one work (`work_id`) or everything the catalog's filter matches
    (`filters`, the catalog's query string)."""
    dataset = _dataset(request, dataset_uuid)
    fallback = reverse("datasets:detail", args=[dataset.uuid])
    try:
        filters = None
        if "filters" in request.POST:
            query = catalog_query_from_params(QueryDict(request.POST["filters"]))
            filters = query.to_params()
        before = dataset.items.count()
        skipped = dataset_works_add(
            dataset=dataset, work_ids=request.POST.getlist("work_id"), filters=filters
        )
    except ApplicationError as exc:
        if _is_htmx(request):
            return render(
                request,
                "marketplace/_dataset_added.html",
                {"dataset": dataset, "error": exc.message},
                status=200,
            )
        messages.error(request, exc.message)
        return redirect(_safe_next(request, fallback))
    added = dataset.items.count() - before
    if _is_htmx(request):
        quote = dataset_quote(dataset=dataset)
        context = {"dataset": dataset, "added": added, "skipped": skipped, "quote": quote}
        return render(request, "marketplace/_dataset_added.html", context)
    if added:
        messages.success(
            request, f"Added {added} work{'s' if added != 1 else ''} to “{dataset.name}”."
        )
    _report_skipped(request, skipped)
    return redirect(_safe_next(request, fallback))


@buyer_required
@require_POST
def dataset_checkout(request, dataset_uuid):
    dataset = _dataset(request, dataset_uuid)
    try:
        order = order_checkout_start(
            dataset=dataset,
            user=request.user,
            destruction_acknowledged=request.POST.get("acknowledge_destruction") == "yes",
        )
    except ApplicationError as exc:
        if exc.code == "quote_changed":
            changes = exc.extra.get("changes", [])
            lines = [_change_text(c, dataset.currency) for c in changes]
            messages.warning(request, exc.message + " " + " ".join(lines))
        else:
            messages.error(request, exc.message)
        return redirect("datasets:detail", dataset.uuid)
    return redirect(order.checkout_url)


def _change_text(change: dict, currency: str) -> str:
    if change.get("change") == "repriced":
        return (
            f"“{change['title']}” is now {format_money(change['new_amount'], currency)} "
            f"(was {format_money(change['old_amount'], currency)})."
        )
    return f"“{change['title']}” was removed: {change['reason']}"


@buyer_required
@require_POST
def dataset_checkout_cancel(request, dataset_uuid):
    dataset = _dataset(request, dataset_uuid)
    order = Order.objects.filter(dataset=dataset, status=OrderStatus.AWAITING_PAYMENT).first()
    if order is not None:
        try:
            order_checkout_cancel(order=order)
            messages.info(request, "Checkout cancelled. The dataset can be changed again.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
            if exc.code == "checkout_completed":
                return redirect("orders:detail", order.uuid)
    return redirect("datasets:detail", dataset.uuid)
