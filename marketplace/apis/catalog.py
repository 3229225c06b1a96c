"""GET /api/v1/catalog/ and GET /api/v1/catalog/works/{id}/: the public catalog and one work
in it as JSON, with the same filters as the pages."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from common.money import CURRENCY_EXPONENTS, format_money
from config.errors import ApplicationError
from licensing.serializers import TermsOutput
from licensing.terms import MAX_TERM_MONTHS, Use
from marketplace import registry
from marketplace.selectors.catalog import (
    COUNT_CAP,
    KINDS,
    MAX_DURATION_SECONDS,
    MAX_PER_PAGE,
    MAX_WORDS,
    MEDIA_TYPES,
    SORTS,
    asking_team_id,
    catalog_page,
    catalog_query_from_params,
    catalog_work,
    creator_public_name,
    page_from_params,
)
from uploads.models import WorkKind


class CatalogOfferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    terms = serializers.SerializerMethodField()
    price_amount = serializers.IntegerField(help_text="Minor units of `currency` (1250 = $12.50).")
    currency = serializers.CharField()
    price_display = serializers.SerializerMethodField()
    license_url = serializers.SerializerMethodField()

    @extend_schema_field(TermsOutput)
    def get_terms(self, offer) -> dict:
        return {**offer.terms.canonical(), "hash": offer.terms_hash}

    def get_price_display(self, offer) -> str:
        return format_money(offer.price_amount, offer.currency)

    def get_license_url(self, offer) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("licensing:terms_page", args=[offer.terms_hash])
        )


class CatalogCreatorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class CatalogWorkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    title = serializers.CharField()
    creator = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField())
    kind = serializers.ChoiceField(
        choices=WorkKind.choices, help_text="The medium: image, audio or text."
    )
    media_type = serializers.CharField()
    width = serializers.IntegerField(help_text="Pixels (images; 0 for audio and text).")
    height = serializers.IntegerField(help_text="Pixels (images; 0 for audio and text).")
    duration_ms = serializers.IntegerField(
        allow_null=True, help_text="Audio: the recording's length in milliseconds; else null."
    )
    word_count = serializers.IntegerField(
        allow_null=True, help_text="Text: the number of words; else null."
    )
    language = serializers.SerializerMethodField(
        help_text="Text: the detected language, an ISO 639-1 code (en); else null."
    )
    excerpt = serializers.SerializerMethodField(
        help_text="Text: the public excerpt (plain text, paragraphs separated by blank lines); "
        "else null."
    )
    thumbnail_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()
    offers = serializers.SerializerMethodField()

    @extend_schema_field(CatalogCreatorOutput)
    def get_creator(self, work) -> dict:
        return {"id": work.owner_id, "display_name": creator_public_name(work)}

    def get_language(self, work) -> str | None:
        return work.language or None

    def get_excerpt(self, work) -> str | None:
        return work.excerpt if work.kind == "text" and work.excerpt else None

    def _file_url(self, work, kind: str) -> str | None:
        field = getattr(work, kind)
        if not field:
            return None
        url = reverse("catalog_work_file", args=[work.id, kind])
        return self.context["request"].build_absolute_uri(url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, work) -> str | None:
        return self._file_url(work, "thumbnail")

    @extend_schema_field(OpenApiTypes.URI)
    def get_preview_url(self, work) -> str | None:
        return self._file_url(work, "preview")

    @extend_schema_field(CatalogOfferOutput(many=True))
    def get_offers(self, work) -> list[dict]:
        return CatalogOfferOutput(work.catalog_offers, many=True, context=self.context).data


class CatalogWorkDetailOutput(CatalogWorkOutput):
    description = serializers.CharField()
    byte_size = serializers.IntegerField(help_text="The original file's size in bytes.")
    sample_rate = serializers.IntegerField(allow_null=True, help_text="Audio: samples per second.")
    channels = serializers.IntegerField(allow_null=True, help_text="Audio: 1 mono, 2 stereo.")
    page_url = serializers.SerializerMethodField()
    other_offers = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, work) -> str:
        return self.context["request"].build_absolute_uri(reverse("catalog_work", args=[work.id]))

    @extend_schema_field(CatalogOfferOutput(many=True))
    def get_other_offers(self, work) -> list[dict]:
        return CatalogOfferOutput(work.other_offers, many=True, context=self.context).data


class CatalogPageOutput(serializers.Serializer):
    count = serializers.IntegerField(
        help_text=f"Works matching; counted up to {COUNT_CAP:,} (or the page asked for), beyond "
        "which it is a lower bound and `count_is_exact` is false."
    )
    count_is_exact = serializers.BooleanField()
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    filters = serializers.DictField(
        help_text="The filters as understood (prices in minor units); send them back as they "
        "are, e.g. as a dataset's `filters`."
    )
    ranked_newest = serializers.IntegerField(
        allow_null=True,
        help_text="Set when a search sorted by relevance matches more works than the count "
        "cap: only this many newest matches are ranked; the rest follow, newest first.",
    )
    results = CatalogWorkOutput(many=True)


ERROR_OUTPUT = inline_serializer(
    "CatalogErrorOutput",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


def _param(name, type_, description, **extra) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description, **extra)


CATALOG_PARAMETERS = [
    _param(
        "use",
        str,
        "An intended use; repeat (or comma-separate) for several. Only offers "
        "permitting every one are shown.",
        many=True,
        enum=[u.value for u in Use],
    ),
    _param("commercial", bool, "The models will be used commercially (needs `use`)."),
    _param("term_months", int, f"Months you need the works, 1–{MAX_TERM_MONTHS} (needs `use`)."),
    _param(
        "can_destroy_models",
        bool,
        "false: only terms where training stops at expiry, "
        "not terms that require destroying models (needs `use`). Default true.",
    ),
    _param(
        "q",
        str,
        "Full-text search in titles, descriptions and tags (PostgreSQL websearch "
        'syntax: "a phrase", -excluded).',
    ),
    _param("tag", str, "A tag; repeat for several: a work must carry all.", many=True),
    _param(
        "kind",
        str,
        "A medium; repeat for any of several.",
        many=True,
        enum=list(KINDS),
    ),
    _param(
        "media_type",
        str,
        "A file type; repeat for any of several.",
        many=True,
        enum=list(MEDIA_TYPES),
    ),
    _param(
        "min_duration",
        int,
        f"Shortest recording, in seconds (0–{MAX_DURATION_SECONDS:,}); only audio has one.",
    ),
    _param("max_duration", int, "Longest recording, in seconds; only audio has one."),
    _param("min_words", int, f"Fewest words (0–{MAX_WORDS:,}); only texts have a word count."),
    _param("max_words", int, "Most words; only texts have a word count."),
    _param(
        "language",
        str,
        "A language, as an ISO 639-1 code (en, fr); repeat for any of several. Works whose "
        "language is not known (images, audio) do not match.",
        many=True,
    ),
    _param(
        "currency",
        str,
        "Price currency (default USD); offers in others are not shown.",
        enum=sorted(CURRENCY_EXPONENTS),
    ),
    _param("min_price", int, "Lowest price per license, minor units."),
    _param("max_price", int, "Highest price per license, minor units."),
    _param(
        "price_from",
        str,
        "Lowest price as a person types it (12.50), in `currency`; "
        "the page's form sends it. Not with `min_price`.",
    ),
    _param("price_to", str, "Highest price as a person types it; not with `max_price`."),
    _param("min_width", int, "Minimum width in pixels."),
    _param("min_height", int, "Minimum height in pixels."),
    _param("creator", int, "Only works by this creator (their id)."),
    _param(
        "sort",
        str,
        "Order of results; default `relevance` with `q`, else `newest`.",
        enum=list(SORTS),
    ),
    _param("page", int, "Page number, from 1."),
    _param("per_page", int, f"Works per page, 1–{MAX_PER_PAGE} (default 24)."),
]


class CatalogApi(APIView):
    """Anyone may read the catalog (it is what creators chose to make public); the default
    anonymous and user throttles apply."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="catalog_list",
        summary="Browse the catalog",
        description="Listed works with at least one offer on sale that fits the intended use, "
        "each with only those offers, cheapest first. Bad filters answer 400 with code "
        "`invalid_filter` and the offending parameters in `fields`.",
        parameters=CATALOG_PARAMETERS,
        responses={
            200: CatalogPageOutput,
            400: OpenApiResponse(ERROR_OUTPUT, description="A filter cannot be used."),
            404: OpenApiResponse(ERROR_OUTPUT, description="No such page."),
        },
    )
    def get(self, request):
        query = catalog_query_from_params(
            request.query_params, organization_id=asking_team_id(request.user)
        )
        number, per_page = page_from_params(request.query_params)
        registry.catalog_searched(user=request.user, query=query, page=number)
        page = catalog_page(query, page=number, per_page=per_page, clamp=False)
        url = request.build_absolute_uri()
        return Response(
            {
                "count": page.paginator.count,
                "count_is_exact": page.paginator.count_is_exact,
                "page": page.number,
                "num_pages": page.paginator.num_pages,
                "next": replace_query_param(url, "page", page.next_page_number())
                if page.has_next()
                else None,
                "previous": _previous_url(url, page),
                "filters": query.to_params(),
                "ranked_newest": page.ranked_newest,
                "results": CatalogWorkOutput(
                    page.object_list, many=True, context={"request": request}
                ).data,
            }
        )


def _previous_url(url: str, page) -> str | None:
    if not page.has_previous():
        return None
    number = page.previous_page_number()
    return (
        remove_query_param(url, "page") if number == 1 else replace_query_param(url, "page", number)
    )


# The filters that decide which of one work's offers fit (the others narrow a list of works).
WORK_PARAMETERS = {
    "use",
    "commercial",
    "term_months",
    "can_destroy_models",
    "currency",
    "min_price",
    "max_price",
    "price_from",
    "price_to",
}


class CatalogWorkApi(APIView):
    """One work of the catalog, for anyone, as its page shows it."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="catalog_work",
        summary="One work in the catalog",
        description="A listed work with an offer on sale: `offers` are those that fit the "
        "filters given (the catalog's own parameters: intended use, currency, price range; "
        "cheapest first), `other_offers` the rest of what it is sold on. A work the catalog "
        "does not show answers 404 `not_found`; bad filters 400 `invalid_filter`.",
        parameters=[p for p in CATALOG_PARAMETERS if p.name in WORK_PARAMETERS],
        responses={
            200: CatalogWorkDetailOutput,
            400: OpenApiResponse(ERROR_OUTPUT, description="A filter cannot be used."),
            404: OpenApiResponse(ERROR_OUTPUT, description="No such work on sale."),
        },
    )
    def get(self, request, work_id: int):
        query = catalog_query_from_params(
            request.query_params, organization_id=asking_team_id(request.user)
        )
        work = catalog_work(work_id=work_id, query=query)
        if work is None:
            raise ApplicationError("No such work on sale.", code="not_found", status=404)
        return Response(CatalogWorkDetailOutput(work, context={"request": request}).data)
