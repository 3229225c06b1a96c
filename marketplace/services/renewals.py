"""Renewal: a team buys the works of a license again for a new term, only where the creator's
consent still stands (an active offer on the listed work) and at the current offer's price.
The renewal is an ordinary dataset (linked to the license it renews) checked out as usual; on
payment its items start when the old ones end if they still run, so no time is lost."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from config.errors import ApplicationError
from licensing.models import GrantStatus, LicenseGrant, LicenseGrantItem, Offer, OfferStatus
from licensing.selectors.offers import sellable_offers
from licensing.terms import IntendedUse, LicenseTerms, satisfies
from marketplace.models import Dataset, DatasetItem, DatasetStatus
from marketplace.services.restrictions import team_restriction_check
from uploads.models import Work, WorkStatus

# Why an item cannot be renewed, in words the team can act on (the code is for programs).
WHY = {
    "revoked": "This item was refunded or revoked; it cannot be renewed.",
    "work_removed": "The work is no longer on Assent.",
    "consent_withdrawn": "The creator withdrew consent: this work is no longer licensed to anyone.",
    "no_compatible_offer": "The creator no longer offers this work on terms that cover your "
    "license (or not in this currency).",
    "already_renewed": "Already renewed: a later license for this work is running.",
}


@dataclass(frozen=True)
class RenewalLine:
    """One item of the license: the offer it would be renewed on and at what price, or why not."""

    item: LicenseGrantItem
    offer: Offer | None = None
    reason_code: str = ""

    @property
    def is_renewable(self) -> bool:
        return self.offer is not None

    @property
    def reason(self) -> str:
        return WHY.get(self.reason_code, "")

    @property
    def price_amount(self) -> int | None:
        return self.offer.price_amount if self.offer else None

    @property
    def is_same_terms(self) -> bool:
        return self.offer is not None and self.offer.terms_hash == self.item.terms_hash

    @property
    def price_changed(self) -> bool:
        return self.offer is not None and self.offer.price_amount != self.item.price_amount


@dataclass
class RenewalQuote:
    grant: LicenseGrant
    currency: str
    renewable: list[RenewalLine] = field(default_factory=list)
    not_renewable: list[RenewalLine] = field(default_factory=list)

    @property
    def total_amount(self) -> int:
        return sum(line.offer.price_amount for line in self.renewable)

    @property
    def previous_amount(self) -> int:
        return sum(line.item.price_amount for line in self.renewable)

    @property
    def destroy_models(self) -> int:
        """Renewable works whose (current) terms require destroying models at expiry."""
        return sum(line.offer.terms.requires_destruction for line in self.renewable)


def _covers_item(offer: Offer, item: LicenseGrantItem) -> bool:
    """An offer renews an item on other terms only if it gives at least what the item gave
    (every use, commercial use, the term) and adds no destruction duty the item did not carry."""
    terms = LicenseTerms.from_dict(item.terms)
    gave = IntendedUse(
        uses=terms.uses,
        commercial=terms.commercial,
        months_needed=terms.term_months,
        can_destroy_models=terms.requires_destruction,
    )
    return satisfies(offer.terms, gave)


def _already_renewed(items: list[LicenseGrantItem], grant: LicenseGrant) -> set[int]:
    """Works this team already holds a later running license for (a renewal bought before)."""
    later = LicenseGrantItem.objects.filter(
        grant__organization_id=grant.organization_id,
        work_id__in=[i.work_id for i in items],
        status=GrantStatus.ACTIVE,
    ).exclude(grant=grant)
    latest_by_work: dict[int, datetime] = {}
    for work_id, expires_at in later.values_list("work_id", "expires_at"):
        latest_by_work[work_id] = max(expires_at, latest_by_work.get(work_id, expires_at))
    return {i.id for i in items if latest_by_work.get(i.work_id, i.expires_at) > i.expires_at}


def _line(item, work_status, offers, withdrawn_offer_ids, renewed) -> RenewalLine:
    if item.status == GrantStatus.REVOKED:
        return RenewalLine(item, reason_code="revoked")
    if work_status != WorkStatus.LISTED:
        return RenewalLine(item, reason_code="work_removed")
    if item.id in renewed:
        return RenewalLine(item, reason_code="already_renewed")
    same = next((o for o in offers if o.terms_hash == item.terms_hash), None)
    if same is not None:
        return RenewalLine(item, offer=same)
    covering = [o for o in offers if _covers_item(o, item)]
    if covering:
        return RenewalLine(item, offer=min(covering, key=lambda o: (o.price_amount, -o.id)))
    if not offers and item.offer_id in withdrawn_offer_ids:
        return RenewalLine(item, reason_code="consent_withdrawn")
    return RenewalLine(item, reason_code="no_compatible_offer")


def renewal_quote(*, grant: LicenseGrant, user) -> RenewalQuote:
    """What renewing this license would cost now, item by item: the offer with the same terms if
    it is still on sale, else the cheapest active offer covering what the item gave, at its
    current price; the other items with the reason they cannot be renewed."""
    if not grant.organization.memberships.filter(user=user).exists():
        raise ApplicationError("No such license.", code="not_found", status=404)
    order = getattr(grant, "order", None)
    items = list(grant.items.order_by("work_title", "id"))
    currency = order.currency if order else (items[0].currency if items else "USD")
    work_ids = [i.work_id for i in items]
    work_status = dict(Work.objects.filter(id__in=work_ids).values_list("id", "status"))
    offers: dict[int, list[Offer]] = defaultdict(list)
    # A renewal is a new sale: what is withheld from this team (a collective's strike) is not
    # offered again.
    on_sale = sellable_offers(
        organization_id=grant.organization_id,
        intended=order.dataset.intended_use if order else None,
    )
    for offer in on_sale.filter(work_id__in=work_ids, currency=currency):
        offers[offer.work_id].append(offer)
    withdrawn = set(
        Offer.objects.filter(
            id__in=[i.offer_id for i in items], status=OfferStatus.WITHDRAWN
        ).values_list("id", flat=True)
    )
    renewed = _already_renewed(items, grant)
    quote = RenewalQuote(grant=grant, currency=currency)
    for item in items:
        line = _line(item, work_status.get(item.work_id), offers[item.work_id], withdrawn, renewed)
        (quote.renewable if line.is_renewable else quote.not_renewable).append(line)
    return quote


def _intended_use(grant: LicenseGrant, lines: list[RenewalLine]) -> dict:
    """The renewal dataset's intended use: the original order's (every renewal offer covers the
    item it renews, which covered that use), else the narrowest use all items share."""
    order = getattr(grant, "order", None)
    if order is not None:
        return dict(order.intended_use)
    terms = [LicenseTerms.from_dict(line.item.terms) for line in lines]
    uses = frozenset.intersection(*(t.uses for t in terms))
    if not uses:
        raise ApplicationError(
            "These items share no use, so they cannot be renewed together.", code="invalid"
        )
    return {
        "uses": sorted(str(u) for u in uses),
        "commercial": all(t.commercial for t in terms),
        "months_needed": min(t.term_months for t in terms),
        "can_destroy_models": any(t.requires_destruction for t in terms),
    }


def renewal_start(*, grant: LicenseGrant, user) -> tuple[Dataset, RenewalQuote]:
    """A dataset of the renewable items, on the chosen offers, ready for the normal checkout.
    A renewal of this license already awaiting payment is returned as it is; a draft one is
    refilled from the current quote."""
    team_restriction_check(organization=grant.organization)
    quote = renewal_quote(grant=grant, user=user)
    with transaction.atomic():
        LicenseGrant.objects.select_for_update().get(id=grant.id)  # one renewal at a time
        open_renewal = grant.renewals.filter(
            Q(status=DatasetStatus.DRAFT) | Q(status=DatasetStatus.CHECKING_OUT)
        ).first()
        if open_renewal is not None and open_renewal.status == DatasetStatus.CHECKING_OUT:
            return open_renewal, quote
        if not quote.renewable:
            raise ApplicationError(
                "Nothing in this license can be renewed.",
                code="nothing_renewable",
                status=409,
                extra={"not_renewable": [not_renewable_data(line) for line in quote.not_renewable]},
            )
        dataset = open_renewal or _renewal_dataset(grant, user, quote)
        dataset.items.all().delete()
        DatasetItem.objects.bulk_create(
            DatasetItem(
                dataset=dataset,
                work_id=line.item.work_id,
                offer=line.offer,
                quoted_amount=line.offer.price_amount,
            )
            for line in quote.renewable
        )
        dataset.notices = []
        dataset.save(update_fields=["notices", "updated_at"])
    return dataset, quote


def _renewal_dataset(grant: LicenseGrant, user, quote: RenewalQuote) -> Dataset:
    order = getattr(grant, "order", None)
    use = _intended_use(grant, quote.renewable)
    old_name = order.dataset.name if order else f"license {grant.uuid.hex[:10].upper()}"
    return Dataset.objects.create(
        organization=grant.organization,
        created_by=user,
        name=f"Renewal of {old_name}"[:120],
        uses=use["uses"],
        commercial=use["commercial"],
        months_needed=use["months_needed"],
        can_destroy_models=use["can_destroy_models"],
        currency=quote.currency,
        renews=grant,
    )


def renewal_starts(*, dataset: Dataset, work_ids, now: datetime) -> dict[int, datetime]:
    """When each renewed work's new license starts: when the old item ends if it still runs
    at payment (no time lost, no overlap paid twice), else now."""
    if dataset.renews_id is None:
        return {}
    old = LicenseGrantItem.objects.filter(
        grant_id=dataset.renews_id, work_id__in=list(work_ids), expires_at__gt=now
    ).exclude(status=GrantStatus.REVOKED)
    return {work_id: expires_at for work_id, expires_at in old.values_list("work_id", "expires_at")}


def not_renewable_data(line: RenewalLine) -> dict:
    return {
        "work_id": line.item.work_id,
        "title": line.item.work_title,
        "expires_at": line.item.expires_at.isoformat(),
        "reason_code": line.reason_code,
        "reason": line.reason,
    }
