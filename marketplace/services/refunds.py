"""Refunds (by staff, whole order or chosen items; or seen in a `charge.refunded` event when made
in Stripe's dashboard) and disputes. Each refund is a row first, so its Stripe idempotency key
comes from our id; the ledger reversal, the revoked licenses and the notices follow once Stripe
has refunded, and happen once however often that is reported."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.services.notifications import notify
from common.money import format_money
from config.errors import ApplicationError
from licensing.services.grants import license_items_revoke
from marketplace.models import Order, OrderItem, OrderStatus, Refund, RefundStatus
from marketplace.services.holdbacks import holdbacks_settle_after_dispute
from payouts.services.events import (
    dispute_lost_post,
    dispute_opened_post,
    dispute_won_post,
    refund_post,
)
from payouts.services.recovery import transfer_reversal_recover
from payouts.stripe_gateway import (
    StripeRefused,
    StripeUnavailable,
    refund_create,
    refund_reference_update,
    refunds_of_charge,
)

logger = logging.getLogger(__name__)
REFUNDABLE = {OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED}


def _refundable_items(order: Order):
    """Items not refunded and not in a refund still waiting for Stripe."""
    taken = Refund.objects.filter(order=order).exclude(status=RefundStatus.FAILED)
    return order.items.filter(refunded_at__isnull=True).exclude(refunds__in=taken)


def order_refund(*, order: Order, actor, reason: str, item_ids: list[int] | None = None) -> Refund:
    """Refund the whole order or the chosen items through Stripe."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "Say why, for the team and the creators.", fields={"reason": ["Required."]}
        )
    # Durable: the Stripe call that follows must never run inside a caller's transaction.
    with transaction.atomic(durable=True):
        order = Order.objects.select_for_update().get(id=order.id)
        if order.status not in REFUNDABLE:
            raise ApplicationError(
                f"An order that is {order.get_status_display().lower()} cannot be refunded.",
                code="not_refundable",
                status=409,
            )
        items = _refundable_items(order)
        if item_ids is not None:
            items = items.filter(id__in=item_ids)
        items = list(items)
        if not items or (item_ids is not None and len(items) != len(set(item_ids))):
            raise ApplicationError(
                "Choose items of this order that are not refunded yet.",
                code="invalid",
                fields={"item_ids": ["Not refundable."]},
            )
        refund = Refund.objects.create(
            order=order,
            amount=sum(i.price_amount for i in items),
            currency=order.currency,
            reason=reason[:300],
            requested_by=actor,
        )
        refund.items.set(items)
    return refund_send(refund=refund)


def refund_send(*, refund: Refund) -> Refund:
    """Ask Stripe for the refund (again, if a first attempt's answer was lost: the idempotency
    key makes it the same refund) and complete it."""
    try:
        stripe_refund = refund_create(refund=refund)
    except (StripeRefused, StripeUnavailable) as exc:
        if isinstance(exc, StripeRefused) and not exc.is_key_refused:
            Refund.objects.filter(id=refund.id, status=RefundStatus.PENDING).update(
                status=RefundStatus.FAILED, failure_reason=exc.reason[:500]
            )
            raise ApplicationError(
                f"Stripe refused the refund: {exc.reason}", code="refund_refused", status=409
            ) from exc
        # Stripe did not answer, or refused our key rather than the refund: it stays pending,
        # the same key is sent on the next try, or Stripe's charge.refunded event completes it.
        raise ApplicationError(
            "Stripe did not answer; the refund is pending and will be completed.",
            code="payments_unavailable",
            status=502,
        ) from exc
    return refund_complete(refund_id=refund.id, stripe_refund_id=stripe_refund["id"])


def refunds_retry_pending(*, older_than_minutes: int = 10, limit: int = 100) -> int:
    """Ask Stripe again for refunds still pending a while after they were made (Stripe did not
    answer, or the answer was lost): the refund's idempotency key makes a repeat the same
    refund at Stripe, and completing it twice posts nothing twice. A refund Stripe refuses is
    marked failed (staff see why on the order). Returns how many completed now."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    pending = Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=cutoff)
    completed = 0
    for refund in pending.select_related("order").order_by("id")[:limit]:
        try:
            done = refund_send(refund=refund)
        except ApplicationError as exc:
            logger.warning("Refund %s still not completed: %s", refund.id, exc.message)
            continue
        completed += done.status == RefundStatus.SUCCEEDED
    return completed


def refund_complete(*, refund_id: int, stripe_refund_id: str) -> Refund:
    with transaction.atomic():
        order_id = Refund.objects.values_list("order_id", flat=True).get(id=refund_id)
        order = Order.objects.select_for_update().select_related("organization").get(id=order_id)
        refund = Refund.objects.select_for_update().get(id=refund_id)
        if refund.status == RefundStatus.SUCCEEDED:
            return refund
        items = list(refund.items.select_related("creator"))
        for item in items:
            refund_post(refund_ref=f"refund:{refund.id}", item_ref=item.item_ref)
        now = timezone.now()
        OrderItem.objects.filter(id__in=[i.id for i in items]).update(refunded_at=now)
        license_items_revoke(
            item_refs=[i.item_ref for i in items], reason=f"Refunded: {refund.reason}"
        )
        refund.status, refund.stripe_refund_id = RefundStatus.SUCCEEDED, stripe_refund_id
        refund.save(update_fields=["status", "stripe_refund_id"])
        left = order.items.filter(refunded_at__isnull=True).exists()
        if order.status in REFUNDABLE:
            order.status = OrderStatus.PARTIALLY_REFUNDED if left else OrderStatus.REFUNDED
            order.save(update_fields=["status"])
        _tell_of_refund(order, refund, items)
        creators = {i.creator for i in items}
    # Earnings already paid out are taken back from the creators' connected accounts.
    for creator in creators:
        _recover(creator=creator, currency=order.currency, reason_ref=f"refund:{refund.id}")
    return refund


def _recover(*, creator, currency: str, reason_ref: str) -> None:
    try:
        transfer_reversal_recover(creator=creator, currency=currency, reason_ref=reason_ref)
    except (StripeUnavailable, StripeRefused):
        # The debt stays on the ledger and later earnings pay it first; staff see it there.
        logger.exception("Could not recover %s from creator %s", reason_ref, creator.id)


def _tell_of_refund(order: Order, refund: Refund, items: list[OrderItem]) -> None:
    for creator in {i.creator for i in items}:
        mine = [i for i in items if i.creator_id == creator.id]
        notify(
            user=creator,
            subject=f"A license on {len(mine)} of your works was refunded",
            body=(
                f"{order.organization.name}'s order {order.number} was refunded for: "
                + ", ".join(i.work_title for i in mine)
                + f". Reason: {refund.reason}. Those licenses are revoked, and the "
                f"{format_money(sum(i.creator_share for i in mine), order.currency)} you earned "
                "from them is taken back."
            ),
            url="/studio/sales/",
            dedupe_key=f"refund:{refund.id}:{creator.id}",
        )
    notify(
        user=order.placed_by,
        subject=f"Order {order.number}: {format_money(refund.amount, refund.currency)} refunded",
        body=(
            f"{len(items)} item(s) of order {order.number} were refunded "
            f"({format_money(refund.amount, refund.currency)}). Reason: {refund.reason}. Their "
            "licenses are revoked: stop using those works and delete their files."
        ),
        url=f"/orders/{order.uuid}/",
        dedupe_key=f"refund:{refund.id}:team",
    )


# --- seen in Stripe's events ------------------------------------------------------------------


def order_for_payment_intent(payment_intent_id: str | None) -> Order | None:
    if not payment_intent_id:
        return None
    return Order.objects.filter(stripe_payment_intent_id=payment_intent_id).first()


def charge_refunded(*, charge: dict) -> None:
    """Stripe says a charge was refunded: complete our own refunds it names, and take the
    dashboard's (no metadata of ours) as refunds of the remaining items when they add up."""
    order = order_for_payment_intent(charge.get("payment_intent"))
    if order is None:
        logger.info("charge.refunded for %s: not one of our orders", charge.get("id"))
        return
    for stripe_refund in refunds_of_charge(charge["id"]):
        if stripe_refund["status"] != "succeeded":
            continue
        reference = (stripe_refund.get("metadata") or {}).get("assent_reference", "")
        if reference.startswith("refund:"):
            ours = Refund.objects.filter(id=reference.split(":", 1)[1]).first()
            if ours is not None:
                refund_complete(refund_id=ours.id, stripe_refund_id=stripe_refund["id"])
                continue
        if not Refund.objects.filter(stripe_refund_id=stripe_refund["id"]).exists():
            _dashboard_refund(order=order, stripe_refund=stripe_refund)


def _dashboard_refund(*, order: Order, stripe_refund: dict) -> None:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(id=order.id)
        remaining = list(_refundable_items(order))
        covered, total = [], 0
        for item in remaining:  # the first items whose prices add up to the refund exactly
            if total >= stripe_refund["amount"]:
                break
            covered.append(item)
            total += item.price_amount
        if total != stripe_refund["amount"]:
            order.status_reason = (
                f"A refund of {format_money(stripe_refund['amount'], order.currency)} was made "
                f"in Stripe ({stripe_refund['id']}) that matches no set of items: staff must "
                "reconcile."
            )[:300]
            order.save(update_fields=["status_reason"])
            logger.warning("Order %s: unmatched refund %s", order.id, stripe_refund["id"])
            return
        refund = Refund.objects.create(
            order=order,
            amount=total,
            currency=order.currency,
            reason="Refunded in Stripe's dashboard",
        )
        refund.items.set(covered)
    refund_complete(refund_id=refund.id, stripe_refund_id=stripe_refund["id"])
    _name_in_stripe(stripe_refund["id"], refund)


def _name_in_stripe(stripe_refund_id: str, refund: Refund) -> None:
    """Write our reference onto a refund made in Stripe's dashboard, so reconciliation pairs it
    with its ledger postings like any other. Best effort: without it the report lists it."""
    try:
        refund_reference_update(refund=refund, stripe_refund_id=stripe_refund_id)
    except (StripeUnavailable, StripeRefused):
        logger.warning(
            "Could not label Stripe refund %s with refund:%s", stripe_refund_id, refund.id
        )


def dispute_opened(*, dispute: dict) -> None:
    order = order_for_payment_intent(dispute.get("payment_intent"))
    if order is None:
        return
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("organization").get(id=order.id)
        items = list(order.items.filter(refunded_at__isnull=True).select_related("creator"))
        for item in items:
            dispute_opened_post(dispute_ref=dispute["id"], item_ref=item.item_ref)
        order.status = OrderStatus.DISPUTED
        # Stripe's reason is a slug ("product_not_received"); the team reads it as words.
        why = str(dispute.get("reason") or "no reason given").replace("_", " ")
        order.status_reason = f"Payment disputed ({why})."
        order.save(update_fields=["status", "status_reason"])
        creators = {i.creator for i in items}
    for creator in creators:
        _recover(creator=creator, currency=order.currency, reason_ref=f"dispute:{dispute['id']}")


def dispute_closed(*, dispute: dict) -> None:
    order = order_for_payment_intent(dispute.get("payment_intent"))
    if order is None:
        return
    won = dispute.get("status") == "won"
    with transaction.atomic():
        order = Order.objects.select_for_update().get(id=order.id)
        items = list(order.items.filter(refunded_at__isnull=True))
        for item in items:
            post = dispute_won_post if won else dispute_lost_post
            post(dispute_ref=dispute["id"], item_ref=item.item_ref)
        if won:
            refunded = order.items.filter(~Q(refunded_at=None)).exists()
            order.status = OrderStatus.PARTIALLY_REFUNDED if refunded else OrderStatus.PAID
            order.status_reason = "Dispute won."
            refs = [i.item_ref for i in items]
            # Each item in its own transaction, after this one: a failure is logged and left.
            transaction.on_commit(lambda: holdbacks_settle_after_dispute(refs), robust=True)
        else:
            order.status_reason = "Dispute lost: the payment was returned to the buyer's bank."
            license_items_revoke(
                item_refs=[i.item_ref for i in items], reason="The payment was disputed and lost."
            )
        order.save(update_fields=["status", "status_reason"])
