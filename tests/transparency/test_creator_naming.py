"""Creators choose, on their studio's profile form, whether public license pages and
verification results show their name (off by default)."""

from __future__ import annotations

import pytest

from accounts.models import CreatorProfile

pytestmark = pytest.mark.django_db

LABEL = "Show my name on public license pages and verification results"


def profile_form(**extra) -> dict:
    return {"display_name": "Ada Lovelace", "bio": "", "links": "", **extra}


def test_the_choice_is_off_by_default_and_saved_from_the_studio(client, creator):
    client.force_login(creator)
    html = client.get("/studio/").content.decode()
    assert LABEL in html
    assert 'name="is_named_publicly" id="id_is_named_publicly">' in html  # not checked
    assert CreatorProfile.objects.get(user=creator).is_named_publicly is False

    response = client.post("/studio/", profile_form(is_named_publicly="on"))
    assert response.status_code == 302
    assert CreatorProfile.objects.get(user=creator).is_named_publicly is True
    assert 'name="is_named_publicly" id="id_is_named_publicly" checked>' in (
        client.get("/studio/").content.decode()
    )

    client.post("/studio/", profile_form())  # unticked: a browser sends nothing
    assert CreatorProfile.objects.get(user=creator).is_named_publicly is False


def test_the_choice_shows_on_the_public_pages(client, creator, buyer, media_root):
    from tests.marketplace.factories import listed_work

    from .factories import grant

    client.force_login(creator)
    client.post("/studio/", profile_form(display_name="Ada Lovelace"))
    license_grant = grant(buyer.memberships.first().organization, [listed_work(creator)])
    client.logout()
    url = f"/public/licenses/{license_grant.uuid}/"
    assert "Ada Lovelace" not in client.get(url).content.decode()

    client.force_login(creator)
    client.post("/studio/", profile_form(display_name="Ada Lovelace", is_named_publicly="on"))
    client.logout()
    assert "Ada Lovelace" in client.get(url).content.decode()
