"""Every role's pages render in Chromium under the Content-Security-Policy with no violation
(nothing refused: no script, style, image, font or form target), and the behaviours that moved
out of inline script still work: confirmations before revoking a token, printing a receipt,
sorting the catalog at once, select-all in the review queue, Bootstrap's menus, htmx's
fragments, Swagger UI (its start-up script runs under the nonce) and the two-factor QR code.
The header itself, page by page, is tested in tests/security/test_csp_headers.py."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from accounts.models import ApiToken
from accounts.services.tokens import api_token_create
from moderation.models import CaseKind, ReviewCase
from tests.factories import StaffFactory
from tests.helpers import DEFAULT_PASSWORD, signed_in_tab
from tests.marketplace.factories import listed_work
from tests.marketplace.lifecycle import paid_order
from tests.uploads.images import jpeg_bytes, photo
from uploads.models import Work, WorkStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium reports each refusal on the console ("Refused to load …", "… violates the following
# Content Security Policy directive …") and fires a securitypolicyviolation event, which this
# script (run by Playwright outside the page's policy) records.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + (e.sourceFile || location.pathname) + ":" + e.lineNumber);
});
"""


class Watch:
    """A signed-in (or anonymous) tab that collects every CSP complaint of the pages it opens."""

    def __init__(self, context, tab):
        self.context, self.tab, self.problems = context, tab, []
        context.add_init_script(RECORD_VIOLATIONS)
        tab.on("console", self._console)
        tab.on("pageerror", lambda error: self.problems.append(f"{tab.url}: {error}"))

    def _console(self, message):
        if re.search(r"Content Security Policy|Refused to", message.text):
            self.problems.append(f"{self.tab.url}: {message.text}")

    def visit(self, url: str):
        response = self.tab.goto(url)
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        self.tab.wait_for_load_state("networkidle")
        self.collect()
        return self.tab

    def collect(self):
        self.problems += [
            f"{self.tab.url}: {v}" for v in self.tab.evaluate("window.__cspViolations || []")
        ]

    def close(self):
        self.context.close()


def watch(browser, live_server, user=None) -> Watch:
    if user is None:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        tab = context.new_page()
        tab.set_default_timeout(15_000)
    else:
        context, tab = signed_in_tab(browser, live_server, user)
    return Watch(context, tab)


def _with_thumbnail(work, seed: int):
    work.thumbnail = default_storage.save(
        f"renditions/csp/{seed}.jpg", ContentFile(jpeg_bytes(photo(480, 360, seed=seed)))
    )
    work.save(update_fields=["thumbnail"])
    return work


@pytest.fixture
def work(creator, media_root):
    """Two listed works (with thumbnails); the first one."""
    work = _with_thumbnail(listed_work(creator, title="Harbour at dawn"), 1)
    _with_thumbnail(listed_work(creator, title="Salt marsh", price=900), 2)
    return work


@pytest.fixture
def order(buyer, work):
    """The team's paid order of the first work (package not built)."""
    return paid_order(buyer, [work], build=False)


@pytest.fixture
def held(creator, order):
    """A third work, held for review (a case on the staff queue)."""
    held = _with_thumbnail(listed_work(creator, title="Dunes", status=WorkStatus.PENDING_REVIEW), 3)
    ReviewCase.objects.create(work=held, kind=CaseKind.SCREENING, risk_score=60, reason="Held")
    return held


def test_anonymous_pages_render_without_a_violation(browser, live_server, work, order, held):
    w = watch(browser, live_server)
    for url in [
        "/",
        "/catalog/",
        "/verify/",
        "/accounts/login/",
        "/accounts/signup/",
        f"/public/licenses/{order.license_grant.uuid}/",
    ]:
        w.visit(url)

    # Swagger UI: the page draws the API only if its start-up script ran under the nonce.
    tab = w.visit("/api/docs/")
    expect(tab.locator(".swagger-ui .info .title")).to_contain_text("Assent API")
    expect(tab.locator(".opblock").first).to_be_visible()

    # Sorting the catalog sends its form at once, and empty filters stay out of the address.
    tab = w.visit("/catalog/")
    expect(tab.locator(".catalog-card img").first).to_have_js_property("complete", True)
    tab.select_option("#catalog-sort", index=1)
    tab.wait_for_url(re.compile(r"sort="))
    assert "q=&" not in tab.url and not tab.url.endswith("q=")
    w.collect()
    assert w.problems == []
    w.close()


def test_a_creators_pages_render_without_a_violation_and_confirm_still_asks(
    browser, live_server, work, order, held, creator
):
    token, _ = api_token_create(user=creator, name="Render farm")
    w = watch(browser, live_server, creator)
    for url in [
        "/studio/",
        "/studio/works/",
        "/studio/works/upload/",
        f"/studio/works/{work.id}/",
        "/studio/consents/",
        "/studio/sales/",
        "/studio/earnings/",
        "/studio/licenses/",
        "/studio/demand/",
        "/notifications/",
        # allauth's own pages (email, password) and our two-factor overview
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
    ]:
        w.visit(url)
    # The uploader is script: it is there, wired to its drop zone.
    tab = w.visit("/studio/works/upload/")
    expect(tab.locator(".dropzone").first).to_be_visible()

    # A work being processed: the page polls its status marker (htmx) and reloads itself once
    # the status changes (data-status-watch).
    work = listed_work(creator, title="Still baking")
    Work.objects.filter(id=work.id).update(status=WorkStatus.PROCESSING)
    tab = w.visit(f"/studio/works/{work.id}/")
    expect(tab.locator(".work-status")).to_contain_text("Processing")
    Work.objects.filter(id=work.id).update(status=WorkStatus.LISTED)
    expect(tab.locator(".work-status", has_text="Processing")).to_have_count(0, timeout=10_000)
    expect(tab.locator("#work-status-watch")).to_have_attribute("data-status", "listed")

    # Revoking a token asks first (data-confirm): Cancel keeps it, OK revokes it.
    tab = w.visit("/settings/tokens/")
    asked = []

    def answer(dialog, accept: bool):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    tab.once("dialog", lambda dialog: answer(dialog, False))
    tab.get_by_role("button", name="Revoke").click()
    expect(tab.get_by_role("button", name="Revoke")).to_be_visible()
    assert asked == ["Revoke “Render farm”? Programs using it will be refused."]
    token.refresh_from_db()
    assert token.revoked_at is None
    tab.once("dialog", lambda dialog: answer(dialog, True))
    tab.get_by_role("button", name="Revoke").click()
    expect(tab.get_by_role("alert").first).to_contain_text("revoked")
    assert len(asked) == 2 and ApiToken.objects.get(id=token.id).revoked_at is not None
    w.collect()
    assert w.problems == []
    w.close()


def test_a_team_owners_pages_render_without_a_violation(
    browser, live_server, work, order, held, buyer
):
    grant = order.license_grant
    w = watch(browser, live_server, buyer)
    for url in [
        "/catalog/",
        "/team/",
        "/datasets/",
        "/orders/",
        f"/orders/{order.uuid}/",
        "/licenses/",
        f"/licenses/{grant.uuid}/",
        "/team/models/",
        "/settings/tokens/",
    ]:
        w.visit(url)

    # Bootstrap's dropdown (its script is a static file).
    tab = w.visit("/team/")
    tab.get_by_role("button", name=buyer.email).click()
    expect(tab.get_by_role("link", name="Two-factor")).to_be_visible()

    # The receipt's Print button (data-print) prints.
    tab = w.visit(f"/orders/{order.uuid}/receipt/")
    tab.evaluate("window.print = function () { window.__printed = true; }")
    tab.get_by_role("button", name="Print").click()
    assert tab.evaluate("window.__printed === true")
    w.collect()
    assert w.problems == []
    w.close()


def test_staff_pages_render_without_a_violation(
    browser, live_server, work, order, held, staff_with_totp
):
    w = watch(browser, live_server, staff_with_totp)
    for url in [
        "/staff/",
        "/staff/review/log/",
        "/staff/ledger/",
        "/staff/orders/",
        f"/staff/orders/{order.uuid}/",
        "/staff/webhooks/",
        "/admin/",
    ]:
        w.visit(url)

    # The review queue: the open-case count arrives by htmx; select-all ticks every case.
    tab = w.visit("/staff/review/")
    expect(tab.get_by_test_id("review-link")).to_contain_text("1")
    tab.check("#select-all")
    expect(tab.locator("input[name=case_ids]").first).to_be_checked()
    w.collect()
    assert w.problems == []
    w.close()


def test_staff_two_factor_setup_renders_its_qr_code_without_a_violation(browser, live_server):
    staff = StaffFactory()
    w = watch(browser, live_server, staff)
    tab = w.tab
    tab.goto("/staff/")  # sent to set up two-factor, after the password again
    tab.wait_for_url(re.compile(r"/accounts/(2fa/totp/activate|reauthenticate)/"))
    if "/reauthenticate/" in tab.url:
        tab.fill("input[name=password]", DEFAULT_PASSWORD)
        tab.locator("form:has([name='password']) [type=submit]").first.click()
        tab.wait_for_url(re.compile(r"/2fa/totp/activate/"))
    qr = tab.get_by_alt_text("QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert tab.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    w.collect()
    assert w.problems == []
    w.close()
