"""What the marketplace tells lower apps about its sales: payouts' earnings page names the work,
the team, the license and the terms of each sold item through this describer."""

from __future__ import annotations

from django.urls import reverse

from licensing.terms import ON_EXPIRY_WORDS, LicenseTerms, uses_in_words
from marketplace.models import OrderItem
from payouts.registry import SaleDescription

PREFIX = "order_item:"


def terms_in_words(terms: dict) -> str:
    """ "generative training and fine-tuning; commercial; 1 year; models destroyed at expiry":
    the terms vocabulary's words, never its slugs."""
    t = LicenseTerms.from_dict(terms)
    commercial = "commercial" if t.commercial else "non-commercial"
    return (
        f"{uses_in_words(t.uses)}; {commercial}; {t.term_label()}; {ON_EXPIRY_WORDS[t.on_expiry]}"
    )


def describe_order_items(item_refs: list[str]) -> dict[str, SaleDescription]:
    ids = [
        int(ref[len(PREFIX) :])
        for ref in item_refs
        if ref.startswith(PREFIX) and ref[len(PREFIX) :].isdigit()
    ]
    items = OrderItem.objects.filter(id__in=ids).select_related(
        "order__organization", "order__license_grant", "order__dataset"
    )
    found = {}
    for item in items:
        grant = item.order.license_grant
        found[item.item_ref] = SaleDescription(
            work_title=item.work_title,
            buyer=item.order.organization.name,
            license_ref=grant.uuid.hex[:10].upper() if grant else f"order {item.order.number}",
            terms=terms_in_words(item.terms),
            price=item.price_amount,
            fee=item.fee_amount,
            net=item.creator_share,
            currency=item.currency,
            status="refunded" if item.refunded_at else "",
            license_name=item.order.dataset.name,
            license_url=reverse("transparency:license", args=[grant.uuid]) if grant else "",
        )
    return found
