"""Staff filters and decisions take their vocabularies in any case; the API refuses a wrong value
naming the valid ones (the pages ignore it); ids no table holds never reach the database."""

from __future__ import annotations

import pytest

from moderation.models import CaseStatus, Decision, ReviewCase
from uploads.models import WorkStatus

from .test_staff_pages import _staff_api, held

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


@pytest.fixture
def staff_client(client, staff_with_totp):
    client.force_login(staff_with_totp)
    return client


def test_the_case_list_filters_in_any_case_and_refuses_a_wrong_value(staff_with_totp):
    api = _staff_api(staff_with_totp)
    case = held()
    body = api.get("/api/v1/staff/cases/", {"status": "OPEN", "kind": "Screening"}).json()
    assert [c["id"] for c in body["results"]] == [case.id]
    assert api.get("/api/v1/staff/cases/", {"status": "Decided"}).json()["count"] == 0

    refused = api.get("/api/v1/staff/cases/", {"status": "closed", "kind": "spam"})
    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "kind": ['"spam" is not one of: screening, claim, banned_account, destruction-overdue.'],
        "status": ['"closed" is not one of: open, decided.'],
    }


def test_a_decision_action_is_taken_in_any_case_and_a_wrong_one_named(staff_with_totp):
    api = _staff_api(staff_with_totp)
    case = held()
    url = f"/api/v1/staff/cases/{case.id}/decision/"
    refused = api.post(url, {"action": "ban", "reason": "Stolen"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"]["action"] == ['"ban" is not one of: approve, reject, close.']
    assert not Decision.objects.exists()

    decided = api.post(url, {"action": "Reject ", "reason": "Stolen"}, format="json")
    assert decided.status_code == 200, decided.json()
    assert Decision.objects.get().action == "reject"
    assert ReviewCase.objects.get(id=case.id).work.status == WorkStatus.REJECTED


def test_the_decision_form_takes_the_action_in_any_case(staff_client):
    case = held()
    response = staff_client.post(
        f"/staff/review/{case.id}/decide/", {"action": "APPROVE", "reason": "Fine"}
    )
    assert response.status_code == 302
    assert Decision.objects.get().action == "approve"
    assert ReviewCase.objects.get(id=case.id).status == CaseStatus.DECIDED


def test_bulk_decisions_on_ids_no_table_holds_decide_nothing(staff_client):
    case = held()
    for junk in (str(10**30), "²"):
        response = staff_client.post(
            "/staff/review/bulk/",
            {
                "case_ids": [str(case.id), junk],
                "action": "reject",
                "reason": "Flood",
            },
        )
        assert response.status_code == 302
    assert not Decision.objects.exists()
    assert ReviewCase.objects.get(id=case.id).status == CaseStatus.OPEN


def test_the_pages_take_filters_in_any_case_and_ignore_junk(staff_client):
    case = held(title="Dusk")
    queue = staff_client.get("/staff/review/", {"kind": "SCREENING"})
    assert queue.status_code == 200 and "Dusk" in queue.content.decode()
    for params in (
        {"actor": "²"},
        {"work": str(10**30)},
        {"account": "-1"},
        {"action": "REJECT"},
        {"action": "Bogus"},
    ):
        assert staff_client.get("/staff/review/log/", params).status_code == 200
    assert staff_client.get("/staff/claims/", {"status": "Upheld"}).status_code == 200
    assert ReviewCase.objects.get(id=case.id).status == CaseStatus.OPEN
