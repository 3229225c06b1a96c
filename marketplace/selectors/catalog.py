"""The catalog: listed works a team can license for its intended use, with only the offers that
fit that use, priced; filtered, searched, sorted and paged in the database.

One parameter language serves the page, the API and the dataset builder (`catalog_query_from_
params`), so "add everything matching" adds exactly what the page showed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    prefetch_related_objects,
)
from django.db.models.functions import Cast

from accounts.models import CreatorProfile, Role
from accounts.selectors.teams import memberships_for_user
from common.money import (
    DEFAULT_CURRENCY,
    is_supported,
    normalise_currency,
    to_minor_units,
    unsupported_currency,
)
from config.errors import ApplicationError
from config.input_fields import BIGINT_MAX, canonical_choice, not_one_of
from licensing.models import Offer, OfferStatus
from licensing.selectors.offers import compatible_offers, sale_restricted, sellable_offers
from licensing.terms import MAX_TERM_MONTHS, MIN_TERM_MONTHS, IntendedUse, OnExpiry, Use, uses_mask
from uploads.media_facts import MEDIA_TYPE_NAMES, MEDIA_TYPE_NAMES_BY_KIND
from uploads.models import Work, WorkKind, WorkStatus

# Every file type a work can be, with the name a person knows it by, grouped by medium.
MEDIA_TYPES_BY_KIND = MEDIA_TYPE_NAMES_BY_KIND
MEDIA_TYPES = MEDIA_TYPE_NAMES
KINDS = {kind.value: kind.label for kind in WorkKind}
SORTS = {
    "newest": "Newest first",
    "relevance": "Best match",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "largest": "Largest first",
}
# The text search configuration; the GIN index in marketplace/migrations/0002 is built on the
# very same expression (search_document below), or PostgreSQL would not use it.
SEARCH_CONFIG = "english"
MAX_Q_LENGTH = 200
MAX_TAGS = 10
MAX_PIXELS_SIDE = 100_000
MAX_DURATION_SECONDS = 24 * 3600
MAX_WORDS = 10_000_000
MAX_LANGUAGES = 10
DEFAULT_PER_PAGE = 24
MAX_PER_PAGE = 100
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class CatalogQuery:
    """What a team asks the catalog. Prices are minor units of `currency`; only offers in that
    currency are shown (a team pays in one currency). Resolution is a minimum width and height
    in pixels, not megapixels: training pipelines crop or resize to a side length, so the
    shorter side is what decides whether a work is usable. Tags narrow (a work must carry every
    tag asked for); kinds, media types and languages widen (any of them). Duration (seconds)
    applies to audio and word counts to text: a bound on either leaves out the other media,
    which have no such size."""

    intended: IntendedUse | None = None
    q: str = ""
    tags: tuple[str, ...] = ()
    media_types: tuple[str, ...] = ()
    min_price: int | None = None
    max_price: int | None = None
    currency: str = DEFAULT_CURRENCY
    min_width: int | None = None
    min_height: int | None = None
    creator: int | None = None
    kinds: tuple[str, ...] = ()
    min_duration: int | None = None
    max_duration: int | None = None
    min_words: int | None = None
    max_words: int | None = None
    languages: tuple[str, ...] = ()
    sort: str = "newest"
    # The buyer team asking, when known: a collective may withhold its works from one team.
    # Not a filter the team chooses, so not in to_params and not compared.
    organization_id: int | None = field(default=None, compare=False)

    def to_params(self) -> dict[str, str | list[str]]:
        """The query back as parameters (minor-unit prices), for links, stored dataset filters
        and the API's echo; `catalog_query_from_params(q.to_params()) == q`."""
        params: dict[str, str | list[str]] = {}
        if self.intended is not None:
            params["use"] = sorted(str(u) for u in self.intended.uses)
            params["commercial"] = "true" if self.intended.commercial else "false"
            params["term_months"] = str(self.intended.months_needed)
            if not self.intended.can_destroy_models:
                params["can_destroy_models"] = "false"
        optional = {
            "q": self.q,
            "tag": list(self.tags),
            "media_type": list(self.media_types),
            "min_price": self.min_price,
            "max_price": self.max_price,
            "min_width": self.min_width,
            "min_height": self.min_height,
            "creator": self.creator,
            "kind": list(self.kinds),
            "min_duration": self.min_duration,
            "max_duration": self.max_duration,
            "min_words": self.min_words,
            "max_words": self.max_words,
            "language": list(self.languages),
        }
        for name, value in optional.items():
            if value not in (None, "", []):
                params[name] = value if isinstance(value, list) else str(value)
        params["currency"] = self.currency
        params["sort"] = self.sort
        return params

    @property
    def has_filters(self) -> bool:
        return self != CatalogQuery(currency=self.currency, sort=self.sort)


# --- Reading parameters ----------------------------------------------------------------------


@dataclass
class _Reader:
    """Reads a QueryDict or a plain dict (values a string or a list) and collects every problem,
    so one answer names them all."""

    params: object
    errors: dict[str, list[str]] = field(default_factory=dict)

    def many(self, name: str) -> list[str]:
        if hasattr(self.params, "getlist"):
            raw = self.params.getlist(name)
        else:
            value = self.params.get(name)
            raw = [] if value is None else value if isinstance(value, list | tuple) else [value]
        return [part.strip() for item in raw for part in str(item).split(",") if part.strip()]

    def one(self, name: str) -> str:
        if hasattr(self.params, "getlist"):
            values = self.params.getlist(name)
        else:
            value = self.params.get(name)
            values = list(value) if isinstance(value, list | tuple) else [value]
        values = [str(v).strip() for v in values if v is not None and str(v).strip()]
        return values[-1] if values else ""

    def choice(self, name: str, vocabulary) -> str:
        """One value from a vocabulary, in its canonical spelling if it is one (any case)."""
        text = self.one(name)
        return canonical_choice(text, vocabulary) or text

    def choices(self, name: str, vocabulary) -> list[str]:
        return [canonical_choice(text, vocabulary) or text for text in self.many(name)]

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def integer(self, name: str, *, low: int, high: int, label: str) -> int | None:
        text = self.one(name)
        if not text:
            return None
        try:
            value = int(text)
        except ValueError:
            self.fail(name, f"{label} is a whole number, not “{text[:20]}”.")
            return None
        if not low <= value <= high:
            self.fail(name, f"{label} must be between {low:,} and {high:,}.")
            return None
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        text = self.one(name).lower()
        if not text:
            return default
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        self.fail(name, f"{name} is true or false, not “{text[:20]}”.")
        return default


def asking_team_id(user) -> int | None:
    """The buyer team a catalog request speaks for: the caller's team when they are in exactly
    one. Someone in several teams sees the catalog as any team would; their dataset's quote
    applies the team's own rules (a collective withholding works from it)."""
    if not (user and user.is_authenticated and user.role == Role.BUYER):
        return None
    team_ids = list(memberships_for_user(user=user).values_list("organization_id", flat=True)[:2])
    return team_ids[0] if len(team_ids) == 1 else None


def catalog_query_from_params(params, *, organization_id: int | None = None) -> CatalogQuery:
    """Parse catalog parameters (see the README's table); unknown parameters are ignored, bad
    values raise ApplicationError(code="invalid_filter") naming each field. `organization_id`
    is the asking team (see `asking_team_id`), not a parameter."""
    reader = _Reader(params)
    currency = _currency(reader)
    min_price, max_price = _price_bounds(reader, currency)
    q = " ".join(reader.one("q").split())
    if len(q) > MAX_Q_LENGTH:
        reader.fail("q", f"Search for at most {MAX_Q_LENGTH} characters.")
    sort = reader.choice("sort", SORTS) or ("relevance" if q else "newest")
    if sort not in SORTS:
        reader.fail("sort", not_one_of(sort, SORTS))
    elif sort == "relevance" and not q:
        sort = "newest"  # nothing to rank by without a search
    media_types = tuple(dict.fromkeys(reader.choices("media_type", MEDIA_TYPES)))
    unknown = [m for m in media_types if m not in MEDIA_TYPES]
    if unknown:
        reader.fail("media_type", not_one_of(unknown[0], MEDIA_TYPES))
    query = CatalogQuery(
        intended=_intended_use(reader),
        q=q[:MAX_Q_LENGTH],
        tags=_tags(reader),
        media_types=media_types,
        min_price=min_price,
        max_price=max_price,
        currency=currency,
        min_width=reader.integer("min_width", low=0, high=MAX_PIXELS_SIDE, label="Minimum width"),
        min_height=reader.integer(
            "min_height", low=0, high=MAX_PIXELS_SIDE, label="Minimum height"
        ),
        creator=reader.integer("creator", low=1, high=2**63 - 1, label="The creator"),
        kinds=_kinds(reader),
        languages=_languages(reader),
        sort=sort if sort in SORTS else "newest",
        organization_id=organization_id,
        **_size_bounds(reader),
    )
    if reader.errors:
        raise ApplicationError(
            " ".join(messages[0] for messages in reader.errors.values()),
            code="invalid_filter",
            fields=reader.errors,
        )
    return query


def _kinds(reader: _Reader) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(reader.choices("kind", KINDS)))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        reader.fail("kind", not_one_of(unknown[0], KINDS))
        return ()
    return kinds


def _languages(reader: _Reader) -> tuple[str, ...]:
    """ISO 639-1 codes, as processing detects them ("en"), any case."""
    languages = tuple(dict.fromkeys(code.lower() for code in reader.many("language")))
    bad = [code for code in languages if not (len(code) == 2 and code.isascii() and code.isalpha())]
    if bad:
        reader.fail(
            "language",
            f"A language is a two-letter ISO 639-1 code such as en or fr, not “{bad[0][:20]}”.",
        )
        return ()
    if len(languages) > MAX_LANGUAGES:
        reader.fail("language", f"Filter by at most {MAX_LANGUAGES} languages.")
    return languages[:MAX_LANGUAGES]


def _size_bounds(reader: _Reader) -> dict[str, int | None]:
    """A recording's length in seconds and a text's length in words, each a low and a high."""
    bounds = {
        "min_duration": reader.integer(
            "min_duration", low=0, high=MAX_DURATION_SECONDS, label="The shortest duration"
        ),
        "max_duration": reader.integer(
            "max_duration", low=0, high=MAX_DURATION_SECONDS, label="The longest duration"
        ),
        "min_words": reader.integer("min_words", low=0, high=MAX_WORDS, label="The fewest words"),
        "max_words": reader.integer("max_words", low=0, high=MAX_WORDS, label="The most words"),
    }
    for low, high, message in (
        ("min_duration", "max_duration", "The longest duration is below the shortest."),
        ("min_words", "max_words", "The most words are fewer than the fewest."),
    ):
        if bounds[low] is not None and bounds[high] is not None and bounds[low] > bounds[high]:
            reader.fail(high, message)
    return bounds


def _intended_use(reader: _Reader) -> IntendedUse | None:
    uses = list(dict.fromkeys(reader.choices("use", Use)))
    unknown = [u for u in uses if u not in {use.value for use in Use}]
    if unknown:
        reader.fail("use", not_one_of(unknown[0], Use))
        return None
    commercial = reader.boolean("commercial", default=False)
    months = reader.integer(
        "term_months", low=MIN_TERM_MONTHS, high=MAX_TERM_MONTHS, label="Months needed"
    )
    can_destroy = reader.boolean("can_destroy_models", default=True)
    if not uses:
        # Commercial use and months are properties of an intended use; alone they would
        # silently mean "any use", which is not what the team asked.
        narrowing = [
            n for n in ("commercial", "term_months", "can_destroy_models") if reader.one(n)
        ]
        if narrowing:
            reader.fail(
                "use",
                "Choose at least one intended use to filter by commercial use, "
                "months needed or model destruction.",
            )
        return None
    return IntendedUse(
        uses=frozenset(Use(u) for u in uses),
        commercial=commercial,
        months_needed=months or MIN_TERM_MONTHS,
        can_destroy_models=can_destroy,
    )


def _currency(reader: _Reader) -> str:
    currency = normalise_currency(reader.one("currency"))
    if not is_supported(currency):
        reader.fail("currency", unsupported_currency(currency))
        return DEFAULT_CURRENCY
    return currency


def _price_bounds(reader: _Reader, currency: str) -> tuple[int | None, int | None]:
    """`min_price`/`max_price` are minor units (as the API prices everything); the page's form
    sends `price_from`/`price_to` as a person types them ("12.50"), in the chosen currency."""
    bounds = []
    for minor, typed in (("min_price", "price_from"), ("max_price", "price_to")):
        value = reader.integer(minor, low=0, high=10**12, label="A price")
        text = reader.one(typed)
        if text and value is not None:
            reader.fail(typed, f"Send {minor} (minor units) or {typed}, not both.")
        elif text:
            try:
                value = to_minor_units(text, currency)
            except ValueError as exc:
                reader.fail(typed, str(exc))
            else:
                if value < 0:
                    reader.fail(typed, "A price cannot be negative.")
                    value = None
        bounds.append(value)
    low, high = bounds
    if low is not None and high is not None and low > high:
        reader.fail("max_price", "The highest price is below the lowest.")
    return low, high


def _tags(reader: _Reader) -> tuple[str, ...]:
    # The same normal form uploads give tags: lower case, single spaces, 40 characters.
    tags = tuple(dict.fromkeys(" ".join(t.split()).lower()[:40] for t in reader.many("tag")))
    if len(tags) > MAX_TAGS:
        reader.fail("tag", f"Filter by at most {MAX_TAGS} tags.")
    return tags[:MAX_TAGS]


def page_from_params(params, *, default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
    reader = _Reader(params)
    page = reader.integer("page", low=1, high=MAX_PAGE, label="The page")
    per_page = reader.integer("per_page", low=1, high=MAX_PER_PAGE, label="per_page")
    if reader.errors:
        raise ApplicationError(
            " ".join(m[0] for m in reader.errors.values()),
            code="invalid_filter",
            fields=reader.errors,
        )
    return page or 1, per_page or default_per_page


# --- Querying ---------------------------------------------------------------------------------


def search_document() -> SearchVector:
    return SearchVector("title", "description", Cast("tags", TextField()), config=SEARCH_CONFIG)


def catalog_offers(query: CatalogQuery) -> QuerySet[Offer]:
    """The offers a card shows and prices: on sale (licensing's compatible_offers when there is
    an intended use, its sellable_offers otherwise), in the asked currency, within the price
    range."""
    if query.intended is not None:
        offers = compatible_offers(
            intended=query.intended,
            currency=query.currency,
            organization_id=query.organization_id,
        )
    else:
        offers = sellable_offers(organization_id=query.organization_id).filter(
            currency=query.currency
        )
    return _in_price_range(offers, query)


def _fitting_offers(query: CatalogQuery) -> QuerySet[Offer]:
    """catalog_offers without its join back to the work, for the queries that start from the
    work already (is there a fitting offer, which is cheapest): the join made every count and
    every price sort a third slower. The same rule as compatible_offers; a test keeps the two
    equal."""
    offers = Offer.objects.filter(status=OfferStatus.ACTIVE, currency=query.currency)
    intended = query.intended
    if intended is not None:
        wanted = uses_mask(intended.uses)
        offers = offers.annotate(_covered=F("uses_mask").bitand(wanted)).filter(
            _covered=wanted, term_months__gte=intended.months_needed
        )
        if intended.commercial:
            offers = offers.filter(commercial=True)
        if not intended.can_destroy_models:
            offers = offers.exclude(on_expiry=OnExpiry.DESTROY_MODELS)
    offers = sale_restricted(offers, organization_id=query.organization_id, intended=intended)
    return _in_price_range(offers, query)


def _in_price_range(offers: QuerySet[Offer], query: CatalogQuery) -> QuerySet[Offer]:
    if query.min_price is not None:
        offers = offers.filter(price_amount__gte=query.min_price)
    if query.max_price is not None:
        offers = offers.filter(price_amount__lte=query.max_price)
    return offers


def catalog_works(query: CatalogQuery) -> QuerySet[Work]:
    """Listed works with at least one offer in `catalog_offers(query)`, each annotated with its
    cheapest such offer (`cheapest_price`, `cheapest_offer_id`; ties go to the newest offer)
    and the creator's public name (`creator_name`, may be None), filtered and sorted in SQL.
    Sorting a large result by price or relevance computes it for every row: catalog_page
    avoids that; callers that only need ids should add `.order_by()`."""
    per_work = _cheapest_fitting(query)
    return _sort(
        _with_prices_and_names(_matching_works(query).filter(Exists(per_work)), query), query
    )


def _cheapest_fitting(query: CatalogQuery) -> QuerySet[Offer]:
    """Per work (OuterRef "pk"): its fitting offers, cheapest first, ties to the newest."""
    per_work = _fitting_offers(query).filter(work_id=OuterRef("pk"))
    return per_work.order_by("price_amount", "-created_at", "-id")


def _with_prices_and_names(works: QuerySet[Work], query: CatalogQuery) -> QuerySet[Work]:
    per_work = _cheapest_fitting(query)
    profile = CreatorProfile.objects.filter(user_id=OuterRef("owner_id"))
    return works.annotate(
        cheapest_price=Subquery(per_work.values("price_amount")[:1]),
        cheapest_offer_id=Subquery(per_work.values("id")[:1]),
        # A subquery, not a join: counts then read the works table alone.
        creator_name=Subquery(profile.values("display_name")[:1]),
    )


def _matching_works(query: CatalogQuery) -> QuerySet[Work]:
    """Listed works passing the work facets (text, tags, medium, type, size, length, language,
    creator); offers aside."""
    works = _filter_text(Work.objects.filter(status=WorkStatus.LISTED), query)
    works = _filter_tags(works, query.tags)
    if query.kinds:
        works = works.filter(kind__in=query.kinds)
    if query.media_types:
        works = works.filter(media_type__in=query.media_types)
    if query.languages:
        works = works.filter(language__in=query.languages)
    # Seconds asked, milliseconds stored; images and texts have no duration (NULL) and so
    # never pass a duration bound, as audio and images never pass a word bound.
    if query.min_duration is not None:
        works = works.filter(duration_ms__gte=query.min_duration * 1000)
    if query.max_duration is not None:
        works = works.filter(duration_ms__lte=query.max_duration * 1000)
    if query.min_words is not None:
        works = works.filter(word_count__gte=query.min_words)
    if query.max_words is not None:
        works = works.filter(word_count__lte=query.max_words)
    if query.min_width:
        works = works.filter(width__gte=query.min_width)
    if query.min_height:
        works = works.filter(height__gte=query.min_height)
    if query.creator:
        works = works.filter(owner_id=query.creator)
    return works


def _search_query(query: CatalogQuery) -> SearchQuery:
    # websearch syntax: "exact phrase", -excluded, or; stemmed English words.
    return SearchQuery(query.q, config=SEARCH_CONFIG, search_type="websearch")


def _filter_text(works: QuerySet[Work], query: CatalogQuery) -> QuerySet[Work]:
    if not query.q:
        return works
    if connection.vendor == "postgresql":
        return works.alias(search_doc=search_document()).filter(search_doc=_search_query(query))
    # The embedded SQLite has no full-text index here: every word must appear somewhere.
    for word in query.q.split()[:10]:
        works = works.filter(
            Q(title__icontains=word) | Q(description__icontains=word) | Q(tags__icontains=word)
        )
    return works


def _filter_tags(works: QuerySet[Work], tags: tuple[str, ...]) -> QuerySet[Work]:
    if not tags:
        return works
    if connection.vendor == "postgresql":
        return works.filter(tags__contains=list(tags))  # jsonb @>, served by a GIN index
    # SQLite has no JSON containment: match each tag as its quoted JSON string in the stored
    # list, which cannot hit part of a longer tag.
    works = works.alias(tags_text=Cast("tags", TextField()))
    for tag in tags:
        works = works.filter(tags_text__contains=json.dumps(tag))
    return works


NEWEST = ("-created_at", "-id")


def _sort(works: QuerySet[Work], query: CatalogQuery, *, sort: str | None = None):
    sort = sort or query.sort
    # Ties in price or rank: the most recently added work first (by id, so the sort keys and
    # the price walk in catalog_page can order exactly as this does).
    if sort == "relevance" and query.q and connection.vendor == "postgresql":
        rank = SearchRank(F("search_doc"), _search_query(query))
        return works.annotate(rank=rank).order_by("-rank", "-id")
    if sort == "price_asc":
        return works.order_by("cheapest_price", "-id")
    if sort == "price_desc":
        return works.order_by("-cheapest_price", "-id")
    if sort == "largest" and query.kinds in ((WorkKind.AUDIO,), (WorkKind.TEXT,)):
        # One medium asked for: its own size (the longest recording, the longest text).
        size = "duration_ms" if query.kinds == (WorkKind.AUDIO,) else "word_count"
        return works.order_by(F(size).desc(nulls_last=True), *NEWEST)
    if sort == "largest":
        return works.alias(pixels=F("width") * F("height")).order_by("-pixels", *NEWEST)
    return works.order_by(*NEWEST)


# --- Paging -----------------------------------------------------------------------------------

# Counting every match of a broad filter means visiting every match: tens of milliseconds per
# hundred thousand works. The catalog counts up to this many (or to the page asked for) and
# says "1,000+" beyond; nobody pages through more, they narrow the filter.
COUNT_CAP = 1000


class CatalogPaginator(Paginator):
    """A paginator whose count stops at `count_limit` (then `count_is_exact` is False and the
    count is a lower bound with at least one page after the one asked for). A count already
    known (from the sort keys, see catalog_page) is passed in and not queried again."""

    def __init__(
        self, works: QuerySet[Work], per_page: int, *, count_limit: int, count: int | None = None
    ) -> None:
        super().__init__(works, per_page)
        self.count_limit = count_limit
        if count is not None:
            self.__dict__["count"] = count

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.count_limit].count()

    @property
    def count_is_exact(self) -> bool:
        return self.count < self.count_limit

    @property
    def count_label(self) -> str:
        return f"{self.count:,}" if self.count_is_exact else f"{self.count_limit - 1:,}+"


# What a card shows: the rest of a work (its metadata above all, which can be large) stays in
# the database.
CARD_FIELDS = (
    "uuid",
    "owner",
    "title",
    "tags",
    "kind",
    "media_type",
    "width",
    "height",
    "duration_ms",
    "word_count",
    "language",
    # A text's public excerpt is short (settings.TEXT_EXCERPT_WORDS) and the API lists it.
    "excerpt",
    "thumbnail",
    "preview",
    "status",
    "created_at",
)


def catalog_page(
    query: CatalogQuery,
    *,
    page: int | str = 1,
    per_page: int = DEFAULT_PER_PAGE,
    clamp: bool = True,
) -> Page:
    """One page of the catalog in three queries whatever its size (four for a large result
    sorted by price): the (capped) count, the works with their cheapest price and creator name,
    and every shown work's fitting offers, cheapest first, as `work.catalog_offers`. With more
    than COUNT_CAP matches, relevance ranks the newest COUNT_CAP (`page.ranked_newest` says
    so). `clamp` turns a page past the end into the last page (the web); without it such a
    page raises ApplicationError 404 (the API)."""
    number = _page_number(page)
    works = catalog_works(query).only(*CARD_FIELDS)
    limit = max(COUNT_CAP, number * per_page) + 1
    keys = _sort_keys(works, query, limit, per_page)
    paginator = CatalogPaginator(
        works, per_page, count_limit=limit, count=None if keys is None else len(keys)
    )
    if not clamp and number > 1 and number > paginator.num_pages:
        raise ApplicationError(
            f"There is no page {number}; the last page is {paginator.num_pages}.",
            code="not_found",
            status=404,
        )
    result = paginator.get_page(number)
    result.ranked_newest = None
    if query.sort == "relevance" and keys is not None:
        result.object_list = _in_order(query, keys[_bounds(result)])
        if len(keys) > _ranked_window(per_page):
            result.ranked_newest = _ranked_window(per_page)
    elif keys is not None and paginator.count_is_exact:
        result.object_list = _in_order(query, keys[_bounds(result)])
    elif keys is not None:
        ids = _cheapest_first_walk(query, result, descending=query.sort == "price_desc")
        result.object_list = _in_order(query, ids)
    else:
        result.object_list = list(result.object_list)
    offers = catalog_offers(query).order_by("price_amount", "-created_at", "-id")
    prefetch_related_objects(
        result.object_list, Prefetch("offers", queryset=offers, to_attr="catalog_offers")
    )
    return result


def _sort_keys(
    works: QuerySet[Work], query: CatalogQuery, limit: int, per_page: int
) -> list[int] | None:
    """For the orders computed per work (price, relevance): up to `limit` matches with their
    sort key in one pass, which is also the count, ordered here as the SQL would order them.
    Price: the keys are used only if that was every match (else see the walk). Relevance: the
    rows come newest first; the newest COUNT_CAP (or a page, if more) are ranked, any others
    follow newest first, as ranking every match of a broad search would mean scoring all of
    them. None for the orders an index walks (newest, largest)."""
    if query.sort in ("price_asc", "price_desc"):
        rows = list(works.order_by().values_list("pk", "cheapest_price")[:limit])
        sign = 1 if query.sort == "price_asc" else -1
        rows.sort(key=lambda row: (sign * row[1], -row[0]))
        return [row[0] for row in rows]
    if query.sort == "relevance" and query.q and connection.vendor == "postgresql":
        rows = list(works.order_by(*NEWEST).values_list("pk", "rank")[:limit])
        window = _ranked_window(per_page)
        ranked = sorted(rows[:window], key=lambda row: (-row[1], -row[0]))
        return [row[0] for row in ranked + rows[window:]]
    return None


def _ranked_window(per_page: int) -> int:
    # The same for every page of a result, so paging never shows a work twice or skips one.
    return max(COUNT_CAP, per_page)


def _in_order(query: CatalogQuery, ids: list[int]) -> list[Work]:
    """The page's works by id (already known to match: no filter to check again), in order."""
    works = _with_prices_and_names(Work.objects.filter(pk__in=ids), query).only(*CARD_FIELDS)
    by_id = {work.id: work for work in works}
    return [by_id[i] for i in ids if i in by_id]


# The web page clamps what it is sent rather than refusing it; past this, `page * per_page`
# would not fit the database's integers.
MAX_PAGE = 10**6


def _page_number(page: int | str) -> int:
    try:
        return min(max(1, int(page)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def _bounds(page: Page) -> slice:
    offset = (page.number - 1) * page.paginator.per_page
    return slice(offset, offset + page.paginator.per_page)


def _cheapest_first_walk(query: CatalogQuery, page: Page, *, descending: bool) -> list[int]:
    """A page of a large result by price, without pricing every match: walk the fitting offers
    in price order and keep each work at its cheapest offer (no cheaper fitting offer; of
    equal ones, the higher id), so each work comes once, ordered as `_sort` orders: by that
    price, then the most recently added work first."""
    fitting = _fitting_offers(query)
    cheaper = fitting.filter(work_id=OuterRef("work_id")).filter(
        Q(price_amount__lt=OuterRef("price_amount"))
        | Q(price_amount=OuterRef("price_amount"), id__gt=OuterRef("id"))
    )
    matching = _matching_works(query).filter(pk=OuterRef("work_id"))
    order = ("-price_amount", "-work_id") if descending else ("price_amount", "-work_id")
    walk = fitting.filter(~Exists(cheaper), Exists(matching)).order_by(*order)
    return list(walk.values_list("work_id", flat=True)[_bounds(page)])


def sellable_work(*, work_id: int) -> Work | None:
    """The work if the catalog shows it to anyone: listed, with an offer on sale."""
    on_sale = sellable_offers().filter(work_id=OuterRef("pk"))
    return (
        Work.objects.filter(id=work_id, status=WorkStatus.LISTED)
        .filter(Exists(on_sale))
        .only("id", "thumbnail", "preview")
        .first()
    )


def catalog_work(*, work_id: int, query: CatalogQuery | None = None) -> Work | None:
    """A work for its catalog page, or None unless the catalog shows it (listed, with an offer
    on sale). It carries the creator's public name (`creator_name`) and every offer on sale,
    cheapest first, split as its card splits them: `catalog_offers` fit `query` (its use,
    currency and price range) and `other_offers` do not, so a work reached by a bare link or
    in another currency still shows what it is sold on."""
    if not 1 <= work_id <= BIGINT_MAX:  # no such row, and beyond what the database can compare
        return None
    query = query or CatalogQuery()
    profile = CreatorProfile.objects.filter(user_id=OuterRef("owner_id"))
    work = (
        Work.objects.filter(id=work_id, status=WorkStatus.LISTED)
        .annotate(creator_name=Subquery(profile.values("display_name")[:1]))
        .only(*CARD_FIELDS, "description", "byte_size", "sample_rate", "channels")
        .first()
    )
    if work is None:
        return None
    offers = list(
        sellable_offers(organization_id=query.organization_id)
        .filter(work_id=work.id)
        .order_by("price_amount", "-created_at", "-id")
    )
    if not offers:
        return None
    fitting = set(catalog_offers(query).filter(work_id=work.id).values_list("id", flat=True))
    work.catalog_offers = [offer for offer in offers if offer.id in fitting]
    work.other_offers = [offer for offer in offers if offer.id not in fitting]
    return work


def catalog_creator_name(creator_id: int) -> str:
    """The public name of a creator the catalog is filtered by ("" if none is known)."""
    profile = CreatorProfile.objects.filter(user_id=creator_id)
    return profile.values_list("display_name", flat=True).first() or ""


def creator_public_name(work: Work) -> str:
    """The name the catalog shows: the creator's chosen display name, never their email."""
    return getattr(work, "creator_name", None) or f"Creator #{work.owner_id}"


POPULAR_TAGS_SQL = {
    # The tags used most across works on sale, for the facet list; counted in the database.
    "postgresql": """
        SELECT tag, count(*) FROM uploads_work w, jsonb_array_elements_text(w.tags) AS tag
        WHERE w.status = %s AND jsonb_typeof(w.tags) = 'array'
          AND EXISTS (SELECT 1 FROM licensing_offer o WHERE o.work_id = w.id AND o.status = %s)
        GROUP BY tag ORDER BY count(*) DESC, tag LIMIT %s""",
    "sqlite": """
        SELECT j.value, count(*) FROM uploads_work w, json_each(w.tags) AS j
        WHERE w.status = %s AND json_type(w.tags) = 'array'
          AND EXISTS (SELECT 1 FROM licensing_offer o WHERE o.work_id = w.id AND o.status = %s)
        GROUP BY j.value ORDER BY count(*) DESC, j.value LIMIT %s""",
}


def popular_tags(*, limit: int = 12) -> list[str]:
    """Cached for ten minutes: a scan over every listed work's tags is too slow to pay per
    page view, and a tag's popularity moves slowly."""
    key = f"catalog:popular-tags:{limit}"
    tags = cache.get(key)
    if tags is None:
        sql = POPULAR_TAGS_SQL.get(connection.vendor)
        if sql is None:
            return []
        with connection.cursor() as cursor:
            cursor.execute(sql, [WorkStatus.LISTED, OfferStatus.ACTIVE, limit])
            tags = [row[0] for row in cursor.fetchall()]
        cache.set(key, tags, 600)
    return tags
