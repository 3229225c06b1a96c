"""Renaming and deleting a dataset: the services' rules (a draft is renamed with a valid name; a
dataset is deleted until it has an order, then kept with a stable refusal), the API
(PATCH/DELETE /api/v1/datasets/{uuid}/) and the pages, for every kind of caller."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import MembershipRole
from accounts.services.tokens import api_token_create
from config.errors import ApplicationError
from marketplace.models import Dataset, DatasetItem, OrderStatus
from marketplace.services import datasets as dataset_services
from marketplace.services.checkout import order_checkout_expired
from marketplace.services.datasets import dataset_delete, dataset_rename
from tests.factories import BuyerFactory, CreatorFactory, OrderFactory, member_of, team_of
from tests.helpers import DEFAULT_PASSWORD, totp_code

from .factories import listed_work, make_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return CreatorFactory(profile__display_name="Ada Okafor")


@pytest.fixture
def owner():
    return BuyerFactory(email="lin@orbit.example", membership__organization__name="Orbit Lab")


@pytest.fixture
def member(owner):
    """A plain member of the owner's team."""
    return member_of(team_of(owner), role=MembershipRole.MEMBER)


@pytest.fixture
def outsider():
    return BuyerFactory(email="eve@rival.example", membership__organization__name="Rival AI")


@pytest.fixture
def draft(owner, ada):
    return make_dataset(owner, [listed_work(ada), listed_work(ada)], name="Coastlines")


def _refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


# --- services -------------------------------------------------------------------------------


def test_a_draft_is_renamed_with_its_name_tidied(draft):
    renamed = dataset_rename(dataset=draft, name="  Coastlines\n for   v2 ")
    draft.refresh_from_db()
    assert renamed.name == draft.name == "Coastlines for v2"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the dataset a name."),
        ("   \n\t", "Give the dataset a name."),
        ("x" * 121, "A name has at most 120 characters; this one has 121."),
        ("Coast\x00lines", "A name cannot hold control characters."),
        ("Coast\u200blines", "A name cannot hold control characters."),
    ],
)
def test_a_bad_name_is_refused_naming_the_field_and_nothing_changes(draft, name, message):
    error = _refusal(lambda: dataset_rename(dataset=draft, name=name))
    assert (error.code, error.status, error.message) == ("invalid_name", 400, message)
    assert error.fields == {"name": [message]}
    draft.refresh_from_db()
    assert draft.name == "Coastlines"


def test_a_checked_out_dataset_keeps_the_name_its_order_was_placed_under(owner, draft):
    OrderFactory(user=owner, dataset=draft)
    error = _refusal(lambda: dataset_rename(dataset=draft, name="Renamed"))
    assert (error.code, error.status) == ("dataset_locked", 409)
    draft.refresh_from_db()
    assert draft.name == "Coastlines"


def test_a_dataset_without_orders_is_deleted_with_its_items(draft):
    dataset_id = draft.id
    dataset_delete(dataset=draft)
    assert not Dataset.objects.filter(id=dataset_id).exists()
    assert not DatasetItem.objects.filter(dataset_id=dataset_id).exists()


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ("paid", "was bought"),
        ("awaiting_payment", "is awaiting payment"),
        ("expired", "a payment that arrives late on that checkout still grants its license"),
    ],
)
def test_a_dataset_with_an_order_is_kept_with_a_stable_code(owner, draft, state, why):
    order = OrderFactory(user=owner, dataset=draft, paid=state == "paid", build=False)
    if state == "expired":
        order_checkout_expired(order=order)
        order.refresh_from_db()
        assert order.status == OrderStatus.EXPIRED
        draft.refresh_from_db()
        assert draft.is_draft  # a draft again, and still kept
    error = _refusal(lambda: dataset_delete(dataset=draft))
    assert (error.code, error.status) == ("dataset_has_orders", 409)
    assert why in error.message and order.number in error.message
    assert error.extra == {"order": str(order.uuid)}
    assert Dataset.objects.filter(id=draft.id).exists()
    assert draft.items.count() == 2


def test_a_record_that_protects_the_dataset_is_a_refusal_not_a_crash(owner, draft, monkeypatch):
    # Should a rule miss a row that must keep pointing at the dataset, the database's
    # protection answers, and is said as a refusal.
    OrderFactory(user=owner, dataset=draft)
    monkeypatch.setattr(dataset_services, "dataset_delete_refusal", lambda dataset: None)
    error = _refusal(lambda: dataset_delete(dataset=draft))
    assert (error.code, error.status) == ("dataset_in_use", 409)
    assert Dataset.objects.filter(id=draft.id).exists()


# --- the API, for every caller --------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _, key = api_token_create(user=user, name="script")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _staff_api(staff) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"email": staff.email, "password": DEFAULT_PASSWORD, "otp": totp_code(staff.totp_secret)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    return client


CALLERS = ["anonymous", "creator", "staff", "other-team", "member", "owner"]
REFUSED = {
    "anonymous": (401, "not_authenticated"),
    "creator": (403, "permission_denied"),
    "staff": (403, "permission_denied"),
    "other-team": (404, "not_found"),
}


@pytest.fixture
def caller_api(request, ada, owner, member, outsider, staff_with_totp):
    def make(caller: str) -> APIClient:
        if caller == "staff":
            return _staff_api(staff_with_totp)
        user = {
            "anonymous": None,
            "creator": ada,
            "other-team": outsider,
            "member": member,
            "owner": owner,
        }[caller]
        return _api(user)

    return make


@pytest.mark.parametrize("caller", CALLERS)
def test_api_rename_answers_only_the_team(caller_api, draft, caller):
    response = caller_api(caller).patch(
        f"/api/v1/datasets/{draft.uuid}/", {"name": "Harbours"}, format="json"
    )
    draft.refresh_from_db()
    if caller in REFUSED:
        assert (response.status_code, response.json()["code"]) == REFUSED[caller]
        assert draft.name == "Coastlines"
        return
    assert response.status_code == 200
    assert response.json()["name"] == "Harbours" == draft.name
    assert len(response.json()["quote"]["items"]) == 2


@pytest.mark.parametrize("caller", CALLERS)
def test_api_delete_answers_only_the_team(caller_api, draft, caller):
    response = caller_api(caller).delete(f"/api/v1/datasets/{draft.uuid}/")
    if caller in REFUSED:
        assert (response.status_code, response.json()["code"]) == REFUSED[caller]
        assert Dataset.objects.filter(id=draft.id).exists()
        return
    assert response.status_code == 204 and response.content == b""
    assert not Dataset.objects.filter(id=draft.id).exists()
    assert caller_api(caller).get(f"/api/v1/datasets/{draft.uuid}/").status_code == 404


def test_api_refusals_say_what_and_why(owner, draft):
    api = _api(owner)
    bad = api.patch(f"/api/v1/datasets/{draft.uuid}/", {"name": " "}, format="json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_name"
    assert bad.json()["fields"] == {"name": ["Give the dataset a name."]}
    missing = api.patch(f"/api/v1/datasets/{draft.uuid}/", {}, format="json")
    assert missing.status_code == 400 and "name" in missing.json()["fields"]

    order = OrderFactory(user=owner, dataset=draft)
    kept = api.delete(f"/api/v1/datasets/{draft.uuid}/")
    assert kept.status_code == 409
    assert kept.json()["code"] == "dataset_has_orders" and kept.json()["order"] == str(order.uuid)
    locked = api.patch(f"/api/v1/datasets/{draft.uuid}/", {"name": "New"}, format="json")
    assert (locked.status_code, locked.json()["code"]) == (409, "dataset_locked")


# --- the pages, for every caller ------------------------------------------------------------


def _page_refusal(client, response, caller):
    if caller == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == {"creator": 403, "staff": 403, "other-team": 404}[caller]


@pytest.fixture
def sign_in(client, ada, owner, member, outsider, staff_with_totp):
    def as_(caller: str):
        user = {
            "creator": ada,
            "staff": staff_with_totp,
            "other-team": outsider,
            "member": member,
            "owner": owner,
        }.get(caller)
        if user is not None:
            client.force_login(user)
        return client

    return as_


@pytest.mark.parametrize("caller", CALLERS)
def test_rename_page_for_every_caller(sign_in, draft, caller):
    client = sign_in(caller)
    response = client.post(f"/datasets/{draft.uuid}/rename/", {"name": "Harbours"})
    draft.refresh_from_db()
    if caller in REFUSED:
        _page_refusal(client, response, caller)
        assert draft.name == "Coastlines"
        return
    assert response.status_code == 302 and response["Location"] == f"/datasets/{draft.uuid}/"
    assert draft.name == "Harbours"
    html = client.get(response["Location"]).content.decode()
    assert "Renamed to “Harbours”" in html


@pytest.mark.parametrize("caller", CALLERS)
def test_delete_pages_for_every_caller(sign_in, draft, caller):
    client = sign_in(caller)
    confirm = client.get(f"/datasets/{draft.uuid}/delete/")
    if caller in REFUSED:
        _page_refusal(client, confirm, caller)
        _page_refusal(client, client.post(f"/datasets/{draft.uuid}/delete/"), caller)
        assert Dataset.objects.filter(id=draft.id).exists()
        return
    # A confirmation step first: the GET changes nothing.
    assert confirm.status_code == 200
    assert "Delete “Coastlines”?" in confirm.content.decode()
    assert Dataset.objects.filter(id=draft.id).exists()
    response = client.post(f"/datasets/{draft.uuid}/delete/")
    assert response.status_code == 302 and response["Location"] == "/datasets/"
    assert not Dataset.objects.filter(id=draft.id).exists()
    html = client.get("/datasets/").content.decode()
    assert "Deleted “Coastlines”" in html and f'data-dataset="{draft.uuid}"' not in html


def test_the_builder_offers_rename_and_delete_and_shows_a_bad_name(client, owner, draft):
    client.force_login(owner)
    html = client.get(f"/datasets/{draft.uuid}/").content.decode()
    assert f'action="/datasets/{draft.uuid}/rename/"' in html
    assert f'href="/datasets/{draft.uuid}/delete/"' in html
    response = client.post(f"/datasets/{draft.uuid}/rename/", {"name": "x" * 130})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A name has at most 120 characters; this one has 130." in html
    assert 'class="form-control is-invalid"' in html and 'value="' + "x" * 130 in html


def test_a_dataset_with_an_order_says_why_it_is_kept(client, owner, draft):
    order = OrderFactory(user=owner, dataset=draft)
    client.force_login(owner)
    html = client.get(f"/datasets/{draft.uuid}/").content.decode()
    assert 'data-testid="delete-refusal"' in html and order.number in html
    assert f'href="/datasets/{draft.uuid}/delete/"' not in html
    assert f'action="/datasets/{draft.uuid}/rename/"' not in html  # checked out: no rename
    confirm = client.get(f"/datasets/{draft.uuid}/delete/")
    assert confirm.status_code == 200 and "This dataset is kept" in confirm.content.decode()
    refused = client.post(f"/datasets/{draft.uuid}/delete/")
    assert refused.status_code == 409
    assert 'data-code="dataset_has_orders"' in refused.content.decode()
    assert Dataset.objects.filter(id=draft.id).exists()
    locked = client.post(f"/datasets/{draft.uuid}/rename/", {"name": "New"})
    assert locked.status_code == 409 and 'data-testid="rename-error"' in locked.content.decode()
