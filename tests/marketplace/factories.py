"""Marketplace helpers: `listed_work` and `make_dataset` (thin wrappers over tests/factories),
and the local Stripe server's payment page and events (checkout and payment go through it)."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

from django.conf import settings

from devtools.stripe_local.webhooks import sign
from licensing.terms import LicenseTerms
from tests.factories import DatasetFactory, ListedWorkFactory
from uploads.models import Work


def listed_work(
    creator=None,
    *,
    price: int = 1500,
    preset: str = "generative-commercial-3y",
    terms: LicenseTerms | None = None,
    currency: str = "USD",
    title: str | None = None,
    **fields,
) -> Work:
    """A listed work with one offer (consent recorded). A thin wrapper over ListedWorkFactory
    kept for its ~250 callers; `data=`/`media_type=`/`status=`/`title=` pass through."""
    if creator is not None:
        fields["owner"] = creator
    if title is not None:
        fields["title"] = title
    return ListedWorkFactory(price=price, preset=preset, terms=terms, currency=currency, **fields)


def make_dataset(buyer, works, *, intended=None, name="Test set"):
    """A thin wrapper over DatasetFactory."""
    return DatasetFactory(
        user=buyer, works=works, name=name, **({"intended": intended} if intended else {})
    )


# --- the local Stripe server's payment page and events ---------------------------------------


def pay(server, order, card: str = "4242424242424242") -> int:
    """Submit the hosted payment page for this order's session, as the buyer's browser does;
    returns the HTTP status (303 to the success URL when paid, 402 when declined)."""
    form = urllib.parse.urlencode(
        {"card_number": card, "exp": "12 / 34", "cvc": "123", "email": "buyer@example.com"}
    ).encode()
    request = urllib.request.Request(
        f"{server.public_url}/pay/{order.stripe_checkout_session_id}", data=form, method="POST"
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def stripe_events(stripe_client, event_type: str | None = None) -> list[dict]:
    """The server's events, oldest first, as JSON dicts."""
    params = {"limit": 100, **({"type": event_type} if event_type else {})}
    events = [e.to_dict() for e in stripe_client.v1.events.list(params=params).auto_paging_iter()]
    return list(reversed(events))


def deliver(client, event: dict):
    """POST one event to our receiver, signed with the configured secret, as Stripe does."""
    payload = json.dumps(event).encode()
    header = sign(payload, settings.STRIPE_WEBHOOK_SECRET, int(time.time()))
    return client.post(
        "/webhooks/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


def deliver_all(client, stripe_client, event_type: str | None = None) -> list:
    return [deliver(client, e) for e in stripe_events(stripe_client, event_type)]
