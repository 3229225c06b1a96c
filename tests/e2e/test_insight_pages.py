"""The demand page in a real browser: a creator with works on sale reads what teams asked for
and where their prices stand, and, before five teams have asked, the empty state. The figures
themselves are tested in tests/insight."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from insight.models import DemandKind
from tests.factories import CreatorFactory, ListedWorkFactory, OfferFactory
from tests.helpers import signed_in_tab
from tests.insight.helpers import FINE_TUNE, record, teams

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def creator_tab(browser, live_server):
    creator = CreatorFactory()
    context, tab = signed_in_tab(browser, live_server, creator)
    yield creator, tab
    context.close()


def _market() -> None:
    buyers = teams(8)
    prices = [700, 800, 900, 1000, 1100, 1200, 1300, 1400]
    for team, price in zip(buyers, prices, strict=True):
        record(team, price_amount=price, tags=("sea", "harbour"))
        record(team, DemandKind.SEARCH, price_amount=1500, tags=("sea",), work_count=0)
        record(team, DemandKind.QUOTE, price_amount=900, tags=("sea", "boats"), work_count=40)
    for team, price in zip(buyers[:6], prices[:6], strict=True):
        record(
            team, uses=(FINE_TUNE,), commercial=False, term_months=24, tags=("boats",),
            price_amount=price * 2, currency="EUR",
        )  # fmt: skip


def test_a_creator_reads_demand_and_their_position(creator_tab, screenshot):
    creator, tab = creator_tab
    _market()
    harbour = ListedWorkFactory(owner=creator, tags=["harbour", "sea"], price=1800)
    OfferFactory(work=harbour, preset="fine-tune-commercial-2y", price_amount=1500, currency="EUR")
    ListedWorkFactory(owner=creator, tags=["sea"], price=300)
    tab.goto("/studio/")
    tab.get_by_role("link", name="What teams ask for").click()
    expect(tab.get_by_role("heading", name="Demand", exact=True)).to_be_visible()
    assert tab.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing sticks out
    uses = tab.get_by_test_id("demand-uses")
    expect(uses.locator('[data-row="use:ai-train-generative"] [data-figure="teams"]')).to_have_text(
        "8"
    )
    expect(uses.locator('[data-row="use:ai-fine-tune"] [data-figure="paid"]')).to_have_text(
        "€19.00"
    )
    expect(tab.get_by_test_id("demand-tags").locator('[data-row="tag:sea"]')).to_contain_text(
        "$10.50"
    )
    mine = tab.get_by_test_id("your-prices")
    expect(mine.locator('[data-position="use:ai-fine-tune:EUR"]')).to_contain_text(
        "Below the median"
    )
    expect(mine.locator('[data-position="tag:sea:USD"]')).to_contain_text("Around the median")
    screenshot(tab, "with-figures")


def test_before_five_teams_asked_the_page_says_so(creator_tab, screenshot):
    _, tab = creator_tab
    for team in teams(4):
        record(team, price_amount=900)
    tab.goto("/studio/demand/")
    expect(
        tab.get_by_role("heading", name="Not enough buyers yet to show figures (at least 5 teams)")
    ).to_be_visible()
    expect(tab.locator("[data-row]")).to_have_count(0)
    screenshot(tab, "empty")
