"""Celery wiring: the app's settings, and a task that really travels through the broker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from accounts.models import Invitation
from config.celery import app


def test_celery_settings_are_safe_defaults():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit > 0
    assert "accounts-purge-expired-invitations" in app.conf.beat_schedule


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_task_runs_in_a_real_worker_through_redis(buyer):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (bin/test sets it when Redis runs on this machine)")
    team = buyer.memberships.get().organization
    stale = Invitation.objects.create(
        organization=team,
        email="old@lab.ai",
        token_hash="x" * 64,
        expires_at=timezone.now() - timezone.timedelta(days=60),
    )
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=settings.REDIS_URL)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            app.send_task("accounts.tasks.invitations_purge_expired")
            deadline = time.monotonic() + 30
            while Invitation.objects.filter(id=stale.id).exists() and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        app.conf.update(saved)

    assert not Invitation.objects.filter(id=stale.id).exists()
