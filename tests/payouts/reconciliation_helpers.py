"""Both sides of the reconciliation, made as they are in production: charges as the marketplace
makes them (a Checkout Session paid on the local Stripe server's hosted test page, our
reference in `payment_intent_data.metadata`), sales and payouts through the ledger services.
Used by tests/payouts/test_reconciliation.py and its browser journey in tests/e2e."""

from __future__ import annotations

import socket
import uuid

from payouts.models import Payout, PayoutStatus
from payouts.services.payout_runs import payout_run_create, payout_send
from tests.devtools.helpers import fetch
from tests.payouts.factories import sell


def order_ref() -> str:
    return f"order:{uuid.uuid4()}"


def checkout_charge(
    stripe_client, amount: int, *, reference: str = "", currency: str = "usd", card="4242"
) -> dict:
    """A Checkout Session created as the marketplace creates it and paid on the hosted page;
    returns its charge."""
    metadata = {"assent_reference": reference} if reference else {}
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://assent.test/ok",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": amount,
                        "product_data": {"name": "Dataset license"},
                    },
                }
            ],
            "payment_intent_data": {"metadata": metadata},
        }
    )
    number = {"4242": "4242424242424242", "0259": "4000000000000259"}[card]
    status, _, html = fetch(session.url, {"action": "pay", "card_number": number})
    assert status == 303, html
    session = stripe_client.v1.checkout.sessions.retrieve(session.id)
    intent = stripe_client.v1.payment_intents.retrieve(session.payment_intent)
    return stripe_client.v1.charges.retrieve(intent.latest_charge).to_dict()


def sold(stripe_client, creator, amount: int, currency: str = "usd") -> tuple[str, dict]:
    """An order charged at Stripe and posted as a sale: (item ref, charge)."""
    reference = order_ref()
    charge = checkout_charge(stripe_client, amount, reference=reference, currency=currency)
    return sell(creator, amount, currency.upper(), order_ref=reference), charge


def paid_out(creator) -> Payout:
    run = payout_run_create()
    payout = payout_send(payout_id=run.payouts.get(creator=creator).id)
    assert payout.status == PayoutStatus.PAID, payout.failure_reason
    return payout


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on: Stripe away."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends
