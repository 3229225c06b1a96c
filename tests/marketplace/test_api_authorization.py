"""One team can never see or act on another's datasets, orders or licenses: every marketplace API
endpoint and method, called by every kind of caller, with a real API token (staff tokens are
obtained with their TOTP code, as the accounts app requires). A refused request changes
nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import MembershipRole
from accounts.services.tokens import api_token_create
from licensing.models import LicenseGrantItem
from marketplace.models import Dataset, DatasetItem, Order, OrderStatus, Package, Refund
from marketplace.services.checkout import order_checkout_start
from payouts.models import JournalTransaction
from tests.factories import BuyerFactory, CreatorFactory, member_of, team_of
from tests.helpers import DEFAULT_PASSWORD, totp_code

from .factories import deliver_all, listed_work, make_dataset, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_stripe")]

GENERATIVE = {"uses": ["ai-train-generative"], "commercial": True, "months_needed": 12}


@dataclass
class Team:
    owner: object
    draft: Dataset  # a dataset still being put together
    order: Order  # a paid order, with its license
    item_work_id: int  # a work in the draft
    spare_work_id: int  # a work that could be added


def _team(client, stripe_server, stripe_client, creator, owner) -> Team:
    paid = make_dataset(owner, [listed_work(creator, price=1200)], name="Bought")
    order = order_checkout_start(dataset=paid, user=owner, destruction_acknowledged=True)
    assert pay(stripe_server, order) == 303
    deliver_all(client, stripe_client)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.license_grant_id
    item = listed_work(creator)
    draft = make_dataset(owner, [item], name="Draft")
    return Team(owner, draft, order, item.id, listed_work(creator).id)


@pytest.fixture
def creator():
    """Whose works both teams buy."""
    return CreatorFactory()


@pytest.fixture
def team_a(client, stripe_server, stripe_client, creator) -> Team:
    """Team A: a paid order (and so a license) and a draft dataset."""
    return _team(client, stripe_server, stripe_client, creator, BuyerFactory())


@pytest.fixture
def team_b(client, stripe_server, stripe_client, creator, team_a) -> Team:
    """Team B, the same (made after team A, as it always was)."""
    return _team(client, stripe_server, stripe_client, creator, BuyerFactory())


@pytest.fixture
def member(team_a, team_b):
    """A plain member of team A."""
    return member_of(team_of(team_a.owner), role=MembershipRole.MEMBER)


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _, key = api_token_create(user=user, name="script")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def staff_client(staff) -> APIClient:
    """Staff get a token only with their TOTP code; that token is what they call with."""
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"email": staff.email, "password": DEFAULT_PASSWORD, "otp": totp_code(staff.totp_secret)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    return client


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {draft}, {order}, {license} are team A's
    kind: str  # list | create | object | staff

    def url(self, team: Team) -> str:
        return self.path.format(
            draft=team.draft.uuid, order=team.order.uuid, license=team.order.license_grant.uuid
        )

    def body(self, team: Team) -> dict | None:
        if self.name == "dataset-create":
            return {**GENERATIVE, "name": "New", "work_ids": [team.spare_work_id]}
        if self.name == "dataset-works-add":
            return {"work_ids": [team.spare_work_id]}
        if self.name == "dataset-works-remove":
            return {"work_ids": [team.item_work_id]}
        if self.name == "dataset-rename":
            return {"name": "Renamed"}
        if self.name == "order-refund":
            return {"reason": "Bought twice by mistake"}
        if self.name == "dataset-checkout":
            return {"acknowledge_destruction": True}
        return {} if self.method != "get" else None


ENDPOINTS = [
    Endpoint("dataset-list", "get", "/api/v1/datasets/", "list"),
    Endpoint("dataset-create", "post", "/api/v1/datasets/", "create"),
    Endpoint("dataset-detail", "get", "/api/v1/datasets/{draft}/", "object"),
    Endpoint("dataset-rename", "patch", "/api/v1/datasets/{draft}/", "object"),
    Endpoint("dataset-delete", "delete", "/api/v1/datasets/{draft}/", "object"),
    Endpoint("dataset-works-add", "post", "/api/v1/datasets/{draft}/works/", "object"),
    Endpoint("dataset-works-remove", "delete", "/api/v1/datasets/{draft}/works/", "object"),
    Endpoint("dataset-checkout", "post", "/api/v1/datasets/{draft}/checkout/", "object"),
    Endpoint("order-list", "get", "/api/v1/orders/", "list"),
    Endpoint("order-detail", "get", "/api/v1/orders/{order}/", "object"),
    Endpoint("order-refund", "post", "/api/v1/orders/{order}/refunds/", "staff"),
    Endpoint("license-list", "get", "/api/v1/licenses/", "list"),
    Endpoint("license-detail", "get", "/api/v1/licenses/{license}/", "object"),
    Endpoint("license-renew-quote", "get", "/api/v1/licenses/{license}/renew/", "object"),
    Endpoint("license-renew", "post", "/api/v1/licenses/{license}/renew/", "object"),
    Endpoint("license-package", "post", "/api/v1/licenses/{license}/package/", "object"),
]
CALLERS = ["anonymous", "creator", "staff", "other-team", "member", "owner"]
ALLOWED = {"get": 200, "post": 201, "patch": 200, "delete": 200}


def expected(endpoint: Endpoint, caller: str) -> int:
    if caller == "anonymous":
        return 401
    if endpoint.kind == "staff":
        return 201 if caller == "staff" else 403
    if caller in {"creator", "staff"}:
        return 403
    if caller == "other-team" and endpoint.kind == "object":
        return 404
    if endpoint.name in {"dataset-works-add", "dataset-works-remove"}:
        return 200
    if endpoint.name == "license-package":
        return 202  # a rebuild is queued
    if endpoint.name == "dataset-delete":
        return 204
    return ALLOWED[endpoint.method]


def snapshot() -> dict:
    """Everything a marketplace request could change."""
    return {
        "datasets": sorted(
            Dataset.objects.values_list("uuid", "organization_id", "status", "name", "updated_at")
        ),
        "items": sorted(DatasetItem.objects.values_list("dataset_id", "work_id", "offer_id")),
        "orders": sorted(Order.objects.values_list("uuid", "status", "checkout_url")),
        "refunds": sorted(Refund.objects.values_list("id", "status")),
        "grant_items": sorted(LicenseGrantItem.objects.values_list("id", "status")),
        "journal": JournalTransaction.objects.count(),
        "packages": sorted(Package.objects.values_list("id", "order_id", "version", "status")),
    }


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method}-{e.name}")
def test_every_endpoint_answers_each_caller_only_for_its_own_team(
    team_a, team_b, creator, member, endpoint, caller, staff_with_totp
):
    a, b = team_a, team_b
    user = {
        "anonymous": None,
        "creator": creator,
        "other-team": b.owner,
        "member": member,
        "owner": a.owner,
    }.get(caller)
    api = staff_client(staff_with_totp) if caller == "staff" else token_client(user)
    before = snapshot()

    response = getattr(api, endpoint.method)(endpoint.url(a), endpoint.body(a), format="json")

    want = expected(endpoint, caller)
    assert response.status_code == want, response.content
    if want == 204:  # deleted: nothing to read, and gone for good
        assert not Dataset.objects.filter(uuid=a.draft.uuid).exists()
        return
    body = response.json()
    if want >= 400:
        assert (
            body["code"]
            == {
                401: "not_authenticated",
                403: "permission_denied",
                404: "not_found",
            }[want]
        )
        assert snapshot() == before
        return

    if endpoint.kind == "list":
        mine = {
            "dataset-list": {str(d.uuid) for d in Dataset.objects.filter(organization=_org(user))},
            "order-list": {str(o.uuid) for o in Order.objects.filter(organization=_org(user))},
            "license-list": {
                str(o.license_grant.uuid) for o in Order.objects.filter(organization=_org(user))
            },
        }[endpoint.name]
        assert {row["uuid"] for row in body["results"]} == mine
    if endpoint.name == "license-renew":
        renewal = Dataset.objects.get(uuid=body["dataset"]["uuid"])
        assert renewal.organization == _org(user) and renewal.renews == a.order.license_grant
    if endpoint.name == "dataset-create":
        # Created in the caller's own team, whatever team the works came from.
        assert Dataset.objects.get(uuid=body["uuid"]).organization == _org(user)
    if caller == "other-team":
        # Whatever team B did, team A's objects are as they were.
        assert _team_a_state(before, a) == _team_a_state(snapshot(), a)


def _org(user):
    return user.memberships.get().organization


def _team_a_state(state: dict, a: Team) -> dict:
    org_id = _org(a.owner).id
    return {
        "datasets": [d for d in state["datasets"] if d[1] == org_id],
        "orders": [o for o in state["orders"] if o[0] == a.order.uuid],
    }


def test_another_team_cannot_create_a_dataset_in_our_team_by_naming_it(team_a, team_b, member):
    a, b = team_a, team_b
    before = snapshot()
    response = token_client(b.owner).post(
        "/api/v1/datasets/",
        {**GENERATIVE, "organization": _org(a.owner).slug, "work_ids": [a.spare_work_id]},
        format="json",
    )
    # Told what really happened (not "you are not in a team yet": b has a team).
    assert response.status_code == 404
    assert response.json()["message"] == "No such team among yours."
    assert response.json()["fields"]["organization"] == [
        f"You are not a member of '{_org(a.owner).slug}'."
    ]
    assert snapshot() == before


def test_methods_an_endpoint_does_not_have_are_refused_and_change_nothing(team_a, team_b, member):
    a = team_a
    api = token_client(a.owner)
    supported: dict[str, set[str]] = {}
    for endpoint in ENDPOINTS:
        supported.setdefault(endpoint.url(a), set()).add(endpoint.method)
    before = snapshot()
    for url, methods in supported.items():
        for method in {"get", "post", "put", "patch", "delete"} - methods:
            response = getattr(api, method)(url, {}, format="json")
            if url.endswith("/refunds/"):
                assert response.status_code == 403, (method, url)  # staff-only, whatever else
                continue
            assert response.status_code == 405, (method, url, response.content)
            assert response.json()["code"] == "method_not_allowed"
    assert snapshot() == before
