"""The marketplace's Stripe event handlers, registered with payouts' webhook receiver (which
verifies, stores and de-duplicates events; see payouts/webhooks.py). Each handler finds its
order from the event and calls a service that locks the order row and does nothing the second
time."""

from __future__ import annotations

import logging
import uuid

from marketplace.models import Order
from marketplace.services import checkout, fulfilment, refunds
from payouts.webhooks import register

logger = logging.getLogger(__name__)


def _order_for_session(session: dict) -> Order | None:
    """Our order, by the id we gave Stripe (client_reference_id / metadata), else the session."""
    reference = session.get("client_reference_id") or (session.get("metadata") or {}).get("order")
    order = Order.objects.filter(uuid=reference).first() if _is_uuid(reference) else None
    if order is None and session.get("id"):
        order = Order.objects.filter(stripe_checkout_session_id=session["id"]).first()
    if order is None:
        logger.warning("Checkout session %s names no order of ours", session.get("id"))
    return order


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError):
        return False
    return True


@register("checkout.session.completed")
def checkout_session_completed(event: dict) -> None:
    session = event["data"]["object"]
    order = _order_for_session(session)
    if order is None:
        return
    if session.get("payment_status") in {"paid", "no_payment_required"}:
        fulfilment.order_paid(
            order_id=order.id, payment_intent_id=session.get("payment_intent") or ""
        )
    elif session.get("payment_intent"):
        # A delayed payment method: the money is not there yet; the async events decide.
        Order.objects.filter(id=order.id, stripe_payment_intent_id="").update(
            stripe_payment_intent_id=session["payment_intent"]
        )


@register("checkout.session.async_payment_succeeded")
def checkout_session_async_payment_succeeded(event: dict) -> None:
    session = event["data"]["object"]
    order = _order_for_session(session)
    if order is not None:
        fulfilment.order_paid(
            order_id=order.id, payment_intent_id=session.get("payment_intent") or ""
        )


@register("checkout.session.async_payment_failed")
def checkout_session_async_payment_failed(event: dict) -> None:
    order = _order_for_session(event["data"]["object"])
    if order is not None:
        checkout.order_payment_failed(order=order, reason="The delayed payment failed.")


@register("checkout.session.expired")
def checkout_session_expired(event: dict) -> None:
    order = _order_for_session(event["data"]["object"])
    if order is not None:
        checkout.order_checkout_expired(order=order)


@register("charge.refunded")
def charge_refunded(event: dict) -> None:
    refunds.charge_refunded(charge=event["data"]["object"])


@register("charge.dispute.created")
def charge_dispute_created(event: dict) -> None:
    refunds.dispute_opened(dispute=event["data"]["object"])


@register("charge.dispute.closed")
def charge_dispute_closed(event: dict) -> None:
    refunds.dispute_closed(dispute=event["data"]["object"])
