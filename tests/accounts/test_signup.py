"""Sign-up for each role and email verification, through the real allauth pages."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import Membership, MembershipRole, Organization, Role, User
from tests.helpers import DEFAULT_PASSWORD, links_in_last_email, path_of

pytestmark = pytest.mark.django_db


def _signup(client, **fields):
    data = {"password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD, **fields}
    return client.post("/accounts/signup/", data)


def test_creator_signup_creates_profile_and_sends_verification(client):
    response = _signup(client, email="Ada@Example.com", role="creator", display_name="Ada L.")

    assert response.status_code == 302
    user = User.objects.get(email="ada@example.com")
    assert user.role == Role.CREATOR
    assert user.creator_profile.display_name == "Ada L."
    assert not user.memberships.exists()
    assert not EmailAddress.objects.get(user=user).verified
    assert "ada@example.com" in mail.outbox[-1].to


def test_the_verification_email_comes_from_assent_not_example_com(client, settings):
    """django.contrib.sites starts as "example.com"; migrate names the site after SITE_URL."""
    from django.contrib.sites.models import Site

    from config.apps import site_from_settings

    site = Site.objects.get(id=settings.SITE_ID)
    assert (site.name, site.domain) == ("Assent", "localhost:8000")  # SITE_URL's default
    settings.SITE_URL = "https://assent.example.org"
    site_from_settings()
    Site.objects.clear_cache()

    _signup(client, email="ada@example.com", role="creator", display_name="Ada L.")

    message = mail.outbox[-1]
    text = message.subject + message.body
    assert "example.com" not in text.replace("ada@example.com", "")
    assert "Assent" in text


def test_buyer_signup_with_team_name_creates_team_owned_by_them(client):
    _signup(client, email="lead@lab.ai", role="buyer", organization_name="Orbit Lab")

    user = User.objects.get(email="lead@lab.ai")
    assert user.role == Role.BUYER
    membership = Membership.objects.get(user=user)
    assert membership.organization.name == "Orbit Lab"
    assert membership.role == MembershipRole.OWNER
    assert not hasattr(user, "creator_profile") or user.creator_profile is None


def test_buyer_signup_without_team_name_joins_no_team(client):
    _signup(client, email="new@lab.ai", role="buyer")

    assert User.objects.get(email="new@lab.ai").role == Role.BUYER
    assert Organization.objects.count() == 0


def test_signup_requires_a_role_and_a_creator_name(client):
    response = _signup(client, email="x@example.com")
    assert response.status_code == 200
    assert not User.objects.filter(email="x@example.com").exists()

    response = _signup(client, email="x@example.com", role="creator", display_name="  ")
    assert response.status_code == 200
    assert "Tell buyers what name to credit." in response.content.decode()
    assert not User.objects.filter(email="x@example.com").exists()


def test_signup_cannot_choose_staff(client):
    response = _signup(client, email="sneaky@example.com", role="staff", display_name="S")

    assert response.status_code == 200
    assert not User.objects.filter(email="sneaky@example.com").exists()
    # In any case: "Staff" is no more a choice than "staff", and the choices are named.
    response = _signup(client, email="sneaky@example.com", role="Staff", display_name="S")
    assert "&quot;Staff&quot; is not one of: creator, buyer." in response.content.decode()
    assert not User.objects.filter(email="sneaky@example.com").exists()


def test_signup_takes_the_role_in_any_case_and_stores_it_lower_case(client):
    _signup(client, email="lead@lab.ai", role=" Buyer ", organization_name="Orbit Lab")
    assert User.objects.get(email="lead@lab.ai").role == Role.BUYER == "buyer"


def test_unverified_user_cannot_sign_in_until_they_follow_the_link(client):
    _signup(client, email="ada@example.com", role="creator", display_name="Ada")
    client.logout()

    response = client.post(
        "/accounts/login/", {"login": "ada@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    confirm_url = next(u for u in links_in_last_email("ada@example.com") if "confirm-email" in u)
    page = client.get(path_of(confirm_url))
    assert page.status_code == 200
    response = client.post(path_of(confirm_url))
    assert response.status_code == 302

    assert EmailAddress.objects.get(email="ada@example.com").verified
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "ada@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/dashboard/"
    assert client.get("/dashboard/").url == "/studio/"


def test_password_reset_sends_a_working_link(client, creator):
    client.post("/accounts/password/reset/", {"email": creator.email})
    reset_url = next(u for u in links_in_last_email(creator.email) if "/password/reset/key/" in u)

    form = client.get(path_of(reset_url), follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path_of(reset_url),
        {"password1": "A-new-Pass-2026!", "password2": "A-new-Pass-2026!"},
    )
    assert response.status_code == 302
    creator.refresh_from_db()
    assert creator.check_password("A-new-Pass-2026!")
