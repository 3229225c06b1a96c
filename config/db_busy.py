"""A database too busy to take a write in time is the server's state, not the caller's fault,
and it passes: the answer is 503 with Retry-After ("nothing was saved, try again"), never 500.

On the embedded SQLite file that is a write still waiting for the lock after
SQLITE_BUSY_TIMEOUT seconds; on PostgreSQL a deadlock, a serialization failure or a lock
timeout, which the server raises after rolling the transaction back. Services run their writes
in `transaction.atomic()` and clean up stored files on any exception, so nothing is
half-written when this answers."""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is busy and nothing was saved. Please try again in a few seconds."
# PostgreSQL SQLSTATEs that mean "retry the same thing": serialization_failure,
# deadlock_detected, lock_not_available.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


def is_database_busy(exc: BaseException) -> bool:
    # Django re-raises both drivers' errors as its OperationalError, the driver's as the cause.
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return "database is locked" in str(exc).lower() or sqlstate in _RETRYABLE_SQLSTATES


class DatabaseBusyMiddleware:
    """Pages (and the webhook) answer a busy database with our 503 page and Retry-After; the
    API's exception handler does the same in JSON (config/api_errors.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        return database_busy_response(request, exc) if is_database_busy(exc) else None


def database_busy_response(request, exc: BaseException) -> HttpResponse:
    """JSON for the API and the webhook (Stripe retries a 5xx), our 503 page elsewhere."""
    log_busy(request, exc)
    if request.path.startswith(("/api/", "/webhooks/")):
        response = JsonResponse(busy_body(), status=503)
    else:
        response = render(request, "errors/503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def log_busy(request, exc: BaseException) -> None:
    # A warning, not an error: the caller is told to retry and nothing was kept.
    logger.warning("Database busy on %s %s (answered 503): %s", request.method, request.path, exc)


def busy_body() -> dict:
    return {
        "code": "database_busy",
        "message": MESSAGE,
        "fields": {},
        "retry_after": RETRY_AFTER_SECONDS,
    }
