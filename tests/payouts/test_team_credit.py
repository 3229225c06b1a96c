"""A team's credit (released holdbacks) paid out off-platform and recorded by staff: the credit
goes down once per payment reference, never below zero, the books stay balanced, and only staff
with two-factor may record it (page and API).

Figures: a sale of 10,000 with a 20% fee, 10% holdback: 1,000 of credit once released. The
fixtures (`holdback_fees`, `owner`, `team`, `credited`) are in tests/fixtures/payouts.py; staff
recording a payment in a real browser is in tests/e2e/test_payouts_pages.py."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import MembershipRole
from payouts.models import JournalTransaction
from payouts.selectors.ledger import trial_balance
from payouts.selectors.team_credit import team_credit_balances
from payouts.services.events import refund_post
from payouts.services.team_credit import team_credit_pay_out
from tests.factories import BuyerFactory, CreatorFactory, MembershipFactory
from tests.helpers import DEFAULT_PASSWORD, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("holdback_fees")]

PAGE = "/staff/ledger/"
PAY = "/staff/ledger/team-credit/"
API = "/api/v1/staff/team-credit-payments/"


def balanced() -> bool:
    return all(sum(column.values()) == 0 for column in trial_balance().values())


@pytest.fixture
def staff_page(client, staff_with_totp):
    client.force_login(staff_with_totp)
    return client


def form(team, **overrides):
    return {
        "organization_id": team.id,
        "currency": "USD",
        "amount": "10.00",
        "reference": "TRF-0001",
        "note": "Bank transfer",
        **overrides,
    }


def test_staff_see_the_credit_and_record_its_payment_once(staff_page, team, credited, owner):
    page = staff_page.get(PAGE).content.decode()
    assert f'data-team-credit="{team.slug}-USD"' in page and "$10.00" in page
    assert 'value="10.00"' in page  # the whole credit, suggested

    response = staff_page.post(PAY, form(team, amount="6.00"), follow=True)
    assert response.status_code == 200
    assert "Recorded: $6.00 of credit paid to" in response.content.decode()
    assert team_credit_balances(team) == {"USD": 400}
    assert balanced()
    journal = JournalTransaction.objects.get(kind="team_credit_paid")
    assert journal.reference_id == str(team.id) and "Bank transfer" in journal.memo

    # The same payment recorded again (a double click, a retry) changes nothing.
    response = staff_page.post(PAY, form(team, amount="6.00"), follow=True)
    assert "already recorded; nothing changed" in response.content.decode()
    assert team_credit_balances(team) == {"USD": 400}
    # The team sees what is left on its licenses page.
    staff_page.force_login(owner)
    assert 'data-testid="credit-USD">$4.00<' in staff_page.get("/licenses/").content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "10.01"}, "amount", "More than the team&#x27;s credit."),
        ({"amount": "0"}, "amount", "A positive amount."),
        ({"amount": "-5"}, "amount", "A positive amount."),
        ({"amount": "ten"}, "amount", "Enter a price such as"),
        ({"amount": "1,50"}, "amount", "Use a point for decimals"),
        ({"amount": "1.005"}, "amount", "at most 2 decimal places"),
        ({"reference": "   "}, "reference", "required"),
        ({"currency": "XXX"}, "currency", "XXX is not a currency Assent handles; use one of: AUD,"),
    ],
)
def test_bad_payments_are_refused_with_a_clear_error(
    staff_page, team, credited, overrides, field, message
):
    response = staff_page.post(PAY, form(team, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert team_credit_balances(team) == {"USD": 1_000}
    assert not JournalTransaction.objects.filter(kind="team_credit_paid").exists()


def test_a_reference_used_for_another_amount_is_refused(staff_page, team, credited):
    staff_page.post(PAY, form(team, amount="3.00"))
    response = staff_page.post(PAY, form(team, amount="4.00"))
    assert response.status_code == 400
    assert "Already recorded for another amount." in response.content.decode()
    assert team_credit_balances(team) == {"USD": 700}


def test_an_unknown_team_is_refused(staff_page, team, credited):
    response = staff_page.post(PAY, form(team, organization_id=team.id + 999))
    assert response.status_code == 400 and "No such team." in response.content.decode()


def test_a_refund_after_payment_leaves_the_team_owing_and_the_page_says_so(
    staff_page, staff_with_totp, team, credited
):
    team_credit_pay_out(
        organization=team, currency="USD", amount=1_000, reference="TRF-9", actor=staff_with_totp
    )
    refund_post(refund_ref="re_after_payout", item_ref=credited)
    assert team_credit_balances(team) == {"USD": -1_000}
    assert balanced()
    page = staff_page.get(PAGE).content.decode()
    assert "The team owes Assent this" in page
    # Nothing more can be paid out of a negative credit.
    response = staff_page.post(PAY, form(team, amount="1.00", reference="TRF-10"))
    assert response.status_code == 400


def test_no_credit_is_an_empty_state(staff_page):
    assert "No team has credit." in staff_page.get(PAGE).content.decode()


@pytest.mark.parametrize("who", ["anonymous", "creator", "owner", "staff_without_2fa"])
def test_only_staff_with_two_factor_record_payments_on_the_page(
    client, who, team, credited, owner, staff
):
    users = {"creator": CreatorFactory(), "owner": owner, "staff_without_2fa": staff}
    if who != "anonymous":
        client.force_login(users[who])
    response = client.post(PAY, form(team))
    assert response.status_code in (302, 403)
    if response.status_code == 302:  # to sign in, or to set up two-factor first
        assert response.url.startswith((reverse("account_login"), reverse("mfa_activate_totp")))
    assert team_credit_balances(team) == {"USD": 1_000}


# --- API --------------------------------------------------------------------------------------


def _token_client(user, otp=None) -> APIClient:
    client = APIClient()
    body = {"email": user.email, "password": DEFAULT_PASSWORD}
    if otp:
        body["otp"] = otp
    response = client.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 201, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    return client


def test_staff_record_a_payment_through_the_api(staff_with_totp, team, credited):
    api = _token_client(staff_with_totp, otp=totp_code(staff_with_totp.totp_secret))
    body = {"organization": team.slug, "currency": "usd", "amount": 250, "reference": "re_42"}
    response = api.post(API, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "organization": team.slug,
        "currency": "USD",
        "amount": 250,
        "reference": "re_42",
        "recorded": True,
        "credit": 750,
    }
    replay = api.post(API, body, format="json")
    assert replay.status_code == 200 and replay.json()["recorded"] is False
    assert replay.json()["credit"] == 750
    for bad, code in (
        ({"amount": 5000}, "more_than_credit"),
        ({"amount": 0}, "invalid"),
        ({"organization": "nope"}, "not_found"),
    ):
        response = api.post(API, {**body, "reference": "re_43", **bad}, format="json")
        assert response.status_code in (400, 404) and response.json()["code"] == code, bad
    conflict = api.post(API, {**body, "amount": 100}, format="json")
    assert conflict.status_code == 409 and conflict.json()["code"] == "reference_used"
    assert team_credit_balances(team) == {"USD": 750}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"currency": "btc"},
            '"btc" is not one of: AUD, CAD, CHF, DKK, EUR, GBP, JPY, KRW, NOK, NZD, SEK, USD.',
        ),
        ({"amount": 10**30}, "Ensure this value is less than or equal to 9223372036854775807."),
    ],
)
def test_a_wrong_currency_or_an_oversized_amount_is_a_400(
    staff_with_totp, team, credited, bad, message
):
    api = _token_client(staff_with_totp, otp=totp_code(staff_with_totp.totp_secret))
    body = {"organization": team.slug, "currency": "USD", "amount": 250, "reference": "re_1", **bad}
    response = api.post(API, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"][next(iter(bad))] == [message]
    assert team_credit_balances(team) == {"USD": 1_000}


def test_the_page_takes_a_lower_case_currency(staff_page, team, credited):
    response = staff_page.post(PAY, form(team, currency="usd", amount="2.50"), follow=True)
    assert "Recorded: $2.50 of credit paid to" in response.content.decode()
    assert team_credit_balances(team) == {"USD": 750}
    entry = JournalTransaction.objects.get(kind="team_credit_paid").entries.first()
    assert entry.currency == "USD"


@pytest.mark.parametrize("who", ["anonymous", "creator", "owner", "member"])
def test_the_api_refuses_everyone_but_staff(who, team, credited, owner):
    users = {"creator": CreatorFactory(), "owner": owner}
    if who == "member":
        users["member"] = BuyerFactory(membership=None)
        MembershipFactory(user=users["member"], organization=team, role=MembershipRole.MEMBER)
    api = APIClient()
    if who != "anonymous":
        api.force_authenticate(users[who])
    response = api.post(
        API,
        {"organization": team.slug, "currency": "USD", "amount": 100, "reference": "x"},
        format="json",
    )
    assert response.status_code in (401, 403)
    assert team_credit_balances(team) == {"USD": 1_000}


def test_a_staff_session_without_two_factor_is_refused_by_the_api(staff, team, credited):
    api = APIClient()
    api.force_authenticate(staff)
    response = api.post(
        API,
        {"organization": team.slug, "currency": "USD", "amount": 100, "reference": "x"},
        format="json",
    )
    assert response.status_code == 403
