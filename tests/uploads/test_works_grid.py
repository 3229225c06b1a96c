"""The creator's works grid says, on every card, whether the work is on sale (it has an active
offer) and at what price, or that it is not, with a link to make an offer; in a fixed number
of queries however many works the page shows (issue 21)."""

from __future__ import annotations

import re

import pytest

from licensing.services.offers import offer_withdraw
from tests.factories import CONTEXT, OfferFactory, WorkFactory
from uploads.models import WorkStatus

pytestmark = pytest.mark.django_db

URL = "/studio/works/"


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


def _cards(client) -> dict[str, str]:
    """{title: the text of its card's sale line}, as the page shows them."""
    page = client.get(URL).content.decode()
    cards = re.findall(
        r'class="stretched-link[^"]*">([^<]+)</a>.*?<div class="work-card-sale[^>]*>(.*?)</div>',
        page,
        flags=re.S,
    )
    text = lambda html: " ".join(re.sub(r"<[^>]+>", " ", html).split())  # noqa: E731
    return {title: text(line) for title, line in cards}


def test_each_card_says_whether_the_work_is_on_sale_and_at_what_price(client, creator):
    on_sale = WorkFactory(owner=creator, title="Harbour", status=WorkStatus.LISTED)
    OfferFactory(work=on_sale, price_amount=2500, currency="USD")
    two_offers = WorkFactory(owner=creator, title="Forest", status=WorkStatus.LISTED)
    OfferFactory(work=two_offers, price_amount=4000, currency="EUR")
    OfferFactory(work=two_offers, preset="evaluation-1y", price_amount=1250, currency="EUR")
    waiting = WorkFactory(owner=creator, title="Mill", status=WorkStatus.PENDING_REVIEW)
    OfferFactory(work=waiting, price_amount=300000, currency="JPY")
    withdrawn = WorkFactory(owner=creator, title="Dunes", status=WorkStatus.LISTED)
    offer_withdraw(offer=OfferFactory(work=withdrawn), actor=creator, context=CONTEXT)
    WorkFactory(owner=creator, title="Rejected one", status=WorkStatus.REJECTED)
    client.force_login(creator)

    assert _cards(client) == {
        "Harbour": "On sale $25.00",
        "Forest": "On sale 2 offers from €12.50",
        "Mill": "On sale once approved ¥300,000",
        "Dunes": "Not on sale Make an offer",
        # Not offerable: no link to a form that would refuse it.
        "Rejected one": "Not on sale",
    }
    page = client.get(URL).content.decode()
    assert f'href="/studio/works/{withdrawn.id}/offers/new/"' in page


def test_the_grid_reads_sales_in_the_same_queries_for_one_work_or_a_full_page(
    client, creator, django_assert_max_num_queries, django_assert_num_queries
):
    def add_works(n, start):
        for i in range(start, start + n):
            work = WorkFactory(owner=creator, seed=i, status=WorkStatus.LISTED)
            if i % 2:
                OfferFactory(work=work, price_amount=1000 + i)

    client.force_login(creator)
    add_works(1, 1)
    with django_assert_max_num_queries(12) as one:
        assert client.get(URL).status_code == 200
    add_works(23, 2)  # a full page (24)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(URL).content.decode()
    assert page.count('class="work-card-sale') == 24
