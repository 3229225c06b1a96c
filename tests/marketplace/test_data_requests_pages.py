"""The data request pages as people use them: a team posts a request with the form (and is told
what is wrong), sees the works offered and accepts them; a creator sees the open requests
with how many of their works fit, reads the exact text on the consent step and consents; what
is recorded is what the page showed. List pages take a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from marketplace.models import DataRequestResponse
from marketplace.services.data_request_responses import data_request_response_accept
from tests.factories import BuyerFactory, CreatorFactory

from .data_requests import fitting_work, offer_into, post_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_stripe")]


@pytest.fixture
def owner():
    return BuyerFactory(membership__organization__name="Orbit Lab")


@pytest.fixture
def ada():
    return CreatorFactory(profile__display_name="Ada Okafor")


def html(client, url, status=200, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def form(**changes) -> dict:
    values = {
        "title": "Night streets",
        "description": "Streets after dark, people allowed.",
        "tags": "night, Street",
        "count_wanted": "20",
        "uses": ["ai-train-generative"],
        "commercial": "true",
        "can_destroy_models": "true",
        "months_needed": "12",
        "pricing": "per_work",
        "price": "12.50",
        "currency": "USD",
        "deadline": (timezone.localdate() + timezone.timedelta(days=10)).isoformat(),
    }
    values.update(changes)
    return values


def test_a_team_posts_a_request_with_the_form(client, owner):
    client.force_login(owner)
    assert "Post a request" in html(client, "/requests/")
    response = client.post("/requests/", form())
    assert response.status_code == 302
    data_request = owner.memberships.get().organization.data_requests.get()
    assert response["Location"] == f"/requests/{data_request.uuid}/"
    assert (data_request.price_amount, data_request.tags) == (1250, ["night", "street"])
    assert data_request.deadline.date().isoformat() == form()["deadline"]
    page = html(client, response["Location"])
    assert "Night streets" in page and "$12.50" in page and "No works offered yet" in page


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"title": ""}, "Give the request a title."),
        ({"price": "12,50"}, "Use a point for decimals"),
        ({"count_wanted": "lots"}, "A whole number"),
        ({"deadline": "tomorrow-ish"}, "Choose the last day offers are taken."),
        ({"uses": []}, "Say at least one intended use."),
        ({"pricing": "budget", "budget": "0.10"}, "The lowest price is"),
    ],
)
def test_the_form_says_what_is_wrong_and_keeps_what_was_typed(client, owner, changes, says):
    client.force_login(owner)
    response = client.post("/requests/", form(**changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert says in page and "Streets after dark" in page
    assert not owner.memberships.get().organization.data_requests.exists()


def test_the_team_sees_offered_works_and_accepts_one(client, owner, ada):
    data_request = post_request(owner)
    response = offer_into(data_request, fitting_work(ada, title="Harbour cranes"))
    client.force_login(owner)
    page = html(client, f"/requests/{data_request.uuid}/")
    assert "Harbour cranes" in page and "by Ada Okafor" in page and "$10.00" in page
    assert 'aria-label="Accept Harbour cranes"' in page
    answer = client.post(f"/requests/{data_request.uuid}/responses/{response.uuid}/accept/")
    assert answer.status_code == 302
    page = html(client, f"/requests/{data_request.uuid}/")
    assert 'data-stage="accepted"' in page and "Check out 1 work · $10.00" in page
    # The creators' terms ask for models to be destroyed: acknowledged before paying.
    assert 'id="acknowledge-destruction"' in page


def test_a_creator_offers_a_work_on_the_text_the_page_showed(client, owner, ada, settings):
    settings.PLATFORM_FEE_BPS = 2000
    data_request = post_request(owner, show_team_name=True)
    work = fitting_work(ada, title="Harbour cranes")
    client.force_login(ada)
    listing = html(client, "/studio/requests/")
    assert "Harbours at dawn" in listing and "1 of your works fit" in listing
    assert "Orbit Lab" in listing
    detail = html(client, f"/studio/requests/{data_request.uuid}/")
    offer_url = f"/studio/requests/{data_request.uuid}/offer/{work.id}/"
    assert offer_url in detail

    page = html(client, offer_url)
    shown = re.search(r'data-testid="consent-text"[^>]*>(.*?)</pre>', page, re.S).group(1)
    shown_hash = re.search(r'name="consent_hash" value="([0-9a-f]{64})"', page).group(1)
    assert "You net</span> $8.00" in page and "leaves you $8.00" in shown

    unticked = client.post(offer_url, {"consent_hash": shown_hash})
    assert unticked.status_code == 400 and "explicit consent" in unticked.content.decode()
    assert not DataRequestResponse.objects.exists()

    done = client.post(offer_url, {"consent": "yes", "consent_hash": shown_hash})
    assert done.status_code == 302
    response = DataRequestResponse.objects.get()
    assert response.consent_hash == shown_hash
    assert response.consent_text == _unescape(shown)
    after = html(client, f"/studio/requests/{data_request.uuid}/")
    assert 'data-stage="offered"' in after and "Withdraw this offer" in after
    # Offered, the work is no longer among those to offer; asking again is refused plainly.
    again = client.get(offer_url, follow=True)
    assert "You offered this work into this request already" in again.content.decode()


def _unescape(text: str) -> str:
    import html as html_lib

    return html_lib.unescape(text)


def test_a_budget_request_asks_the_creator_for_a_price_first(client, owner, ada):
    data_request = post_request(owner, budget_amount=5000)
    work = fitting_work(ada)
    client.force_login(ada)
    url = f"/studio/requests/{data_request.uuid}/offer/{work.id}/"
    first = html(client, url)
    assert "Name your price" in first and 'name="consent"' not in first
    too_much = client.get(url, {"price": "60"})
    assert too_much.status_code == 400 and "whole budget" in too_much.content.decode()
    priced = html(client, url, data={"price": "20"})
    assert "The team pays $20.00" in priced
    shown_hash = re.search(r'name="consent_hash" value="([0-9a-f]{64})"', priced).group(1)
    client.post(url, {"consent": "yes", "consent_hash": shown_hash, "price": "20"})
    assert DataRequestResponse.objects.get().price_amount == 2000


def test_a_work_that_does_not_fit_is_not_offered_from_a_crafted_link(client, owner, ada):
    data_request = post_request(owner)
    untagged = fitting_work(ada, tags=[])
    client.force_login(ada)
    page = client.get(f"/studio/requests/{data_request.uuid}/offer/{untagged.id}/", follow=True)
    assert "It lacks the tag harbour." in page.content.decode()
    assert client.get(f"/studio/requests/{data_request.uuid}/offer/{10**30}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 20])
def test_list_pages_take_a_fixed_number_of_queries(
    client, owner, ada, rows, django_assert_max_num_queries
):
    for n in range(rows):
        data_request = post_request(owner, title=f"Request {n}")
        response = offer_into(data_request, fitting_work(ada))
        data_request_response_accept(response=response, user=owner)
    client.force_login(owner)
    with django_assert_max_num_queries(10):
        page = html(client, "/requests/")
    assert page.count("data-request=") == rows
    client.force_login(ada)
    # One count of fitting works per request shown (at most a page of them), plus a fixed few.
    with django_assert_max_num_queries(10 + rows):
        page = html(client, "/studio/requests/")
    assert page.count("data-request=") == rows and page.count("data-response=") == rows


# As measured; the point is that it is the same for one fitting work or fifteen (it was 6 + one
# query per card when the cards read each work's kind and length one at a time).
QUERIES_FOR_ONE_REQUEST = 6


@pytest.mark.parametrize("works", [1, 15])
def test_a_requests_page_for_a_creator_costs_the_same_whatever_number_of_works_fit(
    client, owner, ada, works, django_assert_num_queries
):
    """Each fitting work's card shows its size in its medium's unit (size_text reads the kind
    and the length): the list must fetch those, not one query per card."""
    data_request = post_request(owner)
    for n in range(works):
        fitting_work(ada, title=f"Harbour {n}")
    client.force_login(ada)
    html(client, f"/studio/requests/{data_request.uuid}/")  # warm the per-process caches
    with django_assert_num_queries(QUERIES_FOR_ONE_REQUEST) as captured:
        page = html(client, f"/studio/requests/{data_request.uuid}/")
    assert page.count(f"/studio/requests/{data_request.uuid}/offer/") == works, captured
