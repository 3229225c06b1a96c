"""Journeys in a real browser: a creator offers a work (terms, price, an explicit consent),
reads the public license, withdraws the offer and finds both in the consent history; then
offers three works at once with custom terms and follows the bulk job to the end.

Celery runs eagerly in tests, so a bulk job is usually done by the time its page loads; a job
still running is shown by making one by hand and finishing it while the page polls.
"""

import re

import pytest
from playwright.sync_api import expect

from licensing.models import BulkOfferJob, ConsentRecord, Offer
from licensing.terms import PRESETS
from tests.factories import CreatorFactory, StaffFactory
from tests.helpers import DEFAULT_PASSWORD
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.models import WorkStatus
from uploads.services.works import work_review_decide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINE_TUNE = "fine-tune-commercial-2y"


def _work(creator, title: str, seed: int, *, approve_by=None):
    work = upload_work(
        creator, jpeg_bytes(photo(640, 480, seed=seed)), name=f"{title}.jpg", title=title
    )
    # Screening lists a clean upload once processing commits; staff may still approve it.
    assert work.status == WorkStatus.LISTED
    if approve_by is not None:
        work_review_decide(work=work, approve=True, reason="", actor=approve_by)
        work.refresh_from_db()
    return work


def _sign_in(page, email: str):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/studio/$"))


def test_creator_offers_a_work_reads_the_license_withdraws_and_sees_the_history(
    page, live_server, screenshot, media_root
):
    creator = CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")
    work = _work(creator, "Harbour at dawn", seed=3, approve_by=StaffFactory())
    _sign_in(page, creator.email)

    # The work's page says plainly that nothing is for sale yet.
    page.goto(f"/studio/works/{work.id}/")
    panel = page.locator("#licensing")
    expect(panel).to_contain_text("Not offered")
    expect(panel).to_contain_text("nothing about this work is for sale", ignore_case=True)
    screenshot(page, "1-work-not-offered")

    # Terms and price: a preset, 30 USD. The floor for the chosen currency is shown.
    panel.get_by_role("link", name="Add an offer").click()
    page.wait_for_url(re.compile(rf"/studio/works/{work.id}/offers/new/$"))
    expect(page.locator("[data-custom-terms]")).to_be_hidden()
    expect(page.locator("[data-floor-text]")).to_have_text("$2.00")
    page.select_option("select[name=currency]", "EUR")
    expect(page.locator("[data-floor-text]")).to_have_text("€2.00")
    page.select_option("select[name=currency]", "USD")
    page.locator(f"label[for=preset-{FINE_TUNE}]").click()
    page.fill("input[name=price]", "30")
    screenshot(page, "2-offer-form")
    page.get_by_role("button", name="Review and consent").click()

    # The consent screen: the summary in plain words, the full license, an unticked box.
    summary = page.locator(".summary-list")
    expect(summary).to_contain_text("fine-tune existing models")
    expect(summary).to_contain_text("You are paid $30.00 per license")
    expect(page.locator(".license-text")).to_contain_text("ASSENT AI TRAINING LICENSE")
    expect(page.locator("input[name=consent]")).not_to_be_checked()
    screenshot(page, "3-consent")

    # Without ticking the box nothing is offered, and the page says why.
    page.get_by_role("button", name="Consent and offer").click()
    expect(page.get_by_role("alert")).to_contain_text("explicit consent")
    expect(page.locator("input[name=consent]")).to_have_class(re.compile("is-invalid"))
    assert not Offer.objects.exists()
    assert not ConsentRecord.objects.exists()
    screenshot(page, "4-consent-missing")

    page.get_by_label("I consent to offering this work on these terms").check()
    page.get_by_role("button", name="Consent and offer").click()
    page.wait_for_url(re.compile(rf"/studio/works/{work.id}/$"))
    expect(page.get_by_text("is offered at $30.00 per license")).to_be_visible()
    offer = Offer.objects.get()
    assert (offer.work_id, offer.price_amount, offer.currency, offer.preset, offer.status) == (
        work.id,
        3000,
        "USD",
        FINE_TUNE,
        "active",
    )
    assert offer.terms == PRESETS[FINE_TUNE].terms
    row = panel.locator(".offer-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("$30.00")
    expect(row).to_contain_text("On sale")
    expect(row).to_contain_text("Fine-tuning")
    expect(panel.get_by_role("link", name="Withdraw this work from sale")).to_be_visible()
    panel.scroll_into_view_if_needed()
    screenshot(page, "5-work-offered")

    # The machine-readable offer answers, and the public license page shows the same terms.
    rsl = page.request.get(f"/offers/{offer.uuid}/rsl.xml")
    assert rsl.ok and "rsl" in rsl.text()
    row.get_by_role("link", name="Read the license").click()
    page.wait_for_url(re.compile(rf"/licenses/terms/{offer.terms_hash}/$"))
    expect(page.get_by_role("heading", name="License terms")).to_be_visible()
    expect(page.locator("#terms-hash")).to_have_text(offer.terms_hash)
    expect(page.locator(".license-text")).to_contain_text(
        "Fine-tune existing models", ignore_case=True
    )
    text = page.request.get(f"/licenses/terms/{offer.terms_hash}/?format=txt")
    assert text.ok and text.text().startswith("ASSENT AI TRAINING LICENSE")
    screenshot(page, "6-public-license")

    # Withdraw: the page says what stops and what runs on, then the offer is marked withdrawn.
    page.goto(f"/studio/works/{work.id}/")
    row.get_by_role("link", name="Withdraw").click()
    page.wait_for_url(re.compile(rf"/offers/{offer.id}/withdraw/$"))
    expect(page.locator("main")).to_contain_text(
        "No licenses have been granted for this work, so nothing keeps running."
    )
    screenshot(page, "7-withdraw")
    page.get_by_role("button", name="Withdraw consent").click()
    page.wait_for_url(re.compile(rf"/studio/works/{work.id}/$"))
    expect(page.get_by_text("Consent withdrawn: this offer is no longer sold.")).to_be_visible()
    expect(row).to_contain_text("Consent withdrawn")
    expect(row.get_by_role("link", name="Withdraw")).to_have_count(0)
    offer.refresh_from_db()
    assert offer.status == "withdrawn" and offer.ended_at is not None
    panel.scroll_into_view_if_needed()
    screenshot(page, "8-work-withdrawn")

    # The consent history: the withdrawal, then the consent, with what was agreed.
    page.get_by_role("link", name="Consents", exact=True).first.click()
    page.wait_for_url(re.compile(r"/studio/consents/$"))
    records = page.locator(".consent-record")
    expect(records).to_have_count(2)
    expect(records.nth(0)).to_contain_text("Consent withdrawn")
    expect(records.nth(1)).to_contain_text("Consent given")
    expect(records.nth(1)).to_contain_text("Harbour at dawn")
    expect(records.nth(1)).to_contain_text("You are paid $30.00 per license")
    records.nth(1).locator("summary").click()
    expect(records.nth(1)).to_contain_text(offer.terms_hash)
    assert list(ConsentRecord.objects.values_list("action", flat=True)) == ["withdrawn", "given"]
    screenshot(page, "9-consent-history")


def test_creator_offers_three_works_at_once_with_custom_terms(
    page, live_server, screenshot, media_root
):
    creator = CreatorFactory(email="kenji@example.com", profile__display_name="Kenji Mori")
    staff = StaffFactory()
    chosen = [
        _work(creator, "Tide pools", seed=11, approve_by=staff),
        _work(creator, "Kelp forest", seed=12),
        _work(creator, "Salt marsh", seed=13, approve_by=staff),
    ]
    rejected = _work(creator, "Borrowed photo", seed=14)
    work_review_decide(work=rejected, approve=False, reason="Not your photo.", actor=staff)
    _sign_in(page, creator.email)

    # Before anything: an empty history, and a bulk page with nothing selected explains itself.
    page.goto("/studio/consents/")
    expect(page.get_by_text("You have not given any consent yet")).to_be_visible()
    screenshot(page, "1-consent-history-empty")
    page.goto("/studio/offers/bulk/")
    expect(page.get_by_text("No works to offer were selected")).to_be_visible()
    screenshot(page, "2-bulk-nothing-selected")

    # The grid: only works that can be offered have a box; the button waits for a selection.
    page.goto("/studio/works/")
    expect(page.locator(".work-card")).to_have_count(4)
    expect(page.locator(".work-card input[name=work]")).to_have_count(3)
    expect(
        page.locator(".work-card").filter(has_text="Borrowed photo").locator("input[name=work]")
    ).to_have_count(0)
    submit = page.get_by_role("button", name="Set terms for selected")
    expect(submit).to_be_disabled()
    for work in chosen:
        page.get_by_label(f"Select {work.title}").check()
    expect(page.locator("[data-selected-count]")).to_have_text("3 works selected")
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)  # let the selected cards' border transition finish
    screenshot(page, "3-works-selected")
    submit.click()
    page.wait_for_url(re.compile(r"/studio/offers/bulk/\?work="))
    expect(page.get_by_role("heading", name="Set terms for 3 works")).to_be_visible()
    expect(page.locator(".bulk-works li")).to_have_count(3)

    # Custom terms start from the preset chosen before (the first, by default): evaluation only,
    # non-commercial, 12 months, training stops at the end; 15 EUR.
    page.locator("label[for=preset-custom]").click()
    custom = page.locator("[data-custom-terms]")
    expect(custom).to_be_visible()
    expect(custom.locator("input[name=uses]:checked")).to_have_count(5)

    # Terms that cannot exist and a price that is not one are sent back, each named.
    for box in custom.locator("input[name=uses]").all():
        box.uncheck()
    page.fill("input[name=price]", "fifteen")
    page.get_by_role("button", name="Review and consent").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was offered")
    expect(
        page.locator(".invalid-feedback").filter(has_text="Allow at least one use.")
    ).to_be_visible()
    expect(
        page.locator(".invalid-feedback").filter(has_text="Enter a price such as 12 or 12.50.")
    ).to_be_visible()
    expect(custom).to_be_visible()
    expect(page.locator(".bulk-works li")).to_have_count(3)
    screenshot(page, "4-bulk-form-errors")
    assert not Offer.objects.exists()

    page.get_by_label("Models trained on it may be used commercially").uncheck()
    for box in custom.locator("input[name=uses]").all():
        box.set_checked(box.get_attribute("value") == "ai-evaluate")
    page.fill("input[name=term_months]", "12")
    page.locator("label[for=expiry-stop-training]").click()
    page.select_option("select[name=currency]", "EUR")
    page.fill("input[name=price]", "15")
    screenshot(page, "5-bulk-form-custom")
    page.get_by_role("button", name="Review and consent").click()

    expect(page.locator("main")).to_contain_text("You are about to offer these 3 works")
    summary = page.locator(".summary-list")
    expect(summary).to_contain_text("evaluate and benchmark models")
    expect(summary).to_contain_text("After 1 year training on it must stop")
    expect(summary).to_contain_text("€15.00")
    screenshot(page, "6-bulk-consent")
    page.get_by_label("I consent to offering these 3 works on these terms").check()
    page.get_by_role("button", name="Consent and offer").click()

    # The job page: done (eager Celery), every work offered, polling stopped.
    page.wait_for_url(re.compile(r"/studio/offers/bulk/\d+/$"))
    progress = page.locator("#bulk-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=30_000)
    expect(progress).to_contain_text("all 3 works offered")
    assert progress.get_attribute("hx-trigger") is None
    screenshot(page, "7-bulk-job-done")

    offers = Offer.objects.filter(status="active").order_by("work_id")
    assert [o.work_id for o in offers] == sorted(w.id for w in chosen)
    for offer in offers:
        assert (offer.uses, offer.term_months, offer.on_expiry, offer.commercial) == (
            ["ai-evaluate"],
            12,
            "stop-training",
            False,
        )
        assert (offer.price_amount, offer.currency, offer.preset) == (1500, "EUR", "")
    assert ConsentRecord.objects.filter(action="given").count() == 3

    # A job still running polls itself every second until it is done, then lists what it skipped.
    job = BulkOfferJob.objects.create(
        owner=creator,
        work_ids=[w.id for w in chosen] + [rejected.id],
        terms=PRESETS["evaluation-1y"].terms.canonical(),
        preset="evaluation-1y",
        price_amount=900,
        currency="USD",
        status="running",
        total=4,
        done=1,
    )
    page.goto(f"/studio/offers/bulk/{job.id}/")
    progress = page.locator("#bulk-progress")
    expect(progress).to_contain_text("1 of 4 works done")
    expect(progress).to_have_attribute("hx-trigger", "every 1s")
    screenshot(page, "8-bulk-job-running")
    BulkOfferJob.objects.filter(id=job.id).update(
        done=4,
        status="done",
        skipped=[
            {
                "work_id": rejected.id,
                "title": rejected.title,
                "reason": "This work is rejected; only works waiting for review or approved "
                "can be offered.",
            }
        ],
    )
    expect(progress).to_have_attribute("data-status", "done", timeout=10_000)
    expect(progress).to_contain_text("3 of 4 works offered, 1 skipped")
    expect(progress.locator(".skipped-row")).to_contain_text("Borrowed photo")
    expect(progress.locator(".skipped-row")).to_contain_text("only works waiting for review")
    screenshot(page, "9-bulk-job-with-skipped")
