"""Checkout: freeze a dataset into an order (items, offer snapshots, prices, terms) and open a
Stripe Checkout Session for it. Nothing is granted here: only the verified webhook does that
(services/fulfilment.py)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.money import format_money
from config.errors import ApplicationError
from marketplace.models import Dataset, DatasetStatus, Order, OrderItem, OrderStatus
from marketplace.selectors.datasets import dataset_duties
from marketplace.services.datasets import dataset_refresh
from marketplace.services.restrictions import team_restriction_check
from payouts.services.events import split_amount
from payouts.stripe_gateway import (
    StripeRefused,
    StripeUnavailable,
    checkout_session_create,
    checkout_session_expire,
    checkout_session_retrieve,
)

logger = logging.getLogger(__name__)


def _site(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def order_checkout_start(*, dataset: Dataset, user, destruction_acknowledged: bool) -> Order:
    """Check out a dataset: the open order with its Checkout URL. Asking again while a checkout
    is open returns the same order (and the same Stripe session). A team overdue on a
    destruction attestation is refused (`team_restricted`); so is a checkout of works whose
    terms require destroying the models trained on them, until the team acknowledges that duty
    (`destruction_unacknowledged`): it is the creators' condition, said before paying."""
    team_restriction_check(organization=dataset.organization)
    duties = dataset_duties(dataset=dataset)
    if duties.destroy_models and not destruction_acknowledged:
        raise ApplicationError(
            f"{duties.destroy_models} of these works require every model trained on them to be "
            "destroyed when their license ends (or the license renewed). Acknowledge this duty "
            "to check out.",
            code="destruction_unacknowledged",
            fields={"acknowledge_destruction": ["Must be true for this dataset."]},
            extra={"destroy_models": duties.destroy_models},
        )
    open_order = Order.objects.filter(dataset=dataset, status=OrderStatus.AWAITING_PAYMENT).first()
    if open_order is None:
        open_order = order_freeze(dataset=dataset, user=user)
    if open_order.checkout_url:
        return open_order
    return _session_open(order=open_order)


def order_freeze(*, dataset: Dataset, user) -> Order:
    """Freeze the dataset into an order awaiting payment (no Stripe call): items, offer
    snapshots, prices and terms, after re-checking what is still on sale."""
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(id=dataset.id)
        if dataset.status == DatasetStatus.PURCHASED:
            raise ApplicationError(
                "This dataset was already bought; copy it to buy again.",
                code="dataset_purchased",
                status=409,
            )
        changes = dataset_refresh(dataset=dataset)
    # Committed above, so the team sees the new quote; checking out again accepts it.
    if changes:
        raise ApplicationError(
            f"{len(changes)} work(s) changed since your quote: review the new total and check "
            "out again.",
            code="quote_changed",
            status=409,
            extra={"changes": [c.as_dict() for c in changes]},
        )
    try:
        with transaction.atomic():
            dataset = Dataset.objects.select_for_update().get(id=dataset.id)
            if dataset.status != DatasetStatus.DRAFT:  # someone else just checked it out
                order = Order.objects.filter(
                    dataset=dataset, status=OrderStatus.AWAITING_PAYMENT
                ).first()
                if order is not None:
                    return order
                raise ApplicationError("This dataset cannot be checked out now.", status=409)
            return _order_create(dataset=dataset, user=user)
    except IntegrityError:  # a concurrent request froze it first
        return Order.objects.get(dataset=dataset, status=OrderStatus.AWAITING_PAYMENT)


def _order_create(*, dataset: Dataset, user) -> Order:
    items = list(dataset.items.select_related("work", "offer"))
    if not items:
        raise ApplicationError(
            "This dataset has no works yet: add some from the catalog first.",
            code="dataset_empty",
        )
    fee_bps = settings.PLATFORM_FEE_BPS
    # Each item sells at its quoted price: the offer's own price for works added from the
    # catalog (kept equal by dataset_refresh), a data request's accepted price for its works.
    splits = [split_amount(i.quoted_amount, fee_bps) for i in items]
    order = Order.objects.create(
        dataset=dataset,
        organization=dataset.organization,
        placed_by=user,
        currency=dataset.currency,
        total_amount=sum(i.quoted_amount for i in items),
        fee_amount=sum(fee for _, fee in splits),
        fee_bps=fee_bps,
        intended_use={
            "uses": dataset.uses,
            "commercial": dataset.commercial,
            "months_needed": dataset.months_needed,
            "can_destroy_models": dataset.can_destroy_models,
        },
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            work=item.work,
            offer=item.offer,
            creator_id=item.work.owner_id,
            work_title=item.work.title,
            terms=item.offer.terms.canonical(),
            terms_hash=item.offer.terms_hash,
            price_amount=item.quoted_amount,
            currency=item.offer.currency,
            creator_share=share,
            fee_amount=fee,
        )
        for item, (share, fee) in zip(items, splits, strict=True)
    )
    dataset.status = DatasetStatus.CHECKING_OUT
    dataset.save(update_fields=["status", "updated_at"])
    return order


def _session_open(*, order: Order) -> Order:
    count = order.items.count()
    try:
        session = checkout_session_create(
            order=order,
            product_name=f"AI training license: {order.dataset.name}",
            product_description=(
                f"{count} work{'s' if count != 1 else ''}, order "
                f"{order.number}; total {format_money(order.total_amount, order.currency)}"
            ),
            success_url=_site(f"/orders/{order.uuid}/?checkout=done"),
            cancel_url=_site(f"/datasets/{order.dataset.uuid}/?checkout=cancelled"),
        )
    except (StripeUnavailable, StripeRefused) as exc:
        logger.warning("Checkout for order %s failed at Stripe: %s", order.id, exc)
        _order_close(order=order, status=OrderStatus.FAILED, reason="Stripe refused the checkout.")
        raise ApplicationError(
            "Payments are unavailable right now; your dataset is unchanged. Try again shortly.",
            code="payments_unavailable",
            status=502,
        ) from exc
    Order.objects.filter(id=order.id).update(
        stripe_checkout_session_id=session["id"], checkout_url=session.get("url") or ""
    )
    order.refresh_from_db()
    return order


def _order_close(*, order: Order, status: str, reason: str) -> bool:
    """An unpaid order ends (expired, failed, cancelled): the dataset is a draft again."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(id=order.id)
        if locked.status != OrderStatus.AWAITING_PAYMENT:
            return False
        locked.status, locked.status_reason, locked.closed_at = status, reason, timezone.now()
        locked.save(update_fields=["status", "status_reason", "closed_at"])
        Dataset.objects.filter(id=locked.dataset_id, status=DatasetStatus.CHECKING_OUT).update(
            status=DatasetStatus.DRAFT, updated_at=timezone.now()
        )
    return True


def order_checkout_cancel(*, order: Order) -> Order:
    """The team changed its mind: expire the Stripe session so it can no longer be paid, then
    return the dataset to draft. If Stripe says it was paid meanwhile, nothing is cancelled."""
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return order
    if order.stripe_checkout_session_id:
        try:
            _session_expire(order)
        except (StripeUnavailable, StripeRefused) as exc:
            raise ApplicationError(
                "Payments are unavailable right now; try again shortly.",
                code="payments_unavailable",
                status=502,
            ) from exc
    _order_close(order=order, status=OrderStatus.EXPIRED, reason="Checkout cancelled.")
    order.refresh_from_db()
    return order


def _session_expire(order: Order) -> None:
    """Expire the order's session; refused when it is no longer open, which is fine only if
    it expired already (anything else: it was paid)."""
    try:
        checkout_session_expire(order=order)
    except StripeRefused as exc:
        session = checkout_session_retrieve(order=order)
        if session.get("status") != "expired":
            raise ApplicationError(
                "This checkout was completed and cannot be cancelled; the payment is "
                "being confirmed.",
                code="checkout_completed",
                status=409,
            ) from exc


def order_checkout_expired(*, order: Order) -> bool:
    return _order_close(order=order, status=OrderStatus.EXPIRED, reason="The checkout expired.")


def order_payment_failed(*, order: Order, reason: str = "The payment failed.") -> bool:
    return _order_close(order=order, status=OrderStatus.FAILED, reason=reason)
