"""POST/GET /api/v1/models/: a team declares models on its own licenses and reads them with
their status; every kind of caller gets only what is theirs, and a refused request changes
nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import MembershipRole, Notification, Role
from accounts.services.tokens import api_token_create
from licensing.models import ModelDeclaration
from tests.factories import (
    BuyerFactory,
    CreatorFactory,
    DestructionAttestationFactory,
    MembershipFactory,
    ModelDeclarationFactory,
    UserFactory,
    member_of,
    team_of,
)
from tests.helpers import DEFAULT_PASSWORD, totp_code
from tests.marketplace.factories import listed_work

from .lifecycle_helpers import grant_for

pytestmark = pytest.mark.django_db

START = datetime(2027, 1, 10, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _, key = api_token_create(user=user, name="script")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def staff_client(staff) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"email": staff.email, "password": DEFAULT_PASSWORD, "otp": totp_code(staff.totp_secret)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    return client


def body(**overrides) -> dict:
    return {
        "name": "Orbit",
        "version": "1.0",
        "purpose": "Image generator",
        "commercial": True,
        "generative": True,
        "training_started_on": "2027-02-01",
        "training_ended_on": "2027-03-01",
        **overrides,
    }


@pytest.fixture
def creator():
    return CreatorFactory()


@pytest.fixture
def owner():
    return BuyerFactory()


@pytest.fixture
def other():
    """The owner of another team, with a license of its own."""
    return BuyerFactory()


@pytest.fixture
def grant(owner, creator):
    return grant_for(owner, [listed_work(creator), listed_work(creator)], starts_at=START)


@pytest.fixture
def other_grant(other, creator):
    return grant_for(other, [listed_work(creator)], starts_at=START)


@pytest.fixture
def member(owner):
    return member_of(team_of(owner), role=MembershipRole.MEMBER)


@pytest.fixture
def declaration(owner, grant, member, other_grant):
    """The team's one declaration, on the whole license (every fixture above is made first, in
    the order the tests have always had them)."""
    return ModelDeclarationFactory(
        declared_by=owner,
        items=grant.items.all(),
        name="Existing",
        version="1",
        purpose="Classifier",
        is_commercial=False,
        is_generative=False,
        training_started_on=START.date(),
        training_ended_on=START.date(),
    )


def test_owner_declares_on_a_whole_license_and_reads_it_back(declaration, owner, grant):
    api = token_client(owner)
    response = api.post("/api/v1/models/", body(grants=[str(grant.uuid)]), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "active" and data["deadline"] is None
    assert data["organization"] == team_of(owner).slug
    assert {i["id"] for i in data["items"]} == set(grant.items.values_list("id", flat=True))
    assert data["attestations"] == [] and data["item_count"] == 2

    detail = api.get(f"/api/v1/models/{data['uuid']}/")
    assert detail.status_code == 200 and detail.json() == data


def test_member_declares_on_item_ids(declaration, member, grant):
    item = grant.items.first()
    response = token_client(member).post("/api/v1/models/", body(items=[item.id]), format="json")
    assert response.status_code == 201, response.json()
    assert [i["id"] for i in response.json()["items"]] == [item.id]
    assert response.json()["declared_by"] == member.email


def test_terms_mismatch_lists_every_offending_item(declaration, owner, grant):
    before = ModelDeclaration.objects.count()
    response = token_client(owner).post(
        "/api/v1/models/",
        body(grants=[str(grant.uuid)], training_ended_on="2031-01-01"),
        format="json",
    )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "terms_mismatch"
    assert {p["id"] for p in data["offending_items"]} == set(
        grant.items.values_list("id", flat=True)
    )
    assert all(
        p["reasons"] == ["Training ends after the license expires on 10 Jan 2030."]
        for p in data["offending_items"]
    )
    assert ModelDeclaration.objects.count() == before


@pytest.mark.parametrize(
    "payload, code",
    [
        ({}, "invalid"),
        (body(), "invalid"),  # neither items nor grants
        (body(items=["x"]), "invalid"),
        (body(grants=["not-a-uuid"]), "invalid"),
        (body(items=[1], training_started_on="yesterday"), "invalid"),
        (body(items=[1], commercial="maybe"), "invalid"),
        (body(items=[987654]), "unknown_items"),
    ],
)
def test_bad_input_answers_400_never_500(declaration, owner, payload, code):
    response = token_client(owner).post("/api/v1/models/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code


def test_non_json_body_is_a_clean_400(declaration, owner):
    response = token_client(owner).post(
        "/api/v1/models/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_duplicate_version_is_409(declaration, owner, grant):
    item = grant.items.first()
    response = token_client(owner).post(
        "/api/v1/models/",
        body(name="Existing", version="1", items=[item.id], commercial=False, generative=False),
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "duplicate_model"


def test_other_teams_items_are_not_theirs(declaration, other, grant):
    response = token_client(other).post(
        "/api/v1/models/", body(grants=[str(grant.uuid)]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_items"
    assert response.json()["unknown_licenses"] == [str(grant.uuid)]


def test_several_teams_must_name_one(declaration, owner, grant):
    owner = owner
    second = MembershipFactory(user=owner, role=MembershipRole.OWNER).organization
    item = grant.items.first()
    api = token_client(owner)

    response = api.post("/api/v1/models/", body(items=[item.id]), format="json")
    assert response.status_code == 400 and response.json()["code"] == "team_required"
    assert set(response.json()["teams"]) == {second.slug, grant.organization.slug}

    wrong = api.post("/api/v1/models/", body(items=[item.id], organization="nope"), format="json")
    assert wrong.status_code == 404

    response = api.post(
        "/api/v1/models/",
        body(items=[item.id], organization=grant.organization.slug),
        format="json",
    )
    assert response.status_code == 201


def test_buyer_without_a_team_is_told_to_make_one(declaration):
    lone = UserFactory(role=Role.BUYER)
    response = token_client(lone).post("/api/v1/models/", body(items=[1]), format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_team"


def test_list_shows_only_the_callers_teams(declaration, member, other):
    mine = token_client(member).get("/api/v1/models/")
    assert mine.status_code == 200
    assert [d["uuid"] for d in mine.json()["results"]] == [str(declaration.uuid)]
    assert mine.json()["results"][0]["status"] == "active"
    theirs = token_client(other).get("/api/v1/models/")
    assert theirs.json()["results"] == []


def test_detail_lists_attestations_and_status(declaration, owner):
    declaration = declaration
    DestructionAttestationFactory(
        declaration=declaration,
        attested_by=owner,
        destroyed_on=START.date(),
        method="Deleted weights and checkpoints",
        statement="s",
    )
    data = token_client(owner).get(f"/api/v1/models/{declaration.uuid}/").json()
    assert data["status"] == "destroyed"
    assert [a["method"] for a in data["attestations"]] == ["Deleted weights and checkpoints"]


CALLERS = ["anonymous", "creator", "other-team", "member", "owner", "staff"]


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_gets_only_what_is_theirs(
    declaration, creator, owner, member, other, grant, caller, staff_with_totp
):
    user = {
        "anonymous": None,
        "creator": creator,
        "other-team": other,
        "member": member,
        "owner": owner,
    }.get(caller)
    api = staff_client(staff_with_totp) if caller == "staff" else token_client(user)
    declaration = declaration
    count, notices = ModelDeclaration.objects.count(), Notification.objects.count()

    listing = api.get("/api/v1/models/")
    detail = api.get(f"/api/v1/models/{declaration.uuid}/")
    create = api.post(
        "/api/v1/models/",
        body(items=[grant.items.first().id], version="9"),
        format="json",
    )

    expected = {
        "anonymous": (401, 401, 401),
        "creator": (403, 403, 403),
        "staff": (403, 200, 403),  # staff read any declaration (cases); they never declare
        "other-team": (200, 404, 400),  # the items are not theirs: unknown_items
        "member": (200, 200, 201),
        "owner": (200, 200, 201),
    }[caller]
    assert (listing.status_code, detail.status_code, create.status_code) == expected
    if caller in {"anonymous", "creator", "staff", "other-team"}:
        assert ModelDeclaration.objects.count() == count
        assert Notification.objects.count() == notices
    if caller == "other-team":
        assert listing.json()["results"] == []
        assert detail.json()["code"] == "not_found"
        assert create.json()["code"] == "unknown_items"
    if caller == "staff":
        assert detail.json()["uuid"] == str(declaration.uuid)
