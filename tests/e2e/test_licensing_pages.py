"""The licensing pages in a real browser: a team declares a model on the license items that
allow it (a refusal shown item by item, with what was typed kept) and the creator sees it on
their pages; an owner signs a destruction attestation with its statement previewed as they
type, and a member of the team is told only owners may.

Their server-rendered states are tested in tests/licensing/test_creator_lifecycle_pages.py and
tests/licensing/test_attestations_api.py; `declaration` is in tests/fixtures/lifecycle.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import MembershipRole
from licensing.models import ModelDeclaration
from tests.factories import BuyerFactory, CreatorFactory, member_of, team_of
from tests.helpers import signed_in_tab
from tests.licensing.lifecycle_helpers import STOP, attest_page, grant_for
from tests.marketplace.factories import listed_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("media_root"),
]

START = datetime(2027, 1, 10, 12, tzinfo=UTC)


def test_team_declares_in_the_browser_and_the_creator_sees_it(browser, live_server, screenshot):
    painter, owner = CreatorFactory(), BuyerFactory()
    fits = grant_for(owner, [listed_work(painter, title="Cliffs at noon")], starts_at=START)
    research = grant_for(
        owner, [listed_work(painter, preset=STOP, title="Lab notes")], starts_at=START
    )
    context, tab = signed_in_tab(browser, live_server, owner)
    tab.goto("/team/models/")
    expect(tab.get_by_text("No models declared yet")).to_be_visible()
    tab.goto("/team/models/new/")
    tab.get_by_label("Model name").fill("Orbit")
    tab.get_by_label("Version").fill("1.0")
    tab.get_by_label("Purpose").fill("Text-to-image generator for our design tool")
    tab.get_by_label("Used commercially").check()
    tab.get_by_label("Generative model").check()
    tab.get_by_label("Training started").fill("2027-02-01")
    tab.get_by_label("Training ended").fill("2027-03-01")
    # Enter in the search box finds works; it declares nothing and loses nothing typed.
    tab.get_by_placeholder("Find works by title").fill("lab")
    tab.get_by_placeholder("Find works by title").press("Enter")
    expect(tab.get_by_test_id("match-count").first).to_be_visible()
    expect(tab.get_by_label("Lab notes")).to_be_visible()
    expect(tab.get_by_label("Model name")).to_have_value("Orbit")
    expect(tab.get_by_label("Generative model")).to_be_checked()
    assert not ModelDeclaration.objects.exists()
    screenshot(tab, "found")
    tab.locator(f'input[name="grants"][value="{fits.uuid}"]').check()
    tab.locator(f'input[name="grants"][value="{research.uuid}"]').check()
    tab.get_by_role("button", name="Declare the model").click()

    error = tab.get_by_test_id("declaration-error")
    expect(error).to_contain_text("1 of 2 license items do not allow this model")
    expect(error).to_contain_text("Lab notes")
    expect(tab.get_by_label("Model name")).to_have_value("Orbit")
    screenshot(tab, "refused")

    tab.locator(f'input[name="grants"][value="{research.uuid}"]').uncheck()
    tab.get_by_role("button", name="Declare the model").click()
    expect(tab.get_by_role("heading", name="Orbit 1.0")).to_be_visible()
    expect(tab.get_by_test_id("model-status")).to_contain_text("Active")
    screenshot(tab, "detail")
    context.close()

    context, tab = signed_in_tab(browser, live_server, painter)
    tab.goto("/studio/models/")
    expect(tab.get_by_test_id("your-works")).to_contain_text("Cliffs at noon")
    expect(tab.get_by_test_id("your-works")).not_to_contain_text("Lab notes")
    screenshot(tab, "creator-models")
    tab.goto("/studio/licenses/")
    expect(tab.get_by_text("Orbit 1.0")).to_be_visible()
    screenshot(tab, "creator-licenses")
    context.close()


def test_the_owner_signs_in_a_browser(browser, live_server, screenshot, buyer, declaration):
    context, tab = signed_in_tab(browser, live_server, buyer)
    try:
        tab.goto(attest_page(declaration))
        tab.fill("#id_destroyed_on", timezone.localdate().isoformat())
        tab.fill("#id_method", "Deleted the weights bucket and all 14 checkpoints.")
        preview = tab.locator("#statement-preview")
        expect(preview).to_contain_text("Deleted the weights bucket and all 14 checkpoints.")
        expect(preview).to_contain_text(f"was destroyed on {timezone.localdate().isoformat()}")
        screenshot(tab, "1-owner-form")
        tab.check("#id_confirm")
        tab.locator("#attestation-form [type=submit]").click()
        expect(tab.locator("[data-testid=signature-valid]")).to_be_visible()
        expect(tab.locator("[data-testid=model-status]")).to_have_text("Attested destroyed")
        screenshot(tab, "2-signed")
    finally:
        context.close()
    member = member_of(team_of(buyer), role=MembershipRole.MEMBER)
    context, tab = signed_in_tab(browser, live_server, member)
    try:
        tab.goto(attest_page(declaration))
        expect(tab.locator("[data-testid=not-owner]")).to_be_visible()
        screenshot(tab, "3-member")
    finally:
        context.close()
