"""The hosted test payment page: its HTML (read with urllib) and real journeys in Chromium.

The browser harness follows tests/e2e/conftest.py: Playwright drives Debian's Chromium (never a
downloaded browser); without it the browser tests skip, or fail when ASSENT_REQUIRE_BROWSER=1.
Screenshots go to test-output/screenshots/ for people to look at."""

from __future__ import annotations

import pytest

from devtools.stripe_local import pages
from tests.devtools.helpers import NamedPages, fetch


def create_session(client, merchant_url: str = "http://merchant.test", **overrides):
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 3,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1250,
                    "product_data": {
                        "name": "Training licence: <b>Harbour</b> & dusk",
                        "description": "Non-exclusive, 12 months",
                    },
                },
            },
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 499,
                    "product_data": {"name": "Attribution pack"},
                },
            },
        ],
        "customer_email": "buyer@example.com",
        "success_url": f"{merchant_url}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{merchant_url}/basket",
    }
    params.update(overrides)
    return client.v1.checkout.sessions.create(params=params)


# --- the HTML ------------------------------------------------------------------------------


def test_money_formatting():
    assert pages.money(1250, "eur") == "€12.50"
    assert pages.money(5, "usd") == "$0.05"
    assert pages.money(123456789, "gbp") == "£1,234,567.89"
    assert pages.money(500, "jpy") == "¥500"
    assert pages.money(-1500, "usd") == "-$15.00"
    assert pages.money(1000, "chf") == "10.00 CHF"


def test_the_page_shows_items_total_and_a_prefilled_test_card(stripe_client):
    session = create_session(stripe_client)
    status, headers, html = fetch(session.url)

    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "TEST MODE — local Stripe" in html
    assert "<link" not in html and "<script" not in html  # no external assets, no scripts
    # Names are escaped, never interpreted.
    assert "Training licence: &lt;b&gt;Harbour&lt;/b&gt; &amp; dusk" in html
    assert "<b>Harbour</b>" not in html
    assert "Non-exclusive, 12 months" in html
    assert "× 3" in html
    assert "€37.50" in html and "€4.99" in html
    assert 'data-testid="total">€42.49<' in html
    assert 'value="4242 4242 4242 4242"' in html
    assert 'value="buyer@example.com"' in html
    assert "Pay €42.49" in html
    assert 'data-testid="expire"' in html
    assert 'href="http://merchant.test/basket"' in html
    assert "4000 0000 0000 0259" in html  # the test-card cheat sheet


def test_without_cancel_url_there_is_no_cancel_link(stripe_client):
    session = create_session(stripe_client, cancel_url=None)
    _, _, html = fetch(session.url)
    assert 'data-testid="cancel"' not in html


def test_an_unknown_session_is_a_404_page(stripe_server):
    status, headers, html = fetch(f"{stripe_server.public_url}/pay/cs_test_missing")
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert "No such Checkout Session: &#x27;cs_test_missing&#x27;" in html
    assert "TEST MODE" in html


def test_the_page_of_an_expired_session_says_so(stripe_client):
    session = create_session(stripe_client)
    stripe_client.v1.checkout.sessions.expire(session.id)
    status, _, html = fetch(session.url)
    assert status == 200
    assert "has expired and can no longer be paid" in html
    assert 'data-testid="pay-form"' not in html
    assert 'href="http://merchant.test/basket"' in html  # back to the merchant


def test_a_zero_decimal_currency(stripe_client):
    session = create_session(
        stripe_client,
        line_items=[
            {
                "quantity": 2,
                "price_data": {
                    "currency": "jpy",
                    "unit_amount": 1500,
                    "product_data": {"name": "Print"},
                },
            }
        ],
    )
    _, _, html = fetch(session.url)
    assert 'data-testid="total">¥3,000<' in html


# --- in the browser ------------------------------------------------------------------------


@pytest.fixture
def merchant():
    """The shop the customer comes back to: any GET answers a small page naming its path."""
    site = NamedPages(lambda path: "Merchant")
    yield site.url
    site.close()


@pytest.mark.browser
def test_a_person_is_declined_then_pays(page, screenshot, stripe_client, merchant):
    from playwright.sync_api import expect

    session = create_session(stripe_client, merchant)
    page.goto(session.url)
    expect(page.get_by_test_id("test-mode-banner")).to_contain_text("TEST MODE — local Stripe")
    expect(page.get_by_test_id("line-item")).to_have_count(2)
    expect(page.get_by_test_id("total")).to_have_text("€42.49")
    expect(page.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    screenshot(page, "1-checkout")

    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("payment-error")).to_have_text("Your card was declined.")
    expect(page.get_by_label("Name on card")).to_have_value("Ada Lovelace")
    screenshot(page, "2-declined")
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_test_id("pay").click()
    page.wait_for_url(f"{merchant}/thanks?session_id={session.id}")
    expect(page.locator("h1")).to_have_text("Merchant")
    screenshot(page, "3-back-at-merchant")

    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.name == "Ada Lovelace"

    page.goto(session.url)
    expect(page.get_by_test_id("session-complete")).to_be_visible()
    expect(page.get_by_test_id("pay-form")).to_have_count(0)
    screenshot(page, "4-complete")


@pytest.mark.browser
def test_a_person_lets_it_expire_or_cancels(page, screenshot, stripe_client, merchant):
    from playwright.sync_api import expect

    cancelled = create_session(stripe_client, merchant)
    page.goto(cancelled.url)
    page.get_by_test_id("cancel").click()
    page.wait_for_url(f"{merchant}/basket")
    assert stripe_client.v1.checkout.sessions.retrieve(cancelled.id).status == "open"

    session = create_session(stripe_client, merchant)
    page.goto(session.url)
    page.get_by_test_id("expire").click()
    expect(page.get_by_test_id("session-expired")).to_be_visible()
    assert page.url == session.url
    screenshot(page, "expired")
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"
