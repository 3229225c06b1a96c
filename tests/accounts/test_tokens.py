"""API tokens: obtained with a password, used by programs, listed and revoked, stored hashed."""

import pytest
from django.db import connection

from accounts.models import ApiToken
from tests.factories import CreatorFactory
from tests.helpers import DEFAULT_PASSWORD, totp_code

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def _obtain(api_client, email, password=DEFAULT_PASSWORD, **extra):
    return api_client.post(
        TOKEN_URL, {"email": email, "password": password, **extra}, format="json"
    )


def test_token_obtained_with_password_authenticates_later_calls(api_client, creator):
    response = _obtain(api_client, creator.email, name="training-script")
    assert response.status_code == 201
    key = response.json()["key"]
    assert key.startswith("asnt_")

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == creator.email
    assert me.json()["role"] == "creator"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api_client.get("/api/v1/me/").status_code == 200


def test_only_a_hash_of_the_key_is_stored(api_client, creator):
    key = _obtain(api_client, creator.email).json()["key"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
    assert rows
    assert all(key not in str(value) for row in rows for value in row)
    assert ApiToken.objects.get().prefix == key[:12]


def test_wrong_password_unverified_email_and_bad_input_are_refused(api_client, creator):
    assert _obtain(api_client, creator.email, "nope").json()["code"] == "invalid_credentials"
    assert _obtain(api_client, "nobody@example.com").status_code == 401

    unverified = CreatorFactory(verified=False)
    response = _obtain(api_client, unverified.email)
    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"

    response = api_client.post(TOKEN_URL, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"email", "password"}

    response = api_client.post(TOKEN_URL, "{broken", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not ApiToken.objects.exists()


def test_list_create_and_revoke_tokens(api_client, creator):
    key = _obtain(api_client, creator.email, name="first").json()["key"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    created = api_client.post("/api/v1/auth/tokens/", {"name": "second"}, format="json")
    assert created.status_code == 201
    listed = api_client.get("/api/v1/auth/tokens/").json()
    assert {t["name"] for t in listed} == {"first", "second"}
    assert all("key" not in t for t in listed)

    second_id = created.json()["id"]
    assert api_client.delete(f"/api/v1/auth/tokens/{second_id}/").status_code == 204
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {created.json()['key']}")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_nobody_revokes_someone_elses_token(api_client, creator):
    victim_key = _obtain(api_client, creator.email).json()["key"]
    victim_token = ApiToken.objects.get()
    attacker = CreatorFactory()
    api_client.force_authenticate(attacker)

    response = api_client.delete(f"/api/v1/auth/tokens/{victim_token.id}/")

    assert response.status_code == 404
    api_client.force_authenticate(None)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {victim_key}")
    assert api_client.get("/api/v1/me/").status_code == 200


def test_garbage_tokens_are_refused_cleanly(api_client):
    for header in ["Token", "Token a b", "Token nope", "Token \u00e9\u00e9"]:
        api_client.credentials(HTTP_AUTHORIZATION=header)
        response = api_client.get("/api/v1/me/")
        assert response.status_code == 401, header
        assert response.json()["code"] == "authentication_failed"


def test_two_factor_accounts_must_send_the_code(api_client, staff_with_totp):
    response = _obtain(api_client, staff_with_totp.email)
    assert response.status_code == 401
    assert response.json()["code"] == "otp_required"
    response = _obtain(api_client, staff_with_totp.email, otp="123456")
    assert response.json()["code"] in {"otp_invalid"}
    response = _obtain(
        api_client, staff_with_totp.email, otp=totp_code(staff_with_totp.totp_secret)
    )
    assert response.status_code == 201


def test_staff_without_two_factor_get_no_token(api_client, staff):
    response = _obtain(api_client, staff.email)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_tokens_page_shows_a_new_key_once_and_revokes(client, creator):
    client.force_login(creator)
    response = client.post("/settings/tokens/", {"name": "laptop"})
    key = response.context["new_key"]
    assert key in response.content.decode()
    page = client.get("/settings/tokens/").content.decode()
    assert "laptop" in page
    assert key not in page

    token = ApiToken.objects.get(user=creator)
    client.post(f"/settings/tokens/{token.id}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
