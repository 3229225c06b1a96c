"""Django's request-size limits (DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS,
DATA_UPLOAD_MAX_NUMBER_FILES) raise while a body is parsed; each becomes a refusal that says
which limit was passed, for the API's JSON and for the 400 page alike."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

from .errors import ApplicationError


def request_limit_refusal(exc: BaseException) -> ApplicationError | None:
    if isinstance(exc, TooManyFilesSent):
        return ApplicationError(
            f"A request may carry at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files; "
            "send one file per request.",
            code="too_many_files",
        )
    if isinstance(exc, TooManyFieldsSent):
        return ApplicationError(
            f"A request may carry at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields.",
            code="too_many_fields",
        )
    if isinstance(exc, RequestDataTooBig):
        return ApplicationError(
            "The request's fields (files aside) pass the "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20:.0f} MB limit.",
            code="request_too_large",
            status=413,
        )
    return None
