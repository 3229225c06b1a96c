"""Data requests, service by service: posting (refusals name the field), which works match,
offering a work with consent to the exact text shown (kept, hashed, never edited), accepting
within the count and the budget, declining and withdrawing, and the checkout refusing what is
no longer on sale. The purchase through Stripe is in test_data_requests_flow.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Notification
from config.errors import ApplicationError
from licensing.services.offers import offer_create, offer_withdraw
from licensing.terms import PRESETS
from marketplace.models import (
    DataRequestResponse,
    DataRequestResponseStatus,
    DataRequestStatus,
    DatasetStatus,
)
from marketplace.selectors.data_requests import (
    match_counts,
    matching_works,
    open_requests,
    request_responses,
    request_tally,
    response_stage,
)
from marketplace.services.checkout import order_checkout_cancel
from marketplace.services.data_request_checkout import data_request_checkout_start
from marketplace.services.data_request_responses import (
    consent_hash,
    data_request_response_accept,
    data_request_response_create,
    data_request_response_decline,
    data_request_response_withdraw,
    response_offer_quote,
)
from marketplace.services.data_requests import data_request_cancel, data_request_close
from marketplace.services.datasets import intended_use_parse
from tests.factories import CONTEXT, BuyerFactory, CreatorFactory, member_of, team_of
from uploads.models import Work, WorkStatus

from .data_requests import TAG, fitting_work, offer_into, post_request
from .factories import listed_work

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_stripe")]


@pytest.fixture
def owner():
    return BuyerFactory(membership__organization__name="Orbit Lab")


@pytest.fixture
def ada():
    return CreatorFactory(profile__display_name="Ada Okafor")


@pytest.fixture
def kenji():
    return CreatorFactory(profile__display_name="Kenji Mori")


def refused(code: str, call, *args, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


# --- posting -----------------------------------------------------------------------------------


def test_a_posted_request_keeps_the_brief_in_the_catalogs_terms(owner):
    data_request = post_request(
        owner, tags=["Harbour ", "BOATS", "harbour"], min_width=1024, min_height=768
    )
    assert data_request.status == DataRequestStatus.OPEN
    assert data_request.tags == ["harbour", "boats"]  # uploads' normal form, once each
    assert data_request.intended_use.months_needed == 12
    assert (data_request.price_amount, data_request.budget_amount) == (1000, None)
    assert data_request.team_label == "An AI team"  # the team's name is not shown by default
    assert post_request(owner, show_team_name=True).team_label == "Orbit Lab"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": ""}, "description"),
        ({"description": "nul\x00inside"}, "description"),
        ({"tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({"count_wanted": 0}, "count_wanted"),
        ({"count_wanted": True}, "count_wanted"),
        ({"min_width": -1}, "min_width"),
        ({"price_amount": 10}, "price"),  # below the floor
        ({"price_amount": None}, "price"),  # neither price nor budget
        ({"budget_amount": 5000, "price_amount": 1000}, "price"),  # both
        ({"deadline": timezone.now() - timedelta(minutes=1)}, "deadline"),
        ({"deadline": timezone.now() + timedelta(days=400)}, "deadline"),
        ({"deadline": None}, "deadline"),
        ({"currency": "BTC"}, "currency"),
    ],
)
def test_a_bad_brief_is_refused_naming_the_field(owner, overrides, field):
    with pytest.raises(ApplicationError) as caught:
        post_request(owner, **overrides)
    assert field in caught.value.fields, caught.value.fields


# --- matching ----------------------------------------------------------------------------------


def test_a_creator_sees_which_of_their_works_fit(owner, ada, kenji):
    data_request = post_request(owner, min_width=60, min_height=40)
    fits = fitting_work(ada, title="Fits")
    fitting_work(ada, title="No tag", tags=["boats"])
    fitting_work(ada, title="Too small", data=_jpeg(32, 24))
    fitting_work(ada, title="Made by AI", ai_involvement="generated")
    fitting_work(ada, title="Evaluation only", preset="evaluation-1y")  # offer does not cover
    fitting_work(ada, title="In euros", currency="EUR")
    fitting_work(ada, title="Held", status=WorkStatus.PENDING_REVIEW)
    fitting_work(kenji, title="Someone else's")

    assert [w.title for w in matching_works(data_request=data_request, creator=ada)] == ["Fits"]
    assert match_counts(requests=[data_request], creator=ada) == {data_request.id: 1}
    offer_into(data_request, fits)
    # Offered already: no longer counted as one to offer.
    assert match_counts(requests=[data_request], creator=ada) == {data_request.id: 0}
    # A request that takes AI-generated works matches it too.
    welcoming = post_request(owner, accepts_ai_generated=True)
    titles = {w.title for w in matching_works(data_request=welcoming, creator=ada)}
    assert titles == {"Fits", "Made by AI", "Too small"}


def _jpeg(width, height):
    from tests.uploads.images import jpeg_bytes, photo

    return jpeg_bytes(photo(width, height, seed=width))


def test_only_open_requests_before_their_deadline_are_shown(owner):
    shown = post_request(owner)
    closed = post_request(owner)
    data_request_close(data_request=closed)
    late = post_request(owner)
    type(late).objects.filter(id=late.id).update(deadline=timezone.now() - timedelta(seconds=1))
    assert list(open_requests()) == [shown]


# --- offering ----------------------------------------------------------------------------------


def test_offering_records_the_exact_text_consented_to(owner, ada, settings):
    settings.PLATFORM_FEE_BPS = 2000
    data_request = post_request(owner)
    work = fitting_work(ada, title="Harbour cranes")
    _, price, shown = response_offer_quote(data_request=data_request, work=work, creator=ada)

    response = data_request_response_create(
        data_request=data_request,
        work=work,
        creator=ada,
        consent=True,
        context=CONTEXT,
        shown_hash=consent_hash(shown),
    )

    assert price == 1000 and response.price_amount == 1000
    assert response.consent_text == shown
    assert response.consent_hash == hashlib.sha256(shown.encode()).hexdigest()
    assert "“Harbour cranes”" in shown and "“Harbours at dawn”" in shown
    assert "The team pays $10.00" in shown and "leaves you $8.00" in shown and "20%" in shown
    assert "destroyed" in shown  # the preset's duty, said before consenting
    assert (
        response.offer == work.offers.get() and response.terms_hash == work.offers.get().terms_hash
    )
    assert (response.ip_address, response.user_agent) == ("127.0.0.1", "tests")
    # The team hears of it.
    assert Notification.objects.filter(user=owner, url=f"/requests/{data_request.uuid}/").exists()


def test_nothing_is_offered_without_consent_or_on_a_text_not_shown(owner, ada):
    data_request = post_request(owner)
    work = fitting_work(ada)
    refused(
        "consent_required",
        data_request_response_create,
        data_request=data_request,
        work=work,
        creator=ada,
        consent="yes",
        context=CONTEXT,
    )
    changed = refused(
        "consent_text_changed",
        data_request_response_create,
        data_request=data_request,
        work=work,
        creator=ada,
        consent=True,
        context=CONTEXT,
        shown_hash="0" * 64,
    )
    assert changed.extra["consent_text"].startswith("I offer my work")
    assert not DataRequestResponse.objects.exists()


def test_a_work_is_offered_into_a_request_once(owner, ada):
    data_request = post_request(owner)
    work = fitting_work(ada)
    first = offer_into(data_request, work)
    again = refused("already_offered", offer_into, data_request, work)
    assert again.status == 409 and again.extra["response"] == str(first.uuid)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        DataRequestResponse.objects.create(
            **{
                f.name: getattr(first, f.name)
                for f in DataRequestResponse._meta.concrete_fields
                if f.name not in {"id", "uuid"}
            }
        )
    assert DataRequestResponse.objects.count() == 1


def test_a_consent_is_never_edited_only_its_status_moves(owner, ada):
    response = offer_into(post_request(owner), fitting_work(ada))
    response.consent_text = "Something else"
    with pytest.raises(PermissionError):
        response.save()
    response.refresh_from_db()
    response.status = DataRequestResponseStatus.WITHDRAWN
    response.save(update_fields=["status"])


def test_offers_are_refused_for_other_works_closed_requests_and_non_matching_works(
    owner, ada, kenji
):
    data_request = post_request(owner)
    refused(
        "not_found",
        data_request_response_create,
        data_request=data_request,
        work=fitting_work(kenji),
        creator=ada,
        consent=True,
        context=CONTEXT,
    )
    untagged = refused("work_not_matching", offer_into, data_request, listed_work(ada))
    assert untagged.extra["problems"] == ["It lacks the tag harbour."]
    ai = fitting_work(ada, ai_involvement="generated")
    assert "AI-generated" in refused("work_not_matching", offer_into, data_request, ai).message
    data_request_close(data_request=data_request)
    refused("request_closed", offer_into, data_request, fitting_work(ada))


def test_a_budget_request_takes_the_creators_price_within_the_budget(owner, ada):
    data_request = post_request(owner, budget_amount=2500)
    work = fitting_work(ada)
    refused("price_required", offer_into, data_request, work)
    refused("over_budget", offer_into, data_request, work, price_amount=2600)
    refused("price_below_floor", offer_into, data_request, work, price_amount=10)
    response = offer_into(data_request, work, price_amount=1800)
    assert response.price_amount == 1800 and "$18.00" in response.consent_text
    fixed = post_request(owner)
    refused("price_fixed", offer_into, fixed, fitting_work(ada), price_amount=1800)


# --- deciding ----------------------------------------------------------------------------------


def test_accepting_stops_at_the_count_wanted(owner, ada, kenji):
    data_request = post_request(owner, count_wanted=1)
    first = offer_into(data_request, fitting_work(ada))
    second = offer_into(data_request, fitting_work(kenji))
    data_request_response_accept(response=first, user=owner)
    again = data_request_response_accept(response=first, user=owner)  # twice is once
    assert again.status == DataRequestResponseStatus.ACCEPTED
    refused("count_reached", data_request_response_accept, response=second, user=owner)
    second.refresh_from_db()
    assert second.status == DataRequestResponseStatus.OFFERED
    tally = request_tally(data_request=data_request)
    assert (tally.accepted, tally.remaining, tally.to_check_out_amount) == (1, 0, 1000)
    assert Notification.objects.filter(user=ada, subject__contains="accepted").count() == 1


def test_accepting_stays_within_the_budget(owner, ada, kenji):
    data_request = post_request(owner, budget_amount=3000, count_wanted=5)
    dear = offer_into(data_request, fitting_work(ada), price_amount=2000)
    also_dear = offer_into(data_request, fitting_work(kenji), price_amount=1500)
    cheap = offer_into(data_request, fitting_work(kenji), price_amount=900)
    data_request_response_accept(response=dear, user=owner)
    error = refused("over_budget", data_request_response_accept, response=also_dear, user=owner)
    assert "$10.00 of the budget is left" in error.message
    data_request_response_accept(response=cheap, user=owner)
    assert request_tally(data_request=data_request).budget_left == 100


def test_a_declined_or_withdrawn_offer_cannot_be_accepted(owner, ada):
    data_request = post_request(owner)
    declined = offer_into(data_request, fitting_work(ada))
    data_request_response_decline(response=declined, user=owner)
    refused("response_not_offered", data_request_response_accept, response=declined, user=owner)
    withdrawn = offer_into(data_request, fitting_work(ada))
    data_request_response_withdraw(response=withdrawn, creator=ada)
    refused("response_not_offered", data_request_response_accept, response=withdrawn, user=owner)
    refused("response_declined", data_request_response_withdraw, response=declined, creator=ada)


def test_only_the_creator_withdraws_their_offer(owner, ada, kenji):
    response = offer_into(post_request(owner), fitting_work(ada))
    refused("not_found", data_request_response_withdraw, response=response, creator=kenji)
    assert data_request_response_withdraw(response=response, creator=ada).status == "withdrawn"


def test_a_work_off_sale_cannot_be_accepted(owner, ada):
    data_request = post_request(owner)
    work = fitting_work(ada)
    response = offer_into(data_request, work)
    offer_withdraw(offer=work.offers.get(), actor=ada, context=CONTEXT)
    refused("work_unavailable", data_request_response_accept, response=response, user=owner)
    assert request_responses(data_request=data_request)[0].is_available is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no concurrent writers")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_accepting_at_once_leave_no_more_than_the_count():
    """The second accept arrives while the first's transaction still holds the request's row:
    it waits, then sees the count reached and changes nothing."""
    from tests.payouts.test_holdback import _race

    owner = BuyerFactory()
    mate = member_of(team_of(owner))
    data_request = post_request(owner, count_wanted=1)
    first = offer_into(data_request, fitting_work(CreatorFactory()))
    second = offer_into(data_request, fitting_work(CreatorFactory()))
    accepted, refusal = _race(
        lambda: data_request_response_accept(response=first, user=owner),
        lambda: data_request_response_accept(response=second, user=mate),
    )
    assert accepted.status == "accepted"
    assert isinstance(refusal, ApplicationError) and refusal.code == "count_reached"
    assert data_request.responses.filter(status="accepted").count() == 1


# --- closing, cancelling, checking out ---------------------------------------------------------


def test_checkout_refuses_works_no_longer_listed(owner, ada, kenji):
    data_request = post_request(owner)
    kept, removed = fitting_work(ada, title="Kept"), fitting_work(kenji, title="Removed")
    for work in (kept, removed):
        data_request_response_accept(response=offer_into(data_request, work), user=owner)
    Work.objects.filter(id=removed.id).update(status=WorkStatus.REMOVED)

    error = refused(
        "works_unavailable",
        data_request_checkout_start,
        data_request=data_request,
        user=owner,
        destruction_acknowledged=True,
    )
    assert "“Removed”" in error.message and error.status == 409
    assert [w["work_id"] for w in error.extra["works"]] == [removed.id]
    # Declined, the rest checks out at the request's price.
    response = data_request.responses.get(work=removed)
    data_request_response_decline(response=response, user=owner)
    order = data_request_checkout_start(
        data_request=data_request, user=owner, destruction_acknowledged=True
    )
    assert [(i.work_id, i.price_amount) for i in order.items.all()] == [(kept.id, 1000)]


def test_checkout_uses_the_request_price_and_survives_a_catalog_price_change(owner, ada):
    data_request = post_request(owner)
    work = fitting_work(ada, price=1500)
    response = offer_into(data_request, work)
    data_request_response_accept(response=response, user=owner)
    # The creator re-prices the work in the catalog: same terms, a new offer.
    offer_create(
        work=work,
        actor=ada,
        terms=PRESETS["generative-commercial-3y"].terms,
        price_amount=4000,
        currency="USD",
        consent=True,
        context=CONTEXT,
    )
    order = data_request_checkout_start(
        data_request=data_request, user=owner, destruction_acknowledged=True
    )
    item = order.items.get()
    assert (item.price_amount, item.creator_share, item.fee_amount) == (1000, 800, 200)
    assert item.offer == work.offers.get(status="active")  # the live offer on those terms
    assert order.total_amount == 1000 and order.stripe_checkout_session_id
    assert order.dataset.status == DatasetStatus.CHECKING_OUT
    response.refresh_from_db()
    assert response_stage(response) == "checking_out"
    # Asking again while it is open answers the same order.
    again = data_request_checkout_start(
        data_request=data_request, user=owner, destruction_acknowledged=True
    )
    assert again.id == order.id


def test_checkout_needs_accepted_works_and_the_destruction_duty_acknowledged(owner, ada):
    data_request = post_request(owner)
    refused(
        "nothing_to_check_out",
        data_request_checkout_start,
        data_request=data_request,
        user=owner,
        destruction_acknowledged=True,
    )
    data_request_response_accept(response=offer_into(data_request, fitting_work(ada)), user=owner)
    refused(
        "destruction_unacknowledged",
        data_request_checkout_start,
        data_request=data_request,
        user=owner,
        destruction_acknowledged=False,
    )


def test_an_accepted_work_in_an_open_checkout_stays_put(owner, ada):
    data_request = post_request(owner)
    response = offer_into(data_request, fitting_work(ada))
    data_request_response_accept(response=response, user=owner)
    order = data_request_checkout_start(
        data_request=data_request, user=owner, destruction_acknowledged=True
    )
    refused("response_in_checkout", data_request_response_withdraw, response=response, creator=ada)
    refused("response_in_checkout", data_request_response_decline, response=response, user=owner)
    refused("request_has_checkouts", data_request_cancel, data_request=data_request)
    # Cancelled, the work leaves the dataset when withdrawn; checkout then has nothing.
    order_checkout_cancel(order=order)
    data_request_response_withdraw(response=response, creator=ada)
    assert not order.dataset.items.exists()
    refused(
        "nothing_to_check_out",
        data_request_checkout_start,
        data_request=data_request,
        user=owner,
        destruction_acknowledged=True,
    )


def test_a_cancelled_request_takes_no_offers_accepts_or_checkouts(owner, ada):
    data_request = post_request(owner)
    response = offer_into(data_request, fitting_work(ada))
    data_request_cancel(data_request=data_request)
    refused("request_closed", offer_into, data_request, fitting_work(ada))
    refused("request_cancelled", data_request_response_accept, response=response, user=owner)
    refused("request_cancelled", data_request_close, data_request=data_request)
    refused(
        "request_cancelled",
        data_request_checkout_start,
        data_request=data_request,
        user=owner,
        destruction_acknowledged=True,
    )


def test_a_team_that_cannot_destroy_models_gets_only_stop_training_works(owner, ada):
    data_request = post_request(
        owner,
        intended=intended_use_parse(
            uses=["ai-evaluate"], commercial=False, months_needed=6, can_destroy_models=False
        ),
        tags=[TAG],
    )
    fitting_work(ada, title="Destroy")  # generative-commercial-3y: destroy-models
    fitting_work(ada, title="Stop", preset="nongenerative-research-5y")
    titles = [w.title for w in matching_works(data_request=data_request, creator=ada)]
    assert titles == ["Stop"]
