"""Connect on the local Stripe server, driven by the official library: Express accounts, account
links and the hosted onboarding flow, requirements, balances, transfers and reversals."""

from __future__ import annotations

import re

import pytest
import stripe

from .helpers import control, fake_charge, fetch


def express(client: stripe.StripeClient, **extra) -> stripe.Account:
    params = {
        "type": "express",
        "email": "creator@example.com",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "metadata": {"user_id": "42"},
    }
    params.update(extra)
    return client.v1.accounts.create(params)


@pytest.fixture
def onboarded(stripe_server, stripe_client) -> stripe.Account:
    account = express(stripe_client)
    control(stripe_server, f"accounts/{account.id}", {"state": "complete"})
    return stripe_client.v1.accounts.retrieve(account.id)


def balance(client, account: str | None = None, currency: str = "usd") -> dict:
    options = {"stripe_account": account} if account else {}
    body = client.v1.balance.retrieve(options=options)
    avail = {b.currency: b.amount for b in body.available}
    pend = {b.currency: b.amount for b in body.pending}
    return {"available": avail.get(currency, 0), "pending": pend.get(currency, 0)}


def link_for(client, account_id: str, sink_url: str = "http://127.0.0.1:9/platform") -> dict:
    return client.v1.account_links.create(
        {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": f"{sink_url}/refresh",
            "return_url": f"{sink_url}/return",
        }
    )


def verified(sink, event_type: str, count: int = 1) -> list[stripe.Event]:
    """The deliveries of `event_type`, each checked with the library's signature check."""
    sink.wait_for(event_type, count)
    with sink.lock:
        records = [
            r for r in sink.received if r["answered"] == 200 and r["event"]["type"] == event_type
        ]
    return [
        stripe.Webhook.construct_event(r["body"], r["headers"]["Stripe-Signature"], sink.secret)
        for r in records
    ]


# --- accounts -----------------------------------------------------------------------------


def test_express_account_has_stripes_shape(stripe_client):
    account = express(stripe_client, business_type="individual")

    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert account.type == "express"
    assert account.country == "US"
    assert account.default_currency == "usd"
    assert account.email == "creator@example.com"
    assert account.metadata.to_dict() == {"user_id": "42"}
    assert account.livemode is False
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    reqs = account.requirements
    for field in ("external_account", "individual.dob.day", "tos_acceptance.date"):
        assert field in reqs.currently_due
    assert reqs.past_due == reqs.currently_due
    assert set(reqs.currently_due) <= set(reqs.eventually_due)
    assert reqs.disabled_reason == "requirements.past_due"
    assert reqs.pending_verification == []
    assert account.controller.stripe_dashboard.type == "express"
    assert account.external_accounts.data == []


def test_account_country_sets_default_currency(stripe_client):
    assert express(stripe_client, country="de").default_currency == "eur"
    assert express(stripe_client, country="GB").default_currency == "gbp"


def test_account_create_rejects_what_it_does_not_implement(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.accounts.create({"type": "standard"})
    assert exc.value.param == "type"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.accounts.create(
            {"type": "express", "capabilities": {"card_payments": {"requested": True}}}
        )
    assert exc.value.param == "capabilities"


def test_retrieve_update_list_delete_account(stripe_client, webhook_sink):
    account = express(stripe_client)
    assert stripe_client.v1.accounts.retrieve(account.id).id == account.id

    updated = stripe_client.v1.accounts.update(
        account.id, {"metadata": {"plan": "pro", "user_id": ""}}
    )
    assert updated.metadata.to_dict() == {"plan": "pro"}  # merged; "" deletes a key
    (event,) = verified(webhook_sink, "account.updated")
    assert event.account == account.id
    assert event.data.previous_attributes.to_dict()["metadata"] == {"user_id": "42", "plan": None}

    other = express(stripe_client)
    listed = stripe_client.v1.accounts.list({"limit": 10})
    assert [a.id for a in listed.data] == [other.id, account.id]

    deleted = stripe_client.v1.accounts.delete(account.id)
    assert deleted.deleted is True and deleted.id == account.id
    with pytest.raises(stripe.PermissionError) as exc:
        stripe_client.v1.accounts.retrieve(account.id)
    assert exc.value.http_status == 403
    assert exc.value.error.code == "account_invalid"
    assert [a.id for a in stripe_client.v1.accounts.list().data] == [other.id]


# --- account links and onboarding ----------------------------------------------------------


def test_account_link_shape(stripe_server, stripe_client):
    account = express(stripe_client)
    link = link_for(stripe_client, account.id)
    assert link.object == "account_link"
    assert link.expires_at - link.created == 300
    assert re.fullmatch(
        re.escape(stripe_server.public_url) + r"/connect/onboarding/acctlink_\w+", link.url
    )

    with pytest.raises(stripe.InvalidRequestError) as exc:
        link_for(stripe_client, "acct_missing")
    assert exc.value.code == "resource_missing" and exc.value.param == "account"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.account_links.create({"account": account.id})
    assert exc.value.code == "parameter_missing" and exc.value.param == "type"


def test_completing_onboarding_enables_the_account_and_sends_account_updated(
    stripe_client, webhook_sink
):
    account = express(stripe_client)
    link = link_for(stripe_client, account.id, "https://platform.example")

    status, _, page = fetch(link.url)
    assert status == 200
    assert "TEST MODE" in page and account.id in page
    for label in (
        "Complete onboarding",
        "Leave without finishing",
        "Complete with payouts still pending verification",
    ):
        assert label in page

    status, headers, _ = fetch(link.url, {"action": "complete"})
    assert status == 303
    assert headers["Location"] == "https://platform.example/return"

    done = stripe_client.v1.accounts.retrieve(account.id)
    assert (done.details_submitted, done.charges_enabled, done.payouts_enabled) == (
        True,
        True,
        True,
    )
    assert done.requirements.currently_due == []
    assert done.requirements.past_due == []
    assert done.requirements.disabled_reason is None
    assert done.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert done.external_accounts.data[0].last4 == "6789"

    (event,) = verified(webhook_sink, "account.updated")
    assert event.account == account.id
    assert event.data.object.id == account.id
    assert event.data.object.charges_enabled is True
    previous = event.data.previous_attributes.to_dict()
    assert previous["charges_enabled"] is False
    assert previous["payouts_enabled"] is False
    assert previous["details_submitted"] is False
    assert previous["capabilities"] == {"card_payments": "inactive", "transfers": "inactive"}
    assert "external_account" in previous["requirements"]["currently_due"]
    capability_events = verified(webhook_sink, "capability.updated", 2)
    assert {e.data.object.id for e in capability_events} == {"card_payments", "transfers"}
    assert all(e.account == account.id for e in capability_events)


def test_leaving_onboarding_returns_without_changes(stripe_server, stripe_client):
    account = express(stripe_client)
    link = link_for(stripe_client, account.id, "https://platform.example")
    assert fetch(link.url)[0] == 200
    status, headers, _ = fetch(link.url, {"action": "abandon"})
    # Stripe sends the user to return_url whether they finished or left early.
    assert status == 303 and headers["Location"] == "https://platform.example/return"
    after = stripe_client.v1.accounts.retrieve(account.id)
    assert after.details_submitted is False and after.charges_enabled is False
    assert after.requirements.currently_due == account.requirements.currently_due
    assert stripe_client.v1.events.list({"type": "account.updated"}).data == []


def test_payouts_pending_verification(stripe_client):
    account = express(stripe_client)
    link = link_for(stripe_client, account.id)
    fetch(link.url)
    assert fetch(link.url, {"action": "pending_verification"})[0] == 303
    after = stripe_client.v1.accounts.retrieve(account.id)
    assert after.details_submitted is True
    assert after.charges_enabled is True
    assert after.payouts_enabled is False
    assert after.requirements.currently_due == []
    assert after.requirements.pending_verification == ["individual.verification.document"]
    assert after.requirements.disabled_reason == "requirements.pending_verification"


def test_links_are_single_use_and_expire(stripe_server, stripe_client):
    account = express(stripe_client)
    link = link_for(stripe_client, account.id, "https://platform.example")
    assert fetch(link.url)[0] == 200
    # Visited once: Stripe sends a second visit to refresh_url.
    status, headers, _ = fetch(link.url)
    assert status == 303 and headers["Location"] == "https://platform.example/refresh"
    assert fetch(link.url, {"action": "complete"})[0] == 303
    status, headers, _ = fetch(link.url, {"action": "complete"})
    assert status == 303 and headers["Location"] == "https://platform.example/refresh"

    stale = link_for(stripe_client, account.id, "https://platform.example")
    control(stripe_server, "clock", {"advance_seconds": 301})
    status, headers, _ = fetch(stale.url)
    assert status == 303 and headers["Location"] == "https://platform.example/refresh"

    without_refresh = stripe_client.v1.account_links.create(
        {"account": account.id, "type": "account_onboarding"}
    )
    fetch(without_refresh.url)
    status, _, page = fetch(without_refresh.url)
    assert status == 410 and "already been used" in page
    assert fetch(f"{stripe_server.public_url}/connect/onboarding/acctlink_nope")[0] == 404


# --- requirements control -----------------------------------------------------------------


def test_control_moves_requirements_and_sends_account_updated(
    stripe_server, stripe_client, onboarded, webhook_sink
):
    body = control(stripe_server, f"accounts/{onboarded.id}", {"state": "requirements_due"})
    assert body["payouts_enabled"] is True
    assert body["requirements"]["currently_due"] == ["individual.verification.document"]
    assert body["requirements"]["current_deadline"] > onboarded.created

    control(stripe_server, f"accounts/{onboarded.id}", {"state": "restricted"})
    account = stripe_client.v1.accounts.retrieve(onboarded.id)
    assert account.payouts_enabled is False and account.charges_enabled is False
    assert account.requirements.past_due == ["individual.verification.document"]
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.capabilities.transfers == "inactive"

    control(
        stripe_server,
        f"accounts/{onboarded.id}",
        [
            ("payouts_enabled", "true"),
            ("currently_due[0]", "external_account"),
            ("disabled_reason", ""),
            ("capabilities[transfers]", "active"),
        ],
    )
    account = stripe_client.v1.accounts.retrieve(onboarded.id)
    assert account.payouts_enabled is True
    assert account.requirements.currently_due == ["external_account"]
    assert account.requirements.disabled_reason is None
    assert account.capabilities.transfers == "active"

    events = verified(webhook_sink, "account.updated", 3)  # due, restricted, manual
    assert all(e.account == onboarded.id for e in events)
    restricted = next(e for e in events if e.data.object.payouts_enabled is False)
    assert restricted.data.previous_attributes["payouts_enabled"] is True


# --- balance ------------------------------------------------------------------------------


def test_balance_of_platform_and_connected_account(stripe_server, stripe_client, onboarded):
    empty = stripe_client.v1.balance.retrieve()
    assert empty.object == "balance" and empty.livemode is False
    assert empty.available[0].amount == 0 and empty.available[0].currency == "usd"

    control(stripe_server, "balance/topup", {"amount": 5000, "currency": "usd"})
    fake_charge(stripe_server, 1200)
    platform = stripe_client.v1.balance.retrieve()
    assert platform.available[0].amount == 5000
    assert platform.available[0].source_types.to_dict() == {"card": 5000}
    assert platform.pending[0].amount == 1200
    assert balance(stripe_client, onboarded.id) == {"available": 0, "pending": 0}

    control(stripe_server, "balance/settle")
    assert balance(stripe_client) == {"available": 6200, "pending": 0}

    with pytest.raises(stripe.PermissionError):
        stripe_client.v1.balance.retrieve(options={"stripe_account": "acct_missing"})


# --- transfers ----------------------------------------------------------------------------


def test_transfer_lifecycle(stripe_server, stripe_client, onboarded, webhook_sink):
    control(stripe_server, "balance/topup", {"amount": 10000})
    transfer = stripe_client.v1.transfers.create(
        {
            "amount": 2500,
            "currency": "usd",
            "destination": onboarded.id,
            "transfer_group": "ORDER_7",
            "description": "Licence fee",
            "metadata": {"payout_id": "p1"},
        }
    )
    assert transfer.id.startswith("tr_")
    assert transfer.object == "transfer"
    assert (transfer.amount, transfer.amount_reversed, transfer.reversed) == (2500, 0, False)
    assert transfer.currency == "usd" and transfer.destination == onboarded.id
    assert transfer.destination_payment.startswith("py_")
    assert transfer.transfer_group == "ORDER_7"
    assert transfer.source_transaction is None
    assert transfer.metadata.to_dict() == {"payout_id": "p1"}
    assert transfer.balance_transaction.startswith("txn_")
    assert transfer.reversals.object == "list" and transfer.reversals.data == []
    assert transfer.reversals.has_more is False
    assert transfer.reversals.url == f"/v1/transfers/{transfer.id}/reversals"

    assert balance(stripe_client) == {"available": 7500, "pending": 0}
    assert balance(stripe_client, onboarded.id) == {"available": 2500, "pending": 0}

    (event,) = verified(webhook_sink, "transfer.created")
    assert event.data.object.id == transfer.id
    assert "account" not in event.to_dict()  # a platform event

    assert stripe_client.v1.transfers.retrieve(transfer.id).amount == 2500
    updated = stripe_client.v1.transfers.update(transfer.id, {"metadata": {"note": "x"}})
    assert updated.metadata.to_dict() == {"payout_id": "p1", "note": "x"}
    (update_event,) = verified(webhook_sink, "transfer.updated")
    assert update_event.data.previous_attributes.to_dict() == {"metadata": {"note": None}}

    second = express(stripe_client)
    control(stripe_server, f"accounts/{second.id}", {"state": "complete"})
    other = stripe_client.v1.transfers.create(
        {"amount": 100, "currency": "usd", "destination": second.id}
    )
    assert [t.id for t in stripe_client.v1.transfers.list().data] == [other.id, transfer.id]
    by_destination = stripe_client.v1.transfers.list({"destination": onboarded.id})
    assert [t.id for t in by_destination.data] == [transfer.id]
    by_group = stripe_client.v1.transfers.list({"transfer_group": "ORDER_7"})
    assert [t.id for t in by_group.data] == [transfer.id]

    expanded = stripe_client.v1.transfers.retrieve(
        transfer.id, {"expand": ["destination", "balance_transaction"]}
    )
    assert expanded.destination.id == onboarded.id
    assert expanded.balance_transaction.amount == -2500
    assert expanded.balance_transaction.type == "transfer"


def test_transfer_larger_than_available_balance_fails_like_stripe(
    stripe_server, stripe_client, onboarded
):
    control(stripe_server, "balance/topup", {"amount": 1000})
    fake_charge(stripe_server, 5000)  # pending: not spendable without source_transaction
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.create(
            {"amount": 1001, "currency": "usd", "destination": onboarded.id}
        )
    assert exc.value.http_status == 400
    assert exc.value.code == "balance_insufficient"
    assert exc.value.user_message.startswith(
        "You have insufficient available funds in your Stripe account."
    )
    assert exc.value.json_body["error"]["type"] == "invalid_request_error"
    assert stripe_client.v1.transfers.list().data == []
    assert balance(stripe_client) == {"available": 1000, "pending": 5000}
    assert balance(stripe_client, onboarded.id) == {"available": 0, "pending": 0}

    ok = stripe_client.v1.transfers.create(
        {"amount": 1000, "currency": "usd", "destination": onboarded.id}
    )
    assert ok.amount == 1000


def test_transfer_needs_an_onboarded_existing_destination(stripe_server, stripe_client):
    control(stripe_server, "balance/topup", {"amount": 1000})
    fresh = express(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.create(
            {"amount": 100, "currency": "usd", "destination": fresh.id}
        )
    assert exc.value.code == "insufficient_capabilities_for_transfer"
    assert "transfers, crypto_transfers, legacy_payments" in exc.value.user_message

    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.create(
            {"amount": 100, "currency": "usd", "destination": "acct_nope"}
        )
    assert exc.value.code == "resource_missing" and exc.value.param == "destination"

    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.create({"amount": 100, "currency": "usd"})
    assert exc.value.code == "parameter_missing" and exc.value.param == "destination"


def test_source_transaction_draws_on_the_charge_before_it_settles(
    stripe_server, stripe_client, onboarded
):
    charge = fake_charge(stripe_server, 5000)  # pending on the platform
    assert balance(stripe_client) == {"available": 0, "pending": 5000}

    first = stripe_client.v1.transfers.create(
        {
            "amount": 3000,
            "currency": "usd",
            "destination": onboarded.id,
            "source_transaction": charge["id"],
        }
    )
    assert first.source_transaction == charge["id"]
    # The funds follow the charge: pending on both sides until it settles.
    assert balance(stripe_client) == {"available": 0, "pending": 2000}
    assert balance(stripe_client, onboarded.id) == {"available": 0, "pending": 3000}

    with pytest.raises(stripe.InvalidRequestError) as exc:  # only 2000 of the charge left
        stripe_client.v1.transfers.create(
            {
                "amount": 2500,
                "currency": "usd",
                "destination": onboarded.id,
                "source_transaction": charge["id"],
            }
        )
    assert exc.value.code == "balance_insufficient"

    stripe_client.v1.transfers.create(
        {
            "amount": 2000,
            "currency": "usd",
            "destination": onboarded.id,
            "source_transaction": charge["id"],
        }
    )
    assert balance(stripe_client) == {"available": 0, "pending": 0}

    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.create(
            {
                "amount": 10,
                "currency": "usd",
                "destination": onboarded.id,
                "source_transaction": "ch_missing",
            }
        )
    assert exc.value.param == "source_transaction"

    control(stripe_server, "balance/settle")
    assert balance(stripe_client, onboarded.id) == {"available": 5000, "pending": 0}


def test_source_transaction_of_an_available_charge(stripe_server, stripe_client, onboarded):
    charge = fake_charge(stripe_server, 800, available=True)  # card 4000000000000077
    stripe_client.v1.transfers.create(
        {
            "amount": 800,
            "currency": "usd",
            "destination": onboarded.id,
            "source_transaction": charge["id"],
        }
    )
    assert balance(stripe_client) == {"available": 0, "pending": 0}
    assert balance(stripe_client, onboarded.id) == {"available": 800, "pending": 0}


# --- reversals ----------------------------------------------------------------------------


def test_reversal_lifecycle(stripe_server, stripe_client, onboarded, webhook_sink):
    control(stripe_server, "balance/topup", {"amount": 3000})
    transfer = stripe_client.v1.transfers.create(
        {"amount": 3000, "currency": "usd", "destination": onboarded.id}
    )

    partial = stripe_client.v1.transfers.reversals.create(
        transfer.id, {"amount": 1000, "metadata": {"reason": "refund"}}
    )
    assert partial.id.startswith("trr_")
    assert partial.object == "transfer_reversal"
    assert (partial.amount, partial.currency, partial.transfer) == (1000, "usd", transfer.id)
    assert partial.metadata.to_dict() == {"reason": "refund"}
    assert partial.balance_transaction.startswith("txn_")
    assert partial.destination_payment_refund.startswith("pyr_")
    assert partial.source_refund is None

    after = stripe_client.v1.transfers.retrieve(transfer.id)
    assert (after.amount_reversed, after.reversed) == (1000, False)
    assert [r.id for r in after.reversals.data] == [partial.id]
    assert after.reversals.has_more is False
    assert balance(stripe_client) == {"available": 1000, "pending": 0}
    assert balance(stripe_client, onboarded.id) == {"available": 2000, "pending": 0}

    (event,) = verified(webhook_sink, "transfer.reversed")
    assert event.data.object.id == transfer.id
    assert event.data.object.amount_reversed == 1000
    assert event.data.previous_attributes.to_dict() == {"amount_reversed": 0}

    rest = stripe_client.v1.transfers.reversals.create(transfer.id)  # the remaining 2000
    assert rest.amount == 2000
    final = stripe_client.v1.transfers.retrieve(transfer.id)
    assert (final.amount_reversed, final.reversed) == (3000, True)
    assert balance(stripe_client) == {"available": 3000, "pending": 0}
    events = verified(webhook_sink, "transfer.reversed", 2)
    assert events[-1].data.previous_attributes.to_dict() == {
        "amount_reversed": 1000,
        "reversed": False,
    }

    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 1})

    listed = stripe_client.v1.transfers.reversals.list(transfer.id)
    assert [r.id for r in listed.data] == [rest.id, partial.id]
    fetched = stripe_client.v1.transfers.reversals.retrieve(transfer.id, partial.id)
    assert fetched.amount == 1000
    changed = stripe_client.v1.transfers.reversals.update(
        transfer.id, partial.id, {"metadata": {"ticket": "T-1"}}
    )
    assert changed.metadata.to_dict() == {"reason": "refund", "ticket": "T-1"}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.reversals.retrieve(transfer.id, "trr_missing")
    assert exc.value.http_status == 404


def test_reversal_cannot_exceed_the_transfer(stripe_server, stripe_client, onboarded):
    control(stripe_server, "balance/topup", {"amount": 500})
    transfer = stripe_client.v1.transfers.create(
        {"amount": 500, "currency": "usd", "destination": onboarded.id}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 501})
    assert exc.value.param == "amount"


def test_reversal_is_limited_by_the_connected_accounts_balance(
    stripe_server, stripe_client, onboarded
):
    control(stripe_server, "balance/topup", {"amount": 3000})
    transfer = stripe_client.v1.transfers.create(
        {"amount": 3000, "currency": "usd", "destination": onboarded.id}
    )
    # The creator was paid out 2500 of it (a payout, which this server does not model).
    stripe_server.store.move(onboarded.id, "usd", available=-2500)

    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 1000})
    assert exc.value.code == "balance_insufficient"
    assert stripe_client.v1.transfers.retrieve(transfer.id).amount_reversed == 0
    assert balance(stripe_client) == {"available": 0, "pending": 0}

    stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 500})
    assert balance(stripe_client, onboarded.id) == {"available": 0, "pending": 0}
    assert balance(stripe_client) == {"available": 500, "pending": 0}


def test_reversing_a_source_transaction_transfer_before_settlement(
    stripe_server, stripe_client, onboarded
):
    charge = fake_charge(stripe_server, 4000)
    transfer = stripe_client.v1.transfers.create(
        {
            "amount": 4000,
            "currency": "usd",
            "destination": onboarded.id,
            "source_transaction": charge["id"],
        }
    )
    stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 1500})
    assert balance(stripe_client, onboarded.id) == {"available": 0, "pending": 2500}
    assert balance(stripe_client) == {"available": 0, "pending": 1500}


def test_transfer_with_idempotency_key_moves_money_once(stripe_server, stripe_client, onboarded):
    control(stripe_server, "balance/topup", {"amount": 1000})
    params = {"amount": 700, "currency": "usd", "destination": onboarded.id}
    first = stripe_client.v1.transfers.create(params, {"idempotency_key": "payout-1"})
    again = stripe_client.v1.transfers.create(params, {"idempotency_key": "payout-1"})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(stripe_client.v1.transfers.list().data) == 1
    assert balance(stripe_client) == {"available": 300, "pending": 0}


def test_checkout_payment_then_transfer_from_its_charge(stripe_server, stripe_client, onboarded):
    """The platform's real flow: a buyer pays through Checkout (pending funds), the platform
    pays the creator at once from that charge, and the funds settle later."""
    session = stripe_client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 2000,
                        "product_data": {"name": "Training licence"},
                    },
                }
            ],
            "success_url": "https://platform.example/paid",
            "payment_intent_data": {"transfer_group": "ORDER_1"},
        }
    )
    status, _, _ = fetch(session.url, {"action": "pay", "card_number": "4242424242424242"})
    assert status == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    intent = stripe_client.v1.payment_intents.retrieve(paid.payment_intent)
    assert balance(stripe_client) == {"available": 0, "pending": 2000}

    with pytest.raises(stripe.InvalidRequestError) as exc:  # pending funds: not spendable
        stripe_client.v1.transfers.create(
            {"amount": 1500, "currency": "usd", "destination": onboarded.id}
        )
    assert exc.value.code == "balance_insufficient"

    transfer = stripe_client.v1.transfers.create(
        {
            "amount": 1500,
            "currency": "usd",
            "destination": onboarded.id,
            "source_transaction": intent.latest_charge,
            "transfer_group": "ORDER_1",
        }
    )
    assert transfer.source_transaction == intent.latest_charge
    assert balance(stripe_client) == {"available": 0, "pending": 500}
    assert balance(stripe_client, onboarded.id) == {"available": 0, "pending": 1500}

    control(stripe_server, "balance/settle")
    assert balance(stripe_client) == {"available": 500, "pending": 0}
    assert balance(stripe_client, onboarded.id) == {"available": 1500, "pending": 0}
    txn = stripe_client.v1.charges.retrieve(
        intent.latest_charge, {"expand": ["balance_transaction"]}
    ).balance_transaction
    assert txn.status == "available"
