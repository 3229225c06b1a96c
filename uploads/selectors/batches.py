"""Reads for upload batches: how far a batch has got."""

from __future__ import annotations

from uploads import errors
from uploads.models import UploadBatch, WorkStatus


def batch_progress(*, batch: UploadBatch) -> dict:
    works = list(
        batch.works.order_by("id").only(
            "id", "title", "status", "original_filename", "thumbnail", "status_reason"
        )
    )
    # A batch's other lines: files refused, files already uploaded before, files that never
    # reached us. Each is done as soon as it is written.
    lines = list(batch.refusals.order_by("id"))
    duplicates = [line for line in lines if line.code == errors.DUPLICATE]
    refusals = [line for line in lines if line.code != errors.DUPLICATE]
    arrived = len(works) + len(lines)
    done = sum(1 for w in works if w.status != WorkStatus.PROCESSING) + len(lines)
    total = max(batch.expected_files, arrived)
    return {
        "batch": batch,
        "works": works,
        "refusals": refusals,
        "duplicates": duplicates,
        "arrived": arrived,
        "done": done,
        "total": total,
        "percent": int(100 * done / total) if total else 0,
        "finished": total > 0 and done >= total,
    }
