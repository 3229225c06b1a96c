"""The data request API refuses junk with a 4xx and a stable code, never a 500, and changes
nothing when it refuses; offering a work twice is a clear 409."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.models import DataRequest, DataRequestResponse
from marketplace.services.data_request_responses import consent_hash, response_offer_quote
from tests.factories import BuyerFactory, CreatorFactory

from .data_requests import fitting_work, offer_into, post_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_stripe")]


@pytest.fixture
def owner():
    return BuyerFactory()


@pytest.fixture
def ada():
    return CreatorFactory()


def as_user(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def valid_body(**changes) -> dict:
    body = {
        "title": "Harbours",
        "description": "Working harbours.",
        "count_wanted": 2,
        "uses": ["AI-Train-Generative"],  # any case, as everywhere
        "commercial": True,
        "months_needed": 12,
        "price": 1000,
        "deadline": (timezone.now() + timedelta(days=5)).isoformat(),
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ([1, 2], "invalid", "non_field_errors"),
        ({}, "invalid", "title"),
        (valid_body(uses=["telepathy"]), "invalid", "uses"),
        (valid_body(uses="ai-evaluate"), "invalid", "uses"),
        (valid_body(count_wanted=10**30), "invalid", "count_wanted"),
        (valid_body(count_wanted=10**6), "invalid", "count_wanted"),  # beyond a dataset
        (valid_body(price=-5), "invalid", "price"),
        (valid_body(price=None), "invalid", "price"),
        (valid_body(budget=5000), "invalid", "price"),
        (valid_body(price=49), "price_below_floor", "price"),
        (valid_body(deadline="soon"), "invalid", "deadline"),
        (valid_body(deadline="2001-01-01T00:00:00Z"), "invalid", "deadline"),
        (valid_body(currency="XXX"), "invalid", "currency"),
        (valid_body(tags="harbour"), "invalid", "tags"),
        (valid_body(min_width="wide"), "invalid", "min_width"),
        (valid_body(title="\x00"), "invalid", "title"),
    ],
)
def test_a_bad_request_body_is_a_400_naming_the_field(owner, body, code, field):
    response = as_user(owner).post("/api/v1/data-requests/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert field in response.json()["fields"], response.json()
    assert not DataRequest.objects.exists()


def test_a_body_that_is_not_json_is_a_parse_error(owner):
    response = as_user(owner).post(
        "/api/v1/data-requests/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_buyer_without_a_team_is_told_so(owner):
    loner = BuyerFactory(membership=None)
    response = as_user(loner).post("/api/v1/data-requests/", valid_body(), format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_team"


def test_unknown_requests_and_responses_are_404(owner, ada):
    data_request = post_request(owner)
    team, creator = as_user(owner), as_user(ada)
    bogus = "00000000-0000-0000-0000-000000000000"
    assert team.get(f"/api/v1/data-requests/{bogus}/").status_code == 404
    url = f"/api/v1/data-requests/{data_request.uuid}/responses/{bogus}/accept/"
    assert team.post(url).json()["code"] == "not_found"
    assert creator.get(f"/api/v1/open-data-requests/{bogus}/").status_code == 404
    assert creator.post(f"/api/v1/data-request-responses/{bogus}/withdraw/").status_code == 404
    assert team.get("/api/v1/data-requests/not-a-uuid/").status_code == 404


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "invalid", "work_id"),
        ({"work_id": "one", "consent": True}, "invalid", "work_id"),
        ({"work_id": 10**30, "consent": True}, "invalid", "work_id"),
        ({"work_id": 1}, "invalid", "consent"),
        ({"work_id": 1, "consent": True, "consent_hash": "nope"}, "invalid", "consent_hash"),
        ({"work_id": 1, "consent": True, "price": "free"}, "invalid", "price"),
    ],
)
def test_a_bad_offer_body_is_a_400(owner, ada, body, code, field):
    data_request = post_request(owner)
    url = f"/api/v1/open-data-requests/{data_request.uuid}/responses/"
    response = as_user(ada).post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and field in response.json()["fields"]
    assert not DataRequestResponse.objects.exists()


def test_offering_answers_its_own_refusals(owner, ada):
    data_request = post_request(owner)
    work = fitting_work(ada)
    api = as_user(ada)
    url = f"/api/v1/open-data-requests/{data_request.uuid}/responses/"

    no = api.post(url, {"work_id": work.id, "consent": False}, format="json")
    assert no.status_code == 400 and no.json()["code"] == "consent_required"
    stale = api.post(url, {"work_id": work.id, "consent": True, "consent_hash": "a" * 64})
    assert stale.status_code == 409 and stale.json()["code"] == "consent_text_changed"
    assert stale.json()["consent_hash"] != "a" * 64  # the text to read instead comes with it
    unfit = api.post(url, {"work_id": fitting_work(ada, tags=[]).id, "consent": True})
    assert unfit.status_code == 409 and unfit.json()["code"] == "work_not_matching"
    assert unfit.json()["problems"] == ["It lacks the tag harbour."]
    assert not DataRequestResponse.objects.exists()

    _, _, text = response_offer_quote(data_request=data_request, work=work, creator=ada)
    first = api.post(url, {"work_id": work.id, "consent": True, "consent_hash": consent_hash(text)})
    assert first.status_code == 201
    twice = api.post(url, {"work_id": work.id, "consent": True})
    assert twice.status_code == 409 and twice.json()["code"] == "already_offered"
    assert twice.json()["response"] == first.json()["uuid"]
    assert DataRequestResponse.objects.count() == 1


def test_the_preview_says_why_a_work_cannot_be_offered(owner, ada):
    data_request = post_request(owner, budget_amount=3000)
    work = fitting_work(ada)
    api = as_user(ada)
    url = f"/api/v1/open-data-requests/{data_request.uuid}/responses/preview/"
    assert api.get(url).json()["code"] == "invalid"  # no work_id
    assert api.get(url, {"work_id": work.id}).json()["code"] == "price_required"
    assert api.get(url, {"work_id": work.id, "price": 4000}).json()["code"] == "over_budget"
    preview = api.get(url, {"work_id": work.id, "price": 2000})
    assert preview.status_code == 200 and preview.json()["net"]["amount"] == 1600


def test_deciding_answers_409_with_a_code_when_it_cannot(owner, ada):
    data_request = post_request(owner, count_wanted=1)
    first = offer_into(data_request, fitting_work(ada))
    second = offer_into(data_request, fitting_work(ada))
    api = as_user(owner)
    base = f"/api/v1/data-requests/{data_request.uuid}"
    assert api.post(f"{base}/checkout/", {}).json()["code"] == "nothing_to_check_out"
    assert api.post(f"{base}/responses/{first.uuid}/accept/").status_code == 200
    full = api.post(f"{base}/responses/{second.uuid}/accept/")
    assert full.status_code == 409 and full.json()["code"] == "count_reached"
    refused = api.post(f"{base}/checkout/", {"acknowledge_destruction": "maybe"}, format="json")
    assert refused.status_code == 400 and "acknowledge_destruction" in refused.json()["fields"]
    duty = api.post(f"{base}/checkout/", {})
    assert duty.status_code == 400 and duty.json()["code"] == "destruction_unacknowledged"
    assert api.post(f"{base}/cancel/").status_code == 200
    gone = api.post(f"{base}/responses/{second.uuid}/accept/")
    assert gone.status_code == 409 and gone.json()["code"] == "request_cancelled"
