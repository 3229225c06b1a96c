"""Worker side of licensing. Tasks take ids; a redelivered job resumes from its progress."""

import logging
from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from config.celery import RETRY_ON_DATABASE_ERRORS
from licensing.services.destruction import destruction_forfeit_sweep, destruction_overdue_sweep
from licensing.services.duties import duties_settle
from licensing.services.expiry import (
    license_items_expire,
    license_items_superseded,
    license_reminders_send,
)
from licensing.services.notices import declaration_notices_send, declaration_notices_unsent
from licensing.services.offers import bulk_offer_job_run, bulk_offer_jobs_resume_queued

logger = logging.getLogger(__name__)


@shared_task(
    name="licensing.tasks.bulk_offer_job_run_task",
    time_limit=1800,
    soft_time_limit=1780,
    acks_late=True,
    reject_on_worker_lost=True,
)
def bulk_offer_job_run_task(job_id: int) -> int | None:
    job = bulk_offer_job_run(job_id=job_id, chunk=settings.BULK_OFFER_CHUNK)
    return job.done if job else None


@shared_task(name="licensing.tasks.bulk_offer_jobs_resume_task", time_limit=120)
def bulk_offer_jobs_resume_task() -> int:
    """Every 10 minutes: bulk offer jobs whose run could not be queued, or was lost."""
    return bulk_offer_jobs_resume_queued()


@shared_task(
    name="licensing.tasks.declaration_notices_send_task",
    time_limit=600,
    soft_time_limit=580,
    acks_late=True,
    reject_on_worker_lost=True,
    # Repeats are safe: each creator's notice has a dedupe key.
    **RETRY_ON_DATABASE_ERRORS,
)
def declaration_notices_send_task(declaration_id: int) -> int:
    """Tell the creators of a new model declaration's works (one notice and email each), off
    the request that declared it."""

    return declaration_notices_send(declaration_id=declaration_id)


@shared_task(
    name="licensing.tasks.license_lifecycle_sweep_task",
    time_limit=900,
    soft_time_limit=880,
    acks_late=True,
    reject_on_worker_lost=True,
)
def license_lifecycle_sweep_task() -> dict:
    """Hourly: reminders before expiry, expiry itself, renewals that carry a model on, overdue
    destruction, forfeits, and holdbacks still to settle. Each step
    is bounded and idempotent (dedupe keys, status guards), so a redelivered or overlapping run
    changes nothing twice; a step that fails is logged and the next steps still run."""

    counts: dict = {}
    steps = [
        ("reminders", lambda: license_reminders_send()),
        ("expired", lambda: license_items_expire()),
        ("overdue", lambda: destruction_overdue_sweep()),
        ("carried_by_renewal", lambda: license_items_superseded()),
        ("forfeited", lambda: len(destruction_forfeit_sweep())),
        # Outcomes whose holdback hook failed before (released or forfeited next time).
        ("settled", lambda: duties_settle()),
        # Training notices that could not be queued when their declaration was made.
        ("notices", lambda: declaration_notices_unsent()),
    ]
    for name, step in steps:
        try:
            result = step()
        except Exception:
            logger.exception("license lifecycle step %s failed; the next sweep retries", name)
            counts[name] = "failed"
            continue
        counts[name] = result if isinstance(result, int) else asdict(result)
    logger.info("license lifecycle sweep: %s", counts)
    return counts
