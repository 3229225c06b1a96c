"""Reads for offers, consent and what is on sale."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, QuerySet

from licensing import registry
from licensing.models import ConsentRecord, GrantStatus, LicenseGrantItem, Offer, OfferStatus
from licensing.terms import IntendedUse, OnExpiry, uses_mask
from uploads.models import WorkStatus


def offers_for_work(*, work) -> QuerySet[Offer]:
    return Offer.objects.filter(work=work).order_by("status", "-created_at")


@dataclass
class WorkSaleSummary:
    """A work's active offers as the works grid shows them: how many, and the lowest price in
    each of their currencies."""

    offer_count: int = 0
    lowest_prices: dict[str, int] = field(default_factory=dict)

    @property
    def is_on_sale(self) -> bool:
        return self.offer_count > 0


def sale_summaries(*, work_ids) -> dict[int, WorkSaleSummary]:
    """{work id: summary} for every work asked about, in one query for them all; a work with
    no active offer has an empty summary."""
    summaries = {work_id: WorkSaleSummary() for work_id in work_ids}
    # Less offers a rule keeps off sale (below a collective's floor raised after they were
    # made): the creator sees "Not on sale" and can reprice, rather than a price nobody pays.
    active = Offer.objects.filter(work_id__in=list(summaries), status=OfferStatus.ACTIVE)
    rows = (
        sale_restricted(active)
        .order_by("work_id", "price_amount", "id")
        .values_list("work_id", "price_amount", "currency")
    )
    for work_id, price_amount, currency in rows:
        summary = summaries[work_id]
        summary.offer_count += 1
        summary.lowest_prices.setdefault(currency, price_amount)
    return summaries


def sellable_offers(*, organization_id: int | None = None, intended=None) -> QuerySet[Offer]:
    """What may be sold: an active (hence consented) offer on an approved work, that no rule a
    higher app registered forbids (a collective's floor; for this buyer team and intended use,
    a collective's strike)."""
    offers = Offer.objects.filter(status=OfferStatus.ACTIVE, work__status=WorkStatus.LISTED)
    return sale_restricted(offers, organization_id=organization_id, intended=intended)


def sale_restricted(offers: QuerySet[Offer], *, organization_id=None, intended=None):
    """`offers` less those a registered sale rule excludes (see licensing.registry)."""
    for exclude in registry.sale_exclusions:
        offers = exclude(offers, organization_id=organization_id, intended=intended)
    return offers


def is_sellable(offer: Offer) -> bool:
    return sellable_offers().filter(id=offer.id).exists()


def consent_history(*, user) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(user=user).order_by("-at", "-id")


def compatible_offers(
    *, intended: IntendedUse, currency: str | None = None, organization_id: int | None = None
) -> QuerySet[Offer]:
    """Sellable offers whose terms cover this intended use: `terms.satisfies` said in SQL, so
    the catalog and dataset quotes can filter and price in the database (a test keeps the two
    in agreement)."""
    wanted = uses_mask(intended.uses)
    offers = (
        sellable_offers(organization_id=organization_id, intended=intended)
        .annotate(_covered=F("uses_mask").bitand(wanted))
        .filter(_covered=wanted, term_months__gte=intended.months_needed)
    )
    if intended.commercial:
        offers = offers.filter(commercial=True)
    if not intended.can_destroy_models:
        offers = offers.exclude(on_expiry=OnExpiry.DESTROY_MODELS)
    if currency:
        offers = offers.filter(currency=currency)
    return offers


def cheapest_compatible_offers(
    *, work_ids, intended: IntendedUse, currency: str, organization_id: int | None = None
) -> dict[int, Offer]:
    """For each work, its cheapest offer covering the use (ties: the newest) that may be sold
    to this team; works with none are absent."""
    best: dict[int, Offer] = {}
    offers = compatible_offers(
        intended=intended, currency=currency, organization_id=organization_id
    ).filter(work_id__in=work_ids)
    for offer in offers.order_by("work_id", "price_amount", "-created_at", "-id"):
        best.setdefault(offer.work_id, offer)
    return best


def live_licenses_for_work(*, work) -> list[LicenseGrantItem]:
    """License items on this work that are still running (for the withdrawal screen and the
    deletion guard)."""
    return list(
        LicenseGrantItem.objects.filter(work=work, status=GrantStatus.ACTIVE)
        .select_related("grant__organization")
        .order_by("expires_at")
    )
