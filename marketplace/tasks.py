"""Worker side of the marketplace: package builds, a few shards per task, handed on until done;
one build per package at a time (a cache lock), resumable after any crash (see builder.py).
Inside a task, the shards are written by PACKAGE_BUILD_WORKERS forked worker processes (one per
CPU by default); they are killed if the task fails or is killed."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from marketplace.models import Package, PackageStatus
from marketplace.packages.builder import package_build_step, scratch_sweep
from marketplace.services.delivery import packages_resume_stalled
from marketplace.services.refunds import refunds_retry_pending

logger = logging.getLogger(__name__)
LOCK_SECONDS = 900


@shared_task(
    name="marketplace.tasks.package_build_task",
    time_limit=LOCK_SECONDS - 60,
    soft_time_limit=LOCK_SECONDS - 90,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
)
def package_build_task(package_id: int) -> str:
    lock = f"package-build:{package_id}"
    if not cache.add(lock, "1", timeout=LOCK_SECONDS):
        return "busy"  # another worker is on it; it hands the build on itself
    try:
        Package.objects.filter(id=package_id).update(attempts=F("attempts") + 1)
        package = package_build_step(
            package_id=package_id, max_shards=settings.PACKAGE_SHARDS_PER_TASK
        )
    except Exception as exc:
        logger.exception("Package %s build step failed", package_id)
        package = Package.objects.get(id=package_id)
        if package.attempts >= 5:
            Package.objects.filter(id=package_id).update(
                status=PackageStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            return PackageStatus.FAILED
        cache.delete(lock)
        raise package_build_task.retry(exc=exc, countdown=min(60, 2**package.attempts)) from exc
    finally:
        cache.delete(lock)
    if package.status == PackageStatus.BUILDING:
        package_build_task.delay(package_id)
    return package.status


@shared_task(name="marketplace.tasks.packages_resume_stalled_task", time_limit=120)
def packages_resume_stalled_task() -> int:
    return packages_resume_stalled()


@shared_task(name="marketplace.tasks.package_scratch_sweep_task", time_limit=120)
def package_scratch_sweep_task() -> int:
    """Hourly: temporary shards left by killed build steps."""
    return scratch_sweep()


@shared_task(
    name="marketplace.tasks.refunds_retry_pending_task",
    time_limit=300,
    acks_late=True,
    reject_on_worker_lost=True,
)
def refunds_retry_pending_task() -> int:
    """Every 10 minutes: refunds Stripe did not answer when they were made."""
    return refunds_retry_pending()
