"""The demand page (/studio/demand/) and GET /api/v1/insight/demand/: who may see them (every
role), what they show with figures and without, and that one team's asks never appear."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.services.tokens import api_token_create
from insight.models import DemandKind
from insight.selectors.demand import SNAPSHOT_KEY
from insight.tasks import demand_refresh_task
from tests.factories import ListedWorkFactory, member_of, team_of
from tests.helpers import DEFAULT_PASSWORD, totp_code

from .helpers import GENERATIVE, record, teams

pytestmark = pytest.mark.django_db

PAGE, API = "/studio/demand/", "/api/v1/insight/demand/"
EMPTY = "Not enough buyers yet to show figures (at least 5 teams)"


@pytest.fixture
def market():
    """Five teams bought #sea works for generative training at $8 to $12; one searched a lot
    for #secret-project alone."""
    buyers = teams(5)
    for team, price in zip(buyers, [800, 900, 1000, 1100, 1200], strict=True):
        record(team, price_amount=price, tags=("sea",))
        record(team, DemandKind.SEARCH, price_amount=1500, tags=("sea",), work_count=0)
    for _ in range(12):
        record(
            buyers[0],
            DemandKind.SEARCH,
            uses=(),
            commercial=None,
            term_months=None,
            tags=("secret-project",),
            work_count=0,
        )
    return buyers


def _token_client(api_client, user):
    _, key = api_token_create(user=user, name="script")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api_client


# --- who may see it -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, api_client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert api_client.get(API).status_code == 401


def test_team_members_are_refused(client, api_client, buyer):
    """The figures are for the supply side: a team would only learn about its competitors."""
    member = member_of(team_of(buyer))
    for user in (buyer, member):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        response = _token_client(api_client, user).get(API)
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_creators_see_the_page_and_the_api(client, api_client, creator, market):
    client.force_login(creator)
    assert client.get(PAGE).status_code == 200
    assert _token_client(api_client, creator).get(API).status_code == 200


def test_staff_see_the_figures_without_a_position(client, api_client, staff_with_totp, market):
    client.force_login(staff_with_totp)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-row="tag:sea"' in html and 'data-testid="your-prices"' not in html
    response = api_client.post(
        "/api/v1/auth/token/",
        {
            "email": staff_with_totp.email,
            "password": DEFAULT_PASSWORD,
            "otp": totp_code(staff_with_totp.totp_secret),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    body = api_client.get(API).json()
    assert [t["value"] for t in body["tags"]] == ["sea"] and body["your_prices"] == []


def test_staff_without_two_factor_are_refused_by_the_api(api_client, staff):
    api_client.force_authenticate(staff)
    assert api_client.get(API).status_code == 403


# --- what they show -------------------------------------------------------------------------


def test_the_page_shows_the_figures_and_the_creators_position(client, creator, market):
    ListedWorkFactory(owner=creator, tags=["sea"], price=1500)
    client.force_login(creator)
    html = client.get(PAGE).content.decode()
    assert EMPTY not in html
    assert 'data-row="use:ai-train-generative"' in html and 'data-row="tag:sea"' in html
    assert "$10.00" in html  # the median paid
    assert "$15.00" in html  # the median budget, and the creator's own price
    assert "Above the median" in html
    assert "secret-project" not in html  # one team's searches


def test_the_page_says_so_when_too_few_teams_asked(client, creator):
    for team in teams(4):
        record(team, price_amount=900)
    client.force_login(creator)
    html = client.get(PAGE).content.decode()
    assert EMPTY in html and "$9.00" not in html and 'data-row="' not in html


def test_the_api_returns_the_aggregates_and_the_creators_position(api_client, creator, market):
    ListedWorkFactory(owner=creator, tags=["sea"], price=1000)
    body = _token_client(api_client, creator).get(API).json()
    assert (body["window_days"], body["min_teams"]) == (90, 5)
    (use,) = body["uses"]
    assert use["value"] == GENERATIVE and use["teams"] == 5
    assert (use["searches"], use["sales"], use["quotes"], use["requests"]) == (5, 5, None, None)
    assert use["paid"] == [
        {"currency": "USD", "median_amount": 1000, "median_display": "$10.00", "count": 5}
    ]
    assert [t["value"] for t in body["tags"]] == ["sea"]  # not the one team's tag
    positions = {(p["facet"], p["value"]): p for p in body["your_prices"]}
    mine = positions[("tag", "sea")]
    assert (mine["your_median_amount"], mine["position"]) == (1000, "around")
    assert mine["paid"]["median_amount"] == 1000 and mine["asked"]["median_amount"] == 1500


def test_the_api_is_empty_not_an_error_when_too_few_teams_asked(api_client, creator):
    for team in teams(4):
        record(team, price_amount=900)
    body = _token_client(api_client, creator).get(API).json()
    assert body["uses"] == [] and body["tags"] == [] and body["your_prices"] == []


def test_the_page_costs_the_same_queries_with_more_events(
    client, creator, market, django_assert_max_num_queries
):
    client.force_login(creator)
    ListedWorkFactory(owner=creator, tags=["sea"], price=1500)
    with django_assert_max_num_queries(10) as small:
        client.get(PAGE)
    with django_assert_max_num_queries(10) as warm:
        client.get(PAGE)  # the snapshot: no aggregation at all
    for team in teams(50):
        for tag in ("sea", "boats", "harbour"):
            record(team, price_amount=700, tags=(tag,))
    cache.delete(SNAPSHOT_KEY)
    with django_assert_max_num_queries(10) as large:
        client.get(PAGE)
    assert len(large) == len(small) == len(warm) + 2


def test_pages_read_the_snapshot_until_the_beat_task_refreshes_it(client, creator, market):
    client.force_login(creator)
    assert 'data-row="tag:boats"' not in client.get(PAGE).content.decode()
    for team in teams(5):
        record(team, tags=("boats",))
    assert 'data-row="tag:boats"' not in client.get(PAGE).content.decode()
    demand_refresh_task.delay()
    assert 'data-row="tag:boats"' in client.get(PAGE).content.decode()
