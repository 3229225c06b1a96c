"""A data request end to end through the API and the local Stripe server: a team posts a
request, two creators offer a work each with their consent, a member accepts both, checks
out, pays on the hosted page, and the signed webhook makes the order paid, the license grant,
the ledger postings and the package, exactly as for a catalog purchase at the same prices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification
from licensing.models import LicenseGrantItem
from marketplace.models import DataRequestResponse, Order, OrderStatus, Package, PackageStatus
from payouts.models import JournalTransaction, LedgerEntry
from payouts.selectors.ledger import creator_balances, trial_balance
from tests.factories import BuyerFactory, CreatorFactory, member_of, team_of

from .data_requests import fitting_work
from .factories import deliver_all, listed_work, make_dataset, pay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_stripe")]


def as_user(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def ledger_by_kind(item_ref: str) -> dict[str, int]:
    rows = LedgerEntry.objects.filter(item_ref=item_ref).values("account__kind")
    return {r["account__kind"]: r["total"] for r in rows.annotate(total=Sum("amount"))}


def test_a_request_is_posted_offered_into_accepted_paid_and_delivered(
    client, stripe_server, stripe_client
):
    owner = BuyerFactory(membership__organization__name="Orbit Lab")
    member = member_of(team_of(owner))
    ada = CreatorFactory(profile__display_name="Ada Okafor")
    kenji = CreatorFactory(profile__display_name="Kenji Mori")
    harbour = fitting_work(ada, title="Harbour at dawn", price=1500)
    cranes = fitting_work(kenji, title="Cranes", price=2500)

    # The team posts what it needs, at $12.00 a work.
    posted = as_user(owner).post(
        "/api/v1/data-requests/",
        {
            "title": "Harbours",
            "description": "Working harbours in early light.",
            "tags": ["harbour"],
            "count_wanted": 2,
            "uses": ["ai-train-generative"],
            "commercial": True,
            "months_needed": 12,
            "price": 1200,
            "currency": "usd",
            "deadline": (timezone.now() + timedelta(days=7)).isoformat(),
        },
        format="json",
    )
    assert posted.status_code == 201, posted.json()
    request_uuid = posted.json()["uuid"]

    # Each creator sees it, with the work that fits, reads the text and consents to it.
    for creator, work in ((ada, harbour), (kenji, cranes)):
        api = as_user(creator)
        listing = api.get("/api/v1/open-data-requests/").json()
        assert [(r["uuid"], r["matching_works"], r["team"]) for r in listing["results"]] == [
            (request_uuid, 1, "An AI team")
        ]
        base = f"/api/v1/open-data-requests/{request_uuid}/responses/"
        preview = api.get(f"{base}preview/", {"work_id": work.id}).json()
        assert preview["net"]["amount"] == 960 and preview["price"]["amount"] == 1200
        offered = api.post(
            base,
            {"work_id": work.id, "consent": True, "consent_hash": preview["consent_hash"]},
            format="json",
        )
        assert offered.status_code == 201, offered.json()
        assert offered.json()["consent_text"] == preview["consent_text"]

    # A member of the team accepts both and checks out.
    team_api = as_user(member)
    detail = team_api.get(f"/api/v1/data-requests/{request_uuid}/").json()
    assert [r["title"] for r in detail["responses"]] == ["Harbour at dawn", "Cranes"]
    for response in detail["responses"]:
        url = f"/api/v1/data-requests/{request_uuid}/responses/{response['uuid']}/accept/"
        accepted = team_api.post(url)
        assert accepted.status_code == 200 and accepted.json()["stage"] == "accepted"
    checkout = team_api.post(
        f"/api/v1/data-requests/{request_uuid}/checkout/",
        {"acknowledge_destruction": True},
        format="json",
    )
    assert checkout.status_code == 201, checkout.json()
    order = Order.objects.get(uuid=checkout.json()["uuid"])
    assert order.total_amount == 2400 and checkout.json()["checkout_url"]
    session = stripe_client.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    assert session.amount_total == 2400

    # Paid on the hosted page; only the verified event grants.
    assert pay(stripe_server, order) == 303
    assert {r.status_code for r in deliver_all(client, stripe_client)} == {200}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.placed_by == member
    grant = order.license_grant
    assert grant.organization == team_of(owner)
    items = {i.work_id: i for i in LicenseGrantItem.objects.filter(grant=grant)}
    assert set(items) == {harbour.id, cranes.id}
    assert {i.price_amount for i in items.values()} == {1200}
    assert items[harbour.id].terms == harbour.offers.get().terms.canonical()
    assert all(i.expires_at - i.starts_at >= timedelta(days=36 * 30) for i in items.values())
    assert JournalTransaction.objects.filter(kind="sale").count() == 1
    assert creator_balances(ada, "USD").held == 960
    assert creator_balances(kenji, "USD").held == 960
    assert all(sum(kinds.values()) == 0 for kinds in trial_balance().values())
    package = Package.objects.get(order=order)
    assert package.status == PackageStatus.READY and package.total_items == 2
    assert Notification.objects.filter(user=ada, subject__contains="licensed 1 of your works")
    stages = {
        r["stage"]
        for r in team_api.get(f"/api/v1/data-requests/{request_uuid}/").json()["responses"]
    }
    assert stages == {"licensed"}
    assert as_user(ada).get("/api/v1/data-request-responses/").json()["results"][0]["stage"] == (
        "licensed"
    )

    # The ledger holds for a request's item what it holds for a catalog sale at that price.
    other = BuyerFactory()
    same_price = listed_work(CreatorFactory(), price=1200)
    from marketplace.services.checkout import order_checkout_start

    catalog_order = order_checkout_start(
        dataset=make_dataset(other, [same_price]), user=other, destruction_acknowledged=True
    )
    assert pay(stripe_server, catalog_order) == 303
    deliver_all(client, stripe_client)
    catalog_item = catalog_order.items.get()
    request_item = order.items.get(work=harbour)
    assert ledger_by_kind(request_item.item_ref) == ledger_by_kind(catalog_item.item_ref)
    assert DataRequestResponse.objects.filter(dataset=order.dataset).count() == 2
