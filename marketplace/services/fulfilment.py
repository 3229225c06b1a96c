"""A paid order: one license grant (items with their frozen terms and expiries), the sale
posted to the ledger, creators and the team told. Called only from verified Stripe events, and
safe to call for every delivery of them: the order row is locked and a paid order is left as
it is."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.services.notifications import notify
from common.dates import day_text
from common.money import format_money
from licensing.services.grants import GrantItemSpec, license_grant_create
from licensing.terms import OnExpiry, uses_in_words
from marketplace import registry
from marketplace.models import Dataset, DatasetStatus, Order, OrderItem, OrderStatus
from marketplace.services.delivery import package_request
from marketplace.services.refunds import order_refund
from marketplace.services.renewals import renewal_starts
from payouts.services.events import SaleItem, sale_post
from uploads.models import WorkStatus

# An order may be paid from these: a late completion of a checkout we had given up on (the
# buyer paid on a page that was still open) still gets what was paid for.
logger = logging.getLogger(__name__)
MAX_LINES_IN_NOTICE = 20  # a sale of thousands of works is summed up, not listed in full
PAYABLE = {OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED, OrderStatus.FAILED}


def order_paid(*, order_id: int, payment_intent_id: str = "") -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("organization").get(id=order_id)
        if order.status not in PAYABLE:
            return order  # already paid (a duplicate or a second event about the same payment)
        items = list(order.items.select_related("creator", "work"))
        now = timezone.now()
        starts = renewal_starts(dataset=order.dataset, work_ids=[i.work_id for i in items], now=now)
        grant, _ = license_grant_create(
            organization=order.organization,
            source_reference=order.reference,
            starts_at=_grant_start(starts, now),
            items=[_grant_spec(item, starts.get(item.work_id)) for item in items],
        )
        sale_post(
            order_ref=order.reference,
            fee_bps=order.fee_bps,
            items=[_sale_item(item) for item in items],
        )
        order.status, order.paid_at, order.license_grant = OrderStatus.PAID, now, grant
        order.status_reason = ""
        if payment_intent_id:
            order.stripe_payment_intent_id = payment_intent_id
        order.save(
            update_fields=[
                "status",
                "paid_at",
                "license_grant",
                "status_reason",
                "stripe_payment_intent_id",
            ]
        )
        Dataset.objects.filter(id=order.dataset_id).update(status=DatasetStatus.PURCHASED)
        registry.order_sold(order=order, items=items)
        _tell_creators_of_sale(order, items, grant)
        _tell_team_of_purchase(order, len(items))
        # The download package is built by the worker once this commits.
        package_request(order=order, user=order.placed_by)
        removed = [i.id for i in items if i.work.status == WorkStatus.REMOVED]
        if removed:
            transaction.on_commit(lambda: _refund_removed(order.id, removed))
    return order


def _refund_removed(order_id: int, item_ids: list[int]) -> None:
    """Works removed (a rights claim upheld, a ban) between checkout and the payment's
    confirmation: the buyer paid for them, so they are refunded at once rather than sold."""

    try:
        order_refund(
            order=Order.objects.get(id=order_id),
            actor=None,
            item_ids=item_ids,
            reason="The work was removed from Assent before your payment was confirmed.",
        )
    except Exception:
        # The order shows the item unrefunded; staff refund it from the order page.
        logger.exception("Could not refund removed items %s of order %s", item_ids, order_id)


def _grant_start(starts: dict, now):
    """A renewal's grant starts when its first item does; any other order's at payment."""
    return min(starts.values(), default=now) if starts else now


def _grant_spec(item: OrderItem, starts_at=None) -> GrantItemSpec:
    """One sold item as licensed; a renewed item starts when the team's old item ends."""
    return GrantItemSpec(
        work_id=item.work_id,
        offer_id=item.offer_id,
        creator_id=item.creator_id,
        work_title=item.work_title,
        terms=item.terms,
        terms_hash=item.terms_hash,
        price_amount=item.price_amount,
        currency=item.currency,
        item_ref=item.item_ref,
        starts_at=starts_at,
    )


def _sale_item(item: OrderItem) -> SaleItem:
    """The sale in the ledger; a share of an item whose terms require destroying models is held
    back until the destruction is attested (or forfeited to the creator if it never is)."""
    fields = {
        "creator_id": item.creator_id,
        "item_ref": item.item_ref,
        "amount": item.price_amount,
        "currency": item.currency,
        "work_id": item.work_id,
    }
    if item.terms.get("on_expiry") == OnExpiry.DESTROY_MODELS:
        fields["holdback_bps"] = settings.LICENSE_HOLDBACK_BPS
    return SaleItem(**fields)


def _uses_text(terms: dict) -> str:
    """The uses as people say them ("fine-tuning and evaluation"), never the terms' slugs."""
    return uses_in_words(terms["uses"]) + (" (commercial)" if terms["commercial"] else "")


def _tell_creators_of_sale(order: Order, items: list[OrderItem], grant) -> None:
    by_creator: dict[int, list[OrderItem]] = defaultdict(list)
    for item in items:
        by_creator[item.creator_id].append(item)
    expiries = dict(grant.items.values_list("item_ref", "expires_at"))
    for creator_items in by_creator.values():
        creator = creator_items[0].creator
        net = sum(i.creator_share for i in creator_items)
        lines = [
            f"- {i.work_title}: {_uses_text(i.terms)}, until "
            f"{day_text(timezone.localdate(expiries[i.item_ref]))}; "
            f"you earn {format_money(i.creator_share, i.currency)}"
            for i in creator_items
        ]
        count = len(creator_items)
        if len(lines) > MAX_LINES_IN_NOTICE:
            lines = [*lines[:MAX_LINES_IN_NOTICE], f"- … and {count - MAX_LINES_IN_NOTICE} more"]
        notify(
            user=creator,
            subject=f"{order.organization.name} licensed {count} of your works",
            body=(
                f"{order.organization.name} licensed {count} work{'s' if count != 1 else ''} "
                f"of yours (order {order.number}):\n"
                + "\n".join(lines)
                + f"\n\nYou earn {format_money(net, order.currency)} in all, held for the hold "
                "period and then paid out to your connected account."
            ),
            url="/studio/sales/",
            dedupe_key=f"sale:{order.id}:{creator.id}",
        )


def _tell_team_of_purchase(order: Order, count: int) -> None:
    notify(
        user=order.placed_by,
        subject=f"Your license for {order.dataset.name} is active",
        body=(
            f"Order {order.number} is paid: {count} work{'s' if count != 1 else ''} licensed for "
            f"{format_money(order.total_amount, order.currency)}. Every member of "
            f"{order.organization.name} can see it under Licenses."
        ),
        url=f"/orders/{order.uuid}/",
        dedupe_key=f"paid:{order.id}",
    )
