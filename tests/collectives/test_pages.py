"""Collectives' pages for every role, and a member's round trip through the forms."""

from __future__ import annotations

import pytest
from django.test import Client

from collectives.models import Assignment, Proposal
from tests.factories import BuyerFactory, CreatorFactory, ListedWorkFactory, StaffFactory
from tests.factories.marketplace import OrderFactory
from tests.helpers import totp_enable

from .conftest import pass_proposal


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def staff_with_2fa():
    staff = StaffFactory()
    totp_enable(staff)  # staff pages need two-factor set up first
    return staff


@pytest.fixture
def people(trio):
    return {
        "anonymous": None,
        "non_member": CreatorFactory(),
        "member": trio.creators[1],
        "team": BuyerFactory(),
        "staff": staff_with_2fa(),
    }


@pytest.mark.parametrize("role", ["anonymous", "non_member", "member", "team", "staff"])
def test_the_directory_and_the_public_page_render_for_everyone(people, trio, role):
    client = client_for(people[role])
    listing = client.get("/collectives/")
    assert listing.status_code == 200 and trio.collective.name in listing.content.decode()
    page = client.get(f"/collectives/{trio.collective.slug}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "How a sale is split" in body and "Assent keeps 20%" in body
    # Proposals and the pool are for members; sales for members and staff.
    assert ('data-testid="proposals"' in body) == (role == "member")
    assert ('data-testid="sales"' in body) == (role in {"member", "staff"})
    assert ('data-testid="join"' in body) == (role == "non_member")


def test_an_unknown_collective_is_404(client, db):
    assert client.get("/collectives/nothing-here/").status_code == 404


@pytest.mark.parametrize(
    "role,expected", [("anonymous", 302), ("team", 403), ("staff", 403), ("non_member", 200)]
)
def test_who_may_open_the_founding_form(people, role, expected):
    assert client_for(people[role]).get("/collectives/new/").status_code == expected


@pytest.mark.parametrize("role,expected", [("anonymous", 302), ("team", 403), ("non_member", 404)])
def test_outsiders_cannot_pool(people, trio, role, expected):
    response = client_for(people[role]).get(f"/collectives/{trio.collective.slug}/pool/")
    assert response.status_code == expected


@pytest.mark.parametrize("path", ["join/", "leave/", "proposals/", "proposals/1/vote/"])
def test_the_post_endpoints_refuse_get_and_buyers(people, trio, path):
    url = f"/collectives/{trio.collective.slug}/{path}"
    assert client_for(people["member"]).get(url).status_code == 405
    assert client_for(people["team"]).post(url).status_code == 403


def test_founding_with_a_bad_name_shows_the_error(db):
    client = client_for(CreatorFactory())
    response = client.post(
        "/collectives/new/",
        {
            "name": "x",
            "charter": "",
            "quorum_percent": 50,
            "vote_window_hours": 72,
            "leave_notice_days": 30,
        },
    )
    assert response.status_code == 400
    assert "Ensure this value has at least 3 characters" in response.content.decode()


def test_a_member_pools_proposes_and_votes_through_the_pages(trio, media_root):
    member = trio.creators[1]
    client = client_for(member)
    work = ListedWorkFactory(owner=member, title="Aurora over Tromsø")
    pool_url = f"/collectives/{trio.collective.slug}/pool/"
    review = client.post(pool_url, {"works": [work.id]})
    assert review.status_code == 200
    assert "Read before you consent" in review.content.decode()
    assert not Assignment.objects.filter(work=work).exists()  # nothing before consent
    done = client.post(pool_url, {"works": [work.id], "consent": "yes"})
    assert done.status_code == 302
    assert Assignment.objects.get(work=work).consent_text.startswith("I put “Aurora over Tromsø”")
    client.post(
        f"/collectives/{trio.collective.slug}/proposals/",
        {"kind": "floor_set", "use": "ai-train-generative", "currency": "EUR", "amount": "12.50"},
    )
    proposal = Proposal.objects.get(collective=trio.collective)
    assert proposal.payload == {"use": "ai-train-generative", "currency": "EUR", "amount": 1250}
    client.post(
        f"/collectives/{trio.collective.slug}/proposals/{proposal.id}/vote/", {"vote": "yes"}
    )
    page = client.get(f"/collectives/{trio.collective.slug}/").content.decode()
    assert "You voted yes" in page


def test_a_typo_in_the_amount_is_said_not_proposed(trio):
    client = client_for(trio.creators[0])
    response = client.post(
        f"/collectives/{trio.collective.slug}/proposals/",
        {"kind": "floor_set", "use": "ai-input", "currency": "USD", "amount": "12,50"},
        follow=True,
    )
    assert "Use a point for decimals" in response.content.decode()
    assert not Proposal.objects.exists()


def test_members_see_sales_and_the_teams_that_bought(trio, media_root):
    buyer = BuyerFactory()
    OrderFactory(user=buyer, works=[trio.works[0]], paid=True, build=False)
    body = (
        client_for(trio.creators[2]).get(f"/collectives/{trio.collective.slug}/").content.decode()
    )
    assert "$15.00" in body and buyer.memberships.first().organization.name in body


def test_the_works_grid_says_an_offer_below_a_raised_floor_is_not_on_sale(trio):
    pass_proposal(
        trio.collective,
        trio.creators,
        "floor_set",
        {"use": "ai-train-generative", "currency": "USD", "amount": 2000},
    )
    body = client_for(trio.creators[1]).get("/studio/works/").content.decode()
    assert "Not on sale" in body and "$15.00" not in body
