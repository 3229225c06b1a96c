"""The public pages in a real browser: a license's public record, and an image checked on the
verification page (a half-size, re-encoded copy of a licensed work). Their HTML is tested in
tests/transparency/test_public_license_page.py and tests/transparency/test_verify.py."""

from __future__ import annotations

import pytest

from tests.transparency.factories import creator, grant, jpeg, picture, resized, uploaded_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_near_index", "media_root"),
]


def test_a_visitor_reads_a_license_and_checks_a_copy(page, screenshot, buyer, tmp_path):
    work = uploaded_work(creator(named=True, name="Ada Lovelace"), seed=201, title="Harbour")
    uploaded_work(creator(named=False, name="Shy Person"), seed=202, title="Shy sunset")
    shy_work = uploaded_work(creator(named=False), seed=203, title="Quiet field")
    license_grant = grant(buyer.memberships.first().organization, [work, shy_work])

    page.goto(f"/public/licenses/{license_grant.uuid}/")
    assert page.get_by_role("heading", name="Licensed to Orbit Lab").is_visible()
    assert "1 creator chose not to be named" in page.content()
    assert "Quiet field" not in page.content()
    screenshot(page, "license")

    copy = tmp_path / "copy.jpg"
    copy.write_bytes(jpeg(resized(picture(201), 0.5), quality=60))
    page.goto("/verify/")
    page.set_input_files("input[name=file]", str(copy))
    page.get_by_role("button", name="Check").click()
    page.wait_for_selector("[data-testid=verify-result]")
    assert page.locator("[data-testid=verified-work]").count() == 1
    assert "Orbit Lab" in page.locator("[data-testid=active-license]").inner_text()
    screenshot(page, "verify-match")

    page.get_by_role("link", name="License record").click()
    page.wait_for_url(f"**/public/licenses/{license_grant.uuid}/")
