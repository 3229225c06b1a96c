"""Automatic decisions are never credited to a person: screening's outcomes (listed, held,
rejected on upload) show as "Automatic screening" in a case's log and the decision log, and the
freeze a rights claim makes as "Automatic"; staff decisions show the staff member who took them.
Screenings are written directly with the model, as the screening service writes them."""

from __future__ import annotations

import re

import pytest

from accounts.models import SYSTEM_ACTOR_EMAIL
from accounts.services.users import system_actor
from moderation.models import Outcome, Screening
from moderation.policy import POLICY_VERSION
from payouts.services.freezes import freeze_create
from tests.fixtures.moderation import open_screening_case
from tests.marketplace.factories import listed_work
from uploads.models import WorkStatus
from uploads.services.history import work_status_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def staff_client(client, staff_with_totp):
    client.force_login(staff_with_totp)
    return client


@pytest.fixture
def held_case():
    """A work screening held for review (as moderation.services.screening does it): the
    Screening, the status change no one made, the open case."""
    work = listed_work(status=WorkStatus.PENDING_REVIEW, title="Harbour at dawn")
    Screening.objects.create(
        work=work,
        score=55,
        outcome=Outcome.HOLD,
        reasons=["Looks like another account's work"],
        policy_version=POLICY_VERSION,
    )
    work_status_set(work=work, status=WorkStatus.PENDING_REVIEW, reason="Held for review")
    return open_screening_case(work, risk=55)


def case_entries(html: str) -> list[str]:
    return re.findall(r'<div [^>]*data-testid="case-decision".*?</div>', html, re.S)


def log_rows(html: str) -> list[str]:
    return re.findall(r"<tr data-decision=.*?</tr>", html, re.S)


def test_a_case_shows_screenings_hold_as_automatic_and_staffs_decision_by_name(
    staff_client, staff_with_totp, held_case
):
    html = staff_client.get(f"/staff/review/{held_case.id}/").content.decode()
    (hold,) = case_entries(html)
    assert 'data-action="screening_hold"' in hold and 'data-automatic="true"' in hold
    assert "Held for review on screening" in hold and "Automatic screening" in hold
    assert "Looks like another account&#x27;s work." in hold
    assert staff_with_totp.email not in hold and "None" not in hold

    staff_client.post(
        f"/staff/review/{held_case.id}/decide/", {"action": "approve", "reason": "Own photo"}
    )

    html = staff_client.get(f"/staff/review/{held_case.id}/").content.decode()
    hold, approve = case_entries(html)  # oldest first
    assert "Automatic screening" in hold
    assert 'data-action="approve"' in approve and 'data-automatic="false"' in approve
    assert f'by <span data-testid="decision-by">{staff_with_totp.email}</span>' in approve
    assert "Automatic" not in approve


def test_the_decision_log_lists_screenings_as_automatic(staff_client, staff_with_totp, held_case):
    staff_client.post(
        f"/staff/review/{held_case.id}/decide/", {"action": "reject", "reason": "A copy"}
    )

    rows = log_rows(staff_client.get("/staff/review/log/").content.decode())
    (reject,) = [r for r in rows if 'data-action="reject"' in r]
    (hold,) = [r for r in rows if 'data-action="screening_hold"' in r]
    assert staff_with_totp.email in reject and "Automatic" not in reject
    assert "Automatic screening" in hold and staff_with_totp.email not in hold

    automatic = log_rows(
        staff_client.get("/staff/review/log/", {"actor": "automatic"}).content.decode()
    )
    assert [r for r in automatic if 'data-automatic="true"' in r] == automatic
    assert len(automatic) == 1
    by_staff = log_rows(
        staff_client.get("/staff/review/log/", {"actor": staff_with_totp.id}).content.decode()
    )
    assert len(by_staff) == 1 and 'data-action="reject"' in by_staff[0]
    held_only = log_rows(
        staff_client.get("/staff/review/log/", {"action": "screening_hold"}).content.decode()
    )
    assert len(held_only) == 1 and "Automatic screening" in held_only[0]


def test_the_log_offers_no_system_account_as_a_staff_member(staff_client):
    system_actor()
    html = staff_client.get("/staff/review/log/").content.decode()
    assert SYSTEM_ACTOR_EMAIL not in html
    assert '<option value="automatic">Automatic screening</option>' in html


def test_a_claims_automatic_freeze_is_not_credited_to_a_person(staff_client, creator, staff):
    freeze_create(actor=system_actor(), work_id=5, reason="Rights claim 7A21 under review.")
    freeze_create(actor=staff, creator=creator, reason="Chargebacks")

    html = staff_client.get("/staff/ledger/").content.decode()

    assert SYSTEM_ACTOR_EMAIL not in html
    assert "· Automatic</div>" in html
    assert f"· {staff.email}</div>" in html
