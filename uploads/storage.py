"""All file storage calls for works go through here: private keys, cleanup, signed access.

Local disk and S3 (django-storages) behave the same to callers. Files are never served by path:
S3 objects are private and reached through presigned URLs; local files stream through a view
that checks who is asking."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


def store(name: str, content: File | bytes) -> str:
    if isinstance(content, bytes):
        content = ContentFile(content)
    return default_storage.save(name, content)


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def open_file(name: str):
    return default_storage.open(name, "rb")


def delete_quietly(names: Iterable[str]) -> None:
    """Best-effort delete, used when undoing a half-done step: a failure here is logged, and
    the step that called it still reports its own error."""
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("could not delete stored file %s", name)


def exists(name: str) -> bool:
    return bool(name) and default_storage.exists(name)


def signed_url(name: str, *, media_type: str, download_name: str | None = None) -> str | None:
    """A presigned URL when storage is S3, else None (the caller streams the file itself)."""
    if not hasattr(default_storage, "bucket_name"):
        return None
    parameters = {"ResponseContentType": media_type}
    if download_name:
        parameters["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
    return default_storage.url(name, parameters=parameters, expire=settings.SIGNED_URL_MAX_AGE)
