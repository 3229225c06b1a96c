"""Role separation: every page and endpoint answers only the roles it is for."""

import pytest

from tests.factories import BuyerFactory

pytestmark = pytest.mark.django_db

CREATOR_PAGES = ["/studio/"]
TEAM_PAGES = ["/team/"]
STAFF_PAGES = ["/staff/"]
SIGNED_IN_PAGES = ["/settings/tokens/", "/dashboard/"]


@pytest.mark.parametrize("path", CREATOR_PAGES + TEAM_PAGES + STAFF_PAGES + SIGNED_IN_PAGES)
def test_anonymous_users_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", TEAM_PAGES + STAFF_PAGES)
def test_creator_cannot_reach_team_or_staff_pages(client, creator, path):
    client.force_login(creator)
    response = client.get(path)
    assert response.status_code == 403
    assert "Assent" in response.content.decode()  # our own 403 page, not a bare one


@pytest.mark.parametrize("path", CREATOR_PAGES + STAFF_PAGES)
def test_buyer_cannot_reach_creator_or_staff_pages(client, buyer, path):
    client.force_login(buyer)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", CREATOR_PAGES + TEAM_PAGES)
def test_staff_do_not_act_as_creators_or_teams(client, staff_with_totp, path):
    client.force_login(staff_with_totp)
    assert client.get(path).status_code == 403


def test_each_role_reaches_its_own_home(client, creator, buyer, staff_with_totp):
    for user, home in [(creator, "/studio/"), (buyer, "/team/"), (staff_with_totp, "/staff/")]:
        client.force_login(user)
        assert client.get("/dashboard/").url == home
        assert client.get(home).status_code == 200
        client.logout()


def test_creator_edits_public_profile(client, creator):
    client.force_login(creator)
    response = client.post(
        "/studio/",
        {"display_name": "Ada Lovelace", "bio": "Engines.", "links": "https://ada.example\n"},
    )
    assert response.status_code == 302
    creator.creator_profile.refresh_from_db()
    assert creator.creator_profile.display_name == "Ada Lovelace"
    assert creator.creator_profile.links == ["https://ada.example"]

    response = client.post("/studio/", {"display_name": "Ada", "links": "not a url"})
    assert response.status_code == 200
    creator.creator_profile.refresh_from_db()
    assert creator.creator_profile.display_name == "Ada Lovelace"


# --- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me/"),
        ("get", "/api/v1/auth/tokens/"),
        ("post", "/api/v1/auth/tokens/"),
        ("delete", "/api/v1/auth/tokens/1/"),
        ("get", "/api/v1/organizations/"),
        ("post", "/api/v1/organizations/x/invitations/"),
    ],
)
def test_api_refuses_anonymous_callers_with_json(api_client, method, path):
    response = getattr(api_client, method)(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_api_team_endpoints_refuse_creators(api_client, creator):
    api_client.force_authenticate(creator)
    response = api_client.get("/api/v1/organizations/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    response = api_client.post(
        "/api/v1/organizations/any/invitations/", {"email": "a@b.c"}, format="json"
    )
    assert response.status_code == 403


def test_api_buyer_sees_only_their_own_teams(api_client, buyer):
    BuyerFactory(membership__organization__name="Someone Else")
    api_client.force_authenticate(buyer)
    response = api_client.get("/api/v1/organizations/")
    assert response.status_code == 200
    assert [m["organization"]["name"] for m in response.json()] == ["Orbit Lab"]
