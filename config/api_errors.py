"""One DRF exception handler: every API error is `{"code", "message", "fields"}` JSON.

Services raise ApplicationError; Django raises ValidationError, PermissionDenied, Http404; DRF
raises APIException subclasses. All of them leave here with a stable code and never as a 500.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .db_busy import RETRY_AFTER_SECONDS, busy_body, is_database_busy, log_busy
from .errors import ApplicationError
from .request_limits import request_limit_refusal

logger = logging.getLogger(__name__)

_CODES_BY_EXCEPTION = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "invalid",
}


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"code": code, "message": message, "fields": fields or {}, **extra}


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(v) for v in (value if isinstance(value, list) else [value])]
            if not isinstance(value, dict)
            else [str(value)]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def api_exception_handler(exc, context):
    exc = request_limit_refusal(exc) or exc
    if isinstance(exc, ApplicationError):
        body = error_body(exc.code, exc.message, exc.fields, **exc.extra)
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages) or "Invalid input."
        return Response(error_body("invalid", message, fields), status=400)
    if is_database_busy(exc):
        log_busy(context["request"], exc)
        return Response(busy_body(), status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        # Not an API error we know: log it and still answer JSON (a 500 is our fault, not the
        # caller's, and says so without leaking internals).
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side. Please retry."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    code = next(
        (c for cls, c in _CODES_BY_EXCEPTION.items() if isinstance(exc, cls)),
        getattr(exc, "default_code", "error"),
    )
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()), ["Invalid input."])[0]
        if list(fields) == ["non_field_errors"]:
            message = first
        elif len(fields) == 1 and len(first_list := next(iter(fields.values()))) == 1:
            # One problem: say it (e.g. `currency: "btc" is not one of: AUD, …`).
            name = next(iter(fields)).replace("_", " ")
            message = f"{name[:1].upper()}{name[1:]}: {first_list[0]}"
        else:
            message = "Some fields are invalid."
        response.data = error_body(code, message, fields)
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = error_body(code, detail)
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response.data["retry_after"] = int(exc.wait)
    return response
