"""The notifications page's read form: it sends the user back only to a page of ours."""

from __future__ import annotations

import pytest

from accounts.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"]
)
def test_opening_a_notification_never_leaves_the_site(client, url):
    user = UserFactory()
    note = Notification.objects.create(user=user, subject="Sold", body="A sale")
    client.force_login(user)
    response = client.post("/notifications/read/", {"id": note.id, "url": url})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_opening_a_notification_goes_to_its_page(client):
    user = UserFactory()
    note = Notification.objects.create(user=user, subject="Sold", body="A sale", url="/studio/")
    client.force_login(user)
    response = client.post("/notifications/read/", {"id": note.id, "url": "/studio/"})
    assert response["Location"] == "/studio/"


def test_a_stranger_is_sent_to_sign_in(client):
    response = client.post("/notifications/read/", {"url": "/studio/"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("note_id", ["²", "99999999999999999999", "x"])
def test_a_malformed_id_marks_nothing_read(client, note_id):
    user = UserFactory()
    note = Notification.objects.create(user=user, subject="Sold", body="A sale")
    client.force_login(user)
    response = client.post("/notifications/read/", {"id": note_id})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is None
