"""The 90-day demand figures: what they count, the k-anonymity floor (no figure from fewer than
five teams, one team's searches never on their own), medians per currency, the window, a
creator's position, and a query count that does not grow with the events."""

from __future__ import annotations

import pytest

from insight.models import DemandKind
from insight.selectors.demand import MIN_TEAMS, creator_price_positions, demand_overview
from tests.factories import ListedWorkFactory, OfferFactory

from .helpers import FINE_TUNE, GENERATIVE, record, teams

pytestmark = pytest.mark.django_db


def test_four_teams_show_nothing_and_five_show_their_figures():
    four = teams(4)
    for team in four:
        record(team, price_amount=500)
        record(team, DemandKind.SEARCH, price_amount=800, work_count=0)
    overview = demand_overview()
    assert overview.is_empty and overview.uses == [] and overview.tags == []

    fifth = teams(1)[0]
    record(fifth, price_amount=500)
    record(fifth, DemandKind.SEARCH, price_amount=800, work_count=0)
    overview = demand_overview()
    (use,) = overview.uses
    assert (use.value, use.teams, use.sales, use.searches) == (GENERATIVE, 5, 5, 5)
    assert use.commercial_share == 1.0 and use.median_term_months == 12
    assert [(p.currency, p.median_amount, p.count) for p in use.paid] == [("USD", 500, 5)]
    assert [(p.currency, p.median_amount) for p in use.asked] == [("USD", 800)]
    (tag,) = overview.tags
    assert (tag.value, tag.label, tag.teams, tag.sales) == ("sea", "#sea", 5, 5)


def test_one_teams_searches_never_show_on_their_own():
    buyers = teams(5)
    for team in buyers:
        record(team, price_amount=700)
    for _ in range(30):  # one team searching a lot, with a budget of its own
        record(buyers[0], DemandKind.SEARCH, price_amount=9900, work_count=0)
    (row,) = demand_overview().tags
    assert row.teams == 5 and row.sales == 5
    assert row.searches is None  # 30 searches, all one team's
    assert row.asked == []  # and so is its budget
    assert [p.median_amount for p in row.paid] == [700]


def test_a_tag_only_one_team_searched_is_left_out_entirely():
    buyers = teams(5)
    for team in buyers:
        record(team, tags=("sea",))
    record(buyers[0], DemandKind.SEARCH, tags=("secret-project",), work_count=0)
    assert [r.value for r in demand_overview().tags] == ["sea"]


def test_medians_are_per_currency_and_each_needs_five_teams():
    usd, eur = teams(5), teams(4)
    for team, price in zip(usd, [100, 200, 300, 400, 1000], strict=True):
        record(team, price_amount=price)
    for team in eur:
        record(team, currency="EUR", price_amount=5000)
    (use,) = demand_overview().uses
    assert use.teams == 9
    # EUR is bought by four teams only: no EUR median.
    assert [(p.currency, p.median_amount) for p in use.paid] == [("USD", 300)]


def test_an_even_number_of_prices_gives_the_midpoint():
    for team, price in zip(teams(6), [100, 200, 300, 500, 600, 700], strict=True):
        record(team, price_amount=price)
    (use,) = demand_overview().uses
    assert use.paid[0].median_amount == 400


def test_terms_need_five_teams_that_stated_a_use():
    """A search by tag alone states no use; the commercial share and term come only from asks
    that did, and need five such teams of their own."""
    buyers = teams(5)
    for team in buyers:
        record(team, DemandKind.SEARCH, uses=(), commercial=None, term_months=None, work_count=0)
    for team in buyers[:4]:
        record(team, DemandKind.QUOTE, commercial=False, term_months=24, work_count=10)
    (tag,) = demand_overview().tags
    assert tag.teams == 5 and tag.searches == 5
    assert tag.quotes is None and tag.commercial_share is None and tag.median_term_months is None


def test_only_the_last_90_days_count():
    buyers = teams(5)
    for team in buyers[:4]:
        record(team, price_amount=500, days_ago=10)
    record(buyers[4], price_amount=500, days_ago=91)
    assert demand_overview().is_empty


def test_uses_and_tags_are_ordered_by_teams():
    buyers = teams(7)
    for team in buyers:
        record(team, uses=(GENERATIVE,), tags=("sea",))
    for team in buyers[:5]:
        record(team, uses=(FINE_TUNE,), tags=("boats",))
    overview = demand_overview()
    assert [(r.value, r.teams) for r in overview.uses] == [(GENERATIVE, 7), (FINE_TUNE, 5)]
    assert [(r.value, r.teams) for r in overview.tags] == [("sea", 7), ("boats", 5)]
    assert overview.uses[0].label == "Generative training"


def test_a_creator_sees_where_their_prices_stand(creator):
    for team, price in zip(teams(5), [900, 1000, 1000, 1000, 1100], strict=True):
        record(team, uses=(GENERATIVE,), tags=("sea",), price_amount=price)
    cheap = ListedWorkFactory(owner=creator, tags=["sea"], price=500)
    ListedWorkFactory(owner=creator, tags=["sea"], price=600)
    OfferFactory(work=cheap, preset="evaluation-1y", price_amount=2000)
    ListedWorkFactory(owner=creator, tags=["forest"], price=1000)
    positions = creator_price_positions(creator=creator, overview=demand_overview())
    found = {(p.facet, p.value, p.currency): p for p in positions}
    generative = found[("use", GENERATIVE, "USD")]
    # The three generative offers: 500, 600 and 1000; the median paid is 1000.
    assert (generative.your_offers, generative.your_median) == (3, 600)
    assert generative.paid.median_amount == 1000 and generative.position == "below"
    sea = found[("tag", "sea", "USD")]
    # The sea works' offers: 500, 2000 (evaluation) and 600.
    assert (sea.your_offers, sea.your_median, sea.position) == (3, 600, "below")
    # Evaluation and #forest: no team asked about them, so nothing to compare.
    assert ("use", "ai-evaluate", "USD") not in found and ("tag", "forest", "USD") not in found


@pytest.mark.parametrize(
    ("price", "position"), [(890, "below"), (1000, "around"), (1100, "around"), (1200, "above")]
)
def test_around_is_within_ten_percent_of_the_median_paid(creator, price, position):
    for team in teams(5):
        record(team, price_amount=1000, tags=())
    ListedWorkFactory(owner=creator, tags=[], price=price)
    (mine,) = creator_price_positions(creator=creator, overview=demand_overview())
    assert mine.position == position


def test_without_five_buying_teams_a_creator_gets_no_position(creator):
    buyers = teams(5)
    for team in buyers:
        record(team, DemandKind.SEARCH, price_amount=800, tags=(), work_count=0)
    for team in buyers[:4]:
        record(team, price_amount=1000, tags=())
    ListedWorkFactory(owner=creator, tags=[], price=1500)
    (mine,) = creator_price_positions(creator=creator, overview=demand_overview())
    assert mine.paid is None and mine.position is None
    assert mine.asked.median_amount == 800


@pytest.mark.parametrize("per_team", [1, 10])
def test_the_query_count_does_not_grow_with_the_events(
    creator, per_team, django_assert_num_queries
):
    for i, team in enumerate(teams(MIN_TEAMS + 2)):
        for j in range(per_team):
            record(team, price_amount=100 + j, tags=(f"tag{j}", "sea"), uses=(GENERATIVE,))
            record(team, DemandKind.SEARCH, tags=(f"tag{i}",), work_count=0)
    ListedWorkFactory(owner=creator, tags=["sea"], price=500)
    with django_assert_num_queries(3):  # the counts, the medians; the creator's offers
        overview = demand_overview()
        creator_price_positions(creator=creator, overview=overview)
    assert overview.tags
