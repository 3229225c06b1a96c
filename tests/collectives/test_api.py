"""Collectives API: each operation for every role (anonymous, creator non-member, member,
founder, buyer team, staff), junk bodies, and the flow a member drives over HTTP."""

from __future__ import annotations

import pytest

from collectives.models import Ballot, Floor
from tests.factories import BuyerFactory, CreatorFactory, ListedWorkFactory, StaffFactory
from tests.factories.marketplace import OrderFactory

BASE = "/api/v1/collectives/"


def as_user(api_client, user):
    if user is not None:
        api_client.force_authenticate(user)
    return api_client


@pytest.fixture
def roles(trio):
    return {
        "anonymous": None,
        "non_member": CreatorFactory(),
        "member": trio.creators[1],
        "founder": trio.creators[0],
        "team": BuyerFactory(),
        "staff": StaffFactory(),
    }


def test_the_directory_and_a_collective_are_public(api_client, trio):
    listed = api_client.get(BASE)
    assert listed.status_code == 200
    assert [c["slug"] for c in listed.json()] == [trio.collective.slug]
    detail = api_client.get(f"{BASE}{trio.collective.slug}/").json()
    assert detail["member_count"] == 3 and detail["work_count"] == 3
    assert "Assent keeps 20%" in detail["formula"]
    assert detail["is_member"] is False
    assert api_client.get(f"{BASE}nobody/").status_code == 404


@pytest.mark.parametrize(
    "role,expected",
    [("anonymous", 401), ("team", 403), ("staff", 403), ("non_member", 201)],
)
def test_who_may_found(api_client, roles, role, expected):
    body = {"name": f"Pool of {role}", "charter": "Together."}
    response = as_user(api_client, roles[role]).post(BASE, body, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "x", "charter": "y"},
        {"name": "Valid Name", "charter": "y", "quorum_percent": "lots"},
        {"name": "Valid Name", "charter": "y", "quorum_percent": 0},
        {"name": ["a"], "charter": {"b": 1}},
    ],
)
def test_junk_founding_bodies_answer_400(api_client, db, body):
    response = as_user(api_client, CreatorFactory()).post(BASE, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "validation_error"}


@pytest.mark.parametrize(
    "role,expected",
    [("anonymous", 401), ("team", 403), ("staff", 403), ("non_member", 200), ("member", 200)],
)
def test_who_may_join(api_client, roles, trio, role, expected):
    response = as_user(api_client, roles[role]).post(f"{BASE}{trio.collective.slug}/join/")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["is_member"] is True


@pytest.mark.parametrize(
    "role,expected",
    [
        ("anonymous", 401),
        ("team", 403),
        ("staff", 403),
        ("non_member", 403),
        ("member", 200),
        ("founder", 200),
    ],
)
def test_who_may_read_the_pool_and_proposals(api_client, roles, trio, role, expected):
    client = as_user(api_client, roles[role])
    assert client.get(f"{BASE}{trio.collective.slug}/works/").status_code == expected
    assert client.get(f"{BASE}{trio.collective.slug}/proposals/").status_code == expected


@pytest.mark.parametrize(
    "role,expected",
    [
        ("anonymous", 401),
        ("team", 403),
        ("non_member", 403),
        ("member", 200),
        ("founder", 200),
        ("staff", 200),
    ],
)
def test_who_may_read_sales(api_client, roles, trio, role, expected):
    response = as_user(api_client, roles[role]).get(f"{BASE}{trio.collective.slug}/sales/")
    assert response.status_code == expected


@pytest.mark.parametrize("role", ["anonymous", "team", "staff", "non_member"])
def test_outsiders_cannot_propose_vote_or_pool(api_client, roles, trio, role, media_root):
    client = as_user(api_client, roles[role])
    slug = trio.collective.slug
    proposal = {"kind": "strike_use", "payload": {"use": "ai-input"}}
    assert client.post(f"{BASE}{slug}/proposals/", proposal, format="json").status_code in {
        401,
        403,
    }
    assert client.post(
        f"{BASE}{slug}/works/", {"work_ids": [trio.works[0].id], "consent": True}, format="json"
    ).status_code in {401, 403}


def test_a_member_proposes_votes_and_the_floor_applies(api_client, trio):
    slug = trio.collective.slug
    founder = as_user(api_client, trio.creators[0])
    created = founder.post(
        f"{BASE}{slug}/proposals/",
        {
            "kind": "floor_set",
            "payload": {"use": "ai-train-generative", "currency": "usd", "amount": 2500},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    proposal = created.json()
    assert proposal["summary"] == "Floor of $25.00 per license to train generative models"
    url = f"{BASE}{slug}/proposals/{proposal['id']}/ballots/"
    first = founder.post(url, {"in_favour": True}, format="json")
    assert first.status_code == 201 and first.json()["proposal_status"] == "open"
    # The same vote again is the same ballot; another choice is refused.
    assert founder.post(url, {"in_favour": True}, format="json").status_code == 201
    changed = founder.post(url, {"in_favour": False}, format="json")
    assert (changed.status_code, changed.json()["code"]) == (409, "already_voted")
    api_client.force_authenticate(trio.creators[1])
    second = api_client.post(url, {"in_favour": True}, format="json")
    assert second.json()["proposal_status"] == "passed"
    assert Floor.objects.get(collective=trio.collective).amount == 2500
    assert Ballot.objects.filter(proposal_id=proposal["id"]).count() == 2
    # The member's next offer below it is refused with the reason, over the offers API.
    refused = api_client.post(
        f"/api/v1/works/{trio.works[1].id}/offers/",
        {"preset": "generative-commercial-3y", "price": 2000, "currency": "USD", "consent": True},
        format="json",
    )
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "price_below_collective_floor"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "floor_set"},
        {"kind": "floor_set", "payload": "cheap"},
        {"kind": "floor_set", "payload": {"use": "ai-input", "currency": "USD", "amount": "ten"}},
        {"kind": 7, "payload": {}},
    ],
)
def test_junk_proposals_answer_400(api_client, trio, body):
    client = as_user(api_client, trio.creators[0])
    response = client.post(f"{BASE}{trio.collective.slug}/proposals/", body, format="json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("body", [{}, {"in_favour": "maybe"}, {"in_favour": None}])
def test_junk_ballots_answer_400(api_client, trio, body):
    client = as_user(api_client, trio.creators[0])
    proposal = client.post(
        f"{BASE}{trio.collective.slug}/proposals/",
        {"kind": "strike_use", "payload": {"use": "ai-input"}},
        format="json",
    ).json()
    url = f"{BASE}{trio.collective.slug}/proposals/{proposal['id']}/ballots/"
    assert client.post(url, body, format="json").status_code == 400


def test_pooling_over_the_api_needs_consent_and_own_works(api_client, trio, media_root):
    member = trio.creators[1]
    client = as_user(api_client, member)
    url = f"{BASE}{trio.collective.slug}/works/"
    mine = ListedWorkFactory(owner=member)
    theirs = ListedWorkFactory(owner=CreatorFactory())
    no_consent = client.post(url, {"work_ids": [mine.id], "consent": False}, format="json")
    assert no_consent.json()["code"] == "consent_required"
    assert (
        client.post(url, {"work_ids": [theirs.id], "consent": True}, format="json").status_code
        == 400
    )
    done = client.post(url, {"work_ids": [mine.id], "consent": True}, format="json")
    assert done.status_code == 201 and done.json()[0]["work_id"] == mine.id
    again = client.post(url, {"work_ids": [mine.id], "consent": True}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_pooled")
    removed = client.delete(f"{url}{mine.id}/")
    assert removed.status_code == 200 and removed.json()["ends_at"]


def test_sales_over_the_api(api_client, trio, media_root):
    buyer = BuyerFactory()
    OrderFactory(user=buyer, works=[trio.works[0]], paid=True, build=False)
    body = as_user(api_client, trio.creators[2]).get(f"{BASE}{trio.collective.slug}/sales/").json()
    assert body["revenue"][0]["total"] == 1500
    assert body["sales"][0]["work_id"] == trio.works[0].id
    assert body["teams"][0]["count"] == 1
