"""A team buys a dataset end to end in a real browser, through the local Stripe server's
payment page, including a declined card first: catalog → dataset builder → Checkout → decline →
pay → back on the order page, confirmed by the signed webhook the local server delivers to the
live server → license with expiry dates. The creator then sees the sale and a notification.

The local Stripe server runs in-process (devtools/stripe_local), as bin/run runs it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from playwright.sync_api import expect

from licensing.models import LicenseGrantItem
from marketplace.models import Order, OrderStatus
from marketplace.services.checkout import order_checkout_start
from payouts.webhooks import event_process, event_record, handlers
from tests.e2e.conftest import SHOP_SECRET
from tests.factories import BuyerFactory, CreatorFactory, StaffFactory
from tests.helpers import DEFAULT_PASSWORD, totp_code, totp_enable
from tests.marketplace.factories import deliver_all, listed_work, make_dataset, pay
from tests.payouts.factories import use_local_stripe
from tests.uploads.images import jpeg_bytes, photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _work(creator, title: str, price: int, seed: int):
    work = listed_work(creator, price=price, title=title)
    work.thumbnail = default_storage.save(
        f"renditions/journey/{seed}.jpg", ContentFile(jpeg_bytes(photo(480, 360, seed=seed)))
    )
    work.save(update_fields=["thumbnail"])
    return work


def _sign_in(page, email: str):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_buys_a_dataset_end_to_end_with_a_declined_card_first(
    page, browser, live_server, screenshot, shop
):
    ada = CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")
    _work(ada, "Harbour at dawn", 1500, 1)
    _work(ada, "Salt marsh", 999, 2)
    _work(ada, "Dunes at noon", 700, 3)
    buyer = BuyerFactory(email="lin@orbit.example", membership__organization__name="Orbit Lab")
    _sign_in(page, buyer.email)

    # The catalog, filtered by the team's intended use: start a dataset from one work…
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.goto("/catalog/?use=ai-train-generative&commercial=true&term_months=12")
    harbour = page.locator(".catalog-card", has_text="Harbour at dawn")
    harbour.get_by_role("button", name="Start a dataset with this").click()
    expect(page.get_by_role("alert").first).to_contain_text("Started")
    # …then add another without leaving the page (htmx swaps in the answer).
    marsh = page.locator(".catalog-card", has_text="Salt marsh")
    marsh.get_by_role("button", name="Add to dataset").click()
    expect(marsh.locator(".dataset-added")).to_contain_text("2 works, $24.99")
    dunes = page.locator(".catalog-card", has_text="Dunes at noon")
    dunes.get_by_role("button", name="Add to dataset").click()
    expect(dunes.locator(".dataset-added")).to_contain_text("3 works, $31.99")
    screenshot(page, "1-catalog-added")

    # The builder: the quote per creator, the fee, the total; removing updates it in place.
    page.get_by_role("link", name="Datasets", exact=True).click()
    expect(page.locator("[data-dataset]")).to_have_count(1)
    screenshot(page, "2a-datasets")
    page.locator("[data-dataset] a").first.click()
    expect(page.get_by_test_id("total")).to_have_text("$31.99")
    expect(page.get_by_test_id("intended-use")).to_contain_text("generative training")
    page.get_by_role("button", name="Remove Dunes at noon").click()
    expect(page.get_by_test_id("total")).to_have_text("$24.99")
    expect(page.get_by_test_id("fee")).to_have_text("$5.00")
    expect(page.locator(".dataset-items li")).to_have_count(2)
    screenshot(page, "2-dataset-builder")

    # The creators' terms ask the team to destroy its models at expiry: said in the quote, and
    # acknowledged before paying (the browser will not submit the form without the tick).
    expect(page.get_by_test_id("duty-destroy")).to_contain_text("must be destroyed")
    page.get_by_role("button", name=re.compile(r"Checkout")).click()
    expect(page).to_have_url(re.compile(r"/datasets/"))
    page.check("#acknowledge-destruction")

    # Checkout on the local Stripe page: a declined card first.
    page.get_by_role("button", name=re.compile(r"Checkout")).click()
    page.wait_for_url(re.compile(re.escape(shop.public_url) + r"/pay/"))
    expect(page.get_by_test_id("amount")).to_have_text("$24.99")
    page.fill("#card_number", "4000 0000 0000 0002")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("payment-error")).to_contain_text("declined")
    screenshot(page, "3-card-declined")
    order = Order.objects.get()
    assert order.status == OrderStatus.AWAITING_PAYMENT  # a decline leaves it open

    page.fill("#card_number", "4242 4242 4242 4242")
    page.get_by_test_id("pay").click()
    page.wait_for_url(re.compile(rf"/orders/{order.uuid}/\?checkout=done"))
    screenshot(page, "4-back-from-stripe")
    # "Confirming…" until the webhook lands, then the page reloads itself as paid.
    status = page.get_by_test_id("order-status")
    expect(status).to_contain_text("Paid", timeout=30_000)
    expect(status).to_contain_text("Your license is active")
    screenshot(page, "5-order-paid")

    # The receipt, then the license: every item with its expiry date.
    page.get_by_role("link", name="Receipt").click()
    expect(page.get_by_test_id("receipt-total")).to_have_text("$24.99")
    screenshot(page, "6-receipt")
    page.goto(f"/orders/{order.uuid}/")
    page.get_by_role("link", name="View license").click()
    order.refresh_from_db()
    items = list(order.license_grant.items.order_by("expires_at", "id"))
    expect(page.locator("[data-testid=expires]")).to_have_count(2)
    for item in items:
        row = page.locator(f"tr[data-item='{item.id}']")
        expect(row).to_contain_text(item.work_title)
        expect(row.get_by_test_id("expires")).to_have_text(f"{item.expires_at:%-d %b %Y}")
    screenshot(page, "7-license")

    # The creator sees the sale and a notification.
    creator_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    creator_page = creator_context.new_page()
    _sign_in(creator_page, ada.email)
    expect(creator_page.get_by_test_id("unread-count")).to_contain_text("1")
    creator_page.get_by_role("link", name="Sales", exact=True).click()
    sales = creator_page.locator("tr[data-sale]")
    expect(sales).to_have_count(2)
    expect(sales.first).to_contain_text("Orbit Lab")
    screenshot(creator_page, "8-creator-sales")
    creator_page.get_by_test_id("notifications-link").click()
    expect(creator_page.locator("[data-notification]")).to_have_count(1)
    expect(creator_page.locator("[data-notification]")).to_contain_text("Orbit Lab")
    screenshot(creator_page, "9-creator-notification")
    creator_context.close()


def test_staff_refund_an_item_and_replay_a_failed_event(
    page,
    live_server,
    screenshot,
    settings,
    stripe_server,
    stripe_client,
    client,
    monkeypatch,
):
    """Staff find the order, are asked for a reason, refund one item, and replay a Stripe event
    whose handler failed once."""
    use_local_stripe(settings, stripe_server)
    settings.STRIPE_WEBHOOK_SECRET = SHOP_SECRET
    ada = CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")
    buyer = BuyerFactory(email="lin@orbit.example", membership__organization__name="Orbit Lab")
    dataset = make_dataset(
        buyer,
        [
            listed_work(ada, price=1500, title="Harbour at dawn"),
            listed_work(ada, price=999, title="Salt marsh"),
        ],
    )
    order = order_checkout_start(dataset=dataset, user=buyer, destruction_acknowledged=True)
    assert pay(stripe_server, order) == 303
    deliver_all(client, stripe_client)
    monkeypatch.setitem(handlers, "test.flaky", _fails_once())
    event_process(
        event_record(
            {"id": "evt_flaky_0001", "type": "test.flaky", "data": {"object": {"id": "obj_1"}}}
        )
    )
    staff = StaffFactory(email="ops@example.com")
    secret = totp_enable(staff)

    page.goto("/accounts/login/")
    page.fill("input[name=login]", staff.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code(secret))
    page.locator("form:has([name='code']) [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/" not in url)

    page.get_by_role("link", name="Orders", exact=True).click()
    page.locator(f"tr[data-order='{order.uuid}'] a").click()
    page.get_by_role("button", name="Refund").click()  # no reason given
    expect(page.locator(".invalid-feedback")).to_contain_text("Required")
    screenshot(page, "1-refund-needs-a-reason")
    page.get_by_label(re.compile("Salt marsh")).check()
    expect(page.get_by_label("Only these items:")).to_be_checked()  # ticking an item says so
    page.get_by_label(re.compile("Reason")).fill("Bought twice by mistake")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("alert").first).to_contain_text("Refunded 1 item")
    expect(page.locator("[data-refund]")).to_contain_text("Bought twice by mistake")
    screenshot(page, "2-refunded")

    page.get_by_role("link", name="Webhooks", exact=True).click()
    row = page.locator("tr[data-event='evt_flaky_0001']")
    expect(row).to_contain_text("ledger locked")
    screenshot(page, "3-webhooks-failed")
    row.get_by_role("button", name="Replay").click()
    expect(page.get_by_role("alert").first).to_contain_text("evt_flaky_0001 processed")
    expect(row.get_by_role("button", name="Replay")).to_have_count(0)
    screenshot(page, "4-webhooks-replayed")


def _fails_once():
    calls = []

    def handler(event):  # a handler in the app's registry whose cause gets fixed
        calls.append(event["id"])
        if len(calls) == 1:
            raise RuntimeError("ledger locked")

    return handler


def test_renews_a_license_and_sees_the_restriction_when_a_model_is_overdue(
    page, live_server, screenshot, shop
):
    """The license page lists what can be renewed (at today's price) and what cannot (consent
    withdrawn); Renew goes through Stripe's page to a new license. Later a declared model is
    overdue for a destruction attestation: the team's pages say it is restricted, which models,
    and how to lift it."""
    from licensing.services.offers import work_consent_withdraw
    from tests.factories import CONTEXT
    from tests.marketplace.lifecycle import declare, expire, overdue_expiry_days, paid_order

    ada = CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")
    works = [_work(ada, "Harbour at dawn", 1500, 1), _work(ada, "Salt marsh", 999, 2)]
    buyer = BuyerFactory(email="lin@orbit.example", membership__organization__name="Orbit Lab")
    order = paid_order(buyer, works, build=False)
    grant = order.license_grant
    work_consent_withdraw(work=works[1], actor=ada, context=CONTEXT)
    _sign_in(page, buyer.email)
    # Renewing opens with the first reminder before the license ends, not on the day of sale.
    page.goto(f"/licenses/{grant.uuid}/")
    expect(page.get_by_test_id("renewal-later")).to_contain_text("Renewing opens on")
    ending = timezone.now() + timedelta(days=25)
    LicenseGrantItem.objects.filter(grant=grant).update(expires_at=ending)

    page.goto(f"/licenses/{grant.uuid}/")
    renewal = page.get_by_test_id("renewal")
    expect(renewal.locator(f"[data-renewable='{works[0].id}']")).to_contain_text("Harbour")
    expect(renewal.get_by_test_id("not-renewable")).to_contain_text("withdrew consent")
    expect(renewal.get_by_test_id("renewal-total")).to_have_text("$15.00")
    renewal.scroll_into_view_if_needed()
    screenshot(page, "1-renew-section")

    renewal.get_by_label(re.compile("We will destroy every model")).check()
    renewal.get_by_role("button", name=re.compile(r"Renew")).click()
    page.wait_for_url(re.compile(re.escape(shop.public_url) + r"/pay/"))
    expect(page.get_by_test_id("amount")).to_have_text("$15.00")
    page.get_by_test_id("pay").click()
    status = page.get_by_test_id("order-status")
    expect(status).to_contain_text("Paid", timeout=30_000)
    renewed = Order.objects.exclude(id=order.id).get()
    new_item = renewed.license_grant.items.get()
    assert new_item.starts_at == grant.items.get(work=works[0]).expires_at
    page.get_by_role("link", name="View license").click()
    expect(page.locator(f"tr[data-item='{new_item.id}']")).to_contain_text("Harbour at dawn")
    screenshot(page, "2-renewed-license")

    # A model trained on an older destroy-models license, never attested: overdue.
    old = paid_order(buyer, [_work(ada, "Dunes at noon", 700, 3)], build=False)
    model = declare(buyer, list(old.license_grant.items.all()), name="painter")
    expire(old.license_grant, days_ago=overdue_expiry_days())
    page.goto("/licenses/")
    banner = page.get_by_test_id("restriction")
    expect(banner).to_contain_text("Orbit Lab is restricted")
    expect(banner).to_contain_text("painter")
    expect(banner.get_by_role("link", name="Attest destruction")).to_have_attribute(
        "href", f"/team/models/{model.uuid}/attest/"
    )
    screenshot(page, "3-restricted")
    page.goto(f"/licenses/{old.license_grant.uuid}/")
    expect(page.get_by_test_id("license-ended")).to_contain_text("This license expired on")
    expect(page.get_by_test_id("declared-models")).to_contain_text("Overdue")
    screenshot(page, "4-expired-license")
