"""`notifications_mark_read`: one notification or all of them, only ever the user's own; the
notifications page and its "Mark all read" and "Mark read" buttons go through it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from accounts.services.notifications import notifications_mark_read
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def note(user, subject="Sold", **extra) -> Notification:
    return Notification.objects.create(user=user, subject=subject, body="A sale", **extra)


def unread_subjects(user) -> set[str]:
    return set(user.notifications.filter(read_at__isnull=True).values_list("subject", flat=True))


def test_without_ids_every_unread_notification_of_the_user_is_read():
    ada, bob = UserFactory(), UserFactory()
    note(ada, "one"), note(ada, "two"), note(bob, "theirs")

    assert notifications_mark_read(user=ada) == 2

    assert unread_subjects(ada) == set() and unread_subjects(bob) == {"theirs"}


def test_with_ids_only_those_are_read_and_another_users_id_matches_nothing():
    ada, bob = UserFactory(), UserFactory()
    first, _, theirs = note(ada, "one"), note(ada, "two"), note(bob, "theirs")

    assert notifications_mark_read(user=ada, ids=[first.id, theirs.id]) == 1
    assert notifications_mark_read(user=ada, ids=[]) == 0

    assert unread_subjects(ada) == {"two"} and unread_subjects(bob) == {"theirs"}


def test_a_notification_read_before_keeps_when_it_was_read():
    ada = UserFactory()
    earlier = timezone.now() - timedelta(days=3)
    read = note(ada, read_at=earlier)

    assert notifications_mark_read(user=ada, ids=[read.id]) == 0

    read.refresh_from_db()
    assert read.read_at == earlier


def test_mark_all_read_on_the_page_clears_the_unread_marks(client):
    ada = UserFactory()
    note(ada, "one"), note(ada, "two")
    client.force_login(ada)
    page = client.get("/notifications/").content.decode()
    assert page.count('aria-label="Unread"') == 2 and "Mark all read" in page

    response = client.post("/notifications/read/", follow=True)

    page = response.content.decode()
    assert 'aria-label="Unread"' not in page and "Mark all read" not in page
    assert unread_subjects(ada) == set()
