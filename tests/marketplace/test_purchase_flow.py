"""The purchase, end to end against the local Stripe server: a dataset is frozen into an order,
Checkout is opened, the buyer pays on the hosted page, and only the verified event grants the
license, posts the sale and tells the creators. Then refunds and disputes undo it."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import Notification
from licensing.models import GrantStatus, LicenseGrantItem
from licensing.services.offers import offer_withdraw
from marketplace.models import DatasetStatus, Order, OrderStatus, RefundStatus
from marketplace.services.checkout import order_checkout_cancel, order_checkout_start
from marketplace.services.refunds import order_refund
from payouts.models import JournalTransaction, StripeEvent
from payouts.selectors.ledger import creator_balances, trial_balance
from tests.devtools.helpers import control
from tests.factories import CONTEXT, BuyerFactory, CreatorFactory, StaffFactory

from .factories import deliver_all, listed_work, make_dataset, pay, stripe_events

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_stripe")]


@pytest.fixture
def ada():
    return CreatorFactory()


@pytest.fixture
def buyer():
    return BuyerFactory()


def balanced() -> bool:
    return all(sum(kinds.values()) == 0 for kinds in trial_balance().values())


def checked_out(buyer, works):
    dataset = make_dataset(buyer, works)
    return order_checkout_start(dataset=dataset, user=buyer, destruction_acknowledged=True)


def test_checkout_freezes_the_dataset_and_opens_a_stripe_session(buyer, ada, stripe_client):
    works = [listed_work(ada, price=1500), listed_work(ada, price=999)]
    order = checked_out(buyer, works)

    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.total_amount == 2499
    assert order.fee_amount == 300 + 200  # 20% of each, remainders to the platform
    assert [i.creator_share for i in order.items.all()] == [1200, 799]
    assert order.dataset.status == DatasetStatus.CHECKING_OUT
    session = stripe_client.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    assert session.amount_total == 2499 and session.currency == "usd"
    assert session.client_reference_id == str(order.uuid)
    assert session.url == order.checkout_url
    # Asking again gives the same order and the same session.
    again = order_checkout_start(dataset=order.dataset, user=buyer, destruction_acknowledged=True)
    assert again.id == order.id and again.checkout_url == order.checkout_url


def test_only_the_verified_event_grants_and_a_replay_changes_nothing(
    client, buyer, ada, stripe_server, stripe_client
):
    works = [listed_work(ada, price=1500), listed_work(ada, price=999)]
    order = checked_out(buyer, works)
    assert pay(stripe_server, order) == 303
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT  # the success page grants nothing

    responses = deliver_all(client, stripe_client)
    assert {r.status_code for r in responses} == {200}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.stripe_payment_intent_id
    grant = order.license_grant
    assert grant.organization == order.organization
    items = list(grant.items.order_by("id"))
    assert [i.work_id for i in items] == [w.id for w in works]
    assert all(i.expires_at.year - i.starts_at.year == 3 for i in items)  # 36-month term
    assert creator_balances(ada, "USD").held == 1200 + 799
    assert JournalTransaction.objects.filter(kind="sale").count() == 1
    assert balanced()
    note = Notification.objects.get(user=ada)
    assert order.organization.name in note.subject and "until" in note.body
    assert any(ada.email in m.to for m in mail.outbox)

    # Every event delivered again, as Stripe does on a lost answer: nothing more happens.
    for event in stripe_events(stripe_client):
        StripeEvent.objects.filter(event_id=event["id"]).update(processed_at=None)
    deliver_all(client, stripe_client)
    assert LicenseGrantItem.objects.count() == 2
    assert JournalTransaction.objects.filter(kind="sale").count() == 1
    assert Notification.objects.filter(user=ada).count() == 1


def test_a_declined_card_leaves_the_order_open_for_another_try(
    client, buyer, ada, stripe_server, stripe_client
):
    order = checked_out(buyer, [listed_work(ada)])
    assert pay(stripe_server, order, card="4000000000000002") == 402
    deliver_all(client, stripe_client)
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT and order.license_grant is None
    assert pay(stripe_server, order) == 303
    deliver_all(client, stripe_client)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_an_expired_checkout_returns_the_dataset_to_draft(client, buyer, ada, stripe_client):
    order = checked_out(buyer, [listed_work(ada)])
    stripe_client.v1.checkout.sessions.expire(order.stripe_checkout_session_id)
    deliver_all(client, stripe_client, "checkout.session.expired")
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert order.dataset.status == DatasetStatus.DRAFT
    # A new checkout is a new order with a new session.
    second = order_checkout_start(dataset=order.dataset, user=buyer, destruction_acknowledged=True)
    assert second.id != order.id and second.stripe_checkout_session_id


def test_cancelling_expires_the_session_so_it_cannot_be_paid(buyer, ada, stripe_server):
    order = checked_out(buyer, [listed_work(ada)])
    order_checkout_cancel(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED and order.dataset.status == DatasetStatus.DRAFT
    assert pay(stripe_server, order) != 303


def test_works_that_stop_being_sellable_are_reported_not_silently_changed(buyer, ada):
    kept, withdrawn, repriced = (listed_work(ada, price=p) for p in (1000, 1100, 1200))
    dataset = make_dataset(buyer, [kept, withdrawn, repriced])
    offer_withdraw(offer=withdrawn.offers.get(), actor=ada, context=CONTEXT)
    listed_work_reprice(repriced, ada, 1500)

    from config.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        order_checkout_start(dataset=dataset, user=buyer, destruction_acknowledged=True)
    assert refused.value.code == "quote_changed"
    changes = {c["work_id"]: c for c in refused.value.extra["changes"]}
    assert changes[withdrawn.id]["change"] == "dropped"
    assert changes[repriced.id]["change"] == "repriced"
    assert (changes[repriced.id]["old_amount"], changes[repriced.id]["new_amount"]) == (1200, 1500)
    dataset.refresh_from_db()
    assert len(dataset.notices) == 2
    order = order_checkout_start(
        dataset=dataset, user=buyer, destruction_acknowledged=True
    )  # the new quote, accepted
    assert order.total_amount == 1000 + 1500


def listed_work_reprice(work, creator, price):
    from licensing.services.offers import offer_create

    offer = work.offers.get(status="active")
    offer_create(
        work=work,
        actor=creator,
        terms=offer.terms,
        price_amount=price,
        currency="USD",
        consent=True,
        context=CONTEXT,
        preset=offer.preset,
    )


def paid_order(client, buyer, works, stripe_server, stripe_client) -> Order:
    order = checked_out(buyer, works)
    assert pay(stripe_server, order) == 303
    deliver_all(client, stripe_client)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def test_staff_refund_of_chosen_items_reverses_them_and_revokes_their_licenses(
    client, buyer, ada, stripe_server, stripe_client
):
    ben = CreatorFactory()
    order = paid_order(
        client,
        buyer,
        [listed_work(ada, price=1000), listed_work(ben, price=2000)],
        stripe_server,
        stripe_client,
    )
    bens_item = order.items.get(creator=ben)
    refund = order_refund(
        order=order, actor=StaffFactory(), reason="Bought twice", item_ids=[bens_item.id]
    )

    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == 2000
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    stripe_refund = stripe_client.v1.refunds.retrieve(refund.stripe_refund_id)
    assert stripe_refund.amount == 2000
    assert creator_balances(ben, "USD").held == 0
    assert creator_balances(ada, "USD").held == 800
    statuses = dict(LicenseGrantItem.objects.values_list("creator_id", "status"))
    assert statuses == {ada.id: GrantStatus.ACTIVE, ben.id: GrantStatus.REVOKED}
    assert Notification.objects.filter(user=ben, subject__contains="refunded").exists()
    assert Notification.objects.filter(user=buyer, subject__contains="refunded").exists()
    # Stripe's charge.refunded arrives afterwards: nothing is reversed twice.
    deliver_all(client, stripe_client, "charge.refunded")
    assert JournalTransaction.objects.filter(kind="refund").count() == 1
    assert balanced()


def test_a_refund_stripe_did_not_answer_is_completed_by_the_sweep_once(
    client, buyer, ada, stripe_server, stripe_client, settings
):
    """Stripe is unreachable when staff refund: the refund stays pending (staff are told) and
    the items cannot be refunded a second time meanwhile; the sweep asks again with the same
    idempotency key once Stripe answers: one refund at Stripe, reversed once in the books."""
    import socket
    from datetime import timedelta

    from django.utils import timezone

    from config.errors import ApplicationError
    from marketplace.models import Refund
    from marketplace.tasks import refunds_retry_pending_task

    order = paid_order(client, buyer, [listed_work(ada, price=1000)], stripe_server, stripe_client)
    api_base = settings.STRIPE_API_BASE
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed}"  # nothing listens there
    with pytest.raises(ApplicationError) as error:
        order_refund(order=order, actor=StaffFactory(), reason="Bought twice")
    assert error.value.code == "payments_unavailable"
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.PENDING
    with pytest.raises(ApplicationError):  # nothing left to refund: it is in the pending one
        order_refund(order=order, actor=StaffFactory(), reason="Again")
    assert refunds_retry_pending_task() == 0  # still down, and too recent anyway

    settings.STRIPE_API_BASE = api_base  # Stripe answers again
    assert refunds_retry_pending_task() == 0  # made a minute ago: it may still be on its way
    Refund.objects.filter(id=refund.id).update(created_at=timezone.now() - timedelta(minutes=11))
    assert refunds_retry_pending_task() == 1
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and order.status == OrderStatus.REFUNDED
    assert len(stripe_client.v1.refunds.list().data) == 1
    assert refunds_retry_pending_task() == 0
    deliver_all(client, stripe_client, "charge.refunded")
    assert JournalTransaction.objects.filter(kind="refund").count() == 1
    assert creator_balances(ada, "USD").held == 0
    assert balanced()


def test_a_refund_made_in_stripes_dashboard_is_applied_from_the_event(
    client, buyer, ada, stripe_server, stripe_client
):
    order = paid_order(client, buyer, [listed_work(ada, price=1000)], stripe_server, stripe_client)
    stripe_client.v1.refunds.create(params={"payment_intent": order.stripe_payment_intent_id})
    deliver_all(client, stripe_client, "charge.refunded")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    refund = order.refunds.get()
    assert refund.reason == "Refunded in Stripe's dashboard"
    # Labelled in Stripe with our reference, so reconciliation pairs it with the postings.
    labelled = stripe_client.v1.refunds.retrieve(refund.stripe_refund_id)
    assert labelled.metadata["assent_reference"] == f"refund:{refund.id}"
    assert creator_balances(ada, "USD").held == 0
    assert not LicenseGrantItem.objects.filter(status=GrantStatus.ACTIVE).exists()


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_takes_the_money_back_and_its_outcome_settles_it(
    client, buyer, ada, stripe_server, stripe_client, outcome
):
    order = checked_out(buyer, [listed_work(ada, price=1000)])
    assert pay(stripe_server, order, card="4000000000000259") == 303  # disputed after paying
    deliver_all(client, stripe_client)
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    assert creator_balances(ada, "USD").held == 0

    dispute = stripe_client.v1.disputes.list().data[0]
    control(stripe_server, f"disputes/{dispute.id}", {"status": outcome})
    deliver_all(client, stripe_client, "charge.dispute.closed")
    order.refresh_from_db()
    item = LicenseGrantItem.objects.get()
    if outcome == "won":
        assert order.status == OrderStatus.PAID
        assert creator_balances(ada, "USD").held == 800 and item.status == GrantStatus.ACTIVE
    else:
        assert order.status == OrderStatus.DISPUTED
        assert creator_balances(ada, "USD").held == 0 and item.status == GrantStatus.REVOKED
    assert balanced()


@pytest.mark.parametrize("outcome", ["met", "breached"])
def test_a_duty_settled_during_a_dispute_moves_the_holdback_once_the_dispute_is_won(
    client,
    buyer,
    ada,
    stripe_server,
    stripe_client,
    settings,
    outcome,
    django_capture_on_commit_callbacks,
):
    """Nothing is released or forfeited while an item's money is in dispute, and licensing
    settles a duty once: when the dispute is won, the recorded outcome is applied."""
    from datetime import timedelta

    from licensing.models import DutyOutcome
    from licensing.services.duties import duties_settle
    from licensing.services.expiry import license_items_expire
    from payouts.selectors.team_credit import team_credit_balances

    from .lifecycle import DESTROY

    settings.PLATFORM_FEE_BPS, settings.LICENSE_HOLDBACK_BPS = 2000, 1000
    order = checked_out(buyer, [listed_work(ada, preset=DESTROY, price=10_000)])
    assert pay(stripe_server, order, card="4000000000000259") == 303  # disputed after paying
    deliver_all(client, stripe_client)
    item = LicenseGrantItem.objects.get()
    if outcome == "met":  # the license ends with no model declared: the duty is met at once
        license_items_expire(now=item.expires_at + timedelta(minutes=1))
    else:  # never attested, for good
        LicenseGrantItem.objects.filter(id=item.id).update(duty_outcome=DutyOutcome.BREACHED)
    duties_settle()
    item.refresh_from_db()
    assert item.duty_settled_at is not None
    team = order.organization
    assert team_credit_balances(team) == {} and creator_balances(ada, "USD").available == 0

    dispute = stripe_client.v1.disputes.list().data[0]
    control(stripe_server, f"disputes/{dispute.id}", {"status": "won"})
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(client, stripe_client, "charge.dispute.closed")
    if outcome == "met":
        assert team_credit_balances(team) == {"USD": 1_000}
    else:  # forfeited to the creator, into their available money
        assert creator_balances(ada, "USD").available == 1_000
    assert balanced()
    with django_capture_on_commit_callbacks(execute=True):  # a replayed event moves nothing
        deliver_all(client, stripe_client, "charge.dispute.closed")
    assert team_credit_balances(team) == ({"USD": 1_000} if outcome == "met" else {})
    assert balanced()


def test_the_creators_earnings_name_the_work_team_license_and_terms_of_each_sale(
    client, buyer, ada, stripe_server, stripe_client
):
    work = listed_work(ada, price=1500, title="Harbour at dawn")
    order = paid_order(client, buyer, [work], stripe_server, stripe_client)
    client.force_login(ada)

    page = client.get("/studio/earnings/").content.decode()
    license_ref = order.license_grant.uuid.hex[:10].upper()
    assert "Harbour at dawn" in page and order.organization.name in page
    # The license by its name, linked to its public record; the id stays in the CSV.
    assert order.dataset.name in page and f"/public/licenses/{order.license_grant.uuid}/" in page
    assert "order_item:" not in page
    assert "generative training" in page and "3 years" in page
    assert "$15.00" in page and "$3.00" in page and "$12.00" in page  # price − fee = net

    rows = b"".join(client.get("/studio/earnings.csv").streaming_content).decode().splitlines()
    assert rows[0].endswith("buyer,license,terms")
    sale_rows = [r for r in rows if order.organization.name in r]
    assert sale_rows and all(license_ref in r for r in sale_rows)


def test_a_refund_after_payout_takes_the_share_back_from_the_connected_account(
    client, buyer, stripe_server, stripe_client, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from payouts.services.events import holds_release_due
    from payouts.services.payout_runs import payout_run_create, payout_send
    from tests.payouts.factories import connected_creator, fund_platform

    settings.PAYOUT_MINIMUM = 100
    fund_platform(stripe_server, 1_000_000)
    ada = connected_creator(stripe_client, stripe_server)
    order = paid_order(client, buyer, [listed_work(ada, price=1000)], stripe_server, stripe_client)
    holds_release_due(now=timezone.now() + timedelta(days=settings.EARNINGS_HOLD_DAYS + 1))
    payout = payout_run_create().payouts.get()
    payout = payout_send(payout_id=payout.id)
    assert payout.status == "paid" and payout.amount == 800

    order_refund(order=order, actor=StaffFactory(), reason="Licensed by mistake")

    transfer = stripe_client.v1.transfers.retrieve(payout.stripe_transfer_id)
    assert transfer.amount_reversed == 800
    balances = creator_balances(ada, "USD")
    assert (balances.owed, balances.paid) == (0, 0)
    assert balanced()


def test_a_work_removed_before_the_payment_is_confirmed_is_refunded_not_sold(
    client, buyer, ada, stripe_server, stripe_client
):
    kept, removed = listed_work(ada, price=1000), listed_work(ada, price=2000)
    order = checked_out(buyer, [kept, removed])
    removed.status = "removed"  # e.g. a rights claim upheld while the buyer was paying
    removed.save(update_fields=["status"])
    assert pay(stripe_server, order) == 303
    deliver_all(client, stripe_client)

    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    refund = order.refunds.get()
    assert refund.amount == 2000 and refund.status == RefundStatus.SUCCEEDED
    assert stripe_client.v1.refunds.retrieve(refund.stripe_refund_id).amount == 2000
    statuses = dict(LicenseGrantItem.objects.values_list("work_id", "status"))
    assert statuses == {kept.id: GrantStatus.ACTIVE, removed.id: GrantStatus.REVOKED}
    assert balanced()
