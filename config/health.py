"""`/healthz`: is the database, the Celery broker and file storage reachable? For load balancers.

Each check is bounded by HEALTHCHECK_TIMEOUT_SECONDS, so a dead dependency is reported as down
quickly instead of hanging the probe.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    timeout = settings.HEALTHCHECK_TIMEOUT_SECONDS
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        # ensure_connection can succeed lazily on some transports; a channel proves it.
        conn.default_channel  # noqa: B018


def check_storage() -> None:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)


CHECKS = {"database": check_database, "broker": check_broker, "storage": check_storage}

# A small shared pool: a check stuck on a dead host keeps one thread until its own socket
# timeout ends, but the response never waits on it past the deadline.
_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="healthz")


def _run(check) -> None:
    try:
        check()
    finally:
        if check is check_database:
            connection.close()


def run_checks() -> dict[str, dict]:
    timeout = settings.HEALTHCHECK_TIMEOUT_SECONDS
    started = time.monotonic()
    futures = {name: _pool.submit(_run, check) for name, check in CHECKS.items()}
    results: dict[str, dict] = {}
    for name, future in futures.items():
        remaining = max(0.05, timeout - (time.monotonic() - started))
        try:
            future.result(timeout=remaining)
            results[name] = {"ok": True}
        except FutureTimeout:
            results[name] = {"ok": False, "error": f"no answer within {timeout:g}s"}
        except Exception as exc:  # reported, not raised: the probe must answer
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return results


@never_cache
@require_GET
def healthz(request):
    results = run_checks()
    healthy = all(r["ok"] for r in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
