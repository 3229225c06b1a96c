"""Reads for offers, consent and what is on sale."""

from __future__ import annotations

from django.db.models import QuerySet

from uploads.models import WorkStatus

from .models import ConsentRecord, Offer, OfferStatus


def offers_for_work(*, work) -> QuerySet[Offer]:
    return Offer.objects.filter(work=work).order_by("status", "-created_at")


def sellable_offers() -> QuerySet[Offer]:
    """What may be sold: an active (hence consented) offer on an approved work."""
    return Offer.objects.filter(status=OfferStatus.ACTIVE, work__status=WorkStatus.LISTED)


def is_sellable(offer: Offer) -> bool:
    return sellable_offers().filter(id=offer.id).exists()


def consent_history(*, user) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(user=user).order_by("-at", "-id")


def live_licenses_for_work(*, work) -> list:
    """Licenses granted on this work that are still running, for the withdrawal screen.
    License grants arrive with the marketplace (issue 7); until then no work has any."""
    return []
