"""Demand over the last 90 days, by intended use and by tag: how many teams asked, their
searches, quotes, requests and purchases, the terms they asked for, the median price per work
they paid and asked; and where a creator's own prices stand against it.

Only aggregates leave this module, and every figure must come from at least MIN_TEAMS distinct
teams (k-anonymity): a use or tag fewer teams asked about is left out, and a figure within a
row backed by fewer (say, one team's searches) is None. The floor is applied in the database
(HAVING), so figures below it are never even read.

The figures are the same for every viewer and move slowly, so pages read a snapshot
(`demand_snapshot`), refreshed by the beat task every few minutes; computing it is a fixed
number of queries whatever the number of events, but each reads the whole window."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from insight.models import DemandFacet, DemandKind, FacetKind
from insight.selectors.aggregates import Median
from licensing.models import Offer, OfferStatus
from marketplace.views.catalog import USE_NAMES
from uploads.models import WorkStatus

WINDOW_DAYS = 90
# k-anonymity: no figure from fewer teams than this. Not a setting: lowering it would expose
# single teams' asks.
MIN_TEAMS = 5
TAG_LIMIT = 40
# A creator's price within this fraction of the median paid is "around" it.
AROUND_BAND = 0.10
PAID, ASKED = "paid", "asked"
# Bump the version when the dataclasses change shape: an old pickle is then never read.
SNAPSHOT_KEY = "insight:demand-overview:v1"
# Longer than the beat task's 10 minutes, so pages keep reading a snapshot between refreshes.
SNAPSHOT_SECONDS = 15 * 60
KIND_FIELDS = {
    DemandKind.SEARCH: "searches",
    DemandKind.QUOTE: "quotes",
    DemandKind.REQUEST: "requests",
    DemandKind.SALE: "sales",
}


@dataclass(frozen=True)
class PriceFigure:
    currency: str
    median_amount: int  # minor units of `currency`, per work
    count: int  # works sold, or asks that named a price


@dataclass
class DemandRow:
    facet: str
    value: str
    teams: int
    searches: int | None = None
    quotes: int | None = None
    requests: int | None = None
    sales: int | None = None  # works sold
    commercial_share: float | None = None  # of the asks that stated a use, 0..1
    median_term_months: float | None = None
    paid: list[PriceFigure] = field(default_factory=list)
    asked: list[PriceFigure] = field(default_factory=list)

    @property
    def label(self) -> str:
        return facet_label(self.facet, self.value)

    def paid_in(self, currency: str) -> PriceFigure | None:
        return next((p for p in self.paid if p.currency == currency), None)

    def asked_in(self, currency: str) -> PriceFigure | None:
        return next((p for p in self.asked if p.currency == currency), None)


@dataclass
class DemandOverview:
    since: datetime
    window_days: int
    min_teams: int
    uses: list[DemandRow]
    tags: list[DemandRow]
    computed_at: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not self.uses and not self.tags

    def row(self, facet: str, value: str) -> DemandRow | None:
        rows = self.uses if facet == FacetKind.USE else self.tags
        return next((r for r in rows if r.value == value), None)


def facet_label(facet: str, value: str) -> str:
    if facet == FacetKind.TAG:
        return f"#{value}"
    return USE_NAMES.get(value, value)  # the catalog's names for its use filters


def demand_snapshot(*, refresh: bool = False) -> DemandOverview:
    """The figures as last computed: by the beat task (`refresh=True`), or by the first page
    to find none. Pages then cost no aggregation at all."""
    overview = None if refresh else cache.get(SNAPSHOT_KEY)
    if overview is None:
        overview = demand_overview()
        cache.set(SNAPSHOT_KEY, overview, SNAPSHOT_SECONDS)
    return overview


def demand_overview(*, now: datetime | None = None, tag_limit: int = TAG_LIMIT) -> DemandOverview:
    """Everything teams asked for in the window, by use and by the most-asked tags, computed
    now. Two queries, each one pass over the window: the counts, then the medians."""
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    window = DemandFacet.objects.filter(created_at__gte=since)
    rows = _rows(window)
    uses = [r for r in rows if r.facet == FacetKind.USE]
    tags = [r for r in rows if r.facet == FacetKind.TAG][:tag_limit]
    overview = DemandOverview(since, WINDOW_DAYS, MIN_TEAMS, uses, tags, computed_at=now)
    if not overview.is_empty:
        _add_prices(window, {(r.facet, r.value): r for r in [*uses, *tags]})
    return overview


def _rows(facets: QuerySet[DemandFacet]) -> list[DemandRow]:
    """Each use and tag at least MIN_TEAMS teams asked about, most teams first. Within a row,
    each figure needs that many teams of its own: one team's searches never show, even in a
    row many teams bought from; nor do terms only four teams stated."""
    stated = Q(commercial__isnull=False)
    per_kind = {}
    for kind, name in KIND_FIELDS.items():
        per_kind[name] = Count("id", filter=Q(kind=kind))
        per_kind[f"{name}_teams"] = Count("team_id", distinct=True, filter=Q(kind=kind))
    found = (
        facets.values("facet", "value")
        .annotate(
            teams=Count("team_id", distinct=True),
            terms_teams=Count("team_id", distinct=True, filter=stated),
            stated=Count("id", filter=stated),
            commercial=Count("id", filter=Q(commercial=True)),
            median_months=Median("term_months"),
            **per_kind,
        )
        .filter(teams__gte=MIN_TEAMS)
        .order_by("-teams", "value")
    )
    rows = []
    for r in found:
        row = DemandRow(r["facet"], r["value"], r["teams"])
        for name in KIND_FIELDS.values():
            if r[f"{name}_teams"] >= MIN_TEAMS:
                setattr(row, name, r[name])
        if r["terms_teams"] >= MIN_TEAMS:
            row.commercial_share = r["commercial"] / r["stated"]
            row.median_term_months = r["median_months"]
        rows.append(row)
    return rows


def _add_prices(facets: QuerySet[DemandFacet], rows: dict) -> None:
    """The median per work paid (sales) and asked (search ceilings and request budgets), per
    currency, each from at least MIN_TEAMS teams."""
    medians = (
        facets.filter(price_amount__isnull=False)
        .exclude(kind=DemandKind.QUOTE)  # a quote is the creators' price, not the team's
        .annotate(basis=Case(When(kind=DemandKind.SALE, then=Value(PAID)), default=Value(ASKED)))
        .values("facet", "value", "basis", "currency")
        .annotate(
            median=Median("price_amount"), teams=Count("team_id", distinct=True), n=Count("id")
        )
        .filter(teams__gte=MIN_TEAMS)
        .order_by("currency")
    )
    for m in medians:
        row = rows.get((m["facet"], m["value"]))
        if row is None:
            continue  # a tag past the shown ones
        figure = PriceFigure(m["currency"], round(m["median"]), m["n"])
        (row.paid if m["basis"] == PAID else row.asked).append(figure)


# --- A creator's own prices ------------------------------------------------------------------


@dataclass(frozen=True)
class PricePosition:
    """A creator's median price for one use or tag, in one currency, against the market."""

    facet: str
    value: str
    currency: str
    your_median: int
    your_offers: int
    paid: PriceFigure | None
    asked: PriceFigure | None

    @property
    def label(self) -> str:
        return facet_label(self.facet, self.value)

    @property
    def position(self) -> str | None:
        """below, around or above the median paid; None when too few teams bought."""
        if self.paid is None or self.paid.median_amount <= 0:
            return None
        ratio = self.your_median / self.paid.median_amount
        if ratio < 1 - AROUND_BAND:
            return "below"
        if ratio > 1 + AROUND_BAND:
            return "above"
        return "around"


def creator_price_positions(*, creator, overview: DemandOverview) -> list[PricePosition]:
    """For each use and shown tag of the creator's offers on sale, their median price against
    the median paid. One query: the offers' uses, prices and their works' tags."""
    offers = Offer.objects.filter(
        work__owner=creator, status=OfferStatus.ACTIVE, work__status=WorkStatus.LISTED
    ).values_list("uses", "currency", "price_amount", "work__tags")
    shown_tags = {r.value for r in overview.tags}
    prices: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for uses, currency, amount, tags in offers:
        for use in uses or ():
            prices[(FacetKind.USE, use, currency)].append(amount)
        for tag in set(tags or ()) & shown_tags:
            prices[(FacetKind.TAG, tag, currency)].append(amount)
    positions = []
    for (facet, value, currency), amounts in prices.items():
        row = overview.row(facet, value)
        if row is None:
            continue  # too few teams asked about it to say anything
        positions.append(
            PricePosition(
                facet=facet,
                value=value,
                currency=currency,
                your_median=round(statistics.median(amounts)),
                your_offers=len(amounts),
                paid=row.paid_in(currency),
                asked=row.asked_in(currency),
            )
        )
    # In the market tables' order (uses, then tags, most teams first), currencies together.
    rank = {(r.facet, r.value): i for i, r in enumerate([*overview.uses, *overview.tags])}
    return sorted(positions, key=lambda p: (rank[(p.facet, p.value)], p.currency))
