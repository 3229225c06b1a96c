"""Collectives' Celery tasks: deciding proposals whose vote window has closed."""

from __future__ import annotations

from celery import shared_task

from collectives.services.votes import proposals_close_due
from config.celery import RETRY_ON_DATABASE_ERRORS


@shared_task(
    name="collectives.tasks.proposals_close_due_task", time_limit=120, **RETRY_ON_DATABASE_ERRORS
)
def proposals_close_due_task() -> int:
    return proposals_close_due()
