"""Make works the way users do: through the intake service, then the worker's processing."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from uploads.services.intake import work_submit
from uploads.services.processing import work_process

from .images import jpeg_bytes


def upload_work(
    owner, data: bytes | None = None, *, name: str = "photo.jpg", process: bool = True, **fields
):
    fields = {"title": "A work", "ai_involvement": "none", "rights_confirmed": True, **fields}
    with TestCase.captureOnCommitCallbacks(execute=False):
        result = work_submit(
            owner=owner, upload=SimpleUploadedFile(name, data or jpeg_bytes()), **fields
        )
    if process and result.created:
        return work_process(work_id=result.work.id)
    return result.work
