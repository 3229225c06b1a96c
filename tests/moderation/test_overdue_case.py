"""A team overdue on destroying its models gets ONE staff case (moderation/lifecycle.py, through
licensing.registry.team_overdue), which the queue and the case page show with the team, the
overdue models and their deadline, and staff close with a reason. `overdue` is in
tests/fixtures/lifecycle.py; the case in a real browser is in tests/e2e/test_moderation_pages.py."""

from datetime import timedelta

import pytest
from django.utils import timezone

from licensing.services.destruction import destruction_attest, destruction_overdue_sweep
from moderation.models import CaseKind, CaseStatus, Decision, DecisionAction, ReviewCase

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


def test_one_case_per_team_however_many_sweeps(overdue):
    team, _, _ = overdue
    case = ReviewCase.objects.get()
    assert (case.kind, case.status, case.organization, case.work) == (
        CaseKind.DESTRUCTION_OVERDUE,
        CaseStatus.OPEN,
        team,
        None,
    )
    assert "Orbit 7" in case.reason and team.name in case.reason


def test_the_queue_and_the_case_page_show_the_team(client, staff_with_totp, overdue, buyer):
    team, declaration, _ = overdue
    case = ReviewCase.objects.get()
    client.force_login(staff_with_totp)
    queue = client.get("/staff/review/").content.decode()
    assert team.name in queue and "Team overdue on model destruction" in queue
    filtered = client.get("/staff/review/?kind=destruction-overdue").content.decode()
    assert f'data-case="{case.id}"' in filtered

    page = client.get(f"/staff/review/{case.id}/").content.decode()
    assert team.name in page and "Orbit 7" in page and "Harbour" in page
    assert 'data-testid="team-restricted"' in page and 'data-testid="deadline"' in page
    assert buyer.email in page  # the team's owner

    # Once the team attests, the page says the restriction is lifted; staff close the case.
    destruction_attest(
        declaration=declaration, user=buyer, destroyed_on=timezone.localdate(), method="Deleted."
    )
    page = client.get(f"/staff/review/{case.id}/").content.decode()
    assert 'data-testid="no-longer-overdue"' in page
    client.post(f"/staff/review/{case.id}/decide/", {"action": "approve", "reason": "ok"})
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN  # a team case is closed, not approved
    response = client.post(
        f"/staff/review/{case.id}/decide/", {"action": "close", "reason": "Attested late; warned."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    decision = Decision.objects.get(case=case)
    assert decision.action == DecisionAction.CLOSE and decision.work is None


def test_a_later_overdue_after_a_closed_case_opens_a_new_one(
    overdue, staff_with_totp, django_capture_on_commit_callbacks
):
    from moderation.services.decisions import case_decide

    team, _, late = overdue
    case_decide(
        case=ReviewCase.objects.get(),
        actor=staff_with_totp,
        action="close",
        reason="Followed up by email.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        destruction_overdue_sweep(now=late + timedelta(days=1))
    assert ReviewCase.objects.filter(organization=team).count() == 2
    assert ReviewCase.objects.filter(organization=team, status=CaseStatus.OPEN).count() == 1


def test_the_staff_api_shows_the_team_case(api_client, staff_with_totp, overdue):
    team, declaration, _ = overdue
    case = ReviewCase.objects.get()
    api_client.force_authenticate(staff_with_totp)
    listing = api_client.get("/api/v1/staff/cases/?kind=destruction-overdue").json()
    [row] = listing["results"]
    assert row["work"] is None and row["organization"]["name"] == team.name
    detail = api_client.get(f"/api/v1/staff/cases/{case.id}/").json()
    assert [m["uuid"] for m in detail["overdue_models"]] == [str(declaration.uuid)]
    assert detail["overdue_models"][0]["due_item_refs"] == [declaration.items.get().item_ref]
    response = api_client.post(
        f"/api/v1/staff/cases/{case.id}/decision/", {"action": "reject", "reason": "x"}
    )
    assert response.status_code == 400
