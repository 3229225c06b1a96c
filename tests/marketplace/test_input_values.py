"""Datasets, the catalog and refunds take currency codes and vocabulary values in any case and
keep one canonical form; a wrong value is refused naming the valid ones; ids and numbers too
large for their column are a 400, never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from config.input_fields import BIGINT_MAX
from marketplace.models import Dataset, DatasetItem, Refund
from tests.factories import CreatorFactory, StaffFactory

from .factories import listed_work, make_dataset
from .test_pages import _paid

pytestmark = pytest.mark.django_db

DATASETS = "/api/v1/datasets/"
CURRENCIES = "AUD, CAD, CHF, DKK, EUR, GBP, JPY, KRW, NOK, NZD, SEK, USD"
USES = "ai-train-generative, ai-train-nongenerative, ai-fine-tune, ai-evaluate, ai-input"
GENERATIVE = {"uses": ["ai-train-generative"], "commercial": True, "months_needed": 12}


@pytest.fixture
def api(buyer) -> APIClient:
    client = APIClient()
    client.force_authenticate(buyer)
    return client


@pytest.fixture
def ada():
    return CreatorFactory(profile__display_name="Ada")


def create(api, **body):
    return api.post(DATASETS, {"name": "Faces", **GENERATIVE, **body}, format="json")


# --- The datasets API -------------------------------------------------------------------------


def test_a_dataset_takes_currency_and_uses_in_any_case(api, ada):
    euro = listed_work(ada, price=900, currency="EUR")
    response = create(
        api,
        uses=["AI-Train-Generative", " ai-train-generative"],
        currency="eur",
        work_ids=[euro.id],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["currency"] == "EUR" and body["intended_use"]["uses"] == ["ai-train-generative"]
    assert body["quote"]["total"]["currency"] == "EUR"
    dataset = Dataset.objects.get()
    assert (dataset.currency, dataset.uses) == ("EUR", ["ai-train-generative"])
    assert list(dataset.items.values_list("work_id", flat=True)) == [euro.id]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"currency": "btc"}, "currency", f'"btc" is not one of: {CURRENCIES}.'),
        ({"uses": ["Bogus"]}, "uses", f'Item 1: "Bogus" is not one of: {USES}.'),
        (
            {"months_needed": 10**30},
            "months_needed",
            "Ensure this value is less than or equal to 120.",
        ),
        (
            {"work_ids": [1, 10**30]},
            "work_ids",
            f"Item 2: Ensure this value is less than or equal to {BIGINT_MAX}.",
        ),
        ({"work_ids": [0]}, "work_ids", "Item 1: Ensure this value is greater than or equal to 1."),
    ],
)
def test_a_wrong_dataset_value_is_a_400_naming_the_valid_ones(api, overrides, field, message):
    response = create(api, **overrides)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"][field] == [message]
    assert not Dataset.objects.exists()


def test_adding_or_removing_oversized_work_ids_is_a_400(api, buyer, ada):
    dataset = make_dataset(buyer, [listed_work(ada)])
    url = f"{DATASETS}{dataset.uuid}/works/"
    for method in (api.post, api.delete):
        response = method(url, {"work_ids": [10**30]}, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["fields"]["work_ids"] == [
            f"Item 1: Ensure this value is less than or equal to {BIGINT_MAX}."
        ]
    assert DatasetItem.objects.filter(dataset=dataset).count() == 1


def test_a_catalog_filter_with_a_lower_case_currency_adds_the_works_priced_in_it(api, ada):
    euro = listed_work(ada, price=900, currency="EUR")
    listed_work(ada, price=900)  # in USD: not matched
    response = create(api, currency="EUR", filters={"currency": "eur", "use": "AI-Input"})
    assert response.status_code == 201, response.json()
    assert list(Dataset.objects.get().items.values_list("work_id", flat=True)) == [euro.id]


# --- The catalog API --------------------------------------------------------------------------


def test_the_catalog_takes_its_vocabularies_in_any_case(api, ada):
    euro = listed_work(ada, price=900, currency="EUR")
    listed_work(ada, price=900)
    response = api.get(
        "/api/v1/catalog/",
        {
            "currency": "eur",
            "use": "AI-Train-Generative",
            "sort": "Price_Asc",
            "media_type": "IMAGE/JPEG",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [w["id"] for w in body["results"]] == [euro.id]
    assert body["filters"]["currency"] == "EUR" and body["filters"]["sort"] == "price_asc"
    assert body["filters"]["use"] == ["ai-train-generative"]
    assert body["filters"]["media_type"] == ["image/jpeg"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"currency": "btc"},
            "currency",
            f"BTC is not a currency Assent handles; use one of: {CURRENCIES}.",
        ),
        ({"use": "Bogus"}, "use", f'"Bogus" is not one of: {USES}.'),
        (
            {"sort": "cheapest"},
            "sort",
            '"cheapest" is not one of: newest, relevance, price_asc, price_desc, largest.',
        ),
        (
            {"media_type": "image/gif"},
            "media_type",
            '"image/gif" is not one of: image/jpeg, image/png, image/webp, audio/wav, '
            "audio/flac, audio/mpeg, audio/ogg, text/plain, text/markdown, application/epub+zip.",
        ),
        ({"max_price": str(10**30)}, "max_price", "A price must be between 0 and"),
    ],
)
def test_a_wrong_catalog_filter_is_a_400_naming_the_valid_values(api, params, field, message):
    response = api.get("/api/v1/catalog/", params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"
    assert response.json()["fields"][field][0].startswith(message)


# --- The dataset page -------------------------------------------------------------------------


def test_the_dataset_form_takes_a_lower_case_currency_and_mixed_case_uses(client, buyer):
    client.force_login(buyer)
    response = client.post(
        "/datasets/",
        {
            "name": "Birds",
            "uses": ["AI-Fine-Tune"],
            "commercial": "true",
            "months_needed": "6",
            "currency": "eur",
        },
    )
    assert response.status_code == 302
    dataset = Dataset.objects.get()
    assert (dataset.uses, dataset.currency) == (["ai-fine-tune"], "EUR")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"currency": "btc"}, f"BTC is not a currency Assent handles; use one of: {CURRENCIES}."),
        ({"work_ids": [str(10**30)]}, "work_ids is a list of work ids."),
        ({"work_ids": ["²"]}, "work_ids is a list of work ids."),
    ],
)
def test_the_dataset_form_refuses_wrong_values_without_a_500(client, buyer, overrides, message):
    client.force_login(buyer)
    form = {
        "name": "Birds",
        "uses": ["ai-fine-tune"],
        "commercial": "true",
        "months_needed": "6",
        **overrides,
    }
    response = client.post("/datasets/", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Dataset.objects.exists()


# --- Refunds ----------------------------------------------------------------------------------


@pytest.fixture
def paid_order(client, settings, stripe_server, stripe_client, buyer, ada):
    from tests.payouts.factories import use_local_stripe

    use_local_stripe(settings, stripe_server)
    settings.STRIPE_WEBHOOK_SECRET = "whsec_input_values_tests"
    dataset = make_dataset(buyer, [listed_work(ada, price=1500, title="Harbour")])
    return _paid(client, stripe_server, stripe_client, dataset, buyer)


def test_refunding_items_no_table_holds_is_a_400(client, paid_order, staff_with_totp):
    staff = APIClient()
    staff.force_authenticate(StaffFactory())
    url = f"/api/v1/orders/{paid_order.uuid}/refunds/"
    response = staff.post(url, {"reason": "Twice", "item_ids": [10**30]}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["item_ids"] == [
        f"Item 1: Ensure this value is less than or equal to {BIGINT_MAX}."
    ]

    client.force_login(staff_with_totp)
    page = f"/staff/orders/{paid_order.uuid}/refund/"
    for junk in ("²", str(10**30)):
        response = client.post(page, {"scope": "items", "item_ids": [junk], "reason": "Twice"})
        assert response.status_code == 400
        assert "Choose items of this order." in response.content.decode()
    assert not Refund.objects.exists()


def test_the_staff_orders_filter_takes_a_status_in_any_case(client, paid_order, staff_with_totp):
    client.force_login(staff_with_totp)
    assert paid_order.number in client.get("/staff/orders/", {"status": "PAID"}).content.decode()
    refunded = client.get("/staff/orders/", {"status": "Refunded"}).content.decode()
    assert paid_order.number not in refunded
