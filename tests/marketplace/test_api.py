"""The datasets, orders and licenses API as a buyer's program uses it, with an API token: build a
dataset by work ids or by a catalog filter, read the quote, change it, check out against the
local Stripe server, and read the orders and licenses once the webhook has paid them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services.tokens import api_token_create
from licensing.services.offers import offer_withdraw
from marketplace.models import Dataset, DatasetItem, DatasetStatus, Order, OrderStatus
from payouts.services.events import split_amount
from tests.factories import CONTEXT, CreatorFactory, UserFactory

from .factories import deliver_all, listed_work, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_stripe")]

DATASETS = "/api/v1/datasets/"
GENERATIVE = {"uses": ["ai-train-generative"], "commercial": True, "months_needed": 12}


def program(user) -> APIClient:
    """A client that authenticates as a script does: `Authorization: Token <key>`."""
    _, key = api_token_create(user=user, name="training pipeline")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api(buyer) -> APIClient:
    return program(buyer)


@pytest.fixture
def ada():
    return CreatorFactory(profile__display_name="Ada")


@pytest.fixture
def ben():
    return CreatorFactory(profile__display_name="Ben")


def create(api, **body):
    return api.post(DATASETS, {"name": "Faces", **GENERATIVE, **body}, format="json")


# --- creating and quoting ---------------------------------------------------------------------


def test_a_dataset_by_work_ids_is_quoted_per_creator_with_the_published_fee(
    api, ada, ben, settings
):
    settings.PLATFORM_FEE_BPS = 1500
    a1, a2 = listed_work(ada, price=1500), listed_work(ada, price=999)
    b1 = listed_work(ben, price=4000)
    evaluation_only = listed_work(ben, price=300, preset="evaluation-1y")

    response = create(api, work_ids=[a1.id, a2.id, b1.id, evaluation_only.id, 987654])

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["name"] == "Faces"
    assert body["intended_use"] == {**GENERATIVE, "can_destroy_models": True}
    quote = body["quote"]
    assert quote["fee_percent"] == "15%"
    assert sorted(i["work_id"] for i in quote["items"]) == sorted([a1.id, a2.id, b1.id])
    assert {s["work_id"] for s in body["skipped"]} == {evaluation_only.id, 987654}
    assert all(s["reason"] for s in body["skipped"])

    prices = {a1.id: 1500, a2.id: 999, b1.id: 4000}
    for item in quote["items"]:
        share, fee = split_amount(prices[item["work_id"]], 1500)
        assert (item["price"]["amount"], item["creator_share"]["amount"]) == (
            prices[item["work_id"]],
            share,
        )
        assert item["fee"]["amount"] == fee and item["is_sellable"]
    lines = {line["creator_id"]: line for line in quote["creators"]}
    assert set(lines) == {ada.id, ben.id}
    assert lines[ada.id]["works"] == 2 and lines[ada.id]["amount"]["amount"] == 2499
    assert lines[ben.id]["works"] == 1 and lines[ben.id]["amount"]["amount"] == 4000
    assert lines[ada.id]["creator_name"] == "Ada"
    for line in lines.values():
        assert line["creator_share"]["amount"] + line["fee"]["amount"] == line["amount"]["amount"]
    assert quote["total"]["amount"] == 1500 + 999 + 4000
    assert quote["fee"]["amount"] == sum(line["fee"]["amount"] for line in lines.values())
    shares = sum(line["creator_share"]["amount"] for line in lines.values())
    assert shares + quote["fee"]["amount"] == quote["total"]["amount"]
    assert quote["total"]["currency"] == "USD" and quote["total"]["display"]

    # The same quote is read back, and the dataset is in the team's list.
    detail = api.get(f"{DATASETS}{body['uuid']}/").json()
    assert detail["quote"] == quote
    listed = api.get(DATASETS).json()
    assert [(d["uuid"], d["works"]) for d in listed["results"]] == [(body["uuid"], 3)]


def test_a_dataset_by_catalog_filter_takes_what_the_catalog_shows_for_its_use(api, ada, ben):
    a1, a2 = listed_work(ada, price=1000), listed_work(ada, price=5000)
    listed_work(ada, price=800, preset="nongenerative-research-5y")  # not for this use
    listed_work(ben, price=1200)

    response = create(api, filters={"creator": str(ada.id), "use": "ai-evaluate"})

    assert response.status_code == 201, response.json()
    body = response.json()
    # The filter picks the works; the dataset's own use (generative, commercial) decides
    # what may be sold: a filter cannot widen it to "ai-evaluate".
    assert sorted(i["work_id"] for i in body["quote"]["items"]) == sorted([a1.id, a2.id])
    assert Dataset.objects.get(uuid=body["uuid"]).filters["creator"] == str(ada.id)

    cheap = create(api, filters={"creator": str(ada.id), "max_price": "2000"}).json()
    assert [i["work_id"] for i in cheap["quote"]["items"]] == [a1.id]

    bad = create(api, filters={"max_price": "cheap"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_filter" and "max_price" in bad.json()["fields"]


def test_works_are_added_and_removed_and_incompatible_ones_are_reported(api, ada, ben):
    a1, a2 = listed_work(ada, price=1000), listed_work(ada, price=2000)
    fine_tune_only = listed_work(ben, price=700, preset="fine-tune-commercial-2y")
    uuid = create(api, work_ids=[a1.id]).json()["uuid"]
    url = f"{DATASETS}{uuid}/works/"

    added = api.post(url, {"work_ids": [a2.id, fine_tune_only.id, a1.id]}, format="json")
    assert added.status_code == 200
    assert [s["work_id"] for s in added.json()["skipped"]] == [fine_tune_only.id]
    assert added.json()["quote"]["total"]["amount"] == 3000

    removed = api.delete(url, {"work_ids": [a1.id]}, format="json")
    assert removed.status_code == 200
    assert [i["work_id"] for i in removed.json()["quote"]["items"]] == [a2.id]
    assert removed.json()["quote"]["total"]["amount"] == 2000


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uses": ["ai-scrape-everything"]}, "uses"),
        ({"uses": "ai-train-generative"}, "uses"),
        ({"uses": []}, "uses"),
        ({"months_needed": 0}, "months_needed"),
        ({"months_needed": 121}, "months_needed"),
        ({"months_needed": "abc"}, "months_needed"),
        ({"commercial": "maybe"}, "commercial"),
        ({"can_destroy_models": "perhaps"}, "can_destroy_models"),
        ({"work_ids": "1,2"}, "work_ids"),
        ({"work_ids": ["one"]}, "work_ids"),
        ({"work_ids": {"id": 1}}, "work_ids"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "dollars"}, "currency"),
        ({"filters": ["creator"]}, "filters"),
        ({"name": "x" * 121}, "name"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(api, ada, change, field):
    work = listed_work(ada)
    response = create(api, **{"work_ids": [work.id], **change})

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["message"]
    assert field in body["fields"], body
    assert not Dataset.objects.exists()


@pytest.mark.parametrize("missing", ["uses", "commercial", "months_needed"])
def test_the_intended_use_is_required(api, missing):
    body = {k: v for k, v in GENERATIVE.items() if k != missing}
    response = api.post(DATASETS, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and missing in response.json()["fields"]


def test_malformed_bodies_and_unknown_datasets_answer_json_not_500(api, ada):
    response = api.post(DATASETS, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"

    uuid = create(api, work_ids=[listed_work(ada).id]).json()["uuid"]
    url = f"{DATASETS}{uuid}/works/"
    for method, body in [
        (api.post, {"work_ids": "7"}),
        (api.post, {"filters": "creator=1"}),
        (api.delete, {"work_ids": []}),
        (api.delete, {}),
        (api.delete, {"work_ids": ["x"]}),
    ]:
        response = method(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"] == "invalid" and "fields" in response.json()

    for url in [
        f"{DATASETS}00000000-0000-0000-0000-000000000000/",
        f"{DATASETS}00000000-0000-0000-0000-000000000000/works/",
        f"{DATASETS}00000000-0000-0000-0000-000000000000/checkout/",
    ]:
        response = api.get(url) if url.endswith("0/") else api.post(url, {}, format="json")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api.get(f"{DATASETS}not-a-uuid/").status_code == 404


def test_a_buyer_with_no_team_is_told_to_make_one(ada):
    loner = UserFactory(role=Role.BUYER)
    response = create(program(loner), work_ids=[listed_work(ada).id])
    assert response.status_code == 409
    assert response.json()["code"] == "no_team"
    assert not Dataset.objects.exists()


# --- checkout ---------------------------------------------------------------------------------


def test_a_destruction_duty_is_in_the_quote_and_must_be_acknowledged_before_paying(api, ada):
    """Issue 21: the duty to destroy models at expiry was first shown on the license, after
    paying. The quote says how many works carry it; checkout refuses until the team says yes."""
    destroy = listed_work(ada, price=1500, preset="generative-commercial-3y")
    keep = listed_work(ada, price=999, preset="evaluation-1y")
    evaluation = {"uses": ["ai-evaluate"], "commercial": True, "months_needed": 12}
    created = create(api, **evaluation, work_ids=[destroy.id, keep.id]).json()
    credits = sum(w.offers.get().attribution_required for w in (destroy, keep))
    assert created["quote"]["duties"] == {"destroy_models": 1, "attribution": credits}

    refused = api.post(f"{DATASETS}{created['uuid']}/checkout/", {}, format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "destruction_unacknowledged" and body["destroy_models"] == 1
    assert "destroyed when their license ends" in body["message"]
    assert not Order.objects.exists()  # nothing frozen, nothing at Stripe

    no_duty = create(api, **evaluation, work_ids=[keep.id]).json()
    assert no_duty["quote"]["duties"]["destroy_models"] == 0
    assert api.post(f"{DATASETS}{no_duty['uuid']}/checkout/", {}, format="json").status_code == 201


def test_checkout_answers_201_with_a_checkout_url_on_the_stripe_server(
    api, ada, stripe_server, stripe_client
):
    works = [listed_work(ada, price=1500), listed_work(ada, price=999)]
    uuid = create(api, work_ids=[w.id for w in works]).json()["uuid"]

    response = api.post(
        f"{DATASETS}{uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )

    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["status"] == "awaiting_payment" and order["dataset"] == uuid
    assert order["checkout_url"].startswith(f"{stripe_server.public_url}/")
    assert order["total"]["amount"] == 2499 and order["fee"]["amount"] == 300 + 200
    assert order["license"] is None
    stored = Order.objects.get(uuid=order["uuid"])
    session = stripe_client.v1.checkout.sessions.retrieve(stored.stripe_checkout_session_id)
    assert session.url == order["checkout_url"] and session.amount_total == 2499
    assert api.get(f"{DATASETS}{uuid}/").json()["status"] == DatasetStatus.CHECKING_OUT

    again = api.post(
        f"{DATASETS}{uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )
    assert again.status_code == 201
    assert (again.json()["uuid"], again.json()["checkout_url"]) == (
        order["uuid"],
        order["checkout_url"],
    )
    assert Order.objects.count() == 1


def test_a_changed_quote_is_refused_with_the_changes_then_accepted(api, ada):
    kept, withdrawn = listed_work(ada, price=1000), listed_work(ada, price=1100)
    uuid = create(api, work_ids=[kept.id, withdrawn.id]).json()["uuid"]
    offer_withdraw(offer=withdrawn.offers.get(), actor=ada, context=CONTEXT)

    response = api.post(
        f"{DATASETS}{uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "quote_changed" and body["message"]
    assert [(c["work_id"], c["change"]) for c in body["changes"]] == [(withdrawn.id, "dropped")]
    assert body["changes"][0]["old_amount"] == 1100 and body["changes"][0]["reason"]
    assert not Order.objects.exists()
    dataset = api.get(f"{DATASETS}{uuid}/").json()
    assert dataset["quote"]["total"]["amount"] == 1000 and dataset["notices"]

    accepted = api.post(
        f"{DATASETS}{uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )
    assert accepted.status_code == 201 and accepted.json()["total"]["amount"] == 1000


def test_a_checked_out_dataset_refuses_changes(api, ada):
    a1, a2 = listed_work(ada), listed_work(ada)
    uuid = create(api, work_ids=[a1.id]).json()["uuid"]
    assert (
        api.post(
            f"{DATASETS}{uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
        ).status_code
        == 201
    )
    url = f"{DATASETS}{uuid}/works/"

    for response in [
        api.post(url, {"work_ids": [a2.id]}, format="json"),
        api.delete(url, {"work_ids": [a1.id]}, format="json"),
    ]:
        assert response.status_code == 409
        assert response.json()["code"] == "dataset_locked"
    assert list(DatasetItem.objects.values_list("work_id", flat=True)) == [a1.id]


def test_an_empty_dataset_cannot_be_checked_out(api):
    uuid = create(api).json()["uuid"]
    response = api.post(
        f"{DATASETS}{uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "dataset_empty"
    assert not Order.objects.exists()


# --- after payment ----------------------------------------------------------------------------


def test_orders_and_licenses_are_listed_once_the_payment_event_arrives(
    api, buyer, client, ada, ben, stripe_server, stripe_client
):
    works = [listed_work(ada, price=1000), listed_work(ben, price=2500)]
    uuid = create(api, work_ids=[w.id for w in works]).json()["uuid"]
    order_uuid = api.post(
        f"{DATASETS}{uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    ).json()["uuid"]
    assert pay(stripe_server, Order.objects.get(uuid=order_uuid)) == 303

    waiting = api.get(f"/api/v1/orders/{order_uuid}/").json()
    assert (
        waiting["status"] == "awaiting_payment"
        and api.get("/api/v1/licenses/").json()["results"] == []
    )

    assert {r.status_code for r in deliver_all(client, stripe_client)} == {200}

    orders = api.get("/api/v1/orders/").json()["results"]
    assert [(o["uuid"], o["status"]) for o in orders] == [(order_uuid, OrderStatus.PAID)]
    assert orders[0]["checkout_url"] is None and orders[0]["paid_at"]
    detail = api.get(f"/api/v1/orders/{order_uuid}/").json()
    assert sorted((i["work_id"], i["price"]["amount"]) for i in detail["items"]) == sorted(
        [(works[0].id, 1000), (works[1].id, 2500)]
    )
    assert detail["total"]["amount"] == 3500 and detail["refunds"] == []
    assert detail["organization"] == buyer.memberships.get().organization.slug

    licenses = api.get("/api/v1/licenses/").json()["results"]
    assert [(g["uuid"], g["order"]) for g in licenses] == [(detail["license"], order_uuid)]
    grant = api.get(f"/api/v1/licenses/{detail['license']}/").json()
    assert grant["status"] == "active"
    assert sorted(i["work_id"] for i in grant["items"]) == sorted(w.id for w in works)
    for item in grant["items"]:
        assert item["terms"]["uses"] and item["terms_hash"]
        assert item["expires_at"] > item["starts_at"]

    dataset = api.get(f"{DATASETS}{uuid}/").json()
    assert dataset["status"] == DatasetStatus.PURCHASED
    again = api.post(
        f"{DATASETS}{uuid}/checkout/", {"acknowledge_destruction": True}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "dataset_purchased"
