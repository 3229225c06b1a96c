"""Journeys in a real browser: a creator opens Earnings (nothing yet), connects Stripe on the
local server's hosted onboarding page, leaves early, comes back to see what is missing,
finishes, and sees payouts enabled; a creator with sales reads their page and downloads the
CSV; staff browse the ledger, freeze and unfreeze a creator, and start a payout run.

The local Stripe server runs in-process (devtools/stripe_local), as bin/run runs it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from devtools.stripe_local.server import DEFAULT_SECRET_KEY, StripeLocal
from payouts.models import Freeze, LedgerEntry, PayoutAccount
from payouts.services.events import hold_release
from payouts.services.payout_runs import _payout_failed, _payout_paid, payout_run_create
from tests.factories import CreatorFactory, PayoutAccountFactory, StaffFactory
from tests.helpers import DEFAULT_PASSWORD, totp_code, totp_enable
from tests.payouts.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe_local(settings):
    server = StripeLocal()
    server.serve(0)
    settings.STRIPE_SECRET_KEY = DEFAULT_SECRET_KEY
    settings.STRIPE_API_BASE = server.public_url
    yield server
    server.shutdown()


def _sign_in(page, email: str, *, totp_secret: str | None = None, lands_on=r"/studio/$"):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    if totp_secret:
        page.wait_for_url(re.compile(r"/2fa/authenticate/"))
        page.fill("input[name=code]", totp_code(totp_secret))
        page.locator("form:has([name='code']) [type=submit]").first.click()
    page.wait_for_url(re.compile(lands_on))


def test_creator_connects_stripe_leaves_early_then_finishes(
    page, live_server, screenshot, stripe_local
):
    creator = CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")
    _sign_in(page, creator.email)

    # Earnings from the navigation: nothing yet, and how to get paid.
    page.get_by_role("link", name="Earnings", exact=True).click()
    page.wait_for_url(re.compile(r"/studio/earnings/$"))
    expect(page.get_by_role("heading", name="Earnings", level=1)).to_be_visible()
    expect(page.locator("[data-balance=available] .balance-amount")).to_have_text("$0.00")
    expect(page.locator("#history")).to_contain_text("No sales yet")
    expect(page.locator("#payouts")).to_contain_text("No payouts yet")
    account = page.locator("#payout-account")
    expect(account).to_have_attribute("data-status", "not_connected")
    screenshot(page, "1-earnings-empty")

    # Connect: Stripe's hosted onboarding (the local stand-in) opens.
    account.get_by_role("button", name="Connect with Stripe").click()
    page.wait_for_url(re.compile(re.escape(stripe_local.public_url) + r"/connect/onboarding/"))
    expect(page.get_by_role("note")).to_contain_text("TEST MODE")
    row = PayoutAccount.objects.get(creator=creator)
    expect(page.get_by_test_id("account-id")).to_have_text(row.stripe_account_id)
    screenshot(page, "2-stripe-onboarding")

    # Leaving early brings the creator back to a page that says what is missing.
    page.get_by_role("button", name="Leave without finishing").click()
    page.wait_for_url(re.compile(r"/studio/earnings/$"))
    expect(page.get_by_role("alert").first).to_contain_text("Stripe setup is not finished yet")
    expect(account).to_have_attribute("data-status", "incomplete")
    expect(account.locator(".missing-list")).to_contain_text(
        "A bank account to receive your payouts"
    )
    expect(account.locator(".missing-list")).not_to_contain_text("external_account")
    screenshot(page, "3-setup-not-finished")

    # Continue, finish, and come back to payouts enabled.
    account.get_by_role("button", name="Continue setup").click()
    page.wait_for_url(re.compile(re.escape(stripe_local.public_url) + r"/connect/onboarding/"))
    page.get_by_role("button", name="Complete onboarding").click()
    page.wait_for_url(re.compile(r"/studio/earnings/$"))
    expect(page.get_by_role("alert").first).to_contain_text("Payouts are enabled")
    expect(account).to_have_attribute("data-status", "enabled")
    expect(page.get_by_test_id("payout-headline")).to_have_text("Payouts enabled")
    expect(account.get_by_role("button")).to_have_count(0)
    screenshot(page, "4-payouts-enabled")

    row.refresh_from_db()
    assert row.payouts_enabled and row.details_submitted and row.requirements_due == []
    assert len(stripe_local.store.all("account")) == 1


def test_creator_reads_earnings_with_sales_and_payouts_and_downloads_the_csv(
    page, live_server, screenshot, tmp_path
):
    creator = CreatorFactory(email="kenji@example.com", profile__display_name="Kenji Mori")
    PayoutAccountFactory(creator=creator, stripe_account_id="acct_1KenjiMori0001")
    # Two sales released and paid out; one released and its payout failed (money back to
    # available); two still held.
    hold_release(item_ref=sell(creator, 2500))
    hold_release(item_ref=sell(creator, 1800))
    paid = payout_run_create(on=date(2026, 11, 2)).payouts.get()
    _payout_paid(paid, transfer_id="tr_1QxTransfer0001")
    hold_release(item_ref=sell(creator, 4000))
    failed = payout_run_create(on=date(2026, 11, 9)).payouts.get()
    _payout_failed(failed, reason="The bank account was closed.")
    sell(creator, 3000)
    sell(creator, 1200)
    _sign_in(page, creator.email)
    page.goto("/studio/earnings/")

    expect(page.locator("[data-balance=held] .balance-amount")).to_have_text("$33.60")
    expect(page.locator("[data-balance=available] .balance-amount")).to_have_text("$32.00")
    expect(page.locator("[data-balance=paid] .balance-amount")).to_have_text("$34.40")
    expect(page.locator("#payout-account")).to_have_attribute("data-status", "enabled")
    expect(page.locator("#payouts tbody tr")).to_have_count(2)
    expect(page.locator("#payouts")).to_contain_text("The bank account was closed.")
    # One row per transaction: 5 sales, 3 holds ended, 2 payouts started, 1 paid, 1 failed.
    expect(page.locator("#history tbody tr")).to_have_count(12)
    expect(page.locator("#history tr[data-kind=payout_failed]")).to_contain_text("In transit")
    screenshot(page, "1-earnings-with-sales")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "2-on-a-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("assent-earnings-")
    path = tmp_path / "earnings.csv"
    download.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("date,transaction,what,account,amount")
    assert len(lines) == 1 + LedgerEntry.objects.filter(account__creator=creator).count()


def test_staff_browse_the_ledger_freeze_a_creator_and_run_payouts(page, live_server, screenshot):
    staff = StaffFactory(email="ops@example.com")
    secret = totp_enable(staff)
    ada = CreatorFactory(email="ada@example.com")
    hold_release(item_ref=sell(ada, 2500))
    sell(CreatorFactory(email="kenji@example.com"), 1800, "EUR")
    _sign_in(page, staff.email, totp_secret=secret, lands_on=r"/staff/$")

    page.get_by_role("link", name="Ledger", exact=True).click()
    page.wait_for_url(re.compile(r"/staff/ledger/$"))
    expect(page.locator("[data-currency=USD][data-balanced=yes]")).to_contain_text("OK")
    expect(page.locator("[data-currency=EUR][data-balanced=yes]")).to_contain_text("OK")
    expect(page.locator(".journal-txn")).to_have_count(3)
    screenshot(page, "1-ledger")

    # Filter by a creator.
    page.fill("#filter-creator", "ada@example.com")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".journal-txn")).to_have_count(2)

    # Freeze Ada's earnings, with a reason; then lift it.
    freezes = page.locator("#freezes")
    freezes.get_by_label("Creator's email").fill("ada@example.com")
    freezes.get_by_label("Reason").fill("Rights claim #12 is under review.")
    freezes.get_by_role("button", name="Freeze earnings").click()
    expect(page.get_by_role("alert").first).to_contain_text("Frozen: earnings of ada@example.com")
    expect(freezes.locator(".freeze-row")).to_contain_text("Rights claim #12 is under review.")
    screenshot(page, "2-frozen")
    assert Freeze.objects.get().creator == ada

    freezes.get_by_role("button", name="Lift").click()
    expect(page.get_by_role("alert").first).to_contain_text("Lifted the freeze")
    expect(freezes).to_contain_text("No earnings are frozen.")

    # Run payouts now: nobody has a connected account yet, and the page says so.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Run payouts now").click()
    expect(page.get_by_role("alert").first).to_contain_text("nothing to send")
    expect(page.locator("#payouts .list-group-item")).to_have_count(1)
    screenshot(page, "3-payout-run")
