"""The navigation fits on one line at 1280 px for every role (issue 21: the staff bar wrapped
its links, the review badge and "Sign out" onto second lines), with a long email cut short."""

from __future__ import annotations

import pytest

from tests.factories import BuyerFactory, CreatorFactory
from tests.helpers import signed_in_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "a.very.long.address.for.testing@research-department.example.org"


@pytest.mark.parametrize("role", ["anonymous", "creator", "buyer", "staff"])
def test_every_roles_navigation_is_one_line_at_1280_px(
    browser, live_server, role, staff_with_totp, screenshot
):
    user = {
        "anonymous": None,
        "creator": lambda: CreatorFactory(email=LONG),
        "buyer": lambda: BuyerFactory(email=LONG),
        "staff": lambda: staff_with_totp,
    }[role]
    if role == "staff":  # with open cases, so the review badge shows a count
        from tests.moderation.test_staff_pages import held

        held(title="Harbour copy")
        held(title="Dunes copy")
    if user is None:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        tab = context.new_page()
    else:
        context, tab = signed_in_tab(browser, live_server, user())
    try:
        tab.goto("/staff/" if role == "staff" else "/")
        tab.wait_for_load_state("networkidle")
        if role == "staff":
            assert tab.get_by_test_id("review-count").inner_text().split()[0] == "2"
        nav = tab.locator("nav.site-nav")
        link_height = tab.locator("nav.site-nav .nav-link").first.bounding_box()["height"]
        # One row of links: the bar is no taller than a link plus its padding.
        assert nav.bounding_box()["height"] < 2 * link_height + 24
        tops = {
            round(box["y"])
            for box in (
                el.bounding_box() for el in tab.locator("nav.site-nav .navbar-nav > li").all()
            )
            if box
        }
        assert max(tops) - min(tops) < link_height, tops
        assert tab.locator("nav.site-nav .nav-link.active").count() <= 1
        # Nor wider than the window: nothing (a "Sign out" cut off) needs scrolling sideways.
        assert tab.evaluate("document.documentElement.scrollWidth") <= 1280
        screenshot(tab, f"nav-{role}")
    finally:
        context.close()
