"""Worker side of intake. Tasks take ids; running one twice changes nothing."""

from celery import shared_task

from uploads.services.intake import works_process_stalled
from uploads.services.processing import work_process


@shared_task(name="uploads.tasks.work_process_task", time_limit=180, soft_time_limit=170)
def work_process_task(work_id: int) -> str | None:
    work = work_process(work_id=work_id)
    return work.status if work else None


@shared_task(name="uploads.tasks.works_process_stalled_task", time_limit=120)
def works_process_stalled_task() -> int:
    """Every 10 minutes: works whose processing could not be queued, or was lost."""
    return works_process_stalled()
