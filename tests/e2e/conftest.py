"""Browser journeys: the session's Chromium (tests/conftest.py) against pytest-django's live
server. Screenshots go to test-output/screenshots/ for people to look at."""

from __future__ import annotations

import os

import pytest

from tests.devtools.helpers import control
from tests.payouts.factories import use_local_stripe

# The webhook secret the local Stripe server signs its events with in these journeys.
SHOP_SECRET = "whsec_browser_journeys"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser, live_server):
    """A tab on the live server. Whatever the journey does, the Content-Security-Policy must
    refuse nothing on the way (Chromium says so on the console): checked when it ends."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert refused == [], "the Content-Security-Policy refused something on the way"


@pytest.fixture
def shop(settings, live_server, stripe_server, media_root):
    """The app paying through the local Stripe server, which signs its events and delivers them
    to the live server's /webhooks/stripe/; Stripe sends the buyer back to the live server."""
    use_local_stripe(settings, stripe_server)
    settings.STRIPE_WEBHOOK_SECRET = SHOP_SECRET
    settings.SITE_URL = live_server.url
    settings.PLATFORM_FEE_BPS = 2000
    control(
        stripe_server,
        "webhook_endpoints",
        {"url": f"{live_server.url}/webhooks/stripe/", "secret": SHOP_SECRET},
    )
    return stripe_server
