"""Offers, bulk offers and model declarations take currency codes and vocabulary values in any
case and keep one canonical form; a wrong value is refused naming the valid ones; numbers too
large for their column are a 400, never a 500."""

from __future__ import annotations

import pytest

from config.input_fields import BIGINT_MAX
from licensing.models import ConsentRecord, ModelDeclaration, Offer
from licensing.terms import LicenseTerms
from tests.factories import WorkFactory
from tests.marketplace.factories import listed_work
from uploads.models import WorkStatus

from .lifecycle_helpers import grant_for
from .test_declarations_api import START, body, token_client
from .test_offers import GENERATIVE, post_offer

pytestmark = pytest.mark.django_db

CURRENCIES = "AUD, CAD, CHF, DKK, EUR, GBP, JPY, KRW, NOK, NZD, SEK, USD"
USES = "ai-train-generative, ai-train-nongenerative, ai-fine-tune, ai-evaluate, ai-input"


@pytest.fixture
def work(creator, media_root):
    return WorkFactory(
        owner=creator, seed=0, title="Dusk over the bay", status=WorkStatus.PENDING_REVIEW
    )


@pytest.fixture
def creator_api(api_client, creator):
    api_client.force_authenticate(creator)
    return api_client


# --- The offers API ---------------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["eur", "Eur", " EUR "])
def test_a_currency_in_any_case_is_stored_upper_case(creator_api, work, currency):
    response = post_offer(creator_api, work, price=900, currency=currency)
    assert response.status_code == 201, response.json()
    assert response.json()["currency"] == "EUR" and response.json()["price_display"] == "€9.00"
    assert Offer.objects.get().currency == "EUR"
    assert ConsentRecord.objects.get().currency == "EUR"


def test_a_wrong_currency_is_refused_listing_the_valid_codes(creator_api, work):
    response = post_offer(creator_api, work, currency="btc")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]["currency"] == [f'"btc" is not one of: {CURRENCIES}.']
    assert not Offer.objects.exists() and not ConsentRecord.objects.exists()


def test_preset_and_custom_terms_in_mixed_case_are_stored_canonical(creator_api, work):
    preset = post_offer(creator_api, work, preset="Generative-Commercial-3Y")
    assert preset.status_code == 201, preset.json()
    assert Offer.objects.get(id=preset.json()["id"]).preset == GENERATIVE

    terms = {
        "uses": ["AI-Input", "ai-evaluate", "AI-EVALUATE"],
        "commercial": False,
        "term_months": 18,
        "on_expiry": "Stop-Training",
    }
    custom = post_offer(creator_api, work, preset=None, terms=terms)
    assert custom.status_code == 201, custom.json()
    offer = Offer.objects.get(id=custom.json()["id"])
    canonical = {
        "uses": ["ai-evaluate", "ai-input"],
        "commercial": False,
        "term_months": 18,
        "on_expiry": "stop-training",
    }
    assert offer.terms == LicenseTerms.from_dict(canonical)
    assert custom.json()["terms"]["uses"] == ["ai-evaluate", "ai-input"]
    assert custom.json()["terms"]["on_expiry"] == "stop-training"


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"uses": ["Bogus"]}, f'uses: Item 1: "Bogus" is not one of: {USES}.'),
        ({"on_expiry": "keep"}, 'on_expiry: "keep" is not one of: destroy-models, stop-training.'),
    ],
)
def test_a_wrong_use_or_expiry_is_refused_listing_the_valid_values(
    creator_api, work, terms, message
):
    full = {
        "uses": ["ai-input"],
        "commercial": False,
        "term_months": 12,
        "on_expiry": "stop-training",
        **terms,
    }
    response = post_offer(creator_api, work, preset=None, terms=full)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]["terms"] == [message]
    assert not Offer.objects.exists()


def test_a_wrong_preset_is_refused_listing_the_presets(creator_api, work):
    response = post_offer(creator_api, work, preset="everything-forever")
    assert response.status_code == 400
    [message] = response.json()["fields"]["preset"]
    assert message.startswith('"everything-forever" is not one of: ') and GENERATIVE in message


@pytest.mark.parametrize("price", [10**30, BIGINT_MAX + 1, 10**9 + 1])
def test_an_oversized_price_is_a_400_not_a_500(creator_api, work, price):
    response = post_offer(creator_api, work, price=price)
    assert response.status_code == 400
    assert response.json()["fields"]["price"] == [
        "Ensure this value is less than or equal to 1000000000."
    ]
    assert not Offer.objects.exists()


# --- The offer and bulk offer pages ----------------------------------------------------------


def test_the_offer_page_takes_a_lower_case_currency_and_mixed_case_terms(client, creator, work):
    client.force_login(creator)
    form = {
        "preset": "Custom",
        "uses": ["AI-Evaluate", "ai-input"],
        "term_months": "18",
        "on_expiry": "STOP-TRAINING",
        "price": "7",
        "currency": "eur",
        "step": "confirm",
        "consent": "yes",
    }
    response = client.post(f"/studio/works/{work.id}/offers/new/", form)
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert (offer.price_amount, offer.currency, offer.on_expiry) == (700, "EUR", "stop-training")
    assert sorted(offer.terms.canonical()["uses"]) == ["ai-evaluate", "ai-input"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"currency": "btc"}, f"&quot;btc&quot; is not one of: {CURRENCIES}."),
        (
            {
                "preset": "custom",
                "uses": ["bogus"],
                "term_months": "12",
                "on_expiry": "stop-training",
            },
            f"&quot;bogus&quot; is not one of: {USES}.",
        ),
        (
            {"preset": "custom", "uses": ["ai-input"], "term_months": "12", "on_expiry": "keep"},
            "&quot;keep&quot; is not one of: destroy-models, stop-training.",
        ),
    ],
)
def test_the_offer_page_names_the_valid_values(client, creator, work, overrides, message):
    client.force_login(creator)
    form = {
        "preset": GENERATIVE,
        "price": "12",
        "currency": "USD",
        "step": "confirm",
        "consent": "yes",
        **overrides,
    }
    response = client.post(f"/studio/works/{work.id}/offers/new/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Offer.objects.exists()


def test_the_bulk_offer_page_ignores_ids_no_table_holds(client, creator, work):
    client.force_login(creator)
    for junk in (["²"], [str(10**30)], [str(BIGINT_MAX + 1), str(work.id)]):
        response = client.get("/studio/offers/bulk/", {"work": junk})
        assert response.status_code == 200
    assert "Dusk over the bay" in response.content.decode()
    assert client.get("/studio/offers/bulk/", {"batch": "²"}).status_code == 200
    assert client.get("/studio/offers/bulk/", {"batch": str(10**30)}).status_code == 200


def test_bulk_offers_store_a_lower_case_currency_upper_case(
    client, creator, work, media_root, django_capture_on_commit_callbacks
):
    other = WorkFactory(owner=creator, seed=3, title="Forest", status=WorkStatus.PENDING_REVIEW)
    client.force_login(creator)
    form = {
        "works": [work.id, other.id],
        "preset": GENERATIVE,
        "price": "900",
        "currency": "jpy",
        "step": "confirm",
        "consent": "yes",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/studio/offers/bulk/", form)
    assert response.status_code == 302, response.content.decode()[:500]
    assert sorted(Offer.objects.values_list("work_id", "currency", "price_amount")) == [
        (work.id, "JPY", 900),
        (other.id, "JPY", 900),
    ]


# --- Model declarations -----------------------------------------------------------------------


@pytest.mark.parametrize("item", [10**30, BIGINT_MAX + 1, -1, 0])
def test_a_declaration_naming_an_item_id_no_table_holds_is_a_400(buyer, media_root, item):
    response = token_client(buyer).post("/api/v1/models/", body(items=[item]), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    [message] = response.json()["fields"]["items"]
    assert message.startswith("Item 1: Ensure this value is")
    assert not ModelDeclaration.objects.exists()


def test_the_declare_page_refuses_oversized_item_ids_without_a_500(client, buyer, media_root):
    grant = grant_for(buyer, [listed_work()], starts_at=START)
    client.force_login(buyer)
    form = {
        "name": "Orbit",
        "version": "2.0",
        "purpose": "Images",
        "is_commercial": "on",
        "is_generative": "on",
        "training_started_on": "2027-02-01",
        "training_ended_on": "2027-03-01",
        "items": [str(10**30), "²"],
    }
    response = client.post("/team/models/new/", form)
    assert response.status_code in (200, 400)
    assert not ModelDeclaration.objects.exists()
    find = client.post("/team/models/new/", {**form, "find": "1"})
    assert find.status_code == 200
    item = grant.items.get()
    declared = client.post("/team/models/new/", {**form, "items": [str(item.id)]})
    assert declared.status_code == 302
    assert list(ModelDeclaration.objects.get().items.all()) == [item]
