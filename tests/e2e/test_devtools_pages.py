"""The local Stripe server's hosted test pages (devtools/stripe_local) in a real browser: a
person onboards a connected account (finishing, leaving early, pending verification, a used
link), and pays on the Checkout page (declined first, then paid; cancelled; expired).

These pages are the local server's, not the app's: the tab below replaces tests/e2e/conftest.py's
`page` (no live server, no Content-Security-Policy of ours to check). The platform and the merchant
the pages send the browser back to are tiny sites on 127.0.0.1. The payment page's HTML is tested
in tests/devtools/test_hosted_pages.py."""

from __future__ import annotations

import pytest
import stripe
from playwright.sync_api import expect

from tests.devtools.helpers import NamedPages, create_session

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    """A browser tab (the session's Chromium) for the local Stripe server's hosted pages."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# --- onboarding a connected account ------------------------------------------------------------


@pytest.fixture
def platform():
    """The platform's pages the onboarding flow sends the browser back to."""
    site = NamedPages(lambda path: f"Platform: {path}")
    yield site.url
    site.close()


def start_onboarding(client: stripe.StripeClient, platform: str) -> tuple[str, str]:
    account = client.v1.accounts.create(
        {
            "type": "express",
            "email": "ada@example.com",
            "business_type": "individual",
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": f"{platform}/connect/refresh",
            "return_url": f"{platform}/connect/return",
        }
    )
    return account.id, link.url


def test_complete_onboarding_in_the_browser(
    page, screenshot, platform, stripe_client, webhook_sink
):
    account_id, url = start_onboarding(stripe_client, platform)
    page.goto(url)
    assert "TEST MODE" in page.get_by_role("note").inner_text()
    assert page.get_by_test_id("account-id").inner_text() == account_id
    assert page.get_by_text("individual.dob.day").is_visible()
    screenshot(page, "onboarding-page")

    page.get_by_role("button", name="Complete onboarding").click()
    page.wait_for_url(f"{platform}/connect/return")
    assert page.get_by_role("heading").inner_text() == "Platform: /connect/return"
    screenshot(page, "returned")

    account = stripe_client.v1.accounts.retrieve(account_id)
    assert account.details_submitted and account.charges_enabled and account.payouts_enabled
    assert account.capabilities.transfers == "active"
    (event,) = webhook_sink.wait_for("account.updated")
    record = next(r for r in webhook_sink.received if r["event"]["id"] == event["id"])
    verified = stripe.Webhook.construct_event(
        record["body"], record["headers"]["Stripe-Signature"], webhook_sink.secret
    )
    assert verified.account == account_id
    assert verified.data.previous_attributes.details_submitted is False


def test_leave_without_finishing(page, screenshot, platform, stripe_client):
    account_id, url = start_onboarding(stripe_client, platform)
    page.goto(url)
    page.get_by_role("button", name="Leave without finishing").click()
    page.wait_for_url(f"{platform}/connect/return")
    screenshot(page, "returned-unfinished")
    account = stripe_client.v1.accounts.retrieve(account_id)
    assert account.details_submitted is False and account.payouts_enabled is False
    assert "external_account" in account.requirements.currently_due


def test_payouts_pending_verification_in_the_browser(page, platform, stripe_client):
    account_id, url = start_onboarding(stripe_client, platform)
    page.goto(url)
    page.get_by_role("button", name="Complete with payouts still pending verification").click()
    page.wait_for_url(f"{platform}/connect/return")
    account = stripe_client.v1.accounts.retrieve(account_id)
    assert account.details_submitted is True and account.payouts_enabled is False
    assert account.requirements.pending_verification == ["individual.verification.document"]


def test_a_used_link_sends_the_browser_to_refresh_url(page, screenshot, platform, stripe_client):
    _, url = start_onboarding(stripe_client, platform)
    page.goto(url)
    page.get_by_role("button", name="Complete onboarding").click()
    page.wait_for_url(f"{platform}/connect/return")

    page.goto(url)  # single-use: Stripe sends a second visit to refresh_url
    page.wait_for_url(f"{platform}/connect/refresh")
    screenshot(page, "refreshed")


def test_a_link_without_refresh_url_explains_itself(page, screenshot, stripe_client):
    account = stripe_client.v1.accounts.create({"type": "express"})
    link = stripe_client.v1.account_links.create(
        {"account": account.id, "type": "account_onboarding"}
    )
    page.goto(link.url)
    page.reload()
    assert page.get_by_role("heading").inner_text() == "Link no longer valid"
    assert "single-use" in page.content()
    screenshot(page, "link-used")


# --- paying on the Checkout page ---------------------------------------------------------------


@pytest.fixture
def merchant():
    """The shop the customer comes back to: any GET answers a small page naming its path."""
    site = NamedPages(lambda path: "Merchant")
    yield site.url
    site.close()


def test_a_person_is_declined_then_pays(page, screenshot, stripe_client, merchant):
    session = create_session(stripe_client, merchant)
    page.goto(session.url)
    expect(page.get_by_test_id("test-mode-banner")).to_contain_text("TEST MODE — local Stripe")
    expect(page.get_by_test_id("line-item")).to_have_count(2)
    expect(page.get_by_test_id("total")).to_have_text("€42.49")
    expect(page.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    screenshot(page, "1-checkout")

    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("payment-error")).to_have_text("Your card was declined.")
    expect(page.get_by_label("Name on card")).to_have_value("Ada Lovelace")
    screenshot(page, "2-declined")
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_test_id("pay").click()
    page.wait_for_url(f"{merchant}/thanks?session_id={session.id}")
    expect(page.locator("h1")).to_have_text("Merchant")
    screenshot(page, "3-back-at-merchant")

    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.name == "Ada Lovelace"

    page.goto(session.url)
    expect(page.get_by_test_id("session-complete")).to_be_visible()
    expect(page.get_by_test_id("pay-form")).to_have_count(0)
    screenshot(page, "4-complete")


def test_a_person_lets_it_expire_or_cancels(page, screenshot, stripe_client, merchant):
    cancelled = create_session(stripe_client, merchant)
    page.goto(cancelled.url)
    page.get_by_test_id("cancel").click()
    page.wait_for_url(f"{merchant}/basket")
    assert stripe_client.v1.checkout.sessions.retrieve(cancelled.id).status == "open"

    session = create_session(stripe_client, merchant)
    page.goto(session.url)
    page.get_by_test_id("expire").click()
    expect(page.get_by_test_id("session-expired")).to_be_visible()
    assert page.url == session.url
    screenshot(page, "expired")
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"
