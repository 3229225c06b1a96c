"""Reads for a team's datasets, quotes, orders and licenses. Every lookup is scoped to the
teams the user belongs to: another team's object is simply not found."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from config.errors import ApplicationError
from licensing.models import LicenseGrant, LicenseGrantItem
from licensing.selectors.offers import compatible_offers
from licensing.services.offers import creator_display_name
from licensing.terms import OnExpiry
from marketplace.models import Dataset, DatasetItem, DatasetStatus, Order, OrderItem, Refund
from payouts.services.events import split_amount


def _not_found(what: str) -> ApplicationError:
    return ApplicationError(f"No such {what}.", code="not_found", status=404)


def datasets_for_member(*, user) -> QuerySet[Dataset]:
    return (
        Dataset.objects.filter(organization__memberships__user=user)
        .select_related("organization")
        .annotate(item_count=Count("items"))
        .order_by("-updated_at", "-id")
    )


def dataset_for_member(*, user, dataset_uuid) -> Dataset:
    dataset = (
        Dataset.objects.filter(uuid=dataset_uuid, organization__memberships__user=user)
        .select_related("organization")
        .first()
    )
    if dataset is None:
        raise _not_found("dataset")
    return dataset


def current_draft_dataset(*, user) -> Dataset | None:
    """The dataset the catalog's "Add to dataset" adds to: the member's teams' most recently
    changed draft."""
    return datasets_for_member(user=user).filter(status=DatasetStatus.DRAFT).first()


def dataset_work_ids(*, dataset: Dataset) -> frozenset[int]:
    """The works in a dataset, read from its items (what the catalog marks "in dataset"): a
    few thousand ids at most (DATASET_MAX_ITEMS), one query for a page of any size."""
    return frozenset(dataset.items.values_list("work_id", flat=True))


@dataclass
class QuoteItem:
    item: DatasetItem
    price_amount: int
    share: int
    fee: int
    is_sellable: bool  # False: the offer stopped being on sale; checkout will re-price or drop


@dataclass
class CreatorLine:
    creator_id: int
    creator_name: str
    count: int = 0
    amount: int = 0
    share: int = 0
    fee: int = 0


@dataclass
class Quote:
    currency: str
    fee_bps: int
    items: list[QuoteItem] = field(default_factory=list)
    creators: list[CreatorLine] = field(default_factory=list)
    subtotal_share: int = 0
    fee_amount: int = 0
    total_amount: int = 0

    @property
    def stale_count(self) -> int:
        return sum(not i.is_sellable for i in self.items)

    @property
    def fee_percent(self) -> str:
        return f"{self.fee_bps / 100:g}%"

    @property
    def duties(self) -> Duties:
        offers = [line.item.offer for line in self.items]
        return Duties(
            destroy_models=sum(o.on_expiry == OnExpiry.DESTROY_MODELS for o in offers),
            attribution=sum(o.attribution_required for o in offers),
        )


@dataclass(frozen=True)
class Duties:
    """What the creators' terms ask of the team beyond paying: how many works require their
    models destroyed at expiry, how many require credit in the model's documentation."""

    destroy_models: int = 0
    attribution: int = 0


def dataset_duties(*, dataset: Dataset) -> Duties:
    items = list(dataset.items.values_list("offer__on_expiry", "offer__attribution_required"))
    return Duties(
        destroy_models=sum(on_expiry == OnExpiry.DESTROY_MODELS for on_expiry, _ in items),
        attribution=sum(bool(credit) for _, credit in items),
    )


def dataset_quote(*, dataset: Dataset) -> Quote:
    """The price as it stands: per item, per creator, the platform fee and the total. Items
    whose offer is no longer sellable are flagged (checkout re-prices or drops them)."""
    fee_bps = settings.PLATFORM_FEE_BPS
    quote = Quote(currency=dataset.currency, fee_bps=fee_bps)
    items = dataset.items.select_related("offer", "work__owner__creator_profile").order_by(
        "work__owner_id", "id"
    )
    lines: dict[int, CreatorLine] = {}
    items = list(items)
    # Sellable to this team for this use now: active and listed is not enough when a
    # collective's floor or strike withholds the work (one query for every item).
    on_sale = set(
        compatible_offers(
            intended=dataset.intended_use,
            currency=dataset.currency,
            organization_id=dataset.organization_id,
        )
        .filter(id__in=[i.offer_id for i in items])
        .values_list("id", flat=True)
    )
    for item in items:
        # The quoted price: the offer's for catalog works, the accepted one for a request's.
        share, fee = split_amount(item.quoted_amount, fee_bps)
        sellable = item.offer_id in on_sale
        quote.items.append(QuoteItem(item, item.quoted_amount, share, fee, sellable))
        owner = item.work.owner
        line = lines.get(owner.id) or lines.setdefault(
            owner.id, CreatorLine(owner.id, creator_display_name(owner))
        )
        line.count += 1
        line.amount += item.quoted_amount
        line.share += share
        line.fee += fee
    quote.creators = sorted(lines.values(), key=lambda c: (-c.amount, c.creator_name))
    quote.total_amount = sum(c.amount for c in quote.creators)
    quote.fee_amount = sum(c.fee for c in quote.creators)
    quote.subtotal_share = sum(c.share for c in quote.creators)
    return quote


def orders_for_member(*, user) -> QuerySet[Order]:
    return (
        Order.objects.filter(organization__memberships__user=user)
        .select_related("dataset", "organization", "placed_by")
        .annotate(item_count=Count("items"))
        .order_by("-created_at", "-id")
    )


def order_for_member(*, user, order_uuid) -> Order:
    order = _order_detail(Order.objects.filter(organization__memberships__user=user), order_uuid)
    if order is None:
        raise _not_found("order")
    return order


def order_for_staff(*, order_uuid) -> Order:
    order = _order_detail(Order.objects.all(), order_uuid)
    if order is None:
        raise _not_found("order")
    return order


def _order_detail(orders: QuerySet[Order], order_uuid) -> Order | None:
    return (
        orders.filter(uuid=order_uuid)
        .select_related("dataset", "organization", "placed_by", "license_grant")
        .prefetch_related(
            Prefetch("items", OrderItem.objects.select_related("creator__creator_profile")),
            Prefetch("refunds", Refund.objects.prefetch_related("items")),
        )
        .first()
    )


def orders_for_staff(*, status: str = "", q: str = "") -> QuerySet[Order]:
    orders = Order.objects.select_related("organization", "placed_by").annotate(
        item_count=Count("items")
    )
    if status:
        orders = orders.filter(status=status)
    if q:
        orders = orders.filter(
            Q(organization__name__icontains=q) | Q(placed_by__email__icontains=q)
        )
    return orders.order_by("-created_at", "-id")


def licenses_for_member(*, user) -> QuerySet[LicenseGrant]:
    return (
        LicenseGrant.objects.filter(organization__memberships__user=user)
        .select_related("organization", "order__dataset")
        .annotate(
            item_count=Count("items"),
            # Running now: the sweep may not have marked items past their expiry yet.
            running_count=Count(
                "items", filter=Q(items__status="active", items__expires_at__gt=timezone.now())
            ),
            last_expiry=Max("items__expires_at", filter=~Q(items__status="revoked")),
        )
        .order_by("-created_at", "-id")
    )


def license_for_member(*, user, grant_uuid) -> LicenseGrant:
    grant = (
        LicenseGrant.objects.filter(uuid=grant_uuid, organization__memberships__user=user)
        .select_related("organization", "order")
        .prefetch_related(
            Prefetch(
                "items",
                LicenseGrantItem.objects.select_related("offer").order_by("expires_at", "id"),
            )
        )
        .first()
    )
    if grant is None:
        raise _not_found("license")
    return grant


def sales_for_creator(*, creator) -> QuerySet[OrderItem]:
    """Every item of a paid order that sold one of this creator's works."""
    return (
        OrderItem.objects.filter(creator=creator, order__paid_at__isnull=False)
        .select_related("order__organization", "work")
        .order_by("-order__paid_at", "-id")
    )


def sold_items() -> QuerySet[OrderItem]:
    """Every item of a paid order, not refunded: what was sold, to whom, when, for how much.
    Higher apps narrow it (a collective: the works pooled with it at the time of sale)."""
    return OrderItem.objects.filter(order__paid_at__isnull=False, refunded_at__isnull=True)
