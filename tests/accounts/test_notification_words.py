"""Notifications read as words: dates written out ("3 October 2026"), the terms vocabulary's
names for uses ("fine-tuning"), never its slugs (`ai-fine-tune`) or ISO dates. The notice is
written where the event happens (here a sale, the most common one), and shown on the
notifications page as it was written."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from accounts.models import Notification
from accounts.services.notifications import notify
from licensing.models import LicenseGrantItem
from tests.factories import OrderFactory
from tests.marketplace.factories import listed_work

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

SLUG = re.compile(r"\bai-[a-z-]+|\b\d{4}-\d{2}-\d{2}\b|\b\d{4}:\d{2}:\d{2}\b")


def test_a_sale_notice_names_the_uses_and_the_end_date_in_words(buyer):
    work = listed_work(title="Harbour at dawn", preset="generative-commercial-3y")
    OrderFactory(user=buyer, works=[work], paid=True, build=False)
    expires = LicenseGrantItem.objects.get(work_id=work.id).expires_at

    note = Notification.objects.get(user=work.owner)

    assert SLUG.search(note.body) is None, note.body
    assert (
        "- Harbour at dawn: generative training, non-generative training, fine-tuning, "
        "evaluation and model input (commercial), "
        f"until {expires.day} {expires:%B} {expires.year};"
    ) in note.body


def test_the_notifications_page_writes_the_date_out(client, creator):
    note = notify(user=creator, subject="Sold", body="A sale")
    Notification.objects.filter(id=note.id).update(
        created_at=datetime(2026, 10, 3, 17, 22, 10, tzinfo=UTC)
    )
    client.force_login(creator)

    html = client.get("/notifications/").content.decode()

    assert "3 October 2026, 17:22" in html
    assert "2026-10-03T17:22:10" in html  # only in the machine-readable datetime attribute
    assert html.count("2026-10-03") == 1
