"""POST/GET /api/v1/models/: a team declares models on its own licenses and reads them with
their status; every kind of caller gets only what is theirs, and a refused request changes
nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import MembershipRole, Notification, Role
from accounts.services import api_token_create
from licensing.models import DestructionAttestation, ModelDeclaration
from tests.accounts.factories import BuyerFactory, CreatorFactory, MembershipFactory, UserFactory
from tests.helpers import DEFAULT_PASSWORD, totp_code
from tests.marketplace.factories import listed_work

from .lifecycle_helpers import grant_for, member_of, team_of

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
def world():
    creator = CreatorFactory()
    owner, other = BuyerFactory(), BuyerFactory()
    grant = grant_for(owner, [listed_work(creator), listed_work(creator)], starts_at=START)
    other_grant = grant_for(other, [listed_work(creator)], starts_at=START)
    member = member_of(team_of(owner), role=MembershipRole.MEMBER)
    declaration = ModelDeclaration.objects.create(
        organization=team_of(owner),
        declared_by=owner,
        name="Existing",
        version="1",
        purpose="Classifier",
        is_commercial=False,
        is_generative=False,
        training_started_on=START.date(),
        training_ended_on=START.date(),
    )
    declaration.items.set(grant.items.all())
    return {
        "creator": creator,
        "owner": owner,
        "member": member,
        "other": other,
        "grant": grant,
        "other_grant": other_grant,
        "declaration": declaration,
    }


def test_owner_declares_on_a_whole_license_and_reads_it_back(world):
    api = token_client(world["owner"])
    response = api.post("/api/v1/models/", body(grants=[str(world["grant"].uuid)]), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "active" and data["deadline"] is None
    assert data["organization"] == team_of(world["owner"]).slug
    assert {i["id"] for i in data["items"]} == set(
        world["grant"].items.values_list("id", flat=True)
    )
    assert data["attestations"] == [] and data["item_count"] == 2

    detail = api.get(f"/api/v1/models/{data['uuid']}/")
    assert detail.status_code == 200 and detail.json() == data


def test_member_declares_on_item_ids(world):
    item = world["grant"].items.first()
    response = token_client(world["member"]).post(
        "/api/v1/models/", body(items=[item.id]), format="json"
    )
    assert response.status_code == 201, response.json()
    assert [i["id"] for i in response.json()["items"]] == [item.id]
    assert response.json()["declared_by"] == world["member"].email


def test_terms_mismatch_lists_every_offending_item(world):
    before = ModelDeclaration.objects.count()
    response = token_client(world["owner"]).post(
        "/api/v1/models/",
        body(grants=[str(world["grant"].uuid)], training_ended_on="2031-01-01"),
        format="json",
    )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "terms_mismatch"
    assert {p["id"] for p in data["offending_items"]} == set(
        world["grant"].items.values_list("id", flat=True)
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
def test_bad_input_answers_400_never_500(world, payload, code):
    response = token_client(world["owner"]).post("/api/v1/models/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code


def test_non_json_body_is_a_clean_400(world):
    response = token_client(world["owner"]).post(
        "/api/v1/models/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_duplicate_version_is_409(world):
    item = world["grant"].items.first()
    response = token_client(world["owner"]).post(
        "/api/v1/models/",
        body(name="Existing", version="1", items=[item.id], commercial=False, generative=False),
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "duplicate_model"


def test_other_teams_items_are_not_theirs(world):
    response = token_client(world["other"]).post(
        "/api/v1/models/", body(grants=[str(world["grant"].uuid)]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_items"
    assert response.json()["unknown_licenses"] == [str(world["grant"].uuid)]


def test_several_teams_must_name_one(world):
    owner = world["owner"]
    second = MembershipFactory(user=owner, role=MembershipRole.OWNER).organization
    item = world["grant"].items.first()
    api = token_client(owner)

    response = api.post("/api/v1/models/", body(items=[item.id]), format="json")
    assert response.status_code == 400 and response.json()["code"] == "team_required"
    assert set(response.json()["teams"]) == {second.slug, world["grant"].organization.slug}

    wrong = api.post("/api/v1/models/", body(items=[item.id], organization="nope"), format="json")
    assert wrong.status_code == 404

    response = api.post(
        "/api/v1/models/",
        body(items=[item.id], organization=world["grant"].organization.slug),
        format="json",
    )
    assert response.status_code == 201


def test_buyer_without_a_team_is_told_to_make_one(world):
    lone = UserFactory(role=Role.BUYER)
    response = token_client(lone).post("/api/v1/models/", body(items=[1]), format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_team"


def test_list_shows_only_the_callers_teams(world):
    mine = token_client(world["member"]).get("/api/v1/models/")
    assert mine.status_code == 200
    assert [d["uuid"] for d in mine.json()["results"]] == [str(world["declaration"].uuid)]
    assert mine.json()["results"][0]["status"] == "active"
    theirs = token_client(world["other"]).get("/api/v1/models/")
    assert theirs.json()["results"] == []


def test_detail_lists_attestations_and_status(world):
    declaration = world["declaration"]
    DestructionAttestation.objects.create(
        declaration=declaration,
        attested_by=world["owner"],
        destroyed_on=START.date(),
        method="Deleted weights and checkpoints",
        statement="s",
        signature="0" * 64,
    )
    data = token_client(world["owner"]).get(f"/api/v1/models/{declaration.uuid}/").json()
    assert data["status"] == "destroyed"
    assert [a["method"] for a in data["attestations"]] == ["Deleted weights and checkpoints"]


CALLERS = ["anonymous", "creator", "other-team", "member", "owner", "staff"]


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_gets_only_what_is_theirs(world, caller, staff_with_totp):
    user = {
        "anonymous": None,
        "creator": world["creator"],
        "other-team": world["other"],
        "member": world["member"],
        "owner": world["owner"],
    }.get(caller)
    api = staff_client(staff_with_totp) if caller == "staff" else token_client(user)
    declaration = world["declaration"]
    count, notices = ModelDeclaration.objects.count(), Notification.objects.count()

    listing = api.get("/api/v1/models/")
    detail = api.get(f"/api/v1/models/{declaration.uuid}/")
    create = api.post(
        "/api/v1/models/",
        body(items=[world["grant"].items.first().id], version="9"),
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
