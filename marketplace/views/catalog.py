"""The public catalog page (/catalog/), each work's page (/catalog/works/<id>/) and the
renditions they show: facets, search, sort, pagination, each work with the offers that fit the
chosen use, priced."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render

from common.money import CURRENCY_EXPONENTS, format_major, format_money
from config.errors import ApplicationError
from licensing.terms import MAX_TERM_MONTHS, USE_LABELS, Use
from marketplace import registry
from marketplace.selectors.catalog import (
    KINDS,
    MEDIA_TYPES,
    MEDIA_TYPES_BY_KIND,
    SORTS,
    CatalogQuery,
    asking_team_id,
    catalog_creator_name,
    catalog_page,
    catalog_query_from_params,
    catalog_work,
    creator_public_name,
    popular_tags,
    sellable_work,
)
from uploads import storage
from uploads.media_facts import common_languages, kind_icon, language_name
from uploads.processed import rendition_media_type

PER_PAGE = 24
# Short names for the facet checkboxes; the long ones (USE_LABELS) explain them.
USE_NAMES = {
    Use.GENERATIVE: "Generative training",
    Use.NONGENERATIVE: "Non-generative training",
    Use.FINE_TUNE: "Fine-tuning",
    Use.EVALUATE: "Evaluation",
    Use.INPUT: "Model input",
}
RENDITIONS = ("thumbnail", "preview")


def catalog(request):
    try:
        query = catalog_query_from_params(request.GET, organization_id=asking_team_id(request.user))
    except ApplicationError as exc:
        return render(request, "marketplace/catalog.html", _context(request, None, exc), status=400)
    registry.catalog_searched(user=request.user, query=query, page=request.GET.get("page"))
    return render(request, "marketplace/catalog.html", _context(request, query, None))


def _context(request, query: CatalogQuery | None, error: ApplicationError | None) -> dict:
    params = request.GET
    context = {
        "query": query,
        "error": error,
        "field_errors": error.fields if error else {},
        "uses": [(str(u), USE_NAMES[u], USE_LABELS[u]) for u in Use],
        "selected_uses": _many(params, "use"),
        "selected_media_types": _many(params, "media_type"),
        "selected_kinds": list(query.kinds) if query else _many(params, "kind"),
        "selected_languages": list(query.languages) if query else _many(params, "language"),
        "selected_tags": list(query.tags) if query else _many(params, "tag"),
        "price_from_value": _typed_price(params, query, "price_from", "min_price"),
        "price_to_value": _typed_price(params, query, "price_to", "max_price"),
        "kinds": [(value, label, kind_icon(value)) for value, label in KINDS.items()],
        "media_type_groups": [
            (KINDS[kind], names.items()) for kind, names in MEDIA_TYPES_BY_KIND.items()
        ],
        "languages": common_languages(),
        "sorts": SORTS.items(),
        "currencies": sorted(CURRENCY_EXPONENTS),
        "currency": (query.currency if query else params.get("currency")) or "USD",
        "max_term_months": MAX_TERM_MONTHS,
        "popular_tags": popular_tags(),
        "form": params,
    }
    if query is None:
        return context
    page = catalog_page(query, page=params.get("page") or 1, per_page=PER_PAGE)
    for work in page.object_list:
        work.public_creator_name = creator_public_name(work)
    creator_name = catalog_creator_name(query.creator) if query.creator else ""
    context.update(
        page=page,
        works=page.object_list,
        creator_name=creator_name,
        active_filters=_active_filters(request, query, creator_name),
        intended_summary=_intended_summary(query),
    )
    return context


def _many(params, name: str) -> list[str]:
    return [p.strip() for v in params.getlist(name) for p in v.split(",") if p.strip()]


def _norm(value: str) -> str:
    return " ".join(value.split()).lower()


def _typed_price(params, query: CatalogQuery | None, typed: str, minor: str) -> str:
    """The price box shows what was typed, or a minor-unit bound from a link in major units."""
    if params.get(typed) or query is None:
        return params.get(typed, "")
    amount = getattr(query, minor)
    if amount is None:
        return ""
    return format_major(amount, query.currency)


def _without(request, name: str, value: str | None = None, *also: str) -> str:
    """The current address without one filter (one value of it, for lists), from page 1."""
    params = request.GET.copy()
    for key in ("page", *also):
        params.pop(key, None)
    if value is None:
        params.pop(name, None)
    else:
        params.setlist(name, [v for v in _many(params, name) if _norm(v) != _norm(value)])
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else request.path


def _active_filters(request, query: CatalogQuery, creator_name: str) -> list[dict]:
    """Each filter in force as a chip that removes it: the empty state uses them to say what
    to loosen."""
    chips = []

    def chip(label: str, url: str, icon: str) -> None:
        chips.append({"label": label, "url": url, "icon": icon})

    if query.intended is not None:
        for use in sorted(query.intended.uses):
            chip(USE_NAMES[use], _without(request, "use", str(use)), "bi-cpu")
        if query.intended.commercial:
            chip("Commercial use", _without(request, "commercial"), "bi-briefcase")
        if query.intended.months_needed > 1:
            chip(
                f"At least {query.intended.months_needed} months",
                _without(request, "term_months"),
                "bi-calendar3",
            )
        if not query.intended.can_destroy_models:
            chip("No model destruction", _without(request, "can_destroy_models"), "bi-sign-stop")
    if query.q:
        chip(f"“{query.q}”", _without(request, "q"), "bi-search")
    for tag in query.tags:
        chip(f"#{tag}", _without(request, "tag", tag), "bi-tag")
    for kind in query.kinds:
        chip(KINDS[kind], _without(request, "kind", kind), kind_icon(kind))
    for media_type in query.media_types:
        chip(
            MEDIA_TYPES[media_type], _without(request, "media_type", media_type), "bi-file-earmark"
        )
    for name, template, icon in (
        ("min_duration", "At least {} long", "bi-stopwatch"),
        ("max_duration", "At most {} long", "bi-stopwatch"),
    ):
        seconds = getattr(query, name)
        if seconds is not None:
            chip(template.format(_duration(seconds)), _without(request, name), icon)
    if query.min_words is not None:
        chip(f"At least {query.min_words:,} words", _without(request, "min_words"), "bi-file-text")
    if query.max_words is not None:
        chip(f"At most {query.max_words:,} words", _without(request, "max_words"), "bi-file-text")
    for code in query.languages:
        chip(f"In {language_name(code)}", _without(request, "language", code), "bi-translate")
    if query.min_price is not None:
        chip(
            f"From {format_money(query.min_price, query.currency)}",
            _without(request, "price_from", None, "min_price"),
            "bi-tag",
        )
    if query.max_price is not None:
        chip(
            f"Up to {format_money(query.max_price, query.currency)}",
            _without(request, "price_to", None, "max_price"),
            "bi-tag",
        )
    if query.min_width:
        chip(f"Width ≥ {query.min_width:,} px", _without(request, "min_width"), "bi-arrows")
    if query.min_height:
        chip(
            f"Height ≥ {query.min_height:,} px",
            _without(request, "min_height"),
            "bi-arrows-vertical",
        )
    if query.creator:
        chip(
            f"By {creator_name or f'creator #{query.creator}'}",
            _without(request, "creator"),
            "bi-person",
        )
    return chips


def _duration(seconds: int) -> str:
    """The chips' lengths as a person reads them: "90 s", "3:12", "1:02:05"."""
    if seconds < 60:
        return f"{seconds} s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _intended_summary(query: CatalogQuery) -> str:
    intended = query.intended
    if intended is None:
        return ""
    names = [USE_NAMES[u].lower() for u in sorted(intended.uses)]
    uses = " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
    months = intended.months_needed
    parts = [uses, "in commercial use" if intended.commercial else "in non-commercial use"]
    if months > 1:
        parts.append(f"for {months} months")
    if not intended.can_destroy_models:
        parts.append("without destroying models")
    return ", ".join(parts)


def catalog_work_page(request, work_id: int):
    """One work on sale, for anyone: its watermarked preview, creator, facts, every offer on
    sale in plain words with its price, and its card's "add to dataset" action. The catalog's
    filters come along in the address (the cards link with them), so the offers that fit the
    team's use come first and "back" returns to the same results. A work the catalog does not
    show is simply not found."""
    filter_error, team_id = None, asking_team_id(request.user)
    try:
        query = catalog_query_from_params(request.GET, organization_id=team_id)
    except ApplicationError as exc:
        # The work is still worth showing; against no filter, and saying why.
        query, filter_error = CatalogQuery(organization_id=team_id), exc
    work = catalog_work(work_id=work_id, query=query)
    if work is None:
        raise Http404("This work is not on sale.")
    work.public_creator_name = creator_public_name(work)
    context = {
        "work": work,
        "query": query,
        "filter_error": filter_error,
        "intended_summary": _intended_summary(query),
    }
    return render(request, "marketplace/catalog_work.html", context)


def catalog_work_file(request, work_id: int, kind: str):
    """A listed work's thumbnail or watermarked preview, for anyone: both are renditions with
    every metadata field stripped. Originals are never served here."""
    if kind not in RENDITIONS:
        raise Http404("No such file.")
    work = sellable_work(work_id=work_id)
    name = getattr(work, kind).name if work is not None else ""
    if not name:
        raise Http404("No such file.")
    media_type = rendition_media_type(name)
    url = storage.signed_url(name, media_type=media_type)
    if url:
        return HttpResponseRedirect(url)
    response = FileResponse(storage.open_file(name), content_type=media_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Short: a work whose consent is withdrawn drops out of the catalog within minutes.
    response["Cache-Control"] = "public, max-age=300"
    return response
