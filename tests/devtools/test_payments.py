"""PaymentIntents, Charges, Refunds and Disputes on the local Stripe server, through the
official library. Payments are made the way Checkout makes them: a session paid on its hosted
test page."""

from __future__ import annotations

import json

import pytest
import stripe

from tests.devtools.helpers import control, fetch


def paid_session(client, card: str = "4242424242424242", amount: int = 5000, **extra):
    """A Checkout Session paid with `card`: (session, payment intent, charge)."""
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://merchant.test/ok",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": amount,
                        "product_data": {"name": "Licence"},
                    },
                }
            ],
            "payment_intent_data": {"metadata": {"order": "o1"}, "transfer_group": "G1"},
            **extra,
        }
    )
    status, _, html = fetch(session.url, {"action": "pay", "card_number": card})
    assert status == 303, html
    session = client.v1.checkout.sessions.retrieve(session.id)
    pi = client.v1.payment_intents.retrieve(session.payment_intent)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    return session, pi, charge


def balance(server, currency: str = "usd") -> dict:
    return dict(server.store.balance(None, currency))


# --- payment intents and charges -----------------------------------------------------------


def test_payment_intents_and_charges_are_readable_and_listable(stripe_client):
    _, pi1, ch1 = paid_session(stripe_client)
    _, pi2, ch2 = paid_session(stripe_client, amount=700)

    assert pi1.object == "payment_intent"
    assert pi1.client_secret.startswith(f"{pi1.id}_secret_")
    assert pi1.payment_method_types == ["card"]
    assert pi1.capture_method == "automatic_async"
    assert ch1.object == "charge"

    intents = stripe_client.v1.payment_intents.list(params={"limit": 1})
    assert [p.id for p in intents.data] == [pi2.id]
    assert intents.has_more is True
    assert [
        p.id for p in stripe_client.v1.payment_intents.list(params={"limit": 1}).auto_paging_iter()
    ] == [pi2.id, pi1.id]

    charges = stripe_client.v1.charges.list(params={"payment_intent": pi1.id})
    assert [c.id for c in charges.data] == [ch1.id]
    assert [c.id for c in stripe_client.v1.charges.list(params={"transfer_group": "G1"}).data] == [
        ch2.id,
        ch1.id,
    ]

    expanded = stripe_client.v1.charges.retrieve(
        ch1.id, params={"expand": ["balance_transaction", "payment_intent"]}
    )
    assert expanded.balance_transaction.object == "balance_transaction"
    assert expanded.balance_transaction.amount == 5000
    assert expanded.balance_transaction.type == "charge"
    assert expanded.payment_intent.id == pi1.id

    pm = stripe_client.v1.payment_methods.retrieve(pi1.payment_method)
    assert pm.type == "card"
    assert pm.card.last4 == "4242"


def test_metadata_updates(stripe_client):
    _, pi, charge = paid_session(stripe_client)
    pi = stripe_client.v1.payment_intents.update(pi.id, params={"metadata": {"extra": "1"}})
    assert pi.metadata.to_dict() == {"order": "o1", "extra": "1"}
    charge = stripe_client.v1.charges.update(
        charge.id, params={"metadata": {"order": ""}, "description": "licence 1"}
    )
    assert charge.metadata.to_dict() == {}
    assert charge.description == "licence 1"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.charges.update(charge.id, params={"amount": 1})
    assert caught.value.param == "amount"


def test_unknown_objects_are_404s(stripe_client):
    for call, kind in [
        (lambda: stripe_client.v1.payment_intents.retrieve("pi_nope"), "payment_intent"),
        (lambda: stripe_client.v1.charges.retrieve("ch_nope"), "charge"),
        (lambda: stripe_client.v1.refunds.retrieve("re_nope"), "refund"),
        (lambda: stripe_client.v1.disputes.retrieve("du_nope"), "dispute"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call()
        assert caught.value.http_status == 404
        assert caught.value.code == "resource_missing"
        assert caught.value.user_message.startswith(f"No such {kind}: ")


# --- refunds -------------------------------------------------------------------------------


def test_full_refund_by_payment_intent(stripe_client, stripe_server, webhook_sink):
    _, pi, charge = paid_session(stripe_client, "4000000000000077")
    assert balance(stripe_server) == {"available": 5000, "pending": 0}

    refund = stripe_client.v1.refunds.create(
        params={
            "payment_intent": pi.id,
            "reason": "requested_by_customer",
            "metadata": {"ticket": "T-1"},
        },
        options={"idempotency_key": "refund-o1"},
    )
    assert refund.id.startswith("re_")
    assert refund.object == "refund"
    assert refund.amount == 5000
    assert refund.status == "succeeded"
    assert refund.charge == charge.id
    assert refund.payment_intent == pi.id
    assert refund.reason == "requested_by_customer"
    assert refund.metadata.to_dict() == {"ticket": "T-1"}
    assert refund.currency == "usd"

    charge = stripe_client.v1.charges.retrieve(charge.id)
    assert charge.amount_refunded == 5000
    assert charge.refunded is True
    assert balance(stripe_server) == {"available": 0, "pending": 0}
    txn = stripe_server.store.objects[refund.balance_transaction]
    assert (txn["type"], txn["amount"], txn["source"]) == ("refund", -5000, refund.id)

    # The same key replays the refund instead of refunding twice.
    again = stripe_client.v1.refunds.create(
        params={
            "payment_intent": pi.id,
            "reason": "requested_by_customer",
            "metadata": {"ticket": "T-1"},
        },
        options={"idempotency_key": "refund-o1"},
    )
    assert again.id == refund.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_server.store.all("refund")) == 1

    refunded = webhook_sink.wait_for("charge.refunded")[0]
    assert refunded["data"]["object"]["id"] == charge.id
    assert refunded["data"]["object"]["refunded"] is True
    assert refunded["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    created = webhook_sink.wait_for("refund.created")[0]
    assert created["data"]["object"]["id"] == refund.id
    for delivery in webhook_sink.received:
        stripe.Webhook.construct_event(
            delivery["body"], delivery["headers"]["Stripe-Signature"], webhook_sink.secret
        )

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"charge": charge.id})
    assert caught.value.code == "charge_already_refunded"
    assert caught.value.user_message == f"Charge {charge.id} has already been refunded."


def test_partial_refunds_then_over_refund_is_refused(stripe_client, stripe_server):
    _, pi, charge = paid_session(stripe_client)
    assert balance(stripe_server) == {"available": 0, "pending": 5000}

    first = stripe_client.v1.refunds.create(params={"charge": charge.id, "amount": 1500})
    assert first.amount == 1500
    charge = stripe_client.v1.charges.retrieve(charge.id)
    assert (charge.amount_refunded, charge.refunded) == (1500, False)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"charge": charge.id, "amount": 4000})
    assert caught.value.param == "amount"
    assert caught.value.user_message == (
        "Refund amount ($40.00) is greater than unrefunded amount on charge ($35.00)"
    )

    rest = stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    assert rest.amount == 3500
    charge = stripe_client.v1.charges.retrieve(charge.id)
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    # Refunds come out of the available balance (negative until the charge's funds settle).
    assert balance(stripe_server) == {"available": -5000, "pending": 5000}
    control(stripe_server, "balance/settle")
    assert balance(stripe_server) == {"available": 0, "pending": 0}

    refunds = stripe_client.v1.refunds.list(params={"charge": charge.id})
    assert [r.id for r in refunds.data] == [rest.id, first.id]
    page = stripe_client.v1.refunds.list(params={"payment_intent": pi.id, "limit": 1})
    assert page.has_more is True
    assert [r.id for r in page.auto_paging_iter()] == [rest.id, first.id]

    events = [e.type for e in reversed(stripe_client.v1.events.list(params={"limit": 20}).data)]
    assert events[-4:] == ["charge.refunded", "refund.created", "charge.refunded", "refund.created"]

    updated = stripe_client.v1.refunds.update(first.id, params={"metadata": {"why": "late"}})
    assert updated.metadata.to_dict() == {"why": "late"}


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({}, "charge", None),
        ({"charge": "ch_nope"}, "charge", "resource_missing"),
        ({"payment_intent": "pi_nope"}, "payment_intent", "resource_missing"),
        ({"amount": 0}, "amount", None),
        ({"amount": "lots"}, "amount", None),
        ({"reason": "bored"}, "reason", None),
        ({"surprise": "1"}, "surprise", None),
        ({"reverse_transfer": True}, "reverse_transfer", None),
    ],
)
def test_invalid_refunds(stripe_client, params, param, code):
    _, _, charge = paid_session(stripe_client)
    if params and "charge" not in params and "payment_intent" not in params:
        params = {"charge": charge.id, **params}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params=params)
    assert caught.value.param == param
    assert caught.value.code == code


def test_a_payment_intent_without_a_successful_charge_cannot_be_refunded(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 900,
                        "product_data": {"name": "x"},
                    },
                }
            ],
        }
    )
    fetch(session.url, {"action": "pay", "card_number": "4000000000000002"})
    pi = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"payment_intent": pi})
    assert caught.value.code == "charge_not_refundable"
    failed = stripe_client.v1.payment_intents.retrieve(pi).latest_charge
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"charge": failed})
    assert caught.value.code == "charge_not_refundable"


# --- disputes ------------------------------------------------------------------------------


def test_the_0259_card_is_disputed(stripe_client, stripe_server, webhook_sink):
    _, pi, charge = paid_session(stripe_client, "4000000000000259")

    assert charge.disputed is True
    disputes = stripe_client.v1.disputes.list(params={"charge": charge.id}).data
    assert len(disputes) == 1
    dispute = disputes[0]
    assert dispute.id.startswith("du_")
    assert dispute.object == "dispute"
    assert dispute.status == "needs_response"
    assert dispute.reason == "fraudulent"
    assert (dispute.amount, dispute.currency) == (5000, "usd")
    assert dispute.charge == charge.id
    assert dispute.payment_intent == pi.id
    assert dispute.is_charge_refundable is False
    assert dispute.evidence_details.has_evidence is False
    assert dispute.evidence_details.due_by > dispute.created
    assert [t.amount for t in dispute.balance_transactions] == [-5000]
    assert [d.id for d in stripe_client.v1.disputes.list(params={"payment_intent": pi.id})] == [
        dispute.id
    ]

    # The charge's funds are pending; the dispute takes its amount from the available balance.
    assert balance(stripe_server) == {"available": -5000, "pending": 5000}
    created = webhook_sink.wait_for("charge.dispute.created")[0]
    assert created["data"]["object"]["id"] == dispute.id
    types = [e.type for e in reversed(stripe_client.v1.events.list(params={"limit": 20}).data)]
    assert types == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    ]

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"charge": charge.id})
    assert caught.value.code == "charge_disputed"


def test_closing_a_dispute_loses_it(stripe_client, stripe_server, webhook_sink):
    _, _, charge = paid_session(stripe_client, "4000000000000259")
    dispute = stripe_client.v1.disputes.list().data[0]

    closed = stripe_client.v1.disputes.close(dispute.id)
    assert closed.status == "lost"
    assert balance(stripe_server) == {"available": -5000, "pending": 5000}
    event = webhook_sink.wait_for("charge.dispute.closed")[0]
    assert event["data"]["object"]["status"] == "lost"
    assert event["data"]["previous_attributes"] == {"status": "needs_response"}

    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.disputes.close(dispute.id)
    assert stripe_client.v1.charges.retrieve(charge.id).disputed is True


def test_a_won_dispute_returns_the_funds(stripe_client, stripe_server, webhook_sink):
    paid_session(stripe_client, "4000000000000259")
    dispute = stripe_client.v1.disputes.list().data[0]

    status, _, text = fetch(
        f"{stripe_server.public_url}/_control/disputes/{dispute.id}", {"status": "won"}
    )
    assert status == 200, text
    assert json.loads(text)["status"] == "won"

    dispute = stripe_client.v1.disputes.retrieve(dispute.id)
    assert dispute.status == "won"
    assert [t.amount for t in dispute.balance_transactions] == [-5000, 5000]
    assert balance(stripe_server) == {"available": 0, "pending": 5000}
    webhook_sink.wait_for("charge.dispute.funds_reinstated")
    closed = webhook_sink.wait_for("charge.dispute.closed")[0]
    assert closed["data"]["object"]["status"] == "won"

    status, _, text = fetch(
        f"{stripe_server.public_url}/_control/disputes/{dispute.id}", {"status": "lost"}
    )
    assert status == 400
    assert "already closed" in json.loads(text)["error"]["message"]


def test_the_control_endpoint_settles_a_dispute_as_lost(stripe_client, stripe_server):
    paid_session(stripe_client, "4000000000000259")
    dispute = stripe_client.v1.disputes.list().data[0]
    assert control(stripe_server, f"disputes/{dispute.id}", {"status": "lost"})["status"] == "lost"
    assert balance(stripe_server) == {"available": -5000, "pending": 5000}
    status, _, _ = fetch(
        f"{stripe_server.public_url}/_control/disputes/{dispute.id}", {"status": "maybe"}
    )
    assert status == 400


def test_submitting_evidence_puts_the_dispute_under_review(stripe_client):
    paid_session(stripe_client, "4000000000000259")
    dispute = stripe_client.v1.disputes.list().data[0]
    updated = stripe_client.v1.disputes.update(
        dispute.id,
        params={
            "evidence": {"customer_email_address": "buyer@example.com"},
            "metadata": {"case": "7"},
        },
    )
    assert updated.status == "under_review"
    assert updated.evidence.customer_email_address == "buyer@example.com"
    assert updated.evidence_details.has_evidence is True
    assert updated.evidence_details.submission_count == 1
    assert updated.metadata.to_dict() == {"case": "7"}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.disputes.update(dispute.id, params={"evidence": {"nonsense": "x"}})
    assert caught.value.param == "evidence[nonsense]"
