"""Reads for offers, consent and what is on sale."""

from __future__ import annotations

from django.db.models import F, QuerySet

from licensing.models import ConsentRecord, GrantStatus, LicenseGrantItem, Offer, OfferStatus
from licensing.terms import IntendedUse, OnExpiry, uses_mask
from uploads.models import WorkStatus


def offers_for_work(*, work) -> QuerySet[Offer]:
    return Offer.objects.filter(work=work).order_by("status", "-created_at")


def sellable_offers() -> QuerySet[Offer]:
    """What may be sold: an active (hence consented) offer on an approved work."""
    return Offer.objects.filter(status=OfferStatus.ACTIVE, work__status=WorkStatus.LISTED)


def is_sellable(offer: Offer) -> bool:
    return sellable_offers().filter(id=offer.id).exists()


def consent_history(*, user) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(user=user).order_by("-at", "-id")


def compatible_offers(*, intended: IntendedUse, currency: str | None = None) -> QuerySet[Offer]:
    """Sellable offers whose terms cover this intended use: `terms.satisfies` said in SQL, so
    the catalog and dataset quotes can filter and price in the database (a test keeps the two
    in agreement)."""
    wanted = uses_mask(intended.uses)
    offers = (
        sellable_offers()
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
    *, work_ids, intended: IntendedUse, currency: str
) -> dict[int, Offer]:
    """For each work, its cheapest offer covering the use (ties: the newest); works with none
    are absent."""
    best: dict[int, Offer] = {}
    offers = compatible_offers(intended=intended, currency=currency).filter(work_id__in=work_ids)
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
