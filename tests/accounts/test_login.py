"""Signing in: lockout after repeated failures, and two-factor authentication for staff."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.helpers import DEFAULT_PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def _login(client, email, password=DEFAULT_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def _open_totp_setup(client) -> str:
    """Changing two-factor settings asks for the password again first (allauth's default)."""
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    return page.context["form"].secret


def test_right_password_signs_in(client, creator):
    response = _login(client, creator.email)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == creator.id


def test_account_locks_after_five_failures_even_for_the_right_password(client, creator):
    for _ in range(5):
        response = _login(client, creator.email, "wrong-password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    response = _login(client, creator.email)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_lockout_is_per_account(client, creator):
    other = type(creator).objects.create_user(
        email="other@example.com", password="x", role="creator"
    )
    for _ in range(5):
        _login(client, creator.email, "wrong-password")
    # Another account from elsewhere is not locked out by someone hammering this one.
    from allauth.account.models import EmailAddress

    other.set_password(DEFAULT_PASSWORD)
    other.save()
    EmailAddress.objects.create(user=other, email=other.email, primary=True, verified=True)
    response = _login(client, other.email)
    assert response.status_code == 302


def test_api_token_endpoint_shares_the_lockout(api_client, creator):
    for _ in range(5):
        response = api_client.post(
            "/api/v1/auth/token/", {"email": creator.email, "password": "nope"}, format="json"
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"

    response = api_client.post(
        "/api/v1/auth/token/", {"email": creator.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"


def test_staff_without_totp_is_sent_to_set_it_up_before_anything_else(client, staff):
    _login(client, staff.email)

    for path in ["/staff/", "/admin/", "/dashboard/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(reverse("mfa_activate_totp")), path


def test_staff_enables_totp_then_must_give_a_code_at_every_sign_in(client, staff):
    _login(client, staff.email)
    secret = _open_totp_setup(client)

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get("/staff/").status_code == 200

    client.logout()
    response = _login(client, staff.email)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone is not enough

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, at=None)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == staff.id
    assert client.get("/staff/").status_code == 200


def test_admin_login_goes_through_the_two_factor_sign_in(client, staff_with_totp):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_creator_may_enable_totp_too(client, creator):
    _login(client, creator.email)
    secret = _open_totp_setup(client)
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert Authenticator.objects.filter(user=creator, type=Authenticator.Type.TOTP).exists()
    # Creators are not forced, but once enabled their sign-in asks for it as well.
    client.logout()
    assert _login(client, creator.email).url == reverse("mfa_authenticate")


def test_a_per_ip_block_says_it_is_the_network_not_the_account(api_client, creator, settings):
    """Ten failures a minute from one address block it for every account; the answer says
    that, not "this account" (whose own limit was not reached)."""
    for n in range(10):
        response = api_client.post(
            "/api/v1/auth/token/",
            {"email": f"nobody{n}@example.com", "password": "nope"},
            format="json",
        )
        assert response.status_code == 401

    response = api_client.post(
        "/api/v1/auth/token/", {"email": creator.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 429
    body = response.json()
    assert body["blocked_for"] == "network" and "from your network" in body["message"]


def test_a_per_account_block_says_it_is_the_account(api_client, creator):
    for _ in range(5):
        api_client.post(
            "/api/v1/auth/token/", {"email": creator.email, "password": "nope"}, format="json"
        )

    response = api_client.post(
        "/api/v1/auth/token/", {"email": creator.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    body = response.json()
    assert body["blocked_for"] == "account" and "for this account" in body["message"]
