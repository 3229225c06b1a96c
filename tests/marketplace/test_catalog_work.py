"""A work's catalog page (/catalog/works/<id>/) and its API (GET /api/v1/catalog/works/<id>/):
shown to anyone while the work is on sale, with its preview, creator, facts, terms in plain
words and prices; anything else is not found. Cards link to it; a team member sees the card's
"add to dataset" action there, and both say "in dataset" from the dataset itself."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from licensing.consent import ConsentContext
from licensing.services.offers import offer_withdraw
from marketplace.selectors.catalog import CatalogQuery, catalog_query_from_params, catalog_work
from tests.factories import BuyerFactory, CreatorFactory, MembershipFactory, OfferFactory
from uploads.models import Work, WorkStatus

from .factories import listed_work, make_dataset

pytestmark = pytest.mark.django_db

GENERATIVE = "use=ai-train-generative&commercial=true&term_months=12"


@pytest.fixture
def ada():
    return CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")


@pytest.fixture
def harbour(ada):
    """On sale for $15.00 on the default terms (every use, commercial, 3 years, models
    destroyed at the end, credit required), with a preview."""
    work = listed_work(ada, price=1500, title="Harbour at dawn", tags=["sea", "boats"])
    work.preview = default_storage.save("renditions/t/preview.jpg", ContentFile(b"\xff\xd8jpeg"))
    work.save(update_fields=["preview"])
    return work


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


# --- the page -------------------------------------------------------------------------------


def test_anyone_sees_the_preview_creator_facts_terms_and_price(client, harbour):
    html = page(client, f"/catalog/works/{harbour.id}/")
    assert "<h1" in html and "Harbour at dawn" in html
    assert f'src="/catalog/works/{harbour.id}/preview/"' in html
    # The creator by display name, never by email; the name leads to their other works.
    assert "Ada Okafor" in html and "ada@example.com" not in html
    assert f"/catalog/?creator={harbour.owner_id}" in html
    # Kind and size.
    assert "JPEG image" in html and f"{harbour.width} × {harbour.height} px" in html
    # The terms in plain words, and the price formatted.
    for words in (
        "Train generative models",
        "Fine-tune existing models",
        "Allowed",  # commercial
        "3 years from the day a license is granted",
        "Every model trained on the work is destroyed",
        "The creator is credited",
    ):
        assert words in html, words
    assert "$15.00" in html
    assert "Sign in with your AI team account" in html


def test_only_a_listed_work_with_an_offer_on_sale_is_shown(client, ada, harbour):
    pending = listed_work(ada, title="Waiting", status=WorkStatus.PENDING_REVIEW)
    removed = listed_work(ada, title="Removed")
    Work.objects.filter(id=removed.id).update(status=WorkStatus.REMOVED)  # a claim upheld
    withdrawn = listed_work(ada, title="Withdrawn")
    offer_withdraw(
        offer=withdrawn.offers.get(), actor=ada, context=ConsentContext(user_agent="tests")
    )
    for work in (pending, removed, withdrawn):
        assert client.get(f"/catalog/works/{work.id}/").status_code == 404, work.title
        assert client.get(f"/api/v1/catalog/works/{work.id}/").status_code == 404, work.title
    for missing in (harbour.id + 1000, 0, 2**63, 10**30):
        assert client.get(f"/catalog/works/{missing}/").status_code == 404, missing
        response = client.get(f"/api/v1/catalog/works/{missing}/")
        assert response.status_code == 404 and response.json()["code"] == "not_found", missing
    assert client.get(f"/catalog/works/{harbour.id}/").status_code == 200


def test_a_creator_without_a_display_name_is_shown_by_number(client):
    nameless = CreatorFactory(email="quiet@example.com", profile=None)
    work = listed_work(nameless, title="Untitled sea")
    html = page(client, f"/catalog/works/{work.id}/")
    assert f"Creator #{nameless.id}" in html and "quiet@example.com" not in html


def test_catalog_cards_link_to_the_page_keeping_the_filters(client, harbour):
    html = page(client, f"/catalog/?{GENERATIVE}")
    link = f'href="/catalog/works/{harbour.id}/?{GENERATIVE.replace("&", "&amp;")}"'
    assert link in html
    # Not the raw preview any more.
    assert f'href="/catalog/works/{harbour.id}/preview/"' not in html


def test_offers_that_fit_the_use_come_first_and_the_others_are_still_shown(client, harbour):
    OfferFactory(work=harbour, preset="evaluation-1y", price_amount=500)
    OfferFactory(work=harbour, preset="nongenerative-research-5y", price_amount=450, currency="EUR")
    query = catalog_query_from_params({"use": "ai-train-generative", "commercial": "true"})
    work = catalog_work(work_id=harbour.id, query=query)
    assert [o.price_amount for o in work.catalog_offers] == [1500]
    assert [(o.price_amount, o.currency) for o in work.other_offers] == [(450, "EUR"), (500, "USD")]
    # Without a use: every dollar offer fits, cheapest first; the euro one is "also on sale".
    work = catalog_work(work_id=harbour.id, query=CatalogQuery())
    assert [o.price_amount for o in work.catalog_offers] == [500, 1500]

    html = page(client, f"/catalog/works/{harbour.id}/?use=ai-train-generative&commercial=true")
    assert "Offer that allows your use" in html and "generative training, in commercial use" in html
    assert 'data-testid="other-offers"' in html and "€4.50" in html and "$5.00" in html


def test_a_work_sold_only_in_another_currency_still_has_its_page(client, ada):
    work = listed_work(ada, title="Canal", price=900, currency="EUR")
    html = page(client, f"/catalog/works/{work.id}/")
    assert 'data-testid="no-fitting-offer"' in html and "€9.00" in html


def test_filters_that_cannot_be_used_still_show_the_work_and_say_so(client, harbour):
    html = page(client, f"/catalog/works/{harbour.id}/?use=ai-evaluate&term_months=soon")
    assert "data-filter-error" in html and "Months needed is a whole number" in html
    assert "$15.00" in html


def test_the_page_costs_a_fixed_number_of_queries(client, harbour, django_assert_num_queries):
    # The work with its creator's name, its offers on sale, those that fit the filters.
    with django_assert_num_queries(3):
        client.get(f"/catalog/works/{harbour.id}/?{GENERATIVE}")


# --- adding to a dataset, and "in dataset" after a reload ----------------------------------


@pytest.fixture
def buyer():
    return BuyerFactory(email="lin@orbit.example", membership__organization__name="Orbit Lab")


def test_a_team_member_adds_the_work_from_its_page_and_it_stays_in_dataset(client, buyer, harbour):
    dataset = make_dataset(buyer, [], name="Coastlines")
    client.force_login(buyer)
    url = f"/catalog/works/{harbour.id}/?{GENERATIVE}"
    html = page(client, url)
    assert f'action="/datasets/{dataset.uuid}/add/"' in html and "Add to dataset" in html
    assert 'data-testid="in-dataset"' not in html

    response = client.post(
        f"/datasets/{dataset.uuid}/add/", {"work_id": harbour.id}, HTTP_HX_REQUEST="true"
    )
    assert "Added" in response.content.decode()

    # A reload reads the dataset itself: the page and the card both say so, with no button.
    for shown in (page(client, url), page(client, f"/catalog/?{GENERATIVE}")):
        assert 'data-testid="in-dataset"' in shown and "Coastlines" in shown
        assert "Add to dataset</button>" not in shown


def test_in_dataset_is_the_teams_state_not_the_browsers(client, buyer, ada, harbour):
    other = listed_work(ada, title="Salt marsh")
    make_dataset(buyer, [harbour], name="Coastlines")
    # A teammate who never clicked anything sees it too…
    mate = BuyerFactory(membership=None)
    MembershipFactory(user=mate, organization=buyer.memberships.get().organization)
    client.force_login(mate)
    html = page(client, f"/catalog/?{GENERATIVE}")
    assert html.count('data-testid="in-dataset"') == 1
    assert f'<input type="hidden" name="work_id" value="{other.id}">' in html
    # …another team does not.
    client.force_login(BuyerFactory())
    assert 'data-testid="in-dataset"' not in page(client, f"/catalog/works/{harbour.id}/")
    # Removed from the dataset: the button is back.
    client.force_login(buyer)
    buyer.memberships.get().organization.datasets.get().items.all().delete()
    assert "Add to dataset</button>" in page(client, f"/catalog/works/{harbour.id}/")


def test_a_checked_out_dataset_is_not_the_one_cards_speak_of(client, buyer, harbour):
    from tests.factories import OrderFactory

    dataset = make_dataset(buyer, [harbour], name="Coastlines")
    OrderFactory(user=buyer, dataset=dataset)  # frozen, awaiting payment
    client.force_login(buyer)
    html = page(client, f"/catalog/works/{harbour.id}/?{GENERATIVE}")
    assert 'data-testid="in-dataset"' not in html and "Start a dataset with this" in html


# --- the API --------------------------------------------------------------------------------


def test_the_api_reads_one_work_as_the_page_shows_it(api_client, harbour):
    OfferFactory(work=harbour, preset="evaluation-1y", price_amount=500)
    response = api_client.get(
        f"/api/v1/catalog/works/{harbour.id}/", {"use": "ai-train-generative"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == harbour.id and body["title"] == "Harbour at dawn"
    assert body["creator"] == {"id": harbour.owner_id, "display_name": "Ada Okafor"}
    assert body["page_url"].endswith(f"/catalog/works/{harbour.id}/")
    assert body["preview_url"].endswith(f"/catalog/works/{harbour.id}/preview/")
    assert [o["price_display"] for o in body["offers"]] == ["$15.00"]
    assert body["offers"][0]["terms"]["on_expiry"] == "destroy-models"
    assert [o["price_display"] for o in body["other_offers"]] == ["$5.00"]
    bad = api_client.get(f"/api/v1/catalog/works/{harbour.id}/", {"term_months": "soon"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"
