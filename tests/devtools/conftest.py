"""The devtools tests' own browser tab; the local Stripe server's fixtures are shared
(tests/fixtures/stripe.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def page(browser):
    """A browser tab (the session's Chromium) for the server's hosted pages."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
