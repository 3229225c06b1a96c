"""A data request in a real browser: a team posts it with the form, a creator finds it with
the works of theirs that fit, reads the consent step and consents, and the team accepts the
work. Screenshots of each page go to test-output/screenshots/; the Content-Security-Policy
must refuse nothing on the way."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import DataRequest, DataRequestResponse
from tests.factories import BuyerFactory, CreatorFactory
from tests.helpers import signed_in_tab
from tests.marketplace.factories import listed_work
from tests.uploads.images import jpeg_bytes, photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _work(creator, title: str, seed: int, tags=("harbour", "boats")):
    work = listed_work(creator, title=title, tags=list(tags), price=1500)
    work.thumbnail = default_storage.save(
        f"renditions/requests/{seed}.jpg", ContentFile(jpeg_bytes(photo(480, 360, seed=seed)))
    )
    work.save(update_fields=["thumbnail"])
    return work


def _tab(browser, live_server, user, refused: list):
    context, tab = signed_in_tab(browser, live_server, user)
    tab.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return context, tab


def test_a_request_is_posted_offered_into_and_accepted(
    browser, live_server, screenshot, media_root, settings
):
    settings.PLATFORM_FEE_BPS = 2000
    ada = CreatorFactory(profile__display_name="Ada Okafor")
    _work(ada, "Harbour at dawn", 1)
    _work(ada, "Cranes in fog", 2)
    _work(ada, "Mountain lake", 3, tags=("lake",))
    owner = BuyerFactory(membership__organization__name="Orbit Lab")
    refused: list[str] = []

    # The team posts its request.
    team_context, team = _tab(browser, live_server, owner, refused)
    team.goto("/requests/")
    team.fill("#rq-title", "Working harbours at dawn")
    team.fill("#rq-description", "Harbours with boats and cranes, in early light. 4:3 or wider.")
    team.fill("#rq-tags", "harbour")
    team.fill("#rq-count", "5")
    team.check("#rq-use-ai-train-generative")
    team.check("#rq-commercial")
    team.fill("#rq-price", "12")
    team.fill("#rq-deadline", (timezone.localdate() + timezone.timedelta(days=14)).isoformat())
    team.get_by_role("button", name="Post the request").click()
    expect(team.get_by_role("alert").first).to_contain_text("Posted")
    data_request = DataRequest.objects.get()
    team.goto("/requests/")
    expect(team.locator("[data-request]")).to_have_count(1)
    screenshot(team, "1-team-requests")

    # The creator sees it with the two works of hers that fit.
    creator_context, studio = _tab(browser, live_server, ada, refused)
    studio.goto("/studio/requests/")
    expect(studio.get_by_test_id("match-count")).to_contain_text("2 of your works fit")
    screenshot(studio, "2-creator-requests")
    studio.get_by_role("link", name="Working harbours at dawn").click()
    expect(studio.locator("[data-work]")).to_have_count(2)
    screenshot(studio, "3-creator-request")

    # The consent step: the terms, what she nets, the exact text.
    studio.get_by_role("link", name="Offer Harbour at dawn").click()
    expect(studio.get_by_test_id("net")).to_contain_text("$9.60")
    expect(studio.get_by_test_id("consent-text")).to_contain_text("“Harbour at dawn”")
    screenshot(studio, "4-offer-confirmation")
    studio.get_by_role("button", name="Consent and offer").click()
    expect(studio.locator("#consent-error")).to_contain_text("explicit consent")
    studio.check("#consent")
    studio.get_by_role("button", name="Consent and offer").click()
    expect(studio.get_by_role("alert").first).to_contain_text("Offered")
    expect(studio.locator("[data-work]")).to_have_count(1)
    screenshot(studio, "5-creator-request-offered")
    assert DataRequestResponse.objects.get().price_amount == 1200

    # The team sees the work offered and accepts it.
    team.goto(f"/requests/{data_request.uuid}/")
    expect(team.locator("[data-response]")).to_have_count(1)
    team.get_by_role("button", name="Accept Harbour at dawn").click()
    expect(team.locator('[data-stage="accepted"]')).to_have_count(1)
    expect(team.get_by_role("button", name=re.compile(r"Check out 1 work"))).to_be_visible()
    screenshot(team, "6-team-request")

    team_context.close()
    creator_context.close()
    assert refused == []
