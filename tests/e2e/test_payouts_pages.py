"""The money pages in a real browser: staff read the reconciliation report from the ledger page
(discrepancies linked to the ledger, a window with nothing to compare, Stripe away), staff
record a team's credit paid off-platform (an amount above the credit refused, what was typed
kept), and a creator reads a forfeited holdback on their earnings page.

The pages' states are tested in tests/payouts (test_reconciliation.py, test_team_credit.py,
test_holdback.py); `app_stripe` is in tests/fixtures/stripe.py, `holdback_fees`, `team` and
`credited` in tests/fixtures/payouts.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from payouts.selectors.team_credit import team_credit_balances
from payouts.services.events import hold_release
from payouts.services.holdback import holdback_forfeit, holdback_release
from tests.factories import CreatorFactory, OrganizationFactory
from tests.helpers import DEFAULT_PASSWORD, signed_in_tab
from tests.payouts.factories import connected_creator, sell, sell_destroy_models
from tests.payouts.reconciliation_helpers import (
    checkout_charge,
    closed_port,
    order_ref,
    paid_out,
    sold,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# --- reconciliation ------------------------------------------------------------------------------


@pytest.fixture
def staff_tab(browser, live_server, staff_with_totp):
    """A browser tab signed in as staff with two-factor set up (the sign-in journey itself is
    tested in tests/accounts and tests/e2e)."""
    context, tab = signed_in_tab(browser, live_server, staff_with_totp)
    yield tab
    context.close()


def test_staff_read_the_report_in_a_browser(
    app_stripe, stripe_client, staff_tab, screenshot, settings
):
    creator = connected_creator(stripe_client, app_stripe)
    item, _ = sold(stripe_client, creator, 2500)
    sold(stripe_client, creator, 1800, "eur")
    hold_release(item_ref=item)
    payout = paid_out(creator)
    stripe_client.v1.transfers.reversals.create(payout.stripe_transfer_id, params={"amount": 500})
    _, charge = sold(stripe_client, creator, 4000)
    stripe_client.v1.refunds.create(params={"charge": charge["id"], "amount": 1000})
    sell(creator, 1200, order_ref=order_ref())  # no charge
    checkout_charge(stripe_client, 3100, reference=order_ref())  # no sale

    # From the ledger page.
    staff_tab.goto("/staff/ledger/")
    staff_tab.get_by_role("link", name="Reconcile with Stripe").click()
    staff_tab.wait_for_url(re.compile(r"/staff/reconciliation/$"))
    expect(staff_tab.get_by_role("heading", name="Reconciliation", level=1)).to_be_visible()
    charges = staff_tab.locator("[data-kind=charges][aria-labelledby]")
    expect(charges.get_by_test_id("kind-matched")).to_have_text("3")
    expect(charges.get_by_test_id("kind-discrepancies")).to_have_text("2 to check")
    expect(staff_tab.locator("[data-kind=disputes] [data-testid=kind-discrepancies]")).to_have_text(
        "OK"
    )
    rows = staff_tab.locator("#discrepancies tbody tr")
    expect(rows).to_have_count(4)
    expect(staff_tab.locator("tr[data-kind=transfers]")).to_contain_text("as paid")
    expect(staff_tab.locator("tr[data-kind=refunds]")).to_contain_text("Dashboard")
    screenshot(staff_tab, "1-discrepancies")

    # The sale with no charge links to its ledger transaction.
    row = staff_tab.locator("tr[data-problem=missing_at_stripe][data-kind=charges]")
    row.get_by_test_id("ledger-link").click()
    staff_tab.wait_for_url(re.compile(r"/admin/payouts/journaltransaction/\d+/change/"))
    expect(staff_tab.locator("body")).to_contain_text("sale")
    staff_tab.go_back()

    # A window before any of it: all reconciled.
    today = timezone.localdate()
    staff_tab.fill("#window-since", (today - timedelta(days=200)).isoformat())
    staff_tab.fill("#window-until", (today - timedelta(days=150)).isoformat())
    staff_tab.get_by_role("button", name="Compare").click()
    expect(staff_tab.get_by_test_id("all-reconciled")).to_contain_text("Nothing to compare")
    screenshot(staff_tab, "2-all-reconciled")

    # Stripe away: an error, not a page of false "all reconciled".
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    staff_tab.get_by_role("link", name="90 days").click()
    expect(staff_tab.get_by_test_id("stripe-error")).to_contain_text("Stripe could not be read")
    expect(staff_tab.get_by_test_id("all-reconciled")).to_have_count(0)
    screenshot(staff_tab, "3-stripe-unreachable")


# --- a team's credit -----------------------------------------------------------------------------


@pytest.mark.usefixtures("holdback_fees")
def test_staff_record_a_payment_in_the_browser(
    browser, live_server, staff_with_totp, screenshot, team, credited
):
    context, tab = signed_in_tab(browser, live_server, staff_with_totp)
    tab.goto("/staff/ledger/#team-credit")
    row = tab.locator(f'[data-team-credit="{team.slug}-USD"]')
    expect(row.get_by_test_id("credit-amount")).to_have_text("$10.00")
    row.get_by_label("Amount paid (USD)").fill("12.00")
    row.get_by_label("Payment reference").fill("TRF-2026-11-21")
    row.get_by_role("button", name="Record payment").click()
    row = tab.locator(f'[data-team-credit="{team.slug}-USD"]')
    expect(row.get_by_text("More than the team's credit.")).to_be_visible()
    expect(row.get_by_label("Amount paid (USD)")).to_have_value("12.00")  # what was typed
    expect(row.get_by_label("Payment reference")).to_have_value("TRF-2026-11-21")
    screenshot(tab, "refused")
    row.get_by_label("Amount paid (USD)").fill("10.00")
    row.get_by_label("Payment reference").fill("TRF-2026-11-21")
    row.get_by_role("button", name="Record payment").click()
    expect(tab.get_by_text("Recorded: $10.00 of credit paid to")).to_be_visible()
    expect(tab.get_by_text("No team has credit.")).to_be_visible()
    screenshot(tab, "recorded")
    context.close()
    assert team_credit_balances(team) == {}


# --- the holdback on a creator's earnings --------------------------------------------------------


@pytest.mark.usefixtures("holdback_fees")
def test_a_creator_reads_a_forfeit_on_their_earnings_page_in_a_browser(
    browser, live_server, screenshot, settings
):
    """The creator signs in and sees the compensation line and their balances; the released
    holdback of another sale is nowhere on their page."""
    creator = CreatorFactory(email="ada@example.com")
    holdback_release(
        item_ref=sell_destroy_models(creator), organization_id=OrganizationFactory().id
    )
    hold_release(item_ref=(forfeited := sell_destroy_models(creator)))
    holdback_forfeit(item_ref=forfeited)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=login]", creator.email)
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        page.locator("form:has([name='login']) [type=submit]").first.click()
        page.wait_for_url(re.compile(r"/studio/$"))
        page.goto("/studio/earnings/")
        row = page.locator('[data-kind="holdback_forfeit"]')
        assert "Compensation: model not destroyed" in row.inner_text()
        assert "+$10.00" in row.inner_text()
        assert page.locator("[data-balance=available] .balance-amount").inner_text() == "$90.00"
        assert "Holdback released" not in page.content()
        screenshot(page, "earnings")
    finally:
        context.close()
