"""Pages for model declarations: a team's models (list, declare, detail), and for creators the
models trained on their works and a per-work view of their licenses. Lookups are scoped to the
user's teams, or to the creator's own works."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.permissions import buyer_required, creator_required
from accounts.selectors.teams import is_organization_owner, memberships_for_user
from config.errors import ApplicationError
from config.input_fields import parse_id
from licensing.forms import ModelDeclarationForm
from licensing.selectors.declarations import (
    DECLARE_ITEMS_SHOWN,
    creator_licensed_works,
    declaration_for_member,
    declaration_items,
    declarations_for_creator,
    declarations_for_member,
    licenses_for_declaring,
    team_for_member,
    with_states,
)
from licensing.selectors.status import ModelStatus, declaration_state
from licensing.services.declarations import model_declare

PER_PAGE = 50


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


@buyer_required
def model_list(request):
    page = _page(request, declarations_for_member(user=request.user))
    memberships = list(memberships_for_user(user=request.user))
    context = {
        "page": page,
        "declarations": with_states(page.object_list),
        "has_team": bool(memberships),
        "several_teams": len(memberships) > 1,
    }
    return render(request, "licensing/models/list.html", context)


@buyer_required
def model_new(request):
    slug = request.POST.get("team") or request.GET.get("team")
    organization = team_for_member(user=request.user, slug=slug)
    if organization is None:
        if slug:
            raise Http404("No such team among yours.")
        return render(request, "licensing/models/no_team.html")
    data = request.POST if request.method == "POST" else None
    query = ((data or request.GET).get("q") or "").strip()[:200]
    selected = {parse_id(raw) for raw in (data.getlist("items") if data else [])} - {None}
    licenses = licenses_for_declaring(
        organization=organization, query=query, selected_ids=sorted(selected)
    )
    # "Find" shows other works and keeps what was typed and ticked. It is the form's default
    # button, so Enter in any field finds rather than declares.
    finding = data is not None and "find" in data
    form = (
        ModelDeclarationForm(initial=_initial(data), licenses=licenses)
        if finding
        else ModelDeclarationForm(data, licenses=licenses)
    )
    _mark_selected(licenses, data)
    context = {
        "organization": organization,
        "teams": [m.organization for m in memberships_for_user(user=request.user)],
        "licenses": licenses,
        "form": form,
        "query": query,
        "shown_limit": DECLARE_ITEMS_SHOWN,
        "hidden_selected": sorted(selected - {i.id for g in licenses for i in g.item_list}),
    }
    if data is None or finding or not form.is_valid():
        status = 400 if data is not None and not finding else 200
        return render(request, "licensing/models/new.html", context, status=status)
    values = form.cleaned_data
    try:
        declaration = model_declare(
            organization=organization,
            user=request.user,
            name=values["name"],
            version=values["version"],
            purpose=values["purpose"],
            is_commercial=values["is_commercial"],
            is_generative=values["is_generative"],
            training_started_on=values["training_started_on"],
            training_ended_on=values["training_ended_on"],
            item_ids=values["items"],
            grant_uuids=values["grants"],
        )
    except ApplicationError as exc:
        for field, errors in exc.fields.items():
            if field in form.fields:
                for error in errors:
                    form.add_error(field, error)
        offending = exc.extra.get("offending_items", [])
        _mark_problems(licenses, offending)
        context.update(error=exc.message, offending=offending)
        return render(request, "licensing/models/new.html", context, status=400)
    messages.success(
        request,
        f"{declaration.name} {declaration.version} is declared. The creators of its works "
        "have been told.",
    )
    return redirect("models:detail", declaration_uuid=declaration.uuid)


def _initial(data) -> dict:
    """What was typed, as the unbound form's initial values (no errors shown while finding)."""
    fields = ("name", "version", "purpose", "training_started_on", "training_ended_on")
    initial = {name: data.get(name, "") for name in fields}
    initial.update(
        is_commercial=bool(data.get("is_commercial")), is_generative=bool(data.get("is_generative"))
    )
    return initial


def _mark_selected(licenses, data) -> None:
    """Keep the team's choices ticked when the form comes back (an error, or a search)."""
    grants = set(data.getlist("grants")) if data else set()
    items = set(data.getlist("items")) if data else set()
    for grant in licenses:
        grant.is_selected = str(grant.uuid) in grants
        for item in grant.item_list:
            item.is_selected = str(item.id) in items
            item.problems = []
        grant.is_open = any(item.is_selected for item in grant.item_list) or bool(
            data and data.get("q")
        )


def _mark_problems(licenses, offending) -> None:
    reasons = {problem["id"]: problem["reasons"] for problem in offending}
    for grant in licenses:
        for item in grant.item_list:
            item.problems = reasons.get(item.id, [])
        grant.is_open = grant.is_open or any(item.problems for item in grant.item_list)


@buyer_required
def model_detail(request, declaration_uuid):
    try:
        declaration = declaration_for_member(user=request.user, declaration_uuid=declaration_uuid)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    state = declaration_state(declaration, now=timezone.now())
    due_ids = {i.id for i in state.due_items}
    items = declaration_items(declaration)
    for item in items:
        item.is_due = item.id in due_ids
    context = {
        "declaration": declaration,
        "state": state,
        "items": items,
        "attestations": list(declaration.attestations.all()),
        "is_owner": is_organization_owner(organization=declaration.organization, user=request.user),
        "must_attest": state.status in (ModelStatus.DESTRUCTION_DUE, ModelStatus.OVERDUE),
    }
    return render(request, "licensing/models/detail.html", context)


@creator_required
def studio_models(request):
    page = _page(request, declarations_for_creator(creator=request.user))
    return render(
        request,
        "licensing/studio/models.html",
        {"page": page, "declarations": with_states(page.object_list)},
    )


@creator_required
def studio_licenses(request):
    page = _page(request, creator_licensed_works(creator=request.user))
    now, states = timezone.now(), {}
    works = list(page.object_list)
    for work in works:
        for item in work.licenses:
            item.declarations = list(item.model_declarations.all())
            for declaration in item.declarations:
                if declaration.id not in states:
                    states[declaration.id] = declaration_state(declaration, now=now)
                declaration.state = states[declaration.id]
    return render(request, "licensing/studio/licenses.html", {"page": page, "works": works})


def team_destruction_alert(request, organization) -> str:
    """The team page's alert (registered with accounts.registry): each declared model whose
    license ended with a duty to destroy it, and the date by which an owner must attest it."""

    declarations = with_states(
        declarations_for_member(user=request.user, organization=organization).filter(
            attestations__isnull=True
        )
    )
    due = [
        d
        for d in declarations
        if d.state.status in (ModelStatus.DESTRUCTION_DUE, ModelStatus.OVERDUE)
    ]
    if not due:
        return ""
    context = {
        "due": sorted(due, key=lambda d: d.state.deadline),
        "organization": organization,
        "is_owner": is_organization_owner(organization=organization, user=request.user),
    }
    return render_to_string("licensing/models/_team_due_alert.html", context, request=request)
