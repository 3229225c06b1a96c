"""Worker side of insight: data requests recorded as demand (idempotent: dedupe keys), then the
figures' snapshot recomputed, so no page pays for the aggregation."""

from __future__ import annotations

from celery import shared_task

from config.celery import RETRY_ON_DATABASE_ERRORS
from insight.selectors.demand import demand_snapshot
from insight.services.recording import demand_requests_record


@shared_task(
    name="insight.tasks.demand_refresh_task",
    time_limit=300,
    soft_time_limit=290,
    **RETRY_ON_DATABASE_ERRORS,
)
def demand_refresh_task() -> int:
    recorded = demand_requests_record()
    demand_snapshot(refresh=True)
    return recorded
