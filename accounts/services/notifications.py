"""Notifications: one row per message in the app, mailed too, deduplicated by key."""

from __future__ import annotations

import logging
from collections.abc import Collection

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, User

logger = logging.getLogger(__name__)


def notify(*, user: User, subject: str, body: str, url: str = "", dedupe_key: str | None = None):
    """Tell a user something, in the app and by email (sent after the surrounding transaction
    commits, so a rolled-back event mails nobody). With a dedupe key, a repeat is a no-op."""
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    notification = Notification.objects.create(
        user=user, subject=subject[:200], body=body, url=url, dedupe_key=dedupe_key
    )
    link = f"\n\n{settings.SITE_URL.rstrip('/')}{url}" if url else ""
    transaction.on_commit(lambda: _mail_notification(user.email, subject[:200], body + link))
    return notification


def notifications_mark_read(*, user: User, ids: Collection[int] | None = None) -> int:
    """Mark the user's unread notifications read: those among `ids`, or all of them when no
    ids are given. Another user's ids match nothing. Returns how many were marked."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(id__in=ids)
    return unread.update(read_at=timezone.now())


def _mail_notification(address: str, subject: str, text: str) -> None:
    # The in-app notification is the record; a mail server being down must not undo the event
    # that caused it (this runs after commit), so a failure is logged, not raised.
    try:
        send_mail(subject, text, None, [address])
    except Exception:
        logger.exception("Could not email notification %r to %s", subject, address)
