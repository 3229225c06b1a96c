"""The gateway is the app's only door to Stripe; pointed at the local server it behaves as
against Stripe itself (same library, same calls)."""

import json
import time

import pytest
import stripe

from config.errors import ApplicationError
from devtools.stripe_local.server import DEFAULT_SECRET_KEY
from devtools.stripe_local.webhooks import sign
from payouts import stripe_gateway


@pytest.fixture
def gateway_settings(settings, stripe_server):
    settings.STRIPE_SECRET_KEY = DEFAULT_SECRET_KEY
    settings.STRIPE_API_BASE = stripe_server.public_url
    settings.STRIPE_WEBHOOK_SECRET = "whsec_gateway_test"
    return settings


def test_client_talks_to_the_configured_server(gateway_settings, stripe_server):
    endpoint = stripe_gateway.client().v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
    )
    assert endpoint.id.startswith("we_")
    assert stripe_server.store.objects[endpoint.id]["url"] == "http://127.0.0.1:9/hook"


def test_a_wrong_key_is_refused_like_stripe_refuses_it(gateway_settings):
    gateway_settings.STRIPE_SECRET_KEY = "sk_test_not_the_key"
    with pytest.raises(stripe.AuthenticationError):
        stripe_gateway.client().v1.events.list()


def test_payments_unconfigured_is_a_clear_error(settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ApplicationError) as refused:
        stripe_gateway.client()
    assert refused.value.code == "payments_unavailable"


def test_construct_event_verifies_signatures(gateway_settings):
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}})
    header = sign(payload.encode(), "whsec_gateway_test", int(time.time()))
    event = stripe_gateway.construct_event(payload.encode(), header)
    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe_gateway.construct_event(payload.replace("ping", "pong").encode(), header)
    stale = sign(payload.encode(), "whsec_gateway_test", int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe_gateway.construct_event(payload.encode(), stale)
