"""The local Stripe server's core, through the official library: auth, Stripe's form encoding,
idempotency keys, expand, list pagination, error shapes, fault injection, signed webhook
delivery with retries, the events list, loopback binding and the state file."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from devtools.stripe_local.server import DEFAULT_SECRET_KEY, StripeLocal
from devtools.stripe_local.store import Store
from devtools.stripe_local.wire import parse_params
from tests.fixtures.stripe import WebhookSink

from .helpers import control, control_get, fetch


def client_for(server, **options) -> stripe.StripeClient:
    options.setdefault("max_network_retries", 0)
    return stripe.StripeClient(
        options.pop("api_key", DEFAULT_SECRET_KEY),
        base_addresses={"api": server.public_url, "connect": server.public_url},
        **options,
    )


def new_account(client, **metadata) -> stripe.Account:
    return client.v1.accounts.create({"type": "express", "metadata": metadata})


def onboarded_account(server, client) -> stripe.Account:
    account = new_account(client)
    control(server, f"accounts/{account.id}", {"state": "complete"})
    return account


def signed(sink, record) -> stripe.Event:
    return stripe.Webhook.construct_event(
        record["body"], record["headers"]["Stripe-Signature"], sink.secret
    )


# --- transport --------------------------------------------------------------------------


def test_binds_loopback_only(stripe_server):
    assert stripe_server.httpd.server_address[0] == "127.0.0.1"
    assert stripe_server.public_url.startswith("http://127.0.0.1:")


def test_api_key_is_required_and_checked(stripe_server):
    status, headers, text = fetch(f"{stripe_server.public_url}/v1/balance")
    assert status == 401
    assert headers["Content-Type"] == "application/json"
    error = json.loads(text)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("You did not provide an API key.")

    wrong = client_for(stripe_server, api_key="sk_test_not_the_right_key_at_all")
    with pytest.raises(stripe.AuthenticationError) as exc:
        wrong.v1.balance.retrieve()
    assert exc.value.http_status == 401
    assert exc.value.user_message.startswith("Invalid API Key provided: sk_test_")
    assert "not_the_right_key" not in exc.value.user_message  # redacted like Stripe's

    # Hosted pages and the control endpoint need no key.
    assert fetch(f"{stripe_server.public_url}/_control/health")[0] == 200


def test_bracketed_form_parameters():
    assert parse_params(
        "a[b][0][c]=1&a[b][1][c]=2&expand[]=x&expand[]=y&m[k]=v&empty=&list[0]=p&list[1]=q"
    ) == {
        "a": {"b": [{"c": "1"}, {"c": "2"}]},
        "expand": ["x", "y"],
        "m": {"k": "v"},
        "empty": "",
        "list": ["p", "q"],
    }


def test_nested_parameters_through_the_library(stripe_client):
    endpoint = stripe_client.v1.webhook_endpoints.create(
        {
            "url": "https://platform.example/hooks",
            "enabled_events": ["account.updated", "transfer.created"],
            "metadata": {"env": "test", "team": "payments"},
        }
    )
    assert endpoint.enabled_events == ["account.updated", "transfer.created"]
    assert endpoint.metadata.to_dict() == {"env": "test", "team": "payments"}
    assert endpoint.secret.startswith("whsec_")

    account = stripe_client.v1.accounts.create(
        {
            "type": "express",
            "business_type": "individual",
            "business_profile": {"name": "Ada's Studio", "url": "https://ada.example"},
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )
    assert account.business_profile.name == "Ada's Studio"
    assert account.business_profile.url == "https://ada.example"
    assert sorted(account.capabilities.to_dict()) == ["card_payments", "transfers"]


# --- idempotency ------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_response(stripe_client):
    first = new_account(stripe_client, n="1")
    a = stripe_client.v1.accounts.create(
        {"type": "express", "metadata": {"n": "2"}}, {"idempotency_key": "create-acct-2"}
    )
    b = stripe_client.v1.accounts.create(
        {"type": "express", "metadata": {"n": "2"}}, {"idempotency_key": "create-acct-2"}
    )
    assert a.id == b.id != first.id
    assert a.last_response.headers.get("Idempotent-Replayed") is None
    assert b.last_response.headers["Idempotent-Replayed"] == "true"
    assert b.last_response.headers["Idempotency-Key"] == "create-acct-2"
    assert len(stripe_client.v1.accounts.list().data) == 2


def test_idempotency_key_with_other_parameters_is_refused(stripe_client):
    stripe_client.v1.accounts.create(
        {"type": "express", "metadata": {"n": "1"}}, {"idempotency_key": "k-1"}
    )
    with pytest.raises(stripe.IdempotencyError) as exc:
        stripe_client.v1.accounts.create(
            {"type": "express", "metadata": {"n": "other"}}, {"idempotency_key": "k-1"}
        )
    assert exc.value.http_status == 400
    assert "k-1" in exc.value.user_message
    assert len(stripe_client.v1.accounts.list().data) == 1


# --- expand and lists -------------------------------------------------------------------


def test_expand_replaces_ids_with_objects(stripe_server, stripe_client):
    account = onboarded_account(stripe_server, stripe_client)
    control(stripe_server, "balance/topup", {"amount": 900})
    transfer = stripe_client.v1.transfers.create(
        {"amount": 300, "currency": "usd", "destination": account.id}
    )
    assert isinstance(transfer.destination, str)

    got = stripe_client.v1.transfers.retrieve(
        transfer.id, {"expand": ["destination", "balance_transaction"]}
    )
    assert isinstance(got.destination, stripe.Account)
    assert got.destination.id == account.id
    assert got.balance_transaction.object == "balance_transaction"

    listed = stripe_client.v1.transfers.list({"expand": ["data.destination"]})
    assert listed.data[0].destination.object == "account"


def test_list_pagination_with_cursors(stripe_client):
    made = [new_account(stripe_client, n=str(i)).id for i in range(5)]
    newest_first = list(reversed(made))

    page = stripe_client.v1.accounts.list({"limit": 2})
    assert page.object == "list" and page.url == "/v1/accounts"
    assert [a.id for a in page.data] == newest_first[:2] and page.has_more is True
    page = stripe_client.v1.accounts.list({"limit": 2, "starting_after": page.data[-1].id})
    assert [a.id for a in page.data] == newest_first[2:4] and page.has_more is True
    page = stripe_client.v1.accounts.list({"limit": 2, "starting_after": page.data[-1].id})
    assert [a.id for a in page.data] == newest_first[4:] and page.has_more is False

    before = stripe_client.v1.accounts.list({"limit": 2, "ending_before": newest_first[3]})
    assert [a.id for a in before.data] == newest_first[1:3]

    everything = stripe_client.v1.accounts.list({"limit": 2}).auto_paging_iter()
    assert [a.id for a in everything] == newest_first

    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.accounts.list({"limit": 101})
    assert exc.value.param == "limit"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.accounts.list({"starting_after": "acct_unknown"})
    assert exc.value.param == "starting_after"


# --- errors -----------------------------------------------------------------------------


def test_missing_objects_answer_stripes_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.retrieve("tr_missing")
    assert exc.value.http_status == 404
    assert exc.value.code == "resource_missing"
    assert exc.value.param == "id"
    assert exc.value.user_message == "No such transfer: 'tr_missing'"
    assert exc.value.json_body["error"]["type"] == "invalid_request_error"

    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.raw_request("get", "/v1/no_such_resource")
    assert exc.value.http_status == 404
    assert exc.value.user_message == "Unrecognized request URL (GET: /v1/no_such_resource)."


def test_missing_parameter_shape(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.create({"currency": "usd", "destination": "acct_x"})
    assert exc.value.http_status == 400
    assert exc.value.code == "parameter_missing"
    assert exc.value.param == "amount"
    assert exc.value.user_message == "Missing required param: amount."


# --- fault injection --------------------------------------------------------------------


def test_fail_next_500_gives_api_error_once(stripe_server, stripe_client):
    state = control(stripe_server, "faults", {"fail_next": "500"})
    assert state["fail_next"] == ["500"]
    control_get(stripe_server, "health")  # the control endpoint does not consume it
    with pytest.raises(stripe.APIError) as exc:
        stripe_client.v1.balance.retrieve()
    assert exc.value.http_status == 500
    assert exc.value.json_body["error"]["type"] == "api_error"
    assert stripe_client.v1.balance.retrieve().object == "balance"  # consumed


def test_failures_queue_in_order(stripe_server, stripe_client):
    control(stripe_server, "faults", [("fail_next[0]", "500"), ("fail_next[1]", "500")])
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            stripe_client.v1.balance.retrieve()
    assert stripe_client.v1.balance.retrieve().object == "balance"


def test_fail_next_timeout_gives_a_connection_error(stripe_server):
    impatient = client_for(stripe_server, http_client=stripe.RequestsClient(timeout=0.3))
    control(stripe_server, "faults", {"fail_next": "timeout", "timeout_seconds": "1.5"})
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.accounts.create({"type": "express"})
    assert time.monotonic() - started < 1.5
    time.sleep(1.4)  # let the hung request finish on the server
    assert impatient.v1.accounts.list().data == []  # the timed-out call did nothing

    # A per-request header sets the hang too (for clients that can send one).
    control(stripe_server, "faults", {"fail_next": "timeout", "timeout_seconds": "35"})
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.balance.retrieve(options={"headers": {"X-Stripe-Local-Timeout": "0.5"}})


def test_library_retry_after_timeout_creates_once(stripe_server):
    """The library retries a timed-out POST with the same idempotency key: one account."""
    retrying = client_for(
        stripe_server,
        http_client=stripe.RequestsClient(timeout=0.3),
        max_network_retries=2,
    )
    control(stripe_server, "faults", {"fail_next": "timeout", "timeout_seconds": "0.6"})
    account = retrying.v1.accounts.create({"type": "express", "metadata": {"n": "1"}})
    assert account.id.startswith("acct_")
    time.sleep(0.4)
    assert [a.id for a in retrying.v1.accounts.list().data] == [account.id]


def test_duplicate_events_delivers_an_event_twice(stripe_server, stripe_client, webhook_sink):
    account = new_account(stripe_client)
    control(stripe_server, "faults", {"duplicate_events": "1"})
    stripe_client.v1.accounts.update(account.id, {"metadata": {"a": "1"}})
    stripe_client.v1.accounts.update(account.id, {"metadata": {"b": "2"}})

    events = webhook_sink.wait_for("account.updated", 3)
    time.sleep(0.2)
    events = webhook_sink.events("account.updated")
    ids = [e["id"] for e in events]
    assert len(ids) == 3 and len(set(ids)) == 2  # the first one twice, the second once
    assert ids.count(ids[0]) == 2
    for record in webhook_sink.received:
        assert signed(webhook_sink, record).id in ids


def test_held_events_are_released_out_of_order(stripe_server, stripe_client, webhook_sink):
    account = new_account(stripe_client)
    control(stripe_server, "faults", {"hold_events": "true"})
    stripe_client.v1.accounts.update(account.id, {"metadata": {"step": "1"}})
    stripe_client.v1.accounts.update(account.id, {"metadata": {"step": "2"}})
    time.sleep(0.3)
    assert webhook_sink.received == []
    assert control(stripe_server, "faults", {})["held"] == 2

    control(stripe_server, "faults", {"hold_events": "false"})
    events = webhook_sink.wait_for("account.updated", 2)
    steps = [e["data"]["object"]["metadata"]["step"] for e in events]
    assert steps == ["2", "1"]  # newest first: the app sees them out of order
    assert events[0]["created"] >= events[1]["created"]


def test_delay_seconds_delays_delivery(stripe_server, stripe_client, webhook_sink):
    account = new_account(stripe_client)
    control(stripe_server, "faults", {"delay_seconds": "0.6"})
    started = time.monotonic()
    stripe_client.v1.accounts.update(account.id, {"metadata": {"late": "yes"}})
    webhook_sink.wait_for("account.updated")
    assert time.monotonic() - started >= 0.6


def test_failing_endpoint_is_retried_with_backoff(stripe_server, stripe_client, webhook_sink):
    healthy = WebhookSink()  # a second endpoint that always answers 200
    try:
        control(stripe_server, "webhook_endpoints", {"url": healthy.url, "secret": "whsec_healthy"})
        healthy.secret = "whsec_healthy"
        account = new_account(stripe_client)
        webhook_sink.fail_next = 2
        started = time.monotonic()
        stripe_client.v1.accounts.update(account.id, {"metadata": {"x": "1"}})

        (event,) = webhook_sink.wait_for("account.updated")
        elapsed = time.monotonic() - started
        answers = [r["answered"] for r in webhook_sink.received]
        assert answers == [500, 500, 200]
        assert {r["event"]["id"] for r in webhook_sink.received} == {event["id"]}
        assert elapsed >= 0.05 + 0.1  # backoff_base 0.05 s, doubled per attempt
        for record in webhook_sink.received:  # every attempt is freshly and validly signed
            assert signed(webhook_sink, record).id == event["id"]

        healthy.wait_for("account.updated")
        time.sleep(0.2)
        assert len(healthy.received) == 1  # retries go only to the endpoint that failed

        log = control_get(stripe_server, "deliveries")["data"]
        mine = [d for d in log if d["event"] == event["id"] and d["status"] != 200]
        assert [(d["attempt"], d["status"], d["ok"]) for d in mine] == [
            (1, 500, False),
            (2, 500, False),
        ]
    finally:
        healthy.httpd.shutdown()


def test_deliveries_are_signed_like_stripes(stripe_client, webhook_sink):
    new_account(stripe_client)
    account = stripe_client.v1.accounts.list().data[0]
    stripe_client.v1.accounts.update(account.id, {"metadata": {"k": "v"}})
    webhook_sink.wait_for("account.updated")
    record = webhook_sink.received[0]
    header = record["headers"]["Stripe-Signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    assert set(parts) == {"t", "v1"} and abs(int(parts["t"]) - time.time()) < 60

    event = signed(webhook_sink, record)
    assert event.type == "account.updated" and event.object == "event"
    assert event.data.object.id == account.id

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(record["body"], header, "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(record["body"] + b" ", header, webhook_sink.secret)


# --- events -----------------------------------------------------------------------------


def test_events_list_newest_first_with_type_filters(stripe_server, stripe_client):
    account = onboarded_account(stripe_server, stripe_client)  # account + capability events
    control(stripe_server, "balance/topup", {"amount": 1000})
    transfer = stripe_client.v1.transfers.create(
        {"amount": 400, "currency": "usd", "destination": account.id}
    )
    stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 100})

    everything = stripe_client.v1.events.list({"limit": 100}).data
    types = [e.type for e in everything]
    assert types[:2] == ["transfer.reversed", "transfer.created"]
    assert "account.updated" in types
    created = [e.created for e in everything]
    assert created == sorted(created, reverse=True)

    only = stripe_client.v1.events.list({"type": "transfer.created"}).data
    assert [e.data.object.id for e in only] == [transfer.id]
    wildcard = stripe_client.v1.events.list({"type": "transfer.*"}).data
    assert [e.type for e in wildcard] == ["transfer.reversed", "transfer.created"]
    several = stripe_client.v1.events.list({"types": ["account.updated", "transfer.reversed"]})
    assert {e.type for e in several.data} == {"account.updated", "transfer.reversed"}

    one = stripe_client.v1.events.retrieve(only[0].id)
    assert one.type == "transfer.created" and one.api_version
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.events.retrieve("evt_missing")
    assert exc.value.http_status == 404


# --- persistence --------------------------------------------------------------------------


def test_state_file_survives_a_restart(tmp_path):
    path = tmp_path / "stripe-local.json"
    first = StripeLocal(store=Store(path))
    first.serve(0)
    try:
        client = client_for(first)
        account = onboarded_account(first, client)
        control(first, "balance/topup", {"amount": 2000})
        transfer = client.v1.transfers.create(
            {"amount": 500, "currency": "usd", "destination": account.id},
            {"idempotency_key": "pay-1"},
        )
    finally:
        first.shutdown()

    second = StripeLocal(store=Store(path))
    second.serve(0)
    try:
        client = client_for(second)
        assert client.v1.accounts.retrieve(account.id).charges_enabled is True
        assert client.v1.transfers.retrieve(transfer.id).amount == 500
        assert client.v1.balance.retrieve().available[0].amount == 1500
        again = client.v1.transfers.create(
            {"amount": 500, "currency": "usd", "destination": account.id},
            {"idempotency_key": "pay-1"},
        )
        assert again.id == transfer.id  # idempotency keys outlive the restart too
        assert client.v1.balance.retrieve().available[0].amount == 1500
        assert client.v1.events.list({"type": "transfer.created"}).data[0].data.object.id == (
            transfer.id
        )
    finally:
        second.shutdown()


def test_reset_clears_state_and_faults(stripe_server, stripe_client):
    new_account(stripe_client)
    control(stripe_server, "faults", {"fail_next": "500", "delay_seconds": "2"})
    control(stripe_server, "reset")
    state = control(stripe_server, "faults", {})
    assert state["fail_next"] == [] and state["delay_seconds"] == 0
    assert stripe_client.v1.accounts.list().data == []
