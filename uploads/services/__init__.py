"""Writes for works: intake at the door, processing in the worker, edits and review."""

from .intake import batch_create, batch_report_not_received, upload_refusal_record, work_submit
from .processing import work_process, work_retry
from .works import work_delete, work_review_decide, work_update

__all__ = [
    "batch_create",
    "batch_report_not_received",
    "upload_refusal_record",
    "work_delete",
    "work_process",
    "work_retry",
    "work_review_decide",
    "work_submit",
    "work_update",
]
