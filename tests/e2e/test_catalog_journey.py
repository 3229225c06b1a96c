"""The catalog in a real browser: a visitor sees what creators put on sale with thumbnails,
chooses an intended use and sees only the works and offers that allow it, loosens a search that
finds nothing, and is told plainly when a filter cannot be used."""

import re

import pytest
from playwright.sync_api import expect

from licensing.consent import ConsentContext
from licensing.services.offers import offer_create
from licensing.terms import PRESETS
from tests.factories import CreatorFactory, StaffFactory
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.services.works import work_review_decide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _on_sale(creator, staff, title: str, seed: int, offers, tags=()):
    work = upload_work(
        creator,
        jpeg_bytes(photo(640, 480, seed=seed)),
        name=f"{seed}.jpg",
        title=title,
        tags=list(tags),
    )
    work_review_decide(work=work, approve=True, reason="", actor=staff)
    for preset, price, currency in offers:
        offer_create(
            work=work,
            actor=creator,
            terms=PRESETS[preset].terms,
            preset=preset,
            price_amount=price,
            currency=currency,
            consent=True,
            context=ConsentContext(user_agent="journey"),
        )
    return work


def cards(page):
    return page.locator("article.catalog-card")


def test_visitor_filters_the_catalog_by_intended_use(page, live_server, screenshot, media_root):
    staff = StaffFactory()
    ada = CreatorFactory(profile__display_name="Ada Okafor")
    grace = CreatorFactory(profile__display_name="Grace Lin")
    _on_sale(
        ada,
        staff,
        "Harbour at dawn",
        1,
        [("generative-commercial-3y", 3000, "USD"), ("evaluation-1y", 500, "USD")],
        ["sea", "boats"],
    )
    _on_sale(ada, staff, "Forest path", 2, [("nongenerative-research-5y", 800, "USD")], ["trees"])
    _on_sale(
        grace,
        staff,
        "Night market",
        3,
        [("fine-tune-commercial-2y", 1200, "USD")],
        ["city", "neon"],
    )
    _on_sale(grace, staff, "Desert road", 4, [("evaluation-1y", 900, "EUR")])

    # Everything on sale in dollars, with thumbnails, creators and prices.
    page.goto("/catalog/")
    expect(page.get_by_role("heading", name="3 works on sale")).to_be_visible()
    expect(cards(page)).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text("Desert road")
    harbour = cards(page).filter(has_text="Harbour at dawn")
    expect(harbour).to_contain_text("by Ada Okafor")
    expect(harbour.locator(".offer-price")).to_have_text(["$5.00", "$30.00"])
    thumbnail = harbour.locator("img")
    expect(thumbnail).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    screenshot(page, "1-everything")

    # A team that trains a generative model sees one work, and only the offer that allows it.
    page.get_by_label("Generative training", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"use=ai-train-generative"))
    assert "price_from" not in page.url  # empty boxes stay out of the address
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first).to_contain_text("Harbour at dawn")
    expect(cards(page).first.locator(".offer-price")).to_have_text(["$30.00"])
    expect(page.locator(".intended-summary")).to_contain_text("generative training")
    screenshot(page, "2-generative")

    # Evaluation for a commercial product: the research-only work drops out.
    page.locator(".filter-chip", has_text="Generative training").first.click()
    page.get_by_label("Evaluation", exact=True).check()
    page.get_by_label("For commercial use").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"commercial=true"))
    expect(cards(page)).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text("Forest path")
    expect(cards(page).filter(has_text="Harbour at dawn").locator(".offer-price")).to_have_text(
        ["$5.00", "$30.00"]
    )

    # A creator's name narrows to their works, keeping the use.
    cards(page).filter(has_text="Night market").get_by_role("link", name="Grace Lin").click()
    page.wait_for_url(re.compile(r"creator="))
    expect(cards(page)).to_have_count(1)
    expect(page.locator(".filter-chip", has_text="By Grace Lin")).to_be_visible()
    expect(page.locator(".filter-chip", has_text="Evaluation")).to_be_visible()

    # A search that finds nothing says what to loosen.
    page.fill("#catalog-q", "submarine")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=submarine"))
    empty = page.locator("[data-catalog-empty]")
    expect(empty).to_contain_text("No works match these filters")
    expect(empty.locator(".filter-chip")).to_have_count(4)
    screenshot(page, "3-nothing-matches")
    empty.locator(".filter-chip", has_text="submarine").click()
    expect(cards(page)).to_have_count(1)

    # A filter that cannot be used is named, with the form as it was sent.
    page.goto("/catalog/?use=ai-evaluate&term_months=soon")
    expect(page.locator("[data-catalog-error]")).to_contain_text("Months needed is a whole number")
    expect(page.locator("#facet-months")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#facet-months")).to_have_value("soon")
    screenshot(page, "4-bad-filter")
