"""The local Stripe server answers what Stripe answers, by Stripe's own word: a whole run (checkout,
refunds, disputes, Connect onboarding, transfers and reversals, events) driven through the
official library, every body the server sent checked against the response schema of its
operation in Stripe's published OpenAPI description (spec3.json), every webhook event against
`event` and its `data.object` against that object's schema, every error against `error`.

It prints a table of operations × valid / invalid bodies, and which operations under the
resources the project uses the server does not serve."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import stripe
from stripe._object_classes import get_object_class

from devtools.stripe_local.server import DEFAULT_SECRET_KEY

from .helpers import control, fetch
from .openapi import StripeSpec, served_operations, spec_dir

# The resources the project's code calls (payouts/stripe_gateway.py, payouts/services/connect.py,
# payouts/services/, marketplace/services/) and the ones those lead to.
RESOURCES = [
    "/v1/checkout/sessions",
    "/v1/payment_intents",
    "/v1/payment_methods",
    "/v1/charges",
    "/v1/refunds",
    "/v1/disputes",
    "/v1/account",
    "/v1/accounts",
    "/v1/account_links",
    "/v1/balance",
    "/v1/balance_transactions",
    "/v1/transfers",
    "/v1/events",
    "/v1/webhook_endpoints",
]
# What the project's own code calls: each must be served and exercised here.
PROJECT_OPERATIONS = {
    "POST /v1/checkout/sessions",
    "GET /v1/checkout/sessions/{session}",
    "POST /v1/checkout/sessions/{session}/expire",
    "POST /v1/refunds",
    "GET /v1/refunds",
    "POST /v1/refunds/{refund}",
    "GET /v1/charges",
    "GET /v1/disputes",
    "GET /v1/disputes/{dispute}",
    "POST /v1/accounts",
    "GET /v1/accounts/{account}",
    "POST /v1/account_links",
    "GET /v1/balance",
    "POST /v1/transfers",
    "GET /v1/transfers",
    "GET /v1/transfers/{transfer}",
    "GET /v1/transfers/{id}/reversals",
    "POST /v1/transfers/{id}/reversals",
}
# What a Connect platform like ours needs next; served and checked too.
CONNECT_OPERATIONS = {
    "POST /v1/accounts/{account}/login_links",
    "GET /v1/accounts/{account}/capabilities",
    "GET /v1/accounts/{account}/capabilities/{capability}",
    "GET /v1/accounts/{account}/external_accounts",
    "GET /v1/accounts/{account}/external_accounts/{id}",
    "GET /v1/balance_transactions",
    "GET /v1/balance_transactions/{id}",
}


@pytest.fixture(scope="module")
def spec() -> StripeSpec:
    directory = spec_dir()
    if directory is None:
        if os.environ.get("CI"):
            pytest.fail(
                "Stripe's OpenAPI description (shared/stripe-openapi/spec3.json) is missing"
            )
        pytest.skip("no shared/stripe-openapi/spec3.json beside the work tree")
    return StripeSpec(directory)


# --- recording what the server sent -----------------------------------------------------------


@dataclass
class Exchange:
    method: str
    path: str
    expand: list[str]
    status: int
    body: str
    expected_error: str | None  # the error code or type the scenario asked for


class RecordingHTTPClient(stripe.HTTPClient):
    """The library's own HTTP client, keeping every answer's raw body."""

    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.inner = stripe.new_default_http_client()
        self.exchanges: list[Exchange] = []
        self.expecting: str | None = None

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        content, status, response_headers = self.inner.request(method, url, headers, post_data)
        parts = urllib.parse.urlsplit(url)
        encoded = parts.query if method in ("get", "delete") else (post_data or b"")
        if isinstance(encoded, bytes):
            encoded = encoded.decode()
        expand = [v for k, v in urllib.parse.parse_qsl(encoded) if k.startswith("expand[")]
        text = content.decode() if isinstance(content, bytes) else content
        self.exchanges.append(
            Exchange(method.upper(), parts.path, expand, status, text, self.expecting)
        )
        return content, status, response_headers

    def close(self) -> None:
        self.inner.close()


@dataclass
class Run:
    """The scenario's state: the client, the server, what it made along the way."""

    server: object
    client: stripe.StripeClient
    http: RecordingHTTPClient
    made: dict = field(default_factory=dict)
    extra_errors: list[tuple[str, dict]] = field(default_factory=list)

    def fails(self, expected: str, call) -> stripe.StripeError:
        """Run `call`, which must fail with the error code (or type) `expected`."""
        self.http.expecting = expected
        try:
            call()
        except stripe.StripeError as exc:
            # The library leaves `code` unset on 403s; the error object has it.
            error = exc.error
            assert expected in (exc.code, error.code, error.type), (error, str(exc))
            return exc
        finally:
            self.http.expecting = None
        raise AssertionError(f"expected a {expected} error")

    def acting_as(self, account: str) -> dict:
        return {"stripe_account": account}


def pay(session, card: str = "4242424242424242") -> None:
    status, _, text = fetch(session.url, {"action": "pay", "card_number": card})
    assert status in (303, 402), text


def session_params(amount: int = 5000, **extra) -> dict:
    return {
        "mode": "payment",
        "success_url": "https://assent.test/checkout/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://assent.test/checkout/cancel",
        "client_reference_id": "order-1",
        "customer_email": "buyer@example.com",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": amount,
                    "product_data": {"name": "Dataset licence", "metadata": {"dataset": "d1"}},
                },
            }
        ],
        "metadata": {"order_id": "o1"},
        "payment_intent_data": {"metadata": {"order_id": "o1"}, "transfer_group": "order-1"},
        **extra,
    }


# --- the scenario, step by step ----------------------------------------------------------------


def checkout(run: Run) -> None:
    v1 = run.client.v1
    options = {"idempotency_key": "order-1-checkout-1"}
    session = v1.checkout.sessions.create(session_params(), options=options)
    v1.checkout.sessions.create(session_params(), options=options)  # replayed
    run.fails(
        "idempotency_error",
        lambda: v1.checkout.sessions.create(
            session_params(client_reference_id="order-2"), options=options
        ),
    )
    pay(session)
    v1.checkout.sessions.retrieve(session.id)
    v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items", "payment_intent.latest_charge"]}
    )
    v1.checkout.sessions.line_items.list(session.id, params={"limit": 1})
    v1.checkout.sessions.update(session.id, params={"metadata": {"note": "paid"}})
    run.made["pi"] = v1.checkout.sessions.retrieve(session.id).payment_intent

    paid_now = v1.checkout.sessions.create(session_params(8000))
    pay(paid_now, "4000000000000077")
    run.made["pi_available"] = v1.checkout.sessions.retrieve(paid_now.id).payment_intent

    declined = v1.checkout.sessions.create(session_params(1200))
    pay(declined, "4000000000000002")
    declined = v1.checkout.sessions.retrieve(declined.id, params={"expand": ["payment_intent"]})
    # A declined card reaches the library as this error on a confirm call: check it as one.
    run.extra_errors.append(
        (
            "card declined (payment_intent.last_payment_error)",
            {"error": declined.payment_intent.last_payment_error.to_dict()},
        )
    )
    v1.checkout.sessions.expire(declined.id)
    run.fails("resource_missing", lambda: v1.checkout.sessions.retrieve("cs_test_nope"))

    list(v1.checkout.sessions.list(params={"limit": 2}).auto_paging_iter())
    v1.checkout.sessions.list(params={"payment_intent": run.made["pi"]})


def payments(run: Run) -> None:
    v1 = run.client.v1
    pi = v1.payment_intents.retrieve(run.made["pi"])
    v1.payment_intents.retrieve(pi.id, params={"expand": ["latest_charge", "payment_method"]})
    v1.payment_intents.update(pi.id, params={"metadata": {"seen": "1"}})
    list(v1.payment_intents.list(params={"limit": 2}).auto_paging_iter())
    run.made["charge"] = pi.latest_charge
    now = int(time.time())
    # As payouts/stripe_gateway.py reads them for reconciliation.
    charges = v1.charges.list(
        params={
            "limit": 100,
            "created": {"gte": now - 3600, "lte": now + 3600},
            "expand": ["data.payment_intent"],
        }
    )
    list(charges.auto_paging_iter())
    list(v1.charges.list(params={"limit": 1}).auto_paging_iter())
    v1.charges.retrieve(pi.latest_charge, params={"expand": ["balance_transaction"]})
    v1.charges.update(pi.latest_charge, params={"description": "Dataset licence, order 1"})
    v1.payment_methods.retrieve(pi.payment_method)


def refunds(run: Run) -> None:
    v1 = run.client.v1
    charge = run.made["charge"]
    options = {"idempotency_key": "refund-order-1-1"}
    partial = v1.refunds.create(
        params={"charge": charge, "amount": 1000, "metadata": {"order_id": "o1"}},
        options=options,
    )
    v1.refunds.create(
        params={"charge": charge, "amount": 1000, "metadata": {"order_id": "o1"}},
        options=options,
    )
    run.fails(
        "idempotency_error",
        lambda: v1.refunds.create(params={"charge": charge, "amount": 900}, options=options),
    )
    v1.refunds.create(params={"payment_intent": run.made["pi"], "reason": "requested_by_customer"})
    run.fails("charge_already_refunded", lambda: v1.refunds.create(params={"charge": charge}))
    run.fails("resource_missing", lambda: v1.refunds.create(params={"charge": "ch_nope"}))
    list(v1.refunds.list(params={"charge": charge, "limit": 1}).auto_paging_iter())
    v1.refunds.list(params={"limit": 100})
    v1.refunds.retrieve(partial.id, params={"expand": ["charge"]})
    v1.refunds.update(partial.id, params={"metadata": {"ledger": "posted"}})
    v1.charges.retrieve(charge)
    v1.charges.retrieve(charge, params={"expand": ["refunds"]})
    run.client.raw_request("get", f"/v1/charges/{charge}/refunds")


def disputes(run: Run) -> None:
    v1 = run.client.v1
    for card in ("4000000000000259", "4000000000000259"):
        pay(v1.checkout.sessions.create(session_params(3000)), card)
    first, second = v1.disputes.list(params={"limit": 2}).data
    list(v1.disputes.list(params={"limit": 1}).auto_paging_iter())
    v1.disputes.retrieve(first.id)
    v1.disputes.retrieve(first.id, params={"expand": ["charge"]})
    v1.disputes.update(
        first.id,
        params={"evidence": {"uncategorized_text": "Licence delivered"}, "submit": False},
    )
    v1.disputes.update(first.id, params={"evidence": {"product_description": "Dataset"}})
    control(run.server, f"disputes/{first.id}", {"status": "won"})
    v1.disputes.close(second.id)
    v1.disputes.retrieve(first.id)
    run.fails("resource_missing", lambda: v1.disputes.retrieve("du_nope"))


def connect(run: Run) -> None:
    v1 = run.client.v1
    params = {
        "type": "express",
        "country": "US",
        "email": "creator@example.com",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "business_type": "individual",
        "metadata": {"user_id": "7"},
    }
    account = v1.accounts.create(params, options={"idempotency_key": "payout-account-7"})
    v1.accounts.create(params, options={"idempotency_key": "payout-account-7"})
    v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://assent.test/studio/payouts/refresh",
            "return_url": "https://assent.test/studio/payouts/return",
        }
    )
    v1.accounts.retrieve(account.id)
    control(run.server, f"accounts/{account.id}", {"state": "complete"})
    v1.accounts.retrieve(account.id)
    v1.accounts.update(
        account.id,
        params={"metadata": {"tier": "pro"}, "business_profile": {"url": "https://x.test"}},
    )
    pending = v1.accounts.create({"type": "express", "country": "FR"})
    control(run.server, f"accounts/{pending.id}", {"state": "pending_verification"})
    v1.accounts.retrieve(pending.id)
    gone = v1.accounts.create({"type": "express"})
    v1.accounts.delete(gone.id)
    list(v1.accounts.list(params={"limit": 1}).auto_paging_iter())
    v1.accounts.retrieve_current()
    v1.accounts.retrieve_current(options=run.acting_as(account.id))
    run.fails("account_invalid", lambda: v1.accounts.retrieve("acct_nope"))
    v1.balance.retrieve()
    v1.balance.retrieve(options=run.acting_as(account.id))
    run.made["account"] = account.id


def connect_next(run: Run) -> None:
    """What an Express platform reaches for after onboarding."""
    v1, account = run.client.v1, run.made["account"]
    v1.accounts.login_links.create(account)
    capabilities = v1.accounts.capabilities.list(account)
    v1.accounts.capabilities.retrieve(account, capabilities.data[0].id)
    run.fails("resource_missing", lambda: v1.accounts.capabilities.retrieve(account, "tax"))
    banks = v1.accounts.external_accounts.list(account)
    v1.accounts.external_accounts.list(account, params={"object": "bank_account", "limit": 1})
    v1.accounts.external_accounts.retrieve(account, banks.data[0].id)
    run.fails(
        "resource_missing", lambda: v1.accounts.external_accounts.retrieve(account, "ba_nope")
    )


def transfers(run: Run) -> None:
    v1, account = run.client.v1, run.made["account"]
    control(run.server, "balance/topup", {"amount": 100000, "currency": "usd"})
    params = {
        "amount": 2500,
        "currency": "usd",
        "destination": account,
        "transfer_group": "payout-run-1",
        "metadata": {"payout_line": "1"},
    }
    transfer = v1.transfers.create(params, options={"idempotency_key": "payout-line-1"})
    v1.transfers.create(params, options={"idempotency_key": "payout-line-1"})
    charge = v1.payment_intents.retrieve(run.made["pi_available"]).latest_charge
    sourced = v1.transfers.create(
        {"amount": 3000, "currency": "usd", "destination": account, "source_transaction": charge}
    )
    run.fails(
        "balance_insufficient",
        lambda: v1.transfers.create(
            {"amount": 10_000_000, "currency": "usd", "destination": account}
        ),
    )
    list(v1.transfers.list(params={"destination": account, "limit": 1}).auto_paging_iter())
    v1.transfers.list(params={"transfer_group": "payout-run-1"})
    v1.transfers.retrieve(transfer.id)
    v1.transfers.retrieve(transfer.id, params={"expand": ["destination", "balance_transaction"]})
    v1.transfers.update(transfer.id, params={"description": "Payout run 1"})
    reversal = v1.transfers.reversals.create(
        transfer.id, params={"amount": 500}, options={"idempotency_key": "recover-1"}
    )
    v1.transfers.reversals.create(
        transfer.id, params={"amount": 500}, options={"idempotency_key": "recover-1"}
    )
    v1.transfers.reversals.create(transfer.id, params={"amount": 700})
    list(v1.transfers.reversals.list(transfer.id, params={"limit": 1}).auto_paging_iter())
    v1.transfers.reversals.retrieve(transfer.id, reversal.id)
    v1.transfers.reversals.update(transfer.id, reversal.id, params={"metadata": {"why": "claim"}})
    v1.transfers.retrieve(transfer.id)
    # The connected account refunds a payment of its own; what is left cannot cover a reversal.
    direct = v1.checkout.sessions.create(session_params(5000), options=run.acting_as(account))
    pay(direct)
    pi = v1.checkout.sessions.retrieve(direct.id, options=run.acting_as(account)).payment_intent
    v1.refunds.create(params={"payment_intent": pi}, options=run.acting_as(account))
    v1.balance.retrieve(options=run.acting_as(account))
    run.fails("balance_insufficient", lambda: v1.transfers.reversals.create(sourced.id, params={}))
    run.fails("resource_missing", lambda: v1.transfers.retrieve("tr_nope"))
    run.made["transfer"] = transfer.id


def balance_transactions(run: Run) -> None:
    v1, account = run.client.v1, run.made["account"]
    txns = v1.balance_transactions.list(params={"limit": 3})
    list(txns.auto_paging_iter())
    v1.balance_transactions.list(params={"type": "transfer"})
    v1.balance_transactions.list(params={"source": run.made["charge"]})
    v1.balance_transactions.list(params={"type": "payment"}, options=run.acting_as(account))
    run.fails(
        "resource_missing", lambda: v1.balance_transactions.list(params={"payout": "po_nope"})
    )
    v1.balance_transactions.retrieve(txns.data[0].id, params={"expand": ["source"]})
    run.fails("resource_missing", lambda: v1.balance_transactions.retrieve("txn_nope"))


def events(run: Run) -> None:
    v1 = run.client.v1
    listed = v1.events.list(params={"limit": 5})
    list(v1.events.list(params={"type": "charge.*", "limit": 3}).auto_paging_iter())
    v1.events.list(params={"types": ["transfer.created", "transfer.reversed"]})
    v1.events.retrieve(listed.data[0].id)
    endpoint = v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/webhooks/stripe/", "enabled_events": ["charge.refunded"]}
    )
    v1.webhook_endpoints.list()
    v1.webhook_endpoints.retrieve(endpoint.id)
    v1.webhook_endpoints.update(endpoint.id, params={"disabled": True})
    v1.webhook_endpoints.delete(endpoint.id)
    run.fails("resource_missing", lambda: v1.events.retrieve("evt_nope"))
    wrong_key = stripe.StripeClient(
        "sk_test_wrong_key_0000",
        base_addresses={"api": run.server.public_url},
        http_client=run.http,
        max_network_retries=0,
    )
    run.http.expecting = "invalid_request_error"
    with pytest.raises(stripe.AuthenticationError):
        wrong_key.v1.balance.retrieve()
    run.http.expecting = None


STEPS = [
    checkout,
    payments,
    refunds,
    disputes,
    connect,
    connect_next,
    transfers,
    balance_transactions,
    events,
]


# --- checking ----------------------------------------------------------------------------------


@dataclass
class Tally:
    valid: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, problems: list[str], where: str) -> None:
        if problems:
            self.invalid += 1
            self.problems.extend(f"{where}: {p}" for p in problems[:4])
        else:
            self.valid += 1


def check_exchange(spec: StripeSpec, exchange: Exchange) -> tuple[str, list[str]]:
    operation = spec.operation_for(exchange.method, exchange.path)
    body = json.loads(exchange.body)
    if operation is not None:
        name = operation.name
    else:
        template = re.sub(r"/[a-z]+_(test_)?[0-9a-zA-Z]{16,}", "/{id}", exchange.path)
        name = f"{exchange.method} {template} (not in spec {spec.version})"
    problems: list[str] = []
    if exchange.status >= 400:
        problems = spec.errors(spec.ref("error"), body)
        if exchange.expected_error is None:
            problems.append(f"answered {exchange.status}: {body.get('error', {}).get('message')}")
        elif exchange.expected_error not in (body["error"].get("code"), body["error"]["type"]):
            problems.append(f"expected {exchange.expected_error}, got {body['error']}")
        return f"{name} → error", problems
    if exchange.expected_error is not None:
        return name, [f"answered {exchange.status}, expected {exchange.expected_error}"]
    if operation is not None and operation.response is not None:
        problems = spec.errors(operation.response, body)
    else:  # served beyond this spec version: check the object it returns
        schema = spec.schema_by_object.get(body.get("object"))
        problems = spec.errors(spec.ref(schema), body) if schema else ["unknown object"]
    problems += spec.unexpanded_objects(body, exchange.expand)
    problems += spec.missing_new_fields(body, library_reads)
    # The spec leaves an event's `data.object` open: check it against its own object's schema.
    listed = body.get("data") if body.get("object") == "list" else [body]
    for i, item in enumerate(listed or []):
        if isinstance(item, dict) and item.get("object") == "event":
            problems += [f"event {i}: {p}" for p in check_event(spec, item)]
    return name, problems


def library_reads(object_name: str) -> set[str]:
    """The attributes the installed `stripe` library declares on this object's class."""
    names: set[str] = set()
    for cls in get_object_class("V1", object_name).__mro__:
        names |= set(getattr(cls, "__annotations__", {}))
    return names


def check_event(spec: StripeSpec, event: dict) -> list[str]:
    problems = spec.errors(spec.ref("event"), event)
    obj = event["data"]["object"]
    schema = spec.schema_by_object.get(obj.get("object"))
    if schema is None:
        return [*problems, f"data.object: unknown object {obj.get('object')!r}"]
    problems += [f"data.object{p}" for p in spec.errors(spec.ref(schema), obj)]
    return problems + spec.missing_new_fields(obj, library_reads)


def wait_for_deliveries(server, sink, timeout: float = 15.0) -> list[dict]:
    expected = {e["id"] for e in server.store.all("event")}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivered = {e["id"]: e for e in sink.events()}
        if expected <= set(delivered):
            return list(delivered.values())
        time.sleep(0.05)
    raise AssertionError(f"{len(expected - set(delivered))} events were not delivered")


def print_report(spec, tallies, coverage, served, out) -> None:
    width = max(len(name) for name in tallies) + 2
    print(f"\nStripe OpenAPI {spec.version}: bodies answered by devtools/stripe_local", file=out)
    print(f"{'operation':<{width}}{'valid':>6}{'invalid':>8}", file=out)
    for name in sorted(tallies):
        tally = tallies[name]
        print(f"{name:<{width}}{tally.valid:>6}{tally.invalid:>8}", file=out)
    valid = sum(t.valid for t in tallies.values())
    invalid = sum(t.invalid for t in tallies.values())
    print(f"{'total':<{width}}{valid:>6}{invalid:>8}", file=out)
    for name, tally in sorted(tallies.items()):
        for problem in tally.problems[:6]:
            print(f"  ✗ {name}: {problem}", file=out)
    unserved = [op.name for op in coverage if op.name not in served]
    print(
        f"\nServed: {len(coverage) - len(unserved)} of the {len(coverage)} operations under "
        f"{', '.join(RESOURCES)}. Not served:",
        file=out,
    )
    for name in unserved:
        print(f"  - {name}", file=out)


def conformance(spec, server, sink) -> tuple[dict[str, Tally], list[str]]:
    http = RecordingHTTPClient()
    client = stripe.StripeClient(
        DEFAULT_SECRET_KEY,
        base_addresses={"api": server.public_url, "connect": server.public_url},
        http_client=http,
        max_network_retries=0,
    )
    run = Run(server, client, http)
    for step in STEPS:
        step(run)
    tallies: dict[str, Tally] = defaultdict(Tally)
    exercised = set()
    for exchange in http.exchanges:
        name, problems = check_exchange(spec, exchange)
        tallies[name].add(problems, exchange.path)
        exercised.add(name.removesuffix(" → error"))
    for label, body in run.extra_errors:
        tallies[label].add(spec.errors(spec.ref("error"), body), "error body")
    for event in wait_for_deliveries(server, sink):
        tallies[f"webhook {event['type']}"].add(check_event(spec, event), event["id"])
    return tallies, sorted(exercised)


def test_every_body_the_local_server_sends_fits_stripes_openapi(
    spec, stripe_server, webhook_sink, capsys
):
    tallies, exercised = conformance(spec, stripe_server, webhook_sink)
    coverage = spec.operations_under(RESOURCES)
    served = served_operations(stripe_server, coverage)
    with capsys.disabled():
        print_report(spec, tallies, coverage, served, sys.stdout)

    assert {name: t.problems for name, t in tallies.items() if t.invalid} == {}
    assert served >= PROJECT_OPERATIONS | CONNECT_OPERATIONS
    assert set(exercised) >= PROJECT_OPERATIONS | CONNECT_OPERATIONS
    assert sum(t.valid for t in tallies.values()) > 150


# --- the checks themselves ---------------------------------------------------------------------

SERVED_OBJECTS = [
    "account",
    "account_link",
    "balance",
    "balance_transaction",
    "bank_account",
    "capability",
    "charge",
    "checkout.session",
    "dispute",
    "event",
    "item",
    "login_link",
    "payment_intent",
    "payment_method",
    "price",
    "product",
    "refund",
    "transfer",
    "transfer_reversal",
    "webhook_endpoint",
]


def test_stripes_own_examples_fit_the_converted_schemas(spec):
    """The converted schemas accept what Stripe itself published beside the spec."""
    examples = json.loads((spec.directory / "fixtures3.json").read_text())["resources"]
    problems = {
        name: spec.errors(spec.ref(name), examples[name])
        for name in SERVED_OBJECTS
        if name in examples
    }
    assert {name: found for name, found in problems.items() if found} == {}
    assert len(problems) >= 15


def test_the_checks_refuse_what_stripe_would_not_send(spec):
    examples = json.loads((spec.directory / "fixtures3.json").read_text())["resources"]
    charge = {**examples["charge"], "status": "done", "transfer": None}
    del charge["paid"]
    assert spec.errors(spec.ref("charge"), charge) == [
        ": 'paid' is a required property",
        ".status: 'done' is not one of ['failed', 'pending', 'succeeded']",
        ".transfer: None is not of type 'string'",
    ]
    assert spec.errors(spec.ref("charge"), {**examples["charge"], "description": None}) == []

    listing = {"object": "list", "data": [examples["refund"]], "url": "/v1/refunds"}
    operation = spec.operation_for("GET", "/v1/refunds")
    assert spec.errors(operation.response, listing) == [": 'has_more' is a required property"]

    expanded = {**examples["charge"], "payment_intent": examples["payment_intent"]}
    assert spec.unexpanded_objects(expanded, []) == [
        "payment_intent: an object, though not asked to expand"
    ]
    assert spec.unexpanded_objects(expanded, ["payment_intent"]) == []
    assert spec.unexpanded_objects(examples["charge"], ["balance_transaction"]) == [
        "balance_transaction: asked to expand, still an id"
    ]
    assert spec.operation_for("POST", "/v1/accounts/acct_1/login_links").template == (
        "/v1/accounts/{account}/login_links"
    )
