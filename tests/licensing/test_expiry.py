"""Reminders before license items expire and the expiry itself, with time moved forward through
`now=` (licensing/services/expiry.py)."""

from datetime import timedelta
from unittest.mock import patch

import pytest
from django.utils import timezone

from accounts.models import Notification
from licensing.models import GrantStatus, LicenseGrant
from licensing.services.expiry import license_items_expire, license_reminders_send
from licensing.terms import PRESETS
from tests.factories import member_of, team_of
from tests.licensing.lifecycle_helpers import (
    DESTROY,
    STOP,
    declare,
    grant_for,
    license_on,
    recording_hooks,
)
from tests.marketplace.factories import listed_work

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def hooks():
    yield from recording_hooks()


def reminders(user):
    return list(
        Notification.objects.filter(user=user, dedupe_key__startswith="license-reminder:")
        .order_by("id")
        .values_list("subject", flat=True)
    )


def test_each_reminder_once_per_window_batched_per_grant(buyer):
    start = timezone.now()
    works = [listed_work(preset=DESTROY, title=f"Sunset {i}") for i in range(3)]
    grant = grant_for(buyer, works, starts_at=start)
    colleague = member_of(team_of(buyer))
    expires = grant.items.first().expires_at

    # Well before: nothing.
    assert license_reminders_send(now=expires - timedelta(days=120)) == 0
    # Entering each window, then sweeping again hourly inside it: one notice per member.
    for days in (90, 30, 7):
        moment = expires - timedelta(days=days) + timedelta(minutes=5)
        assert license_reminders_send(now=moment) == 2  # buyer and colleague
        for hour in range(1, 4):
            assert license_reminders_send(now=moment + timedelta(hours=hour)) == 0
    assert reminders(buyer) == [
        "3 licensed works expire in 90 days or less",
        "3 licensed works expire in 30 days or less",
        "3 licensed works expire in 7 days or less",
    ]
    assert len(reminders(colleague)) == 3
    notice = Notification.objects.filter(user=buyer, subject__contains="7 days").get()
    assert notice.url == f"/licenses/{grant.uuid}/"
    for i in range(3):
        assert f"Sunset {i}" in notice.body
    assert "must then be destroyed" in notice.body and "attest" in notice.body
    # After expiry: no more reminders.
    assert license_reminders_send(now=expires + timedelta(hours=1)) == 0


def test_an_item_first_seen_late_gets_only_the_tighter_reminders(buyer):
    # Bought with 20 days to go: the 30-day notice once, never the 90-day one, then the 7-day.
    now = timezone.now()
    grant = grant_for(buyer, [listed_work(preset=STOP)], starts_at=now)
    expires = grant.items.get().expires_at
    license_reminders_send(now=expires - timedelta(days=20))
    license_reminders_send(now=expires - timedelta(days=19))
    license_reminders_send(now=expires - timedelta(days=6))
    assert reminders(buyer) == [
        "1 licensed work expires in 30 days or less",
        "1 licensed work expires in 7 days or less",
    ]
    body = Notification.objects.filter(user=buyer).first().body
    assert "destroyed" not in body.split("\n\n")[0]  # stop-training: no destruction duty


def test_reminder_days_are_a_setting(buyer, settings):
    settings.LICENSE_REMINDER_DAYS = [14]
    grant = grant_for(buyer, [listed_work()], starts_at=timezone.now())
    expires = grant.items.get().expires_at
    assert license_reminders_send(now=expires - timedelta(days=60)) == 0
    assert license_reminders_send(now=expires - timedelta(days=10)) == 1
    assert reminders(buyer) == ["1 licensed work expires in 14 days or less"]


def test_a_renewed_item_is_not_reminded(buyer):
    work = listed_work()
    old = grant_for(buyer, [work], starts_at=timezone.now()).items.get()
    grant_for(buyer, [work], starts_at=old.expires_at - timedelta(days=40))
    assert license_reminders_send(now=old.expires_at - timedelta(days=5)) == 0


def test_a_later_license_for_less_does_not_silence_the_reminder(buyer):
    """An evaluation-only license of the same work bought later is no renewal of a generative
    one: the team is still told the generative license ends, with its destruction duty."""
    work = listed_work(preset=DESTROY, title="Harbour")
    old = grant_for(buyer, [work], starts_at=timezone.now()).items.get()
    license_on(
        buyer,
        work,
        PRESETS["evaluation-1y"].terms,
        starts_at=old.expires_at - timedelta(days=40),
        ref="eval",
    )
    assert license_reminders_send(now=old.expires_at - timedelta(days=5)) == 1
    notice = Notification.objects.get(user=buyer, dedupe_key__startswith="license-reminder:")
    assert notice.subject == "1 licensed work expires in 7 days or less"
    assert "Harbour: ends" in notice.body and "must then be destroyed" in notice.body
    assert str(old.grant.uuid) in notice.body


def test_a_large_license_is_reminded_whole_in_one_short_notice(buyer, settings):
    """Every item of a license bigger than a read chunk is counted; the notice names the first
    few and counts the rest."""
    from licensing.services import expiry

    settings.LICENSE_REMINDER_DAYS = [30]
    works = [listed_work(preset=DESTROY, title=f"Tide {i:02d}") for i in range(7)]
    grant = grant_for(buyer, works, starts_at=timezone.now())
    expires = grant.items.first().expires_at
    with (
        patch.object(expiry, "REMINDER_CHUNK", 3),
        patch.object(expiry, "REMINDER_LINES", 4),
    ):  # small chunks and lists, so seven items cross both limits
        assert license_reminders_send(now=expires - timedelta(days=10)) == 1
    notice = Notification.objects.get(user=buyer, dedupe_key__startswith="license-reminder:")
    assert notice.subject == "7 licensed works expire in 30 days or less"
    assert [f"Tide {i:02d}" in notice.body for i in range(7)] == [True] * 4 + [False] * 3
    assert "… and 3 more" in notice.body
    assert "7 of them require every model trained on them to be destroyed" in notice.body


def test_expiry_without_declared_models_meets_the_duty_at_once(
    buyer, hooks, django_capture_on_commit_callbacks
):
    start = timezone.now()
    destroy, stop = listed_work(preset=DESTROY), listed_work(preset=STOP)
    grant = grant_for(buyer, [destroy, stop], starts_at=start)
    destroy_item = grant.items.get(work=destroy)
    with django_capture_on_commit_callbacks(execute=True):
        result = license_items_expire(now=destroy_item.expires_at + timedelta(minutes=1))
    assert result.expired == 1 and result.destruction_due == 0
    destroy_item.refresh_from_db()
    assert destroy_item.status == GrantStatus.EXPIRED
    assert hooks.met == [[destroy_item.item_ref]]  # the holdback is released
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE  # the stop-training item still runs

    stop_item = grant.items.get(work=stop)
    with django_capture_on_commit_callbacks(execute=True):
        license_items_expire(now=stop_item.expires_at + timedelta(minutes=1))
    grant.refresh_from_db()
    assert grant.status == GrantStatus.EXPIRED
    assert hooks.met == [[destroy_item.item_ref]]  # stop-training items hold nothing back

    notice = Notification.objects.filter(user=buyer, subject__contains="expired").first()
    assert notice.url == f"/licenses/{grant.uuid}/"
    assert "Downloads of them have stopped" in notice.body and "renew" in notice.body


def test_expiry_with_a_declared_model_makes_destruction_due(
    buyer, hooks, django_capture_on_commit_callbacks
):
    grant = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=timezone.now())
    item = grant.items.get()
    declare(buyer, [item])
    when = item.expires_at + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        result = license_items_expire(now=when)
    assert result.destruction_due == 1
    item.refresh_from_db()
    grant.refresh_from_db()
    assert item.status == grant.status == GrantStatus.DESTRUCTION_DUE
    assert hooks.met == []
    body = Notification.objects.filter(user=buyer, subject__contains="expired").get().body
    assert "must attest" in body

    # Idempotent: a second sweep finds nothing to do and tells no one again.
    assert license_items_expire(now=when + timedelta(hours=1)).destruction_due == 0
    assert Notification.objects.filter(user=buyer, subject__contains="expired").count() == 1


def test_an_item_not_yet_expired_is_left_alone(buyer):
    grant = grant_for(buyer, [listed_work()], starts_at=timezone.now())
    item = grant.items.get()
    assert license_items_expire(now=item.expires_at - timedelta(seconds=1)).expired == 0
    assert LicenseGrant.objects.get(id=grant.id).status == GrantStatus.ACTIVE


def test_the_hourly_sweep_runs_every_step_and_repeats_nothing(buyer):
    from licensing.tasks import license_lifecycle_sweep_task

    start = timezone.now() - timedelta(days=3 * 366 + 40)  # expired about 40 days ago
    grant = grant_for(buyer, [listed_work(preset=DESTROY)], starts_at=start)
    declare(buyer, grant.items.all())
    first = license_lifecycle_sweep_task.apply().get()
    assert first["expired"]["destruction_due"] == 1
    assert first["overdue"] == {"teams": 1, "declarations": 1, "items_breached": 1}
    second = license_lifecycle_sweep_task.apply().get()
    assert second["expired"]["destruction_due"] == 0 and second["overdue"]["items_breached"] == 0
    assert grant.items.get().status == GrantStatus.BREACHED
