"""The marketplace pages: datasets (list, builder, live quote, checkout), orders, receipts,
licenses, a creator's sales, the staff order and Stripe event pages, notifications. Each page
for its audience, and nobody else: anonymous → sign in, wrong role → 403, another team → 404.

Orders are paid through the local Stripe server and the signed webhook, as in production."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from accounts.models import Notification
from marketplace.models import Dataset, DatasetStatus, Order, OrderStatus, Package, RefundStatus
from marketplace.services.checkout import order_checkout_start
from payouts.models import StripeEvent
from payouts.webhooks import event_process, event_record, handlers
from tests.factories import BuyerFactory, CreatorFactory, MembershipFactory

from .factories import deliver_all, listed_work, make_dataset, pay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_stripe")]


@pytest.fixture
def ada():
    return CreatorFactory(email="ada@example.com", profile__display_name="Ada Okafor")


@pytest.fixture
def buyer():
    return BuyerFactory(email="lin@orbit.example", membership__organization__name="Orbit Lab")


@pytest.fixture
def teammate(buyer):
    """Another member of the buyer's team: sees everything the team has."""
    mate = BuyerFactory(email="sam@orbit.example", membership=None)
    MembershipFactory(user=mate, organization=buyer.memberships.first().organization)
    return mate


@pytest.fixture
def outsider():
    return BuyerFactory(email="eve@rival.example", membership__organization__name="Rival AI")


@pytest.fixture
def dataset(buyer, ada):
    works = [
        listed_work(ada, price=1500, title="Harbour at dawn"),
        listed_work(ada, price=999, title="Salt marsh"),
    ]
    return make_dataset(buyer, works, name="Coastlines")


def _paid(client, stripe_server, stripe_client, dataset, buyer) -> Order:
    order = order_checkout_start(dataset=dataset, user=buyer, destruction_acknowledged=True)
    assert pay(stripe_server, order) == 303
    deliver_all(client, stripe_client)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    client.logout()
    return order


@pytest.fixture
def paid_order(client, stripe_server, stripe_client, dataset, buyer) -> Order:
    return _paid(client, stripe_server, stripe_client, dataset, buyer)


def html(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


# --- who may see what ----------------------------------------------------------------------


def team_urls(dataset, order):
    d, o, g = dataset.uuid, order.uuid, order.license_grant.uuid
    return {
        "get": [f"/datasets/{d}/", f"/orders/{o}/", f"/orders/{o}/receipt/", f"/licenses/{g}/"],
        "post": [
            f"/datasets/{d}/add/",
            f"/datasets/{d}/remove/",
            f"/datasets/{d}/checkout/",
            f"/datasets/{d}/checkout/cancel/",
            f"/datasets/{d}/notices/dismiss/",
            f"/licenses/{g}/package/",
            f"/licenses/{g}/renew/",
        ],
    }


def test_every_team_page_refuses_anonymous_other_roles_and_other_teams(
    client, paid_order, dataset, outsider, ada, staff_with_totp
):
    urls = team_urls(dataset, paid_order)
    lists = ["/datasets/", "/orders/", "/licenses/"]
    for url in lists + urls["get"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for user in (ada, staff_with_totp):
        client.force_login(user)
        for url in lists + urls["get"]:
            assert client.get(url).status_code == 403, (user.role, url)
    # A member of another team: their lists are empty and every object is simply not there.
    client.force_login(outsider)
    for url in lists:
        page = html(client, url)
        assert "Coastlines" not in page and paid_order.number not in page
    for url in urls["get"]:
        assert client.get(url).status_code == 404, url
    packages = Package.objects.count()
    for url in urls["post"]:
        assert client.post(url, {"work_id": "1"}).status_code == 404, url
    # Neither a rebuild nor a renewal of the other team's license was started.
    assert Package.objects.count() == packages
    assert not Dataset.objects.filter(renews=paid_order.license_grant).exists()
    assert client.get(f"/orders/{uuid.uuid4()}/").status_code == 404


def test_creator_and_staff_pages_refuse_others(client, buyer, ada, staff, paid_order):
    assert "/accounts/login/" in client.get("/studio/sales/")["Location"]
    client.force_login(buyer)
    assert client.get("/studio/sales/").status_code == 403
    for url in ["/staff/orders/", f"/staff/orders/{paid_order.uuid}/", "/staff/webhooks/"]:
        assert client.get(url).status_code == 403
    assert client.post(f"/staff/orders/{paid_order.uuid}/refund/").status_code == 403
    assert client.post("/staff/webhooks/evt_any/replay/").status_code == 403
    # Staff without two-factor are sent to set it up first, as on every staff page.
    client.force_login(staff)
    response = client.get("/staff/orders/")
    assert response.status_code == 302 and "/2fa/totp/activate/" in response["Location"]


# --- datasets -----------------------------------------------------------------------------


def test_new_dataset_form_creates_a_dataset_and_reports_bad_input(client, buyer):
    client.force_login(buyer)
    page = html(client, "/datasets/")
    assert "No datasets yet" in page and "New dataset" in page
    bad = client.post("/datasets/", {"name": "X", "months_needed": "12"})
    assert bad.status_code == 400 and "at least one" in bad.content.decode().lower()
    response = client.post(
        "/datasets/",
        {
            "name": "Birds",
            "uses": ["ai-fine-tune"],
            "commercial": "true",
            "months_needed": "6",
            "can_destroy_models": "true",
            "currency": "EUR",
        },
    )
    dataset = buyer.memberships.first().organization.datasets.get()
    assert response.status_code == 302 and response["Location"] == f"/datasets/{dataset.uuid}/"
    assert (dataset.uses, dataset.commercial, dataset.months_needed, dataset.currency) == (
        ["ai-fine-tune"],
        True,
        6,
        "EUR",
    )
    assert "Birds" in html(client, "/datasets/")


def test_the_builder_shows_use_items_and_quote_per_creator_and_every_member_sees_it(
    client, dataset, teammate
):
    client.force_login(teammate)
    page = html(client, f"/datasets/{dataset.uuid}/")
    assert "generative training, commercial, for 12 months" in page
    assert "Harbour at dawn" in page and "Salt marsh" in page
    assert "Ada Okafor" in page
    assert "Platform fee (20% of each sale)" in page
    assert "$24.99" in page  # the total
    assert "$5.00" in page  # the fee: 300 + 200
    assert "$19.99" in page  # to the creator


def test_removing_a_work_answers_htmx_with_the_new_totals(client, buyer, dataset):
    client.force_login(buyer)
    work = dataset.items.get(work__title="Salt marsh").work
    response = client.post(
        f"/datasets/{dataset.uuid}/remove/", {"work_id": work.id}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="dataset-builder"' in body
    assert "Salt marsh" not in body and 'data-testid="total">$15.00' in body
    # Without htmx: POST, then redirect back to the builder.
    work2 = dataset.items.get().work
    response = client.post(f"/datasets/{dataset.uuid}/remove/", {"work_id": work2.id})
    assert response.status_code == 302 and dataset.items.count() == 0
    assert "No works yet" in html(client, f"/datasets/{dataset.uuid}/")


def test_adding_from_the_catalog_one_work_or_everything_matching(client, buyer, dataset, ada):
    client.force_login(buyer)
    extra = listed_work(ada, price=700, title="Dunes")
    other_use = listed_work(ada, price=700, title="Eval only", preset="evaluation-1y")
    response = client.post(
        f"/datasets/{dataset.uuid}/add/", {"work_id": extra.id}, HTTP_HX_REQUEST="true"
    )
    assert "Added" in response.content.decode() and "3 works, $31.99" in response.content.decode()
    response = client.post(
        f"/datasets/{dataset.uuid}/add/", {"work_id": other_use.id}, HTTP_HX_REQUEST="true"
    )
    assert "No offer covers" in response.content.decode()
    dataset.items.filter(work=extra).delete()
    response = client.post(
        f"/datasets/{dataset.uuid}/add/", {"filters": "q=&sort=newest", "next": "/catalog/"}
    )
    assert response.status_code == 302 and response["Location"] == "/catalog/"
    assert set(dataset.items.values_list("work__title", flat=True)) == {
        "Harbour at dawn",
        "Salt marsh",
        "Dunes",
    }


def test_the_catalog_cards_offer_add_to_dataset_or_start_one(client, buyer, ada):
    listed_work(ada, title="Harbour at dawn")
    client.force_login(buyer)
    page = html(client, "/catalog/")
    assert "Choose your intended use to start a dataset" in page
    page = html(client, "/catalog/?use=ai-train-generative&commercial=true&term_months=12")
    assert "Start a dataset with this" in page
    client.logout()
    assert "Sign in with your AI team account" in html(client, "/catalog/")


def test_checkout_redirects_to_stripe_and_a_changed_quote_comes_back_explained(
    client, buyer, dataset, ada
):
    client.force_login(buyer)
    harbour = dataset.items.get(work__title="Harbour at dawn")
    harbour.offer.status = "withdrawn"
    harbour.offer.save(update_fields=["status"])
    response = client.post(
        f"/datasets/{dataset.uuid}/checkout/", {"acknowledge_destruction": "yes"}
    )
    assert response.status_code == 302 and response["Location"] == f"/datasets/{dataset.uuid}/"
    page = html(client, response["Location"])
    assert "changed since your quote" in page and "Harbour at dawn" in page
    assert "withdrew consent" in page  # the notice says why
    response = client.post(
        f"/datasets/{dataset.uuid}/checkout/", {"acknowledge_destruction": "yes"}
    )
    order = Order.objects.get(dataset=dataset)
    assert response.status_code == 302 and response["Location"] == order.checkout_url
    page = html(client, f"/datasets/{dataset.uuid}/")
    assert "Continue to payment" in page and "Cancel checkout" in page
    client.post(f"/datasets/{dataset.uuid}/checkout/cancel/")
    dataset.refresh_from_db()
    order.refresh_from_db()
    assert dataset.status == DatasetStatus.DRAFT and order.status == OrderStatus.EXPIRED


def test_an_empty_dataset_cannot_be_checked_out_and_says_so(client, buyer):
    dataset = make_dataset(buyer, [], name="Empty")
    client.force_login(buyer)
    response = client.post(
        f"/datasets/{dataset.uuid}/checkout/", {"acknowledge_destruction": "yes"}, follow=True
    )
    assert "no works yet" in response.content.decode()


# --- orders, receipts, licenses -----------------------------------------------------------------


def test_order_pages_for_the_team(client, paid_order, teammate):
    client.force_login(teammate)
    assert paid_order.number in html(client, "/orders/")
    page = html(client, f"/orders/{paid_order.uuid}/")
    assert "Your license is active" in page and "Harbour at dawn" in page
    receipt = html(client, f"/orders/{paid_order.uuid}/receipt/")
    for text in (
        paid_order.number,
        "Orbit Lab",
        paid_order.stripe_payment_intent_id,
        "$24.99",
        "Includes platform fee (20%)",
        "$5.00",
    ):
        assert text in receipt
    grant = paid_order.license_grant
    assert "Active" in html(client, "/licenses/")
    page = html(client, f"/licenses/{grant.uuid}/")
    expiry = grant.items.first().expires_at
    assert f"{expiry:%-d %b %Y}" in page and "Salt marsh" in page


def test_after_stripe_redirects_back_the_page_confirms_until_the_webhook_arrives(
    client, buyer, dataset, stripe_server, stripe_client
):
    order = order_checkout_start(dataset=dataset, user=buyer, destruction_acknowledged=True)
    assert pay(stripe_server, order) == 303
    client.force_login(buyer)
    page = html(client, f"/orders/{order.uuid}/?checkout=done")
    assert "Confirming your payment" in page
    poll = client.get(f"/orders/{order.uuid}/?checkout=done", HTTP_HX_REQUEST="true")
    assert "Confirming your payment" in poll.content.decode()
    assert client.get(f"/orders/{order.uuid}/receipt/").status_code == 404  # not paid yet
    deliver_all(client, stripe_client)
    poll = client.get(f"/orders/{order.uuid}/?checkout=done", HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    assert "Your license is active" in html(client, f"/orders/{order.uuid}/?checkout=done")
    assert client.get(f"/orders/{order.uuid}/receipt/").status_code == 200


def test_creator_sees_sales_and_the_sale_notification(client, ada, paid_order):
    client.force_login(ada)
    page = html(client, "/studio/sales/")
    assert "Orbit Lab" in page and "Harbour at dawn" in page and "$12.00" in page
    assert 'data-testid="unread-count">1<' in page
    note = Notification.objects.get(user=ada)
    page = html(client, "/notifications/")
    assert note.subject in page
    client.post("/notifications/read/", {"id": note.id})
    note.refresh_from_db()
    assert note.read_at is not None
    assert "unread-count" not in html(client, "/notifications/")


def test_sales_empty_state(client, ada):
    client.force_login(ada)
    assert "No sales yet" in html(client, "/studio/sales/")


def test_a_user_cannot_mark_someone_elses_notification_read(client, ada, buyer, paid_order):
    note = Notification.objects.get(user=ada)
    client.force_login(buyer)
    client.post("/notifications/read/", {"id": note.id})
    note.refresh_from_db()
    assert note.read_at is None


# --- staff ------------------------------------------------------------------------------------


def test_staff_find_an_order_and_refund_chosen_items(client, staff_with_totp, paid_order):
    client.force_login(staff_with_totp)
    assert paid_order.number in html(client, "/staff/orders/?status=paid&q=orbit")
    assert paid_order.number not in html(client, "/staff/orders/?status=refunded")
    url = f"/staff/orders/{paid_order.uuid}/"
    assert "Harbour at dawn" in html(client, url)
    item = paid_order.items.get(work_title="Salt marsh")
    missing = client.post(url + "refund/", {"scope": "items", "item_ids": [item.id]})
    assert missing.status_code == 400 and "Say why" in missing.content.decode()
    response = client.post(
        url + "refund/", {"scope": "items", "item_ids": [item.id], "reason": "Bought twice"}
    )
    assert response.status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PARTIALLY_REFUNDED
    assert paid_order.refunds.get().status == RefundStatus.SUCCEEDED
    assert "Bought twice" in html(client, url)


def test_a_refund_stripe_refuses_is_shown_clearly(client, staff_with_totp, paid_order):
    Order.objects.filter(id=paid_order.id).update(stripe_payment_intent_id="pi_does_not_exist")
    client.force_login(staff_with_totp)
    response = client.post(
        f"/staff/orders/{paid_order.uuid}/refund/", {"scope": "whole", "reason": "Test"}
    )
    assert response.status_code == 400
    assert "Stripe refused the refund" in response.content.decode()


def test_staff_replay_a_failed_event_after_the_cause_is_fixed(client, staff_with_totp, monkeypatch):
    outcomes = iter([RuntimeError("ledger locked"), None])

    def flaky(event):  # a handler registered through the app's registry, failing once
        error = next(outcomes)
        if error:
            raise error

    monkeypatch.setitem(handlers, "test.flaky", flaky)
    row = event_record(
        {"id": "evt_test_flaky", "type": "test.flaky", "data": {"object": {"id": "obj_1"}}}
    )
    assert event_process(row) == "failed"
    client.force_login(staff_with_totp)
    page = html(client, "/staff/webhooks/?failed=1")
    assert "evt_test_flaky" in page and "ledger locked" in page and "Replay" in page
    response = client.post("/staff/webhooks/evt_test_flaky/replay/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.processed_at is not None and row.attempts == 2 and row.error == ""
    assert 'data-event="evt_test_flaky"' not in html(client, "/staff/webhooks/?failed=1")
    assert client.post("/staff/webhooks/evt_nope/replay/").status_code == 404
    assert StripeEvent.objects.count() == 1


# --- query counts -------------------------------------------------------------------------------


def _orders(buyer, creator, n):
    for _ in range(n):
        dataset = make_dataset(buyer, [listed_work(creator, price=500)])
        order = order_checkout_start(dataset=dataset, user=buyer, destruction_acknowledged=True)
        Order.objects.filter(id=order.id).update(status=OrderStatus.PAID)


@pytest.mark.parametrize("rows", [1, 50])
def test_query_counts_of_the_order_and_sales_lists(
    client, buyer, ada, rows, django_assert_max_num_queries
):
    _orders(buyer, ada, rows)
    client.force_login(buyer)
    with django_assert_max_num_queries(8):
        page = html(client, "/orders/")
    assert page.count("data-order=") == rows
    Order.objects.update(paid_at=timezone.now())
    client.force_login(ada)
    with django_assert_max_num_queries(8):
        page = html(client, "/studio/sales/")
    assert page.count("data-sale=") == rows


def test_a_bought_dataset_never_says_checkout_will_reprice_it(client, buyer, ada):
    """Issue 21: once bought, a dataset whose works later stopped being on sale still said
    "Checkout will re-price or remove it"; it is bought, and its license is what counts."""
    from licensing.consent import ConsentContext
    from licensing.services.offers import offer_withdraw

    from .lifecycle import paid_order

    work = listed_work(ada, title="Harbour at dawn")
    order = paid_order(buyer, [work], build=False)
    offer_withdraw(offer=work.offers.get(), actor=ada, context=ConsentContext(None, "test"))

    client.force_login(buyer)
    html = client.get(f"/datasets/{order.dataset.uuid}/").content.decode()
    assert "Harbour at dawn" in html
    assert "Checkout will re-price" not in html and "no longer on sale as quoted" not in html


@pytest.mark.parametrize("licenses", [1, 12])
def test_licenses_are_listed_by_their_dataset_name_in_a_fixed_number_of_queries(
    client, buyer, ada, licenses, django_assert_max_num_queries
):
    """Issue 21: the list said "License for order 7F3A…"; teams know their datasets by name."""
    from .lifecycle import paid_order

    for n in range(licenses):
        order = paid_order(buyer, [listed_work(ada)], build=False)
        Dataset.objects.filter(id=order.dataset_id).update(name=f"Eval set {n}")
    client.force_login(buyer)
    with django_assert_max_num_queries(12):
        html = client.get("/licenses/").content.decode()
    assert html.count('data-testid="license-name"') == licenses
    assert "Eval set 0" in html and f"Eval set {licenses - 1}" in html
