"""What a creator nets per sale, shown on the price form as they type and on the consent page:
Assent's published fee (settings.PLATFORM_FEE_BPS) and the rest, split by the rule the ledger
posts sales with, so the figure promised is the figure paid (issue 21)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from payouts.selectors.ledger import creator_balances
from payouts.services.events import SaleItem, sale_post
from tests.factories import BuyerFactory, WorkFactory
from uploads.models import WorkStatus

pytestmark = pytest.mark.django_db

NET_URL = "/studio/offers/net/"
GENERATIVE = "generative-commercial-3y"


@pytest.fixture
def work(creator, media_root):
    return WorkFactory(owner=creator, title="Dusk", status=WorkStatus.PENDING_REVIEW)


@pytest.fixture
def signed_in(client, creator):
    client.force_login(creator)
    return client


def _figures(html: str) -> dict[str, str]:
    """{"price", "fee", "net"} as the figures under the price field show them."""
    found = dict(re.findall(r"<dd data-net-(price|fee|amount)>([^<]*)</dd>", html))
    return {"price": found.get("price"), "fee": found.get("fee"), "net": found.get("amount")}


def test_the_price_form_shows_the_fee_and_net_of_its_first_price(signed_in, work, settings):
    settings.PLATFORM_FEE_BPS = 2000
    page = signed_in.get(f"/studio/works/{work.id}/offers/new/").content.decode()

    assert _figures(page) == {"price": "$25.00", "fee": "−$5.00", "net": "$20.00"}
    assert "Assent's fee (20%)" in page
    # The figures follow the price as it is typed: the script, from our own static files.
    assert 'data-net-url="/studio/offers/net/"' in page
    assert re.search(r'<script src="/static/js/offer_net[^"]*\.js" defer>', page)


@pytest.mark.parametrize(
    ("price", "currency", "bps", "figures", "percent"),
    [
        ("12.34", "USD", 2000, {"price": "$12.34", "fee": "−$2.47", "net": "$9.87"}, "20%"),
        ("1,001", "JPY", 2000, {"price": "¥1,001", "fee": "−¥201", "net": "¥800"}, "20%"),
        ("40", "EUR", 1250, {"price": "€40.00", "fee": "−€5.00", "net": "€35.00"}, "12.5%"),
    ],
)
def test_the_figures_for_a_typed_price_use_the_published_fee(
    signed_in, settings, price, currency, bps, figures, percent
):
    settings.PLATFORM_FEE_BPS = bps
    response = signed_in.get(NET_URL, {"price": price, "currency": currency})

    assert response.status_code == 200
    html = response.content.decode()
    assert _figures(html) == figures
    assert f"Assent's fee ({percent})" in html


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("", "Type a price to see Assent's fee and what you net."),
        ("12,50", "Use a point for decimals: 12.50, not 12,50."),
        ("12.345", "USD prices have at most 2 decimal places."),
        ("abc", "Enter a price such as 12 or 12.50."),
        ("1", "The lowest price is $2.00 per license."),
    ],
)
def test_a_price_the_form_would_refuse_says_why_instead_of_figures(signed_in, price, message):
    html = signed_in.get(NET_URL, {"price": price, "currency": "USD"}).content.decode()

    assert _figures(html) == {"price": None, "fee": None, "net": None}
    assert message in unescape(html)


def test_an_unknown_currency_says_which_are_handled(signed_in):
    html = signed_in.get(NET_URL, {"price": "12", "currency": "XYZ"}).content.decode()
    assert _figures(html)["net"] is None
    assert "USD" in html and "EUR" in html


def test_only_creators_ask_for_the_figures(client):
    assert client.get(NET_URL, {"price": "12", "currency": "USD"}).status_code == 302
    client.force_login(BuyerFactory())
    assert client.get(NET_URL, {"price": "12", "currency": "USD"}).status_code == 403


def test_the_consent_page_shows_the_fee_and_net(signed_in, work, settings):
    settings.PLATFORM_FEE_BPS = 2000
    review = signed_in.post(
        f"/studio/works/{work.id}/offers/new/",
        {"preset": GENERATIVE, "price": "12.50", "currency": "USD", "step": "review"},
    )

    text = " ".join(unescape(re.sub(r"<[^>]+>", "", review.content.decode())).split())
    assert (
        "For each license sold at $12.50, Assent's fee (20%) is $2.50 and you net $10.00." in text
    )


def test_the_figures_are_kept_when_the_creator_goes_back_to_change_terms(signed_in, work):
    page = signed_in.post(
        f"/studio/works/{work.id}/offers/new/",
        {"preset": GENERATIVE, "price": "9.99", "currency": "USD", "step": ["confirm", "edit"]},
    ).content.decode()
    assert _figures(page) == {"price": "$9.99", "fee": "−$2.00", "net": "$7.99"}


def test_the_bulk_form_shows_the_figures_too(signed_in, creator, work):
    page = signed_in.get("/studio/offers/bulk/", {"work": work.id}).content.decode()
    assert _figures(page)["net"] == "$20.00"


@pytest.mark.parametrize("price", ["9.99", "12.34", "101.01"])
def test_the_net_shown_is_what_the_ledger_holds_for_the_creator_after_a_sale(
    signed_in, creator, settings, price
):
    settings.PLATFORM_FEE_BPS = 2000
    shown = _figures(signed_in.get(NET_URL, {"price": price, "currency": "USD"}).content.decode())
    amount = int(price.replace(".", ""))

    sale_post(
        order_ref="order:net",
        items=[SaleItem(creator.id, "order_item:net", amount, "USD", work_id=None)],
    )

    held = creator_balances(creator).held
    assert shown["net"] == f"${held / 100:.2f}"
