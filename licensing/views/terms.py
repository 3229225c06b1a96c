"""Public pages for a set of terms: the human page, and RSL and CAWG documents for machines."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from licensing import documents
from licensing.models import Offer
from licensing.selectors.offers import is_sellable
from licensing.terms import PRESETS, LicenseTerms


def _terms_for_hash(terms_hash: str) -> LicenseTerms:
    for preset in PRESETS.values():
        if preset.terms.hash == terms_hash:
            return preset.terms
    offer = Offer.objects.filter(terms_hash=terms_hash).first()
    if offer is None:
        raise Http404("No license has these terms.")
    return offer.terms


def terms_page(request, terms_hash: str):
    terms = _terms_for_hash(terms_hash)
    text = documents.license_text(terms)
    if request.GET.get("format") == "txt":
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    return render(
        request,
        "licensing/terms_page.html",
        {"terms": terms, "text": text, "text_hash": documents.text_hash(text)},
    )


def _public_offer(request, offer_uuid) -> Offer:
    offer = get_object_or_404(Offer.objects.select_related("work", "work__owner"), uuid=offer_uuid)
    if not (
        is_sellable(offer)
        or (
            request.user.is_authenticated
            and (request.user.id == offer.work.owner_id or request.user.is_staff)
        )
    ):
        raise Http404("No such offer.")
    return offer


def offer_rsl(request, offer_uuid):
    offer = _public_offer(request, offer_uuid)
    license_url = settings.SITE_URL + reverse("licensing:terms_page", args=[offer.terms_hash])
    xml = documents.rsl_xml(
        offer,
        content_url=f"{settings.SITE_URL}/offers/{offer.uuid}/",
        license_url=license_url,
        copyright_holder=offer.work.rights_holder,
    )
    return HttpResponse(xml, content_type="application/rsl+xml; charset=utf-8")


def offer_cawg(request, offer_uuid):
    offer = _public_offer(request, offer_uuid)
    license_url = settings.SITE_URL + reverse("licensing:terms_page", args=[offer.terms_hash])
    return JsonResponse(documents.cawg_training_mining(offer.terms, license_url=license_url))
