"""Who may see and do what with data requests, every page and API endpoint for every caller:
anonymous, the creator whose work is offered, another creator, a member of the posting team,
a member of another team, staff. Team pages and endpoints are the posting team's (another
team's request is simply not found); creator pages and endpoints are every signed-in
creator's, but a work is only its creator's to offer or withdraw. A refused call changes
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.models import DataRequest, DataRequestResponse, Order
from marketplace.services.data_request_responses import data_request_response_accept
from tests.factories import BuyerFactory, CreatorFactory, member_of, team_of

from .data_requests import fitting_work, offer_into, post_request
from .test_api_authorization import staff_client, token_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_stripe")]

CALLERS = ["anonymous", "work-owner", "other-creator", "member", "other-team", "staff"]
CREATORS = {"work-owner", "other-creator"}
TEAM = {"member", "other-team"}


@dataclass
class World:
    users: dict
    request: DataRequest
    offered: DataRequestResponse  # ada's work, waiting for the team
    accepted: DataRequestResponse  # another of ada's, accepted
    spare_work_id: int  # a third of ada's that fits, not offered yet

    def fill(self, path: str) -> str:
        return path.format(
            request=self.request.uuid,
            offered=self.offered.uuid,
            accepted=self.accepted.uuid,
            spare=self.spare_work_id,
        )


@pytest.fixture
def world(staff_with_totp) -> World:
    owner = BuyerFactory(membership__organization__name="Orbit Lab")
    ada = CreatorFactory()
    data_request = post_request(owner, count_wanted=3, title="Harbours")
    offered = offer_into(data_request, fitting_work(ada))
    accepted = offer_into(data_request, fitting_work(ada))
    data_request_response_accept(response=accepted, user=owner)
    other_owner = BuyerFactory(membership__organization__name="Rival AI")
    post_request(other_owner, title="Rival request")
    kenji = CreatorFactory()
    fitting_work(kenji)
    users = {
        "anonymous": None,
        "work-owner": ada,
        "other-creator": kenji,
        "member": member_of(team_of(owner)),
        "other-team": other_owner,
        "staff": staff_with_totp,
    }
    return World(users, data_request, offered, accepted, fitting_work(ada).id)


def snapshot() -> dict:
    return {
        "requests": sorted(DataRequest.objects.values_list("uuid", "status", "updated_at")),
        "responses": sorted(DataRequestResponse.objects.values_list("uuid", "status", "dataset")),
        "orders": Order.objects.count(),
    }


def new_request_body() -> dict:
    return {
        "title": "Night streets",
        "description": "Streets after dark.",
        "count_wanted": 5,
        "uses": ["ai-evaluate"],
        "commercial": False,
        "months_needed": 6,
        "price": 500,
        "deadline": (timezone.now() + timedelta(days=3)).isoformat(),
    }


# --- the API -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Api:
    name: str
    method: str
    path: str
    side: str  # team | creator
    ok: int = 200
    owner_only: bool = False  # creator side: only the work's creator may (else 404)
    body: dict | None = None


APIS = [
    Api("list", "get", "/api/v1/data-requests/", "team"),
    Api("create", "post", "/api/v1/data-requests/", "team", 201),
    Api("detail", "get", "/api/v1/data-requests/{request}/", "team"),
    Api("close", "post", "/api/v1/data-requests/{request}/close/", "team"),
    Api("cancel", "post", "/api/v1/data-requests/{request}/cancel/", "team"),
    Api("accept", "post", "/api/v1/data-requests/{request}/responses/{offered}/accept/", "team"),
    Api("decline", "post", "/api/v1/data-requests/{request}/responses/{offered}/decline/", "team"),
    Api("checkout", "post", "/api/v1/data-requests/{request}/checkout/", "team", 201),
    Api("open-list", "get", "/api/v1/open-data-requests/", "creator"),
    Api("open-detail", "get", "/api/v1/open-data-requests/{request}/", "creator"),
    Api(
        "preview",
        "get",
        "/api/v1/open-data-requests/{request}/responses/preview/?work_id={spare}",
        "creator",
        owner_only=True,
    ),
    Api(
        "offer",
        "post",
        "/api/v1/open-data-requests/{request}/responses/",
        "creator",
        201,
        owner_only=True,
    ),
    Api("my-responses", "get", "/api/v1/data-request-responses/", "creator"),
    Api(
        "withdraw",
        "post",
        "/api/v1/data-request-responses/{offered}/withdraw/",
        "creator",
        owner_only=True,
    ),
]


def api_expected(api: Api, caller: str) -> int:
    if caller == "anonymous":
        return 401
    if caller not in (TEAM if api.side == "team" else CREATORS):
        return 403
    if api.side == "team" and caller == "other-team" and "{request}" in api.path:
        return 404
    if api.owner_only and caller != "work-owner":
        return 404
    return api.ok


def api_body(api: Api, world: World) -> dict | None:
    if api.name == "create":
        return new_request_body()
    if api.name == "offer":
        return {"work_id": world.spare_work_id, "consent": True}
    if api.name == "checkout":
        return {"acknowledge_destruction": True}
    return None if api.method == "get" else {}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("api", APIS, ids=lambda a: f"{a.method}-{a.name}")
def test_every_endpoint_answers_only_those_it_is_for(world, api, caller):
    user = world.users[caller]
    client = staff_client(user) if caller == "staff" else token_client(user)
    before = snapshot()
    method = getattr(client, api.method)
    response = method(world.fill(api.path), api_body(api, world), format="json")

    want = api_expected(api, caller)
    assert response.status_code == want, response.content
    body = response.json()
    if want >= 400:
        assert body["code"] == {401: "not_authenticated", 403: "permission_denied"}.get(
            want, "not_found"
        )
        assert snapshot() == before
        return
    if api.name == "list":
        titles = {row["title"] for row in body["results"]}
        assert titles == ({"Harbours"} if caller == "member" else {"Rival request"})
    if api.name == "create":
        made = DataRequest.objects.get(uuid=body["uuid"])
        assert made.organization == world.users[caller].memberships.get().organization
    if api.name == "open-list":
        assert {row["title"] for row in body["results"]} == {"Harbours", "Rival request"}
        # Teams that chose not to be named are not named to creators.
        assert {row["team"] for row in body["results"]} == {"An AI team"}
    if api.name == "my-responses":
        assert len(body["results"]) == (2 if caller == "work-owner" else 0)
    if api.name == "open-detail":
        assert len(body["my_responses"]) == (2 if caller == "work-owner" else 0)


# --- the pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    path: str
    side: str
    ok: int = 200
    owner_only: bool = False


PAGES = [
    Page("list", "get", "/requests/", "team"),
    Page("create", "post", "/requests/", "team", 302),
    Page("detail", "get", "/requests/{request}/", "team"),
    Page("accept", "post", "/requests/{request}/responses/{offered}/accept/", "team", 302),
    Page("decline", "post", "/requests/{request}/responses/{offered}/decline/", "team", 302),
    Page("checkout", "post", "/requests/{request}/checkout/", "team", 302),
    Page("checkout-cancel", "post", "/requests/{request}/checkout/cancel/", "team", 302),
    Page("close", "post", "/requests/{request}/close/", "team", 302),
    Page("cancel", "post", "/requests/{request}/cancel/", "team", 302),
    Page("studio-list", "get", "/studio/requests/", "creator"),
    Page("studio-detail", "get", "/studio/requests/{request}/", "creator"),
    Page("offer", "get", "/studio/requests/{request}/offer/{spare}/", "creator", owner_only=True),
    Page(
        "offer-confirm",
        "post",
        "/studio/requests/{request}/offer/{spare}/",
        "creator",
        302,
        owner_only=True,
    ),
    Page("withdraw", "post", "/studio/requests/offers/{offered}/withdraw/", "creator", 302, True),
]


def page_expected(page: Page, caller: str) -> int:
    if caller == "anonymous":
        return 302  # to sign in
    if caller not in (TEAM if page.side == "team" else CREATORS):
        return 403
    if page.side == "team" and caller == "other-team" and "{request}" in page.path:
        return 404
    if page.owner_only and caller != "work-owner":
        return 404
    return page.ok


def page_body(page: Page) -> dict:
    if page.name == "create":
        body = new_request_body()
        return {**body, "deadline": body["deadline"][:10], "price": "5.00"}
    if page.name == "offer-confirm":
        return {"consent": "yes"}
    if page.name == "checkout":
        return {"acknowledge_destruction": "yes"}
    return {}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.method}-{p.name}")
def test_every_page_answers_only_those_it_is_for(world, page, caller):
    client = Client()
    if world.users[caller] is not None:
        client.force_login(world.users[caller])
    before = snapshot()
    url = world.fill(page.path)
    response = client.get(url) if page.method == "get" else client.post(url, page_body(page))

    want = page_expected(page, caller)
    assert response.status_code == want, (url, response.content[:300])
    if caller == "anonymous":
        assert "/accounts/login/" in response["Location"]
    if want in (302, 403, 404) and (caller == "anonymous" or want != page.ok):
        assert snapshot() == before
    if want == 200 and page.name == "list":
        html = response.content.decode()
        assert ("Harbours" in html) == (caller == "member")
        assert ("Rival request" in html) == (caller == "other-team")
