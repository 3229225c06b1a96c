"""Renewal: the same works bought again for a new term, only where the creator's consent still
stands, at the current offer's price; the rest listed as not renewable with the reason. Paid end
to end through the local Stripe server, a renewal makes a new license whose items start when
the old ones end (renewed in time) or at payment (renewed after expiry)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from licensing.models import LicenseGrant, LicenseGrantItem
from licensing.services.grants import months_after
from licensing.services.offers import offer_create, offer_withdraw, work_consent_withdraw
from licensing.terms import PRESETS, LicenseTerms, OnExpiry, Use
from marketplace.models import Dataset, DatasetStatus, OrderStatus
from marketplace.services.renewals import renewal_quote, renewal_start
from tests.factories import CONTEXT, BuyerFactory, CreatorFactory
from uploads.models import Work, WorkStatus

from .factories import deliver_all, listed_work, pay
from .lifecycle import DESTROY, attest, declare, expire, overdue_expiry_days, paid_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_stripe", "media_root")]

GENERATIVE_3Y = PRESETS[DESTROY].terms


@pytest.fixture
def ada():
    return CreatorFactory()


@pytest.fixture
def buyer():
    return BuyerFactory()


@pytest.fixture
def bought(buyer, ada):
    """A paid license of three works by Ada (generative, commercial, 3 years, destroy-models)."""
    works = [
        listed_work(ada, price=1500, title="Harbour"),
        listed_work(ada, price=2000, title="Lighthouse"),
        listed_work(ada, price=900, title="Pier"),
    ]
    order = paid_order(buyer, works, build=False)
    return {"order": order, "grant": order.license_grant, "works": works}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def offer_again(work, creator, terms, *, price):
    """The creator offers `work` again, on `terms` at `price` USD, with consent."""
    return offer_create(
        work=work,
        actor=creator,
        terms=terms,
        price_amount=price,
        currency="USD",
        consent=True,
        context=CONTEXT,
    )


def by_title(lines):
    return {line.item.work_title: line for line in lines}


def test_with_consent_standing_every_item_renews_on_the_same_offer(buyer, bought):
    quote = renewal_quote(grant=bought["grant"], user=buyer)
    assert quote.not_renewable == []
    assert [line.offer for line in quote.renewable] == [line.item.offer for line in quote.renewable]
    assert all(line.is_same_terms and not line.price_changed for line in quote.renewable)
    assert quote.total_amount == quote.previous_amount == 4400

    dataset, _ = renewal_start(grant=bought["grant"], user=buyer)
    assert dataset.renews == bought["grant"] and dataset.status == DatasetStatus.DRAFT
    assert dataset.intended_use == bought["order"].dataset.intended_use
    assert sorted(dataset.items.values_list("offer_id", flat=True)) == sorted(
        bought["grant"].items.values_list("offer_id", flat=True)
    )
    # Asking again refills the same draft rather than making another.
    again, _ = renewal_start(grant=bought["grant"], user=buyer)
    assert again.id == dataset.id and again.items.count() == 3


def test_a_changed_offer_renews_at_the_current_price_or_on_terms_that_still_cover(
    buyer, ada, bought
):
    harbour, lighthouse, pier = bought["works"]
    # Harbour: same terms, new price (the old offer is retired).
    offer_again(harbour, ada, GENERATIVE_3Y, price=1800)
    # Lighthouse: old offer withdrawn, a new one giving more (5 years) at a lower price.
    offer_withdraw(offer=lighthouse.offers.get(), actor=ada, context=CONTEXT)
    longer = LicenseTerms(frozenset(Use), True, 60, OnExpiry.DESTROY_MODELS, True)
    new_lighthouse = offer_again(lighthouse, ada, longer, price=1700)
    # Pier: withdrawn, now only offered for evaluation: it no longer covers what was licensed.
    offer_withdraw(offer=pier.offers.get(), actor=ada, context=CONTEXT)
    offer_again(pier, ada, PRESETS["evaluation-1y"].terms, price=500)

    quote = renewal_quote(grant=bought["grant"], user=buyer)
    renewable = by_title(quote.renewable)
    assert set(renewable) == {"Harbour", "Lighthouse"}
    assert renewable["Harbour"].is_same_terms and renewable["Harbour"].price_amount == 1800
    assert renewable["Lighthouse"].offer == new_lighthouse
    assert not renewable["Lighthouse"].is_same_terms
    assert quote.total_amount == 3500 and quote.previous_amount == 3500
    assert [(line.item.work_title, line.reason_code) for line in quote.not_renewable] == [
        ("Pier", "no_compatible_offer")
    ]

    response = api(buyer).post(f"/api/v1/licenses/{bought['grant'].uuid}/renew/")
    assert response.status_code == 201
    body = response.json()
    assert body["quote"]["total"]["amount"] == 3500
    assert body["dataset"]["quote"]["total"]["amount"] == 3500
    prices = {
        r["title"]: (r["previous_price"]["amount"], r["price"]["amount"])
        for r in body["quote"]["renewable"]
    }
    assert prices == {"Harbour": (1500, 1800), "Lighthouse": (2000, 1700)}
    assert [(n["title"], n["reason_code"]) for n in body["not_renewable"]] == [
        ("Pier", "no_compatible_offer")
    ]


def test_a_cheaper_offer_that_adds_a_destruction_duty_does_not_renew_a_stop_training_item(
    buyer, ada
):
    stop = LicenseTerms(frozenset({Use.GENERATIVE}), True, 12, OnExpiry.STOP_TRAINING)
    work = listed_work(ada, terms=stop, price=1000)
    order = paid_order(buyer, [work], build=False)
    offer_withdraw(offer=work.offers.get(), actor=ada, context=CONTEXT)
    offer_again(work, ada, GENERATIVE_3Y, price=400)
    quote = renewal_quote(grant=order.license_grant, user=buyer)
    assert [line.reason_code for line in quote.not_renewable] == ["no_compatible_offer"]


def test_withdrawn_consent_and_removed_works_are_listed_as_not_renewable(
    client, buyer, ada, bought
):
    harbour, lighthouse, _ = bought["works"]
    work_consent_withdraw(work=harbour, actor=ada, context=CONTEXT)
    Work.objects.filter(id=lighthouse.id).update(status=WorkStatus.REMOVED)

    quote = renewal_quote(grant=bought["grant"], user=buyer)
    assert [line.item.work_title for line in quote.renewable] == ["Pier"]
    reasons = {line.item.work_title: line for line in quote.not_renewable}
    assert reasons["Harbour"].reason_code == "consent_withdrawn"
    assert "withdrew consent" in reasons["Harbour"].reason
    assert reasons["Lighthouse"].reason_code == "work_removed"

    client.force_login(buyer)
    bought_today = client.get(f"/licenses/{bought['grant'].uuid}/").content.decode()
    # Nothing to renew on the day of purchase: the page says when renewing opens.
    assert 'data-testid="renewal"' not in bought_today
    assert 'data-testid="renewal-later"' in bought_today and "Renewing opens on" in bought_today
    LicenseGrantItem.objects.filter(grant=bought["grant"]).update(
        expires_at=timezone.now() + timedelta(days=20)
    )
    page = client.get(f"/licenses/{bought['grant'].uuid}/").content.decode()
    assert 'data-testid="renewal"' in page and 'data-testid="renewal-later"' not in page
    assert f'data-renewable="{bought["works"][2].id}"' in page
    assert f'data-not-renewable="{harbour.id}"' in page and "withdrew consent" in page
    assert "no longer on Assent" in page
    assert 'data-testid="renewal-total">$9.00<' in page

    work_consent_withdraw(work=bought["works"][2], actor=ada, context=CONTEXT)
    response = api(buyer).post(f"/api/v1/licenses/{bought['grant'].uuid}/renew/")
    assert response.status_code == 409
    assert response.json()["code"] == "nothing_renewable"
    assert {n["reason_code"] for n in response.json()["not_renewable"]} == {
        "consent_withdrawn",
        "work_removed",
    }
    assert not Dataset.objects.filter(renews=bought["grant"]).exists()


def test_an_overdue_team_cannot_renew(buyer, bought):
    model = declare(buyer, list(bought["grant"].items.all()))
    expire(bought["grant"], days_ago=overdue_expiry_days())
    response = api(buyer).post(f"/api/v1/licenses/{bought['grant'].uuid}/renew/")
    assert (response.status_code, response.json()["code"]) == (403, "team_restricted")
    attest(model, buyer)
    assert api(buyer).post(f"/api/v1/licenses/{bought['grant'].uuid}/renew/").status_code == 201


def _pay_renewal(client, stripe_server, stripe_client, buyer, grant):
    response = api(buyer).post(f"/api/v1/licenses/{grant.uuid}/renew/")
    assert response.status_code == 201, response.json()
    dataset_uuid = response.json()["dataset"]["uuid"]
    checkout = api(buyer).post(
        f"/api/v1/datasets/{dataset_uuid}/checkout/",
        {"acknowledge_destruction": True},
        format="json",
    )
    assert checkout.status_code == 201, checkout.json()
    order = Dataset.objects.get(uuid=dataset_uuid).orders.get()
    assert pay(stripe_server, order) == 303
    deliver_all(client, stripe_client)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def test_a_renewal_paid_before_expiry_starts_when_the_old_items_end(
    client, buyer, bought, stripe_server, stripe_client
):
    grant = bought["grant"]
    old_ends = dict(grant.items.values_list("work_id", "expires_at"))
    order = _pay_renewal(client, stripe_server, stripe_client, buyer, grant)

    new = order.license_grant
    assert new != grant and new.organization == grant.organization
    for item in new.items.all():
        assert item.starts_at == old_ends[item.work_id]  # no time lost, none paid twice
        assert item.expires_at == months_after(old_ends[item.work_id], 36)
    assert new.starts_at == min(old_ends.values())
    # The old license runs on until it ends; renewing it again now has nothing to renew.
    quote = renewal_quote(grant=grant, user=buyer)
    assert {line.reason_code for line in quote.not_renewable} == {"already_renewed"}
    # The new license shows where it came from.
    client.force_login(buyer)
    page = client.get(f"/licenses/{new.uuid}/").content.decode()
    assert f"/licenses/{grant.uuid}/" in page


def test_a_renewal_paid_after_expiry_starts_at_payment(
    client, buyer, bought, stripe_server, stripe_client
):
    expire(bought["grant"], days_ago=3)
    before = timezone.now()
    order = _pay_renewal(client, stripe_server, stripe_client, buyer, bought["grant"])
    for item in order.license_grant.items.all():
        assert before <= item.starts_at <= order.paid_at + timedelta(seconds=1)
        assert item.expires_at == months_after(item.starts_at, 36)


def test_items_with_different_terms_each_start_when_their_own_old_item_ends(
    client, buyer, ada, stripe_server, stripe_client
):
    two_years = LicenseTerms(frozenset(Use), True, 24, OnExpiry.DESTROY_MODELS, True)
    works = [listed_work(ada, price=1000), listed_work(ada, terms=two_years, price=800)]
    grant = paid_order(buyer, works, build=False).license_grant
    old_ends = dict(grant.items.values_list("work_id", "expires_at"))
    assert len(set(old_ends.values())) == 2
    order = _pay_renewal(client, stripe_server, stripe_client, buyer, grant)
    starts = dict(order.license_grant.items.values_list("work_id", "starts_at"))
    assert starts == old_ends


def test_the_license_page_renew_button_goes_to_checkout(client, buyer, bought):
    client.force_login(buyer)
    # Its terms require destroying models at expiry: not acknowledged, the renewal waits on
    # the dataset page (which asks for it) instead of opening a checkout.
    unacknowledged = client.post(f"/licenses/{bought['grant'].uuid}/renew/")
    assert unacknowledged.status_code == 302 and "/datasets/" in unacknowledged["Location"]
    assert Dataset.objects.get(renews=bought["grant"]).status == DatasetStatus.DRAFT
    yes = {"acknowledge_destruction": "yes"}
    response = client.post(f"/licenses/{bought['grant'].uuid}/renew/", yes)
    assert response.status_code == 302 and "/pay/" in response["Location"]
    dataset = Dataset.objects.get(renews=bought["grant"])
    assert dataset.status == DatasetStatus.CHECKING_OUT
    # Clicking again while the checkout is open goes back to the same checkout.
    again = client.post(f"/licenses/{bought['grant'].uuid}/renew/", yes)
    assert again["Location"] == response["Location"]
    assert Dataset.objects.filter(renews=bought["grant"]).count() == 1
    # The dataset page says what the renewal is.
    page = client.get(f"/datasets/{dataset.uuid}/").content.decode()
    assert 'data-testid="renews"' in page


def test_another_team_cannot_quote_or_renew_our_license(bought):
    other = BuyerFactory()
    grant = bought["grant"]
    assert api(other).get(f"/api/v1/licenses/{grant.uuid}/renew/").status_code == 404
    assert api(other).post(f"/api/v1/licenses/{grant.uuid}/renew/").status_code == 404
    with pytest.raises(Exception) as refused:
        renewal_quote(grant=LicenseGrant.objects.get(id=grant.id), user=other)
    assert getattr(refused.value, "code", "") == "not_found"
    assert not Dataset.objects.filter(renews=grant).exists()
    assert not LicenseGrantItem.objects.filter(grant__organization__memberships__user=other)
