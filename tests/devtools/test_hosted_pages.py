"""The hosted test payment page: its HTML (read with urllib). People paying on it in Chromium
are in tests/e2e/test_devtools_pages.py."""

from __future__ import annotations

from devtools.stripe_local import pages
from tests.devtools.helpers import create_session, fetch

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
