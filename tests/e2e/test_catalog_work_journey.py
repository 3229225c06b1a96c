"""A team member in a real browser: from the catalog to a work's page (its watermarked
preview, terms in plain words, price), adds it to the team's dataset, reloads and is still told
it is in the dataset; then renames the dataset and deletes it after confirming."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.models import Dataset
from tests.factories import BuyerFactory, CreatorFactory, OfferFactory, StaffFactory
from tests.helpers import DEFAULT_PASSWORD
from tests.marketplace.factories import make_dataset
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.services.works import work_review_decide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GENERATIVE = "use=ai-train-generative&commercial=true&term_months=12"


def _on_sale(creator, staff, title: str, seed: int, price: int):
    work = upload_work(
        creator, jpeg_bytes(photo(960, 640, seed=seed)), name=f"{seed}.jpg", title=title
    )
    work_review_decide(work=work, approve=True, reason="", actor=staff)
    OfferFactory(work=work, price_amount=price)
    return work


def _sign_in(page, email: str):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_work_page_add_reload_in_dataset_rename_and_delete(page, screenshot, media_root):
    staff = StaffFactory()
    ada = CreatorFactory(profile__display_name="Ada Okafor")
    harbour = _on_sale(ada, staff, "Harbour at dawn", 1, 1500)
    _on_sale(ada, staff, "Salt marsh", 2, 999)
    buyer = BuyerFactory(email="lin@orbit.example", membership__organization__name="Orbit Lab")
    dataset = make_dataset(buyer, [], name="Coastlines")
    _sign_in(page, buyer.email)

    # The catalog's card opens the work's page, with the filters kept.
    page.goto(f"/catalog/?{GENERATIVE}")
    page.locator(".catalog-card", has_text="Harbour at dawn").get_by_role(
        "link", name="Harbour at dawn"
    ).click()
    page.wait_for_url(re.compile(rf"/catalog/works/{harbour.id}/\?use=ai-train-generative"))
    expect(page.get_by_role("heading", name="Harbour at dawn", level=1)).to_be_visible()
    preview = page.get_by_role("img", name=re.compile("Watermarked preview"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
    )
    expect(page.get_by_test_id("creator")).to_have_text("Ada Okafor")
    offer = page.locator(".work-offer")
    expect(offer.locator(".offer-price")).to_have_text("$15.00")
    expect(offer).to_contain_text("Every model trained on the work is destroyed")
    expect(offer).to_contain_text("The creator is credited")
    screenshot(page, "1-work-page")

    # Add it (htmx answers in place), reload: the page still says it is in the dataset.
    page.get_by_role("button", name="Add to dataset").click()
    expect(page.locator(".dataset-added")).to_contain_text("Added")
    page.reload()
    in_dataset = page.get_by_test_id("in-dataset")
    expect(in_dataset).to_contain_text("In dataset")
    expect(in_dataset).to_contain_text("Coastlines")
    expect(page.get_by_role("button", name="Add to dataset")).to_have_count(0)
    screenshot(page, "2-in-dataset-after-reload")
    # So does its card in the catalog; the other work can still be added.
    page.get_by_role("link", name="Catalog").first.click()
    expect(
        page.locator(".catalog-card", has_text="Harbour at dawn").get_by_test_id("in-dataset")
    ).to_be_visible()
    expect(
        page.locator(".catalog-card", has_text="Salt marsh").get_by_role(
            "button", name="Add to dataset"
        )
    ).to_be_visible()
    screenshot(page, "2a-catalog-cards")

    # Rename: a bad name is refused beside the field, a good one saved.
    page.goto(f"/datasets/{dataset.uuid}/")
    page.get_by_role("button", name="Rename").click()
    page.fill("#dataset-name", " ")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator("#dataset-name-error")).to_have_text("Give the dataset a name.")
    screenshot(page, "3a-rename-refused")
    page.fill("#dataset-name", "Harbours for v2")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("heading", name="Harbours for v2", level=1)).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("Renamed to “Harbours for v2”")
    screenshot(page, "3-dataset-renamed")

    # Delete, after a confirmation step.
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete “Harbours for v2”?")).to_be_visible()
    screenshot(page, "4-delete-confirmation")
    page.get_by_role("button", name="Delete the dataset").click()
    page.wait_for_url(re.compile(r"/datasets/$"))
    expect(page.get_by_role("alert").first).to_contain_text("Deleted “Harbours for v2”")
    expect(page.locator("[data-dataset]")).to_have_count(0)
    assert not Dataset.objects.filter(id=dataset.id).exists()
    screenshot(page, "5-dataset-deleted")
