"""The gateway is the app's only door to Stripe; pointed at the local server it behaves as
against Stripe itself (same library, same calls). What leaves it is dicts and two errors of
ours: StripeUnavailable (try again) and StripeRefused (Stripe said no, and why)."""

import ast
import json
import socket
import time
from datetime import date
from pathlib import Path

import pytest
import stripe

from config.errors import ApplicationError
from devtools.stripe_local.server import DEFAULT_SECRET_KEY
from devtools.stripe_local.webhooks import sign
from payouts import stripe_gateway
from payouts.models import Payout, PayoutRun, PayoutStatus
from payouts.services.payout_runs import payout_send
from payouts.stripe_gateway import StripeRefused, StripeUnavailable
from payouts.tasks import payout_send_task
from tests.factories import CreatorFactory, PayoutAccountFactory
from tests.payouts.factories import connected_creator

ROOT = Path(__file__).resolve().parents[2]
NOT_APP_CODE = {".venv", "tests", "devtools", "node_modules", "static", "var", ".git"}


@pytest.fixture
def gateway_settings(settings, stripe_server):
    settings.STRIPE_SECRET_KEY = DEFAULT_SECRET_KEY
    settings.STRIPE_API_BASE = stripe_server.public_url
    settings.STRIPE_WEBHOOK_SECRET = "whsec_gateway_test"
    return settings


def _imports_stripe(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(
            alias.name.split(".")[0] == "stripe" for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "stripe":
            return True
    return False


def test_only_the_gateway_imports_the_stripe_sdk():
    importers = [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.rglob("*.py")
        if not NOT_APP_CODE & set(path.relative_to(ROOT).parts)
        and _imports_stripe(path.read_text(encoding="utf-8"))
    ]
    assert importers == ["payouts/stripe_gateway.py"]


def test_client_talks_to_the_configured_server(gateway_settings, stripe_server):
    endpoint = stripe_gateway.client().v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
    )
    assert endpoint.id.startswith("we_")
    assert stripe_server.store.objects[endpoint.id]["url"] == "http://127.0.0.1:9/hook"


@pytest.mark.django_db
def test_a_refused_request_is_stripe_refused_with_stripes_reason(gateway_settings):
    unknown = PayoutAccountFactory(stripe_account_id="acct_doesnotexist0000")
    run = PayoutRun.objects.create(scheduled_for=date(2030, 1, 1))
    payout = Payout.objects.create(run=run, creator=unknown.creator, currency="USD", amount=500)
    with pytest.raises(StripeRefused) as refused:
        stripe_gateway.transfer_create(payout=payout)
    assert "acct_doesnotexist0000" in refused.value.reason
    assert refused.value.stripe_code
    assert refused.value.is_key_refused is False
    assert isinstance(refused.value.__cause__, stripe.InvalidRequestError)


@pytest.mark.django_db
def test_a_wrong_key_is_refused_as_our_key(gateway_settings):
    gateway_settings.STRIPE_SECRET_KEY = "sk_test_not_the_key"
    with pytest.raises(StripeRefused) as refused:
        stripe_gateway.account_create(creator=CreatorFactory())
    assert refused.value.is_key_refused is True
    assert "Invalid API Key" in refused.value.reason


@pytest.mark.django_db
def test_an_unreachable_server_is_stripe_unavailable(settings):
    settings.STRIPE_SECRET_KEY = DEFAULT_SECRET_KEY
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed}"  # nothing listens there
    with pytest.raises(StripeUnavailable) as unavailable:
        stripe_gateway.account_create(creator=CreatorFactory())
    assert unavailable.value.is_unreachable is True
    assert (unavailable.value.code, unavailable.value.status) == ("stripe_unavailable", 503)


def test_payments_unconfigured_is_a_clear_error(settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ApplicationError) as refused:
        stripe_gateway.client()
    assert refused.value.code == "payments_unavailable"


@pytest.mark.django_db
def test_the_idempotency_key_comes_from_our_row(gateway_settings, stripe_server):
    creator = CreatorFactory()
    first = stripe_gateway.account_create(creator=creator)
    again = stripe_gateway.account_create(creator=creator)
    assert again["id"] == first["id"]  # the same key: Stripe answers with the same account
    assert f":assent-connect-account-{creator.id}" in stripe_server.store.idempotency


def _pending_payout(stripe_client, stripe_server) -> Payout:
    creator = connected_creator(stripe_client, stripe_server)
    run = PayoutRun.objects.create(scheduled_for=date(2030, 1, 1))
    return Payout.objects.create(run=run, creator=creator, currency="USD", amount=2000)


@pytest.mark.django_db
def test_a_payout_whose_key_conflicts_stays_pending_for_a_retry(
    gateway_settings, stripe_server, stripe_client
):
    """The payout's key already went with other parameters (Stripe's idempotency_error): it
    is StripeUnavailable, which the task retries, and the payout is neither paid nor failed."""
    payout = _pending_payout(stripe_client, stripe_server)
    with pytest.raises(stripe.InvalidRequestError):  # nothing to pay it from; the key is used
        stripe_client.v1.transfers.create(
            params={"amount": 1, "currency": "usd", "destination": "acct_doesnotexist0000"},
            options={"idempotency_key": payout.idempotency_key},
        )

    with pytest.raises(StripeUnavailable) as unavailable:
        payout_send(payout_id=payout.id)
    assert isinstance(unavailable.value.__cause__, stripe.IdempotencyError)
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == (PayoutStatus.PENDING, "")
    assert StripeUnavailable in payout_send_task.autoretry_for


def test_webhook_event_verifies_signatures(gateway_settings):
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}})
    header = sign(payload.encode(), "whsec_gateway_test", int(time.time()))
    assert stripe_gateway.webhook_event(payload.encode(), header)["id"] == "evt_1"
    assert stripe_gateway.webhook_event(payload.replace("ping", "pong").encode(), header) is None
    stale = sign(payload.encode(), "whsec_gateway_test", int(time.time()) - 3600)
    assert stripe_gateway.webhook_event(payload.encode(), stale) is None
