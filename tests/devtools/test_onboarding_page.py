"""The hosted test onboarding page of the local Stripe server, in a real browser: Playwright
drives Debian's Chromium (never a downloaded browser), as tests/e2e does. The platform side is a
tiny page on 127.0.0.1 that the account link's return_url and refresh_url point at."""

from __future__ import annotations

import pytest
import stripe

from tests.devtools.helpers import NamedPages

pytestmark = pytest.mark.browser


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
