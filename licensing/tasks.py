"""Worker side of licensing. Tasks take ids; a redelivered job resumes from its progress."""

from celery import shared_task
from django.conf import settings

from .services import bulk_offer_job_run


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
