"""A team's licenses: every item's status and expiry as it stands now, the download package (a
rebuild on request), the models declared on the license, renewal (what can be renewed, at what
price, and why the rest cannot) and, when the team is overdue on a destruction attestation,
the restriction and what lifts it. Every lookup is scoped to the user's teams."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import buyer_required
from accounts.selectors.teams import memberships_for_user
from config.errors import ApplicationError
from marketplace.selectors.datasets import license_for_member, licenses_for_member
from marketplace.selectors.licenses import (
    license_declared_models,
    license_end,
    package_downloads,
    renewal_opens_at,
    team_credit,
    with_status,
)
from marketplace.serializers.licenses import package_data
from marketplace.services.checkout import order_checkout_start
from marketplace.services.delivery import current_package, download_url, license_package_rebuild
from marketplace.services.renewals import renewal_quote, renewal_start
from marketplace.services.restrictions import team_restriction, teams_restrictions
from marketplace.views.datasets import _is_htmx

PER_PAGE = 50


def _grant(request, grant_uuid):
    try:
        return license_for_member(user=request.user, grant_uuid=grant_uuid)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


@buyer_required
def license_list(request):
    page = Paginator(licenses_for_member(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    teams = [m.organization for m in memberships_for_user(user=request.user)]
    credits = [(team, team_credit(organization=team)) for team in teams]
    context = {
        "page": page,
        "grants": page,
        "restrictions": teams_restrictions(organizations=teams),
        "credits": [(team, amounts) for team, amounts in credits if amounts],
        "teams": teams,
    }
    return render(request, "marketplace/license_list.html", context)


@buyer_required
def license_detail(request, grant_uuid):
    grant = _grant(request, grant_uuid)
    order = getattr(grant, "order", None)
    items = with_status(grant.items.all())
    context = {
        "grant": grant,
        "items": items,
        "order": order,
        "ended": license_end(items),
        "restriction": team_restriction(organization=grant.organization),
        "declared_models": license_declared_models(grant=grant),
        **_package_context(request, order),
    }
    opens = renewal_opens_at(items)
    if opens is None or timezone.now() >= opens:
        context["renewal"] = renewal_quote(grant=grant, user=request.user)
    else:
        context["renewal_opens_at"] = opens
    return render(request, "marketplace/license_detail.html", context)


def _package_context(request, order) -> dict:
    package = current_package(order) if order else None
    return {"package": package_data(package, request.user) if package else None, "order": order}


@buyer_required
def license_package(request, grant_uuid):
    """The package panel (polled while a build runs); POST asks for a rebuild."""
    grant = _grant(request, grant_uuid)
    order = getattr(grant, "order", None)
    if request.method == "POST" and order is not None:
        try:
            license_package_rebuild(order=order, user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        if not _is_htmx(request):
            return redirect("orders:license_detail", grant_uuid=grant.uuid)
    return render(
        request,
        "marketplace/_package_panel.html",
        {"grant": grant, **_package_context(request, order)},
    )


@buyer_required
@require_POST
def license_renew(request, grant_uuid):
    """Renew: a dataset of the renewable items, checked out at once (Stripe's page)."""
    grant = _grant(request, grant_uuid)
    try:
        dataset, _ = renewal_start(grant=grant, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("orders:license_detail", grant_uuid=grant.uuid)
    try:
        order = order_checkout_start(
            dataset=dataset,
            user=request.user,
            destruction_acknowledged=request.POST.get("acknowledge_destruction") == "yes",
        )
    except ApplicationError as exc:
        # e.g. a price changed between the page and the click: the dataset shows the new quote.
        messages.warning(request, exc.message)
        return redirect("datasets:detail", dataset.uuid)
    return redirect(order.checkout_url)


@buyer_required
def license_package_urls(request, grant_uuid):
    """Every file of the package that may be downloaded now, as fresh signed links, one per
    line (text/uri-list): "download all" for `wget -i` or `curl --remote-name-all`."""
    grant = _grant(request, grant_uuid)
    order = getattr(grant, "order", None)
    package = current_package(order) if order else None
    files = package_downloads(package=package).downloadable_files if package else []
    urls = [download_url(package_file=f, user=request.user) for f in files]
    response = HttpResponse(
        "".join(f"{url}\r\n" for url in urls), content_type="text/uri-list; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="assent-{grant.uuid}-urls.txt"'
    response["Cache-Control"] = "private, no-store"
    return response
