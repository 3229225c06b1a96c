"""Listed works with consented offers, datasets and paid orders, made through the real services
(offer_create records consent; checkout and payment go through the local Stripe server)."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import time
import urllib.parse
import urllib.request

from django.conf import settings
from PIL import Image

from devtools.stripe_local.webhooks import sign
from licensing.consent import ConsentContext
from licensing.services import offer_create
from licensing.terms import PRESETS, LicenseTerms
from marketplace.services.datasets import dataset_create, intended_use_parse
from tests.accounts.factories import CreatorFactory
from tests.uploads.images import jpeg_bytes, photo
from uploads import storage
from uploads.models import Work, WorkStatus

_n = itertools.count(1)
CONTEXT = ConsentContext(ip_address="127.0.0.1", user_agent="tests")


def listed_work(
    creator=None,
    *,
    price: int = 1500,
    preset: str = "generative-commercial-3y",
    terms: LicenseTerms | None = None,
    currency: str = "USD",
    title: str | None = None,
    status: str = WorkStatus.LISTED,
    data: bytes | None = None,
    media_type: str = "image/jpeg",
    **fields,
) -> Work:
    """A listed work with one offer (consent recorded), its original stored as given (a small
    JPEG by default). Intake itself is tested in tests/uploads; here it is only the input."""
    creator = creator or CreatorFactory()
    n = next(_n)
    data = data or jpeg_bytes(photo(64, 48, seed=n))
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[media_type]
    key = storage.store(f"originals/test/{n}.{extension}", data)
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    work = Work.objects.create(
        owner=creator,
        declared_by=creator,
        title=title or f"Work {n}",
        rights_holder=creator.email,
        ai_involvement="none",
        original=key,
        media_type=media_type,
        byte_size=len(data),
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        status=status,
        **fields,
    )
    offer_create(
        work=work,
        actor=creator,
        terms=terms or PRESETS[preset].terms,
        preset="" if terms else preset,
        price_amount=price,
        currency=currency,
        consent=True,
        context=CONTEXT,
    )
    return work


def generative_use(months: int = 12, commercial: bool = True):
    return intended_use_parse(
        uses=["ai-train-generative"], commercial=commercial, months_needed=months
    )


def make_dataset(buyer, works, *, intended=None, name="Test set"):
    dataset, _ = dataset_create(
        organization=buyer.memberships.first().organization,
        user=buyer,
        name=name,
        intended=intended or generative_use(),
        work_ids=[w.id for w in works],
    )
    return dataset


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
