"""Staff pages of moderation in a real browser: a team overdue on destroying its models is one
case in the review queue, and its page shows the team restricted and the overdue model.
`overdue` is in tests/fixtures/lifecycle.py; the pages' states are tested in
tests/moderation/test_overdue_case.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import signed_in_tab

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("media_root"),
]


def test_the_team_case_in_a_browser(browser, live_server, screenshot, staff_with_totp, overdue):
    context, tab = signed_in_tab(browser, live_server, staff_with_totp)
    try:
        tab.goto("/staff/review/")
        screenshot(tab, "1-queue")
        tab.get_by_role("link", name=overdue[0].name).click()
        expect(tab.locator("[data-testid=team-restricted]")).to_be_visible()
        expect(tab.locator("[data-declaration]")).to_contain_text("Orbit 7")
        screenshot(tab, "2-case")
    finally:
        context.close()
