"""Worker side of moderation: screening. Tasks take ids and may run twice (work_screen is
idempotent)."""

from __future__ import annotations

from celery import shared_task

from config.celery import RETRY_ON_DATABASE_ERRORS, enqueue_or_log
from moderation.services.screening import work_screen, works_screen_unscreened


@shared_task(
    name="moderation.tasks.work_screen_task",
    time_limit=120,
    soft_time_limit=110,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_ON_DATABASE_ERRORS,
)
def work_screen_task(work_id: int) -> str | None:
    screening = work_screen(work_id=work_id)
    return screening.outcome if screening else None


@shared_task(
    name="moderation.tasks.works_screen_unscreened_task", time_limit=300, soft_time_limit=290
)
def works_screen_unscreened_task() -> int:
    return works_screen_unscreened()


def queue_screening(work_id: int) -> None:
    """The after-processing hook: runs after processing committed, so the task sees the work.
    A broker outage must not fail the upload; the periodic sweep screens what was missed."""
    enqueue_or_log(work_screen_task, work_id)
