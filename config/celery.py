"""The Celery app: settings from Django (CELERY_*), tasks auto-discovered, beat schedule in code."""

import logging
import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from django.db import DatabaseError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("assent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work lives here, in code, so every deploy has the same schedule. Later issues add
# hold releases, payout runs, expiry reminders.
app.conf.beat_schedule = {
    "accounts-purge-expired-invitations": {
        "task": "accounts.tasks.invitations_purge_expired",
        "schedule": crontab(minute=17),
    },
    "payouts-release-holds": {
        "task": "payouts.tasks.holds_release_due_task",
        "schedule": crontab(minute=5),  # hourly: a hold ends within the hour it is due
    },
    "payouts-weekly-run": {
        "task": "payouts.tasks.payout_run_task",
        "schedule": crontab(hour=9, minute=0, day_of_week="mon"),
    },
    "uploads-process-stalled": {
        "task": "uploads.tasks.works_process_stalled_task",
        "schedule": crontab(minute="*/10"),  # works whose processing could not be queued
    },
    "moderation-screen-unscreened": {
        "task": "moderation.tasks.works_screen_unscreened_task",
        "schedule": crontab(minute="*/10"),  # works whose screening could not be queued
    },
    "licensing-resume-bulk-offers": {
        "task": "licensing.tasks.bulk_offer_jobs_resume_task",
        "schedule": crontab(minute="*/10"),  # bulk jobs whose run could not be queued
    },
    "collectives-close-votes": {
        "task": "collectives.tasks.proposals_close_due_task",
        "schedule": crontab(minute="*/5"),  # a vote is decided within minutes of its close
    },
    "licensing-lifecycle-sweep": {
        # Reminders before expiry, expiry itself, overdue destruction and forfeits.
        "task": "licensing.tasks.license_lifecycle_sweep_task",
        "schedule": crontab(minute=25),
    },
    "marketplace-resume-stalled-packages": {
        "task": "marketplace.tasks.packages_resume_stalled_task",
        "schedule": crontab(minute="*/10"),
    },
    "marketplace-retry-pending-refunds": {
        # Refunds Stripe did not answer (the same idempotency key: never a second refund).
        "task": "marketplace.tasks.refunds_retry_pending_task",
        "schedule": crontab(minute="*/10"),
    },
    "insight-refresh-demand": {
        # Data requests posted since the last run counted as demand, the figures recomputed.
        "task": "insight.tasks.demand_refresh_task",
        "schedule": crontab(minute="*/10"),
    },
    "marketplace-sweep-package-scratch": {
        # Temporary shard files of build steps killed mid-shard.
        "task": "marketplace.tasks.package_scratch_sweep_task",
        "schedule": crontab(minute=40),
    },
}


# A lock wait or a dropped connection is worth another try; a bug is not. For tasks whose
# repeats are safe (acks_late, idempotent): @shared_task(..., **RETRY_ON_DATABASE_ERRORS).
RETRY_ON_DATABASE_ERRORS = {
    "autoretry_for": (DatabaseError,),
    "max_retries": 5,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
}


def enqueue_or_log(task, *args) -> bool:
    """`task.delay(*args)`, for work queued after its rows commit. A broker that is down must
    not fail (or, through a caller's cleanup, undo) what already committed: the failure is
    logged and the task's beat sweep hands the work on later (README, "When the broker is
    down"). Returns whether it was queued."""
    try:
        task.delay(*args)
    except Exception:
        logging.getLogger(__name__).exception(
            "Could not queue %s%r; its sweep hands it on later", task.name, args
        )
        return False
    return True


# Money-moving tasks opt in per task with acks_late=True, reject_on_worker_lost=True; they are
# idempotent by database uniqueness, so a redelivery changes nothing.


def _prepare_filesystem_broker() -> None:
    """The filesystem transport needs its folders to exist before web or worker touch it."""

    if str(getattr(settings, "CELERY_BROKER_URL", "")).startswith("filesystem"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)


app.on_after_configure.connect(lambda sender, **kw: _prepare_filesystem_broker(), weak=False)
