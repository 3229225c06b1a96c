"""Checkout Sessions on the local Stripe server, driven by the official library; payments go
through the hosted test page's form (POSTed with urllib, as a browser would)."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from tests.devtools.helpers import control, fetch

SUCCESS = "http://merchant.test/done?session={CHECKOUT_SESSION_ID}"
CANCEL = "http://merchant.test/basket"


def session_params(**overrides) -> dict:
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1250,
                    "product_data": {
                        "name": "Training licence: Harbour at dusk",
                        "description": "Non-exclusive, 12 months",
                        "metadata": {"work_id": "w_1"},
                    },
                },
            },
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 500,
                    "product_data": {"name": "Attribution pack"},
                },
            },
        ],
        "metadata": {"order_id": "ord_42"},
        "client_reference_id": "buyer-7",
        "customer_email": "buyer@example.com",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "payment_intent_data": {
            "metadata": {"order_id": "ord_42", "kind": "licence"},
            "transfer_group": "ORDER_42",
        },
    }
    params.update(overrides)
    return params


def create(client: stripe.StripeClient, **overrides):
    return client.v1.checkout.sessions.create(params=session_params(**overrides))


def pay(session, card: str = "4242 4242 4242 4242", **form):
    """Submit the hosted page's form: (status, headers, html)."""
    return fetch(session.url, {"action": "pay", "card_number": card, **form})


def event_types(client, since: int = 0) -> list[str]:
    events = client.v1.events.list(params={"limit": 100}).data
    return [e.type for e in reversed(events)][since:]


# --- creation and reading ------------------------------------------------------------------


def test_create_session_has_stripes_shape(stripe_client, stripe_server):
    before = int(time.time())
    session = create(stripe_client)

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.livemode is False
    assert session.mode == "payment"
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.amount_subtotal == session.amount_total == 2 * 1250 + 500
    assert session.currency == "eur"
    assert session.metadata.to_dict() == {"order_id": "ord_42"}
    assert session.client_reference_id == "buyer-7"
    assert session.customer_email == "buyer@example.com"
    assert session.success_url == SUCCESS  # the placeholder is kept until the redirect
    assert session.cancel_url == CANCEL
    assert session.url == f"{stripe_server.public_url}/pay/{session.id}"
    # Since API version 2022-08-01 the PaymentIntent only exists once the customer pays.
    assert session.payment_intent is None
    assert before + 24 * 3600 <= session.expires_at <= int(time.time()) + 24 * 3600
    assert session.payment_method_types == ["card"]
    assert "line_items" not in session  # only when expanded

    again = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert again.to_dict() == session.to_dict()


def test_line_items_listed_in_order_and_expandable(stripe_client):
    session = create(stripe_client)

    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert [i.description for i in items.data] == [
        "Training licence: Harbour at dusk",
        "Attribution pack",
    ]
    first = items.data[0]
    assert first.id.startswith("li_")
    assert first.object == "item"
    assert (first.quantity, first.amount_subtotal, first.amount_total) == (2, 2500, 2500)
    assert first.price.object == "price"
    assert first.price.unit_amount == 1250
    assert first.price.type == "one_time"
    assert first.price.product.startswith("prod_")

    page = stripe_client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 1})
    assert page.has_more is True and len(page.data) == 1
    rest = stripe_client.v1.checkout.sessions.line_items.list(
        session.id, params={"limit": 1, "starting_after": page.data[0].id}
    )
    assert rest.has_more is False
    assert rest.data[0].description == "Attribution pack"

    expanded = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items.data.price.product"]}
    )
    product = expanded.line_items.data[0].price.product
    assert product.object == "product"
    assert product.name == "Training licence: Harbour at dusk"
    assert product.description == "Non-exclusive, 12 months"
    assert product.metadata.to_dict() == {"work_id": "w_1"}


def test_expires_at_bounds(stripe_client):
    now = int(time.time())
    session = create(stripe_client, expires_at=now + 3600)
    assert session.expires_at == now + 3600

    with pytest.raises(stripe.InvalidRequestError) as too_soon:
        create(stripe_client, expires_at=now + 600)
    assert too_soon.value.param == "expires_at"
    assert "30 minutes" in too_soon.value.user_message

    with pytest.raises(stripe.InvalidRequestError) as too_late:
        create(stripe_client, expires_at=now + 25 * 3600)
    assert too_late.value.param == "expires_at"
    assert "24 hours" in too_late.value.user_message


@pytest.mark.parametrize(
    ("overrides", "param", "code"),
    [
        ({"mode": "subscription"}, "mode", None),
        ({"mode": "setup"}, "mode", None),
        ({"mode": "donation"}, "mode", None),
        ({"mode": None}, "mode", "parameter_missing"),
        ({"line_items": None}, "line_items", "parameter_missing"),
        (
            {"line_items": [{"price_data": {"currency": "eur", "unit_amount": 100}}]},
            "line_items[0][quantity]",
            "parameter_missing",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {"currency": "eur", "product_data": {"name": "x"}},
                    }
                ]
            },
            "line_items[0][price_data][unit_amount]",
            "parameter_missing",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 0,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 100,
                            "product_data": {"name": "x"},
                        },
                    }
                ]
            },
            "line_items[0][quantity]",
            None,
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 100,
                            "product_data": {"name": "x"},
                            "recurring": {"interval": "month"},
                        },
                    }
                ]
            },
            "line_items[0][price_data][recurring]",
            None,
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 20,
                            "product_data": {"name": "too cheap"},
                        },
                    }
                ]
            },
            "line_items",
            None,
        ),
        ({"success_url": "not a url"}, "success_url", None),
        ({"customer_email": "nobody"}, "customer_email", None),
        ({"allow_promotion_codes": True}, "allow_promotion_codes", None),
        (
            {"payment_intent_data": {"capture_method": "manual"}},
            "payment_intent_data[capture_method]",
            None,
        ),
    ],
)
def test_invalid_sessions_are_refused_with_stripes_error_shape(
    stripe_client, overrides, param, code
):
    params = session_params(**overrides)
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(params=params)
    error = caught.value
    assert error.http_status == 400
    assert error.error.type == "invalid_request_error"
    assert error.param == param
    assert error.code == code
    assert error.user_message


def test_mixed_currencies_are_refused(stripe_client):
    items = session_params()["line_items"]
    items[1]["price_data"]["currency"] = "usd"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create(stripe_client, line_items=items)
    assert caught.value.param == "line_items[1]"


def test_unknown_session_is_a_404_with_resource_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "id"
    assert caught.value.user_message == "No such checkout.session: 'cs_test_nope'"


def test_a_wrong_key_is_refused(stripe_server):
    client = stripe.StripeClient(
        "sk_test_wrong_key_123456",
        base_addresses={"api": stripe_server.public_url},
        max_network_retries=0,
    )
    with pytest.raises(stripe.AuthenticationError):
        client.v1.checkout.sessions.create(params=session_params())


# --- idempotency ---------------------------------------------------------------------------


def test_same_idempotency_key_and_params_replays_the_same_session(stripe_client, stripe_server):
    options = {"idempotency_key": "order-42-attempt-1"}
    first = stripe_client.v1.checkout.sessions.create(params=session_params(), options=options)
    second = stripe_client.v1.checkout.sessions.create(params=session_params(), options=options)

    assert second.id == first.id
    assert second.to_dict() == first.to_dict()
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert len(stripe_server.store.all("checkout.session")) == 1
    assert len(stripe_server.store.all("item")) == 2


def test_same_idempotency_key_with_other_params_is_an_idempotency_error(stripe_client):
    options = {"idempotency_key": "order-43"}
    stripe_client.v1.checkout.sessions.create(params=session_params(), options=options)
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="someone-else"), options=options
        )
    assert caught.value.http_status == 400
    assert "order-43" in caught.value.user_message


def test_a_refused_request_is_replayed_as_the_same_error(stripe_client, stripe_server):
    options = {"idempotency_key": "bad-once"}
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.checkout.sessions.create(
                params=session_params(mode="subscription"), options=options
            )
        assert caught.value.param == "mode"
    assert stripe_server.store.all("checkout.session") == []


# --- paying on the hosted page -------------------------------------------------------------


def test_paying_with_4242_completes_the_session(stripe_client, stripe_server):
    session = create(stripe_client)
    status, headers, _ = pay(session, name="Ada Lovelace")

    assert status == 303
    assert headers["Location"] == f"http://merchant.test/done?session={session.id}"

    session = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert session.status == "complete"
    assert session.payment_status == "paid"
    assert session.url is None  # only present while the session is open
    assert session.customer_details.email == "buyer@example.com"
    assert session.customer_details.name == "Ada Lovelace"

    pi = session.payment_intent
    assert pi.id.startswith("pi_")
    assert pi.status == "succeeded"
    assert (pi.amount, pi.amount_received, pi.currency) == (3000, 3000, "eur")
    assert pi.metadata.to_dict() == {"order_id": "ord_42", "kind": "licence"}  # payment_intent_data
    assert pi.transfer_group == "ORDER_42"
    assert pi.last_payment_error is None
    assert pi.payment_method.startswith("pm_")

    charge = pi.latest_charge
    assert charge.id.startswith("ch_")
    assert charge.paid is True and charge.captured is True
    assert charge.status == "succeeded"
    assert (charge.amount, charge.amount_captured, charge.amount_refunded) == (3000, 3000, 0)
    assert charge.refunded is False and charge.disputed is False
    assert charge.payment_intent == pi.id
    assert charge.transfer_group == "ORDER_42"
    assert charge.metadata.to_dict() == pi.metadata.to_dict()
    assert charge.balance_transaction.startswith("txn_")
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.payment_method_details.card.brand == "visa"
    assert charge.outcome.type == "authorized"

    txn = stripe_server.store.objects[charge.balance_transaction]
    assert (txn["type"], txn["status"], txn["amount"], txn["source"]) == (
        "charge",
        "pending",
        3000,
        charge.id,
    )
    assert stripe_server.store.balance(None, "eur") == {"available": 0, "pending": 3000}
    assert event_types(stripe_client) == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = stripe_client.v1.events.list(params={"type": "checkout.session.completed"}).data[0]
    assert completed.data.object.id == session.id
    assert completed.data.object.payment_status == "paid"
    assert completed.data.object.payment_intent == pi.id
    assert completed.data.object.metadata.to_dict() == {"order_id": "ord_42"}


def test_4000000000000077_makes_the_funds_available_at_once(stripe_client, stripe_server):
    session = create(stripe_client)
    status, _, _ = pay(session, "4000000000000077")
    assert status == 303
    assert stripe_server.store.balance(None, "eur") == {"available": 3000, "pending": 0}


@pytest.mark.parametrize(
    ("card", "decline_code", "message"),
    [
        ("4000000000000002", "generic_decline", "Your card was declined."),
        ("4000000000009995", "insufficient_funds", "Your card has insufficient funds."),
    ],
)
def test_a_declined_card_leaves_the_session_open(
    stripe_client, stripe_server, card, decline_code, message
):
    session = create(stripe_client)
    status, _, html = pay(session, card)

    assert status == 402
    assert message in html
    assert 'data-testid="pay-form"' in html  # the customer can try again

    session = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.url is not None
    pi = session.payment_intent
    assert pi.status == "requires_payment_method"
    error = pi.last_payment_error
    assert error.type == "card_error"
    assert error.code == "card_declined"
    assert error.decline_code == decline_code
    assert error.message == message
    charge = stripe_client.v1.charges.retrieve(error.charge)
    assert charge.status == "failed"
    assert charge.paid is False
    assert charge.failure_code == "card_declined"
    assert charge.outcome.reason == decline_code
    assert charge.balance_transaction is None
    assert stripe_server.store.balance(None, "eur") == {"available": 0, "pending": 0}
    assert event_types(stripe_client) == [
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
    ]
    failed = stripe_client.v1.events.list(params={"type": "payment_intent.payment_failed"})
    assert failed.data[0].data.object.last_payment_error.decline_code == decline_code

    # A second attempt reuses the PaymentIntent, as Checkout does.
    status, _, _ = pay(session, "4242424242424242")
    assert status == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert paid.payment_intent == pi.id
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert event_types(stripe_client, since=3) == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]


@pytest.mark.parametrize(
    ("card", "message"),
    [("", "incomplete"), ("4242 4242 4242 4241", "invalid"), ("abcd", "invalid")],
)
def test_a_malformed_card_number_is_refused_before_any_payment(stripe_client, card, message):
    session = create(stripe_client)
    status, _, html = pay(session, card)
    assert status == 400
    assert f"Your card number is {message}." in html
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent is None
    assert event_types(stripe_client) == []


def test_a_real_card_number_is_declined_in_test_mode(stripe_client):
    session = create(stripe_client)
    status, _, html = pay(session, "4111 1111 1111 1111")
    assert status == 402
    assert "non test (live) card" in html
    pi = stripe_client.v1.payment_intents.retrieve(
        stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    )
    assert pi.last_payment_error.decline_code == "test_mode_live_card"


def test_a_completed_session_cannot_be_paid_again(stripe_client, stripe_server):
    session = create(stripe_client)
    assert pay(session)[0] == 303
    status, _, html = pay(session)
    assert status == 409
    assert "complete" in html
    assert len(stripe_server.store.all("charge")) == 1

    status, _, html = fetch(session.url)
    assert status == 200
    assert 'data-testid="session-complete"' in html
    assert 'data-testid="pay-form"' not in html


def test_without_success_url_the_page_confirms_the_payment(stripe_client):
    params = session_params()
    del params["success_url"]
    session = stripe_client.v1.checkout.sessions.create(params=params)
    status, _, html = pay(session)
    assert status == 200
    assert 'data-testid="session-complete"' in html


def test_cancel_returns_to_cancel_url_and_leaves_the_session_open(stripe_client):
    session = create(stripe_client)
    status, _, html = fetch(session.url)
    assert f'href="{CANCEL}"' in html

    status, headers, _ = fetch(session.url, {"action": "cancel"})
    assert status == 303
    assert headers["Location"] == CANCEL
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"


# --- expiry --------------------------------------------------------------------------------


def test_expire_endpoint(stripe_client, webhook_sink):
    session = create(stripe_client)
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert expired.payment_status == "unpaid"
    assert expired.url is None

    event = webhook_sink.wait_for("checkout.session.expired")[0]
    assert event["data"]["object"]["id"] == session.id
    assert event["data"]["object"]["status"] == "expired"

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert caught.value.user_message == (
        'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
        "Session has a status of `expired`."
    )

    status, _, html = pay(session)
    assert status == 409
    assert 'data-testid="session-expired"' in html


def test_a_completed_session_cannot_be_expired(stripe_client):
    session = create(stripe_client)
    pay(session)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert "status of `complete`" in caught.value.user_message


def test_expiring_after_a_declined_attempt_cancels_the_payment_intent(stripe_client):
    session = create(stripe_client)
    pay(session, "4000000000000002")
    stripe_client.v1.checkout.sessions.expire(session.id)
    session = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert session.payment_intent.status == "canceled"
    assert session.payment_intent.cancellation_reason == "abandoned"
    assert event_types(stripe_client)[-2:] == [
        "payment_intent.canceled",
        "checkout.session.expired",
    ]


def test_sessions_expire_when_the_clock_passes_expires_at(stripe_client, stripe_server):
    now = int(time.time())
    short = create(stripe_client, expires_at=now + 3600)
    default = create(stripe_client)

    control(stripe_server, "clock", {"advance_seconds": 1800})
    assert stripe_client.v1.checkout.sessions.retrieve(short.id).status == "open"

    control(stripe_server, "clock", {"advance_seconds": 1900})
    assert stripe_client.v1.checkout.sessions.retrieve(short.id).status == "expired"
    assert stripe_client.v1.checkout.sessions.retrieve(default.id).status == "open"
    assert event_types(stripe_client) == ["checkout.session.expired"]

    control(stripe_server, "clock", {"advance_seconds": 24 * 3600})
    assert stripe_client.v1.checkout.sessions.retrieve(default.id).status == "expired"
    expired = stripe_client.v1.events.list(params={"type": "checkout.session.expired"}).data
    assert {e.data.object.id for e in expired} == {short.id, default.id}


def test_let_it_expire_button(stripe_client):
    session = create(stripe_client)
    status, headers, _ = fetch(session.url, {"action": "expire"})
    assert status == 303
    assert headers["Location"] == f"/pay/{session.id}"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    _, _, html = fetch(session.url)
    assert "has expired" in html


# --- lists ---------------------------------------------------------------------------------


def test_list_sessions_paginates_and_filters(stripe_client):
    created = [create(stripe_client, client_reference_id=f"c{i}") for i in range(5)]
    newest_first = [s.id for s in reversed(created)]

    first = stripe_client.v1.checkout.sessions.list(params={"limit": 2})
    assert first.object == "list"
    assert first.url == "/v1/checkout/sessions"
    assert [s.id for s in first.data] == newest_first[:2]
    assert first.has_more is True
    second = stripe_client.v1.checkout.sessions.list(
        params={"limit": 2, "starting_after": first.data[-1].id}
    )
    assert [s.id for s in second.data] == newest_first[2:4]
    assert second.has_more is True
    last = stripe_client.v1.checkout.sessions.list(
        params={"limit": 2, "starting_after": second.data[-1].id}
    )
    assert [s.id for s in last.data] == newest_first[4:]
    assert last.has_more is False
    back = stripe_client.v1.checkout.sessions.list(
        params={"limit": 2, "ending_before": last.data[0].id}
    )
    assert [s.id for s in back.data] == newest_first[2:4]
    assert back.has_more is True

    everything = stripe_client.v1.checkout.sessions.list(params={"limit": 2})
    assert [s.id for s in everything.auto_paging_iter()] == newest_first

    pay(created[1])
    paid = stripe_client.v1.checkout.sessions.retrieve(created[1].id)
    by_pi = stripe_client.v1.checkout.sessions.list(params={"payment_intent": paid.payment_intent})
    assert [s.id for s in by_pi.data] == [paid.id]
    complete = stripe_client.v1.checkout.sessions.list(params={"status": "complete"})
    assert [s.id for s in complete.data] == [paid.id]


def test_session_metadata_can_be_updated(stripe_client):
    session = create(stripe_client)
    updated = stripe_client.v1.checkout.sessions.update(
        session.id, params={"metadata": {"order_id": "", "note": "hi"}}
    )
    assert updated.metadata.to_dict() == {"note": "hi"}


# --- accounts ------------------------------------------------------------------------------


def test_a_session_on_a_connected_account_is_its_own(stripe_client, stripe_server):
    account = stripe_server.store.create("account", {"type": "express"})
    session = stripe_client.v1.checkout.sessions.create(
        params=session_params(), options={"stripe_account": account["id"]}
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.retrieve(session.id)  # as the platform
    assert caught.value.http_status == 404

    assert pay(session)[0] == 303
    assert stripe_server.store.balance(account["id"], "eur")["pending"] == 3000
    assert stripe_server.store.balance(None, "eur")["pending"] == 0
    mine = stripe_client.v1.checkout.sessions.retrieve(
        session.id, options={"stripe_account": account["id"]}
    )
    assert mine.status == "complete"
    completed = stripe_client.v1.events.list(params={"type": "checkout.session.completed"})
    assert completed.data[0].account == account["id"]


# --- webhooks ------------------------------------------------------------------------------


def test_every_event_is_delivered_signed(stripe_client, webhook_sink):
    session = create(stripe_client)
    pay(session, "4000000000000002")
    pay(session, "4242424242424242")
    webhook_sink.wait_for("checkout.session.completed")

    expected = [
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    received = webhook_sink.received
    assert [r["event"]["type"] for r in received] == expected
    for delivery in received:
        header = delivery["headers"]["Stripe-Signature"]
        assert header.startswith("t=") and ",v1=" in header
        event = stripe.Webhook.construct_event(delivery["body"], header, webhook_sink.secret)
        assert event.id.startswith("evt_")
        assert event.type == delivery["event"]["type"]

    completed = received[-1]
    tampered = json.loads(completed["body"])
    tampered["data"]["object"]["amount_total"] = 1
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            json.dumps(tampered).encode(),
            completed["headers"]["Stripe-Signature"],
            webhook_sink.secret,
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            completed["body"], completed["headers"]["Stripe-Signature"], "whsec_other"
        )
