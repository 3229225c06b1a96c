"""Journeys in a real browser (issue 21): a creator uploads files under titles they typed (the
field of each starts as its file name; an overlong one refuses that file alone), sees on the
works grid which works are on sale and at what price, and, pricing one, watches the fee and
what they net change as they type, then sees the same figures on the consent page."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from licensing.models import Offer
from tests.factories import CreatorFactory
from tests.helpers import DEFAULT_PASSWORD
from tests.uploads.images import jpeg_bytes, photo
from uploads.models import UploadRefusal, Work

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, email: str):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/studio/$"))


def test_creator_uploads_under_typed_titles_then_prices_a_work_seeing_the_net(
    page, live_server, screenshot, media_root, tmp_path, settings
):
    settings.PLATFORM_FEE_BPS = 2000
    creator = CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")
    names = ["harbour_at-dawn.jpg", "old_mill-02.jpg", "river.jpg"]
    for seed, name in enumerate(names, start=11):
        (tmp_path / name).write_bytes(jpeg_bytes(photo(480, 360, seed=seed)))
    _sign_in(page, creator.email)

    # Each chosen file gets a title field, prefilled from its name.
    page.goto("/studio/works/upload/")
    page.set_input_files("input[type=file]", [str(tmp_path / name) for name in names])
    harbour = page.get_by_label("Title for harbour_at-dawn.jpg")
    mill = page.get_by_label("Title for old_mill-02.jpg")
    river = page.get_by_label("Title for river.jpg")
    expect(harbour).to_have_value("harbour at dawn")
    expect(mill).to_have_value("old mill 02")
    expect(river).to_have_value("river")
    harbour.fill("Harbour at dawn, Lisbon")
    mill.fill("The old mill in winter")
    river.fill("A river " + "very " * 50 + "long")  # 262 characters: more than a title keeps
    page.check("input[name=ai_involvement][value=none]")
    page.check("input[name=rights_confirmed]")
    if connection.vendor == "sqlite":
        # SQLite's in-memory test database locks tables when two requests write at once.
        page.locator("#uploader").evaluate("form => { form.dataset.concurrency = '1'; }")
    screenshot(page, "1-uploader-titles")
    page.locator("[data-submit]").click()

    # The overlong title refuses that one file, saying why; the other two went in as titled.
    done = page.locator("[data-done]")
    expect(done).to_be_visible(timeout=60_000)
    expect(done).to_contain_text("2 of 3 files uploaded")
    queue = page.locator("[data-queue] > li")
    expect(queue.filter(has_text="harbour_at-dawn.jpg")).to_contain_text(
        "Uploaded as “Harbour at dawn, Lisbon”"
    )
    river_row = queue.filter(has_text="river.jpg")
    expect(river_row).to_contain_text("a title has at most 200")
    expect(river_row).to_contain_text("title_too_long")
    expect(river).to_have_attribute("aria-invalid", "true")
    screenshot(page, "2-uploader-sent")
    assert sorted(Work.objects.values_list("title", flat=True)) == [
        "Harbour at dawn, Lisbon",
        "The old mill in winter",
    ]
    assert list(UploadRefusal.objects.values_list("filename", "code")) == [
        ("river.jpg", "title_too_long")
    ]

    # The grid: neither work is on sale yet; each card offers to make an offer.
    page.goto("/studio/works/")
    cards = page.locator(".work-card")
    expect(cards).to_have_count(2)
    mill_card = cards.filter(has_text="The old mill in winter")
    expect(mill_card.locator(".work-card-sale")).to_contain_text("Not on sale")
    mill_card.get_by_role("link", name=re.compile("Make an offer")).click()
    page.wait_for_url(re.compile(r"/offers/new/$"))

    # The price form: the fee and the net follow the price as it is typed.
    net = page.locator("[data-offer-net]")
    expect(net.locator("[data-net-amount]")).to_have_text("$20.00")  # for the first $25
    price = page.locator("#id_price")
    price.fill("")
    price.press_sequentially("12.34", delay=40)
    expect(net.locator("[data-net-fee]")).to_have_text("−$2.47")
    expect(net.locator("[data-net-amount]")).to_have_text("$9.87")
    expect(net).to_contain_text("Assent's fee (20%)")
    screenshot(page, "3-price-form-net")
    page.select_option("#id_currency", "JPY")
    price.fill("")
    price.press_sequentially("1001", delay=40)
    expect(net.locator("[data-net-amount]")).to_have_text("¥800")
    expect(net.locator("[data-net-fee]")).to_have_text("−¥201")
    price.fill("")
    price.press_sequentially("12,50", delay=40)
    expect(net).to_contain_text("Use a point for decimals")
    page.select_option("#id_currency", "USD")
    price.fill("")
    price.press_sequentially("12.34", delay=40)
    expect(net.locator("[data-net-amount]")).to_have_text("$9.87")

    # The consent page says the same, from the server.
    page.get_by_role("button", name=re.compile("Review and consent")).click()
    expect(page.locator("[data-consent-net]")).to_contain_text(
        "For each license sold at $12.34, Assent's fee (20%) is $2.47 and you net $9.87."
    )
    screenshot(page, "4-consent-net")
    page.get_by_label("I consent to offering this work on these terms").check()
    page.get_by_role("button", name="Consent and offer").click()
    page.wait_for_url(re.compile(r"/studio/works/\d+/$"))
    offer = Offer.objects.get()
    assert (offer.price_amount, offer.currency) == (1234, "USD")

    # Back on the grid: that work is on sale at its price; the other still is not.
    page.goto("/studio/works/")
    expect(mill_card.locator(".work-card-sale")).to_contain_text("On sale")
    expect(mill_card.locator("[data-sale-price]")).to_have_text("$12.34")
    harbour_card = cards.filter(has_text="Harbour at dawn, Lisbon")
    expect(harbour_card.locator(".work-card-sale")).to_contain_text("Not on sale")
    screenshot(page, "5-works-grid-on-sale")
