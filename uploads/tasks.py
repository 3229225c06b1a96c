"""Worker side of intake. Tasks take ids; running one twice changes nothing."""

from celery import shared_task

from .services import work_process


@shared_task(name="uploads.tasks.work_process_task", time_limit=180, soft_time_limit=170)
def work_process_task(work_id: int) -> str | None:
    work = work_process(work_id=work_id)
    return work.status if work else None
