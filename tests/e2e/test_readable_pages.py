"""Pages that must read as words, in a real browser: a creator's earnings with held money on
two release days and one frozen, their notifications, a work's metadata panel, and a staff
case and the decision log with screening's automatic decision beside a staff member's.

The states are tested in tests/payouts/test_held_releases.py, tests/accounts/
test_notification_words.py, tests/uploads/test_metadata_panel.py and tests/moderation/
test_automatic_decisions.py; these look at the pages (screenshots in test-output/)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from moderation.models import Outcome, Screening
from moderation.policy import POLICY_VERSION
from payouts.services.freezes import freeze_create
from tests.factories import CreatorFactory, OrderFactory
from tests.fixtures.moderation import open_screening_case
from tests.helpers import signed_in_tab
from tests.marketplace.factories import listed_work
from tests.payouts.factories import sell_on
from tests.uploads.images import png_bytes
from tests.uploads.works import upload_work
from uploads.models import WorkStatus
from uploads.services.history import work_status_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tab_for(browser, live_server):
    contexts = []

    def open_tab(user):
        context, tab = signed_in_tab(browser, live_server, user)
        contexts.append(context)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def test_the_earnings_page_says_when_held_money_becomes_available(
    tab_for, staff, screenshot, settings
):
    settings.EARNINGS_HOLD_DAYS = 14
    creator = CreatorFactory(email="ada@example.com")
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    sell_on(noon - timedelta(days=2), creator, 2500)
    sell_on(noon - timedelta(days=2), creator, 1000)
    sell_on(noon - timedelta(days=6), creator, 4000)
    sell_on(noon - timedelta(days=1), creator, 500, work_id=9)
    freeze_create(actor=staff, work_id=9, reason="Rights claim 7A21 under review.")

    tab = tab_for(creator)
    tab.goto("/studio/earnings/")

    schedule = tab.locator("#held-releases")
    expect(schedule.locator("[data-release=date]")).to_have_count(2)
    expect(schedule.locator("[data-release=date]").first).to_contain_text("$32.00 available on")
    expect(schedule.locator("[data-release=frozen]")).to_contain_text("held, no date yet")
    screenshot(tab, "earnings")


def test_notifications_and_the_metadata_panel_read_as_words(tab_for, buyer, screenshot, media_root):
    work = listed_work(title="Harbour at dawn", preset="generative-commercial-3y")
    OrderFactory(user=buyer, works=[work], paid=True, build=False)
    tab = tab_for(work.owner)

    tab.goto("/notifications/")
    expect(tab.locator(".notification").first).to_contain_text("generative training")
    expect(tab.locator("body")).not_to_contain_text("ai-train")
    screenshot(tab, "notifications")

    prompt = {
        "3": {"class_type": "KSampler", "inputs": {"seed": 8566257, "steps": 20, "cfg": 8}},
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5.ckpt"}},
    }
    comfy = upload_work(
        work.owner, png_bytes(text={"prompt": json.dumps(prompt)}), name="comfy.png"
    )
    tab.goto(f"/studio/works/{comfy.id}/")
    panel = tab.locator("[data-meta-section=png_text]")
    expect(panel).to_contain_text("KSampler: seed 8566257, steps 20, cfg 8")
    expect(panel).not_to_contain_text("class_type")
    panel.scroll_into_view_if_needed()
    screenshot(tab, "metadata-panel")


def test_a_case_shows_screenings_decision_as_automatic(
    tab_for, staff_with_totp, screenshot, media_root
):
    work = listed_work(status=WorkStatus.PENDING_REVIEW, title="Harbour at dawn")
    Screening.objects.create(
        work=work,
        score=55,
        outcome=Outcome.HOLD,
        reasons=["Looks like another account's work"],
        policy_version=POLICY_VERSION,
    )
    work_status_set(work=work, status=WorkStatus.PENDING_REVIEW, reason="Held for review")
    case = open_screening_case(work, risk=55)
    tab = tab_for(staff_with_totp)

    tab.goto(f"/staff/review/{case.id}/")
    tab.fill("#decision-reason", "The uploader sent the raw file.")
    tab.click("button[value=approve]")
    tab.goto(f"/staff/review/{case.id}/")
    decisions = tab.locator("[data-testid=case-decision]")
    expect(decisions).to_have_count(2)
    expect(decisions.first).to_contain_text("Automatic screening")
    expect(decisions.last).to_contain_text(f"by {staff_with_totp.email}")
    screenshot(tab, "case")

    tab.goto("/staff/review/log/")
    expect(tab.locator("tr[data-automatic=true]")).to_contain_text("Automatic screening")
    screenshot(tab, "decision-log")
