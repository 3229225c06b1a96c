"""Shared fixtures. Tests run against the real PostgreSQL and Redis when bin/test finds them
(CI requires them: ASSENT_REQUIRE_SERVICES=1), SQLite and a file cache otherwise."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import BuyerFactory, CreatorFactory, StaffFactory
from tests.helpers import totp_enable

# Fixtures every app's tests share, in one place each (not copied between conftests).
pytest_plugins = [
    "tests.fixtures.stripe",
    "tests.fixtures.lifecycle",
    "tests.fixtures.moderation",
    "tests.fixtures.payouts",
]

REQUIRE_SERVICES = os.environ.get("ASSENT_REQUIRE_SERVICES") == "1"

# --- The browser: Playwright drives Debian's Chromium (never a downloaded browser). One per
# test session: Playwright's sync API allows a single running instance per thread.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config):
    if REQUIRE_SERVICES:
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(
                f"ASSENT_REQUIRE_SERVICES=1 but the database engine is {engine}; "
                "set DATABASE_URL to PostgreSQL."
            )
        if not settings.REDIS_URL:
            raise pytest.UsageError("ASSENT_REQUIRE_SERVICES=1 but REDIS_URL is not set.")


def pytest_report_header(config):
    return (
        f"assent: database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
        f"redis={'yes' if settings.REDIS_URL else 'no'} broker={settings.CELERY_BROKER_URL.split(':')[0]}"
    )


@pytest.fixture(autouse=True)
def _clean_cache():
    """Login throttles live in the cache (Redis in CI); each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """File storage in a temporary folder, so a test can see every file left behind."""
    root = tmp_path / "media"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def creator(db):
    return CreatorFactory()


@pytest.fixture
def buyer(db):
    """An AI team owner with their team."""
    return BuyerFactory(membership__organization__name="Orbit Lab")


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def staff_with_totp(staff):
    staff.totp_secret = totp_enable(staff)
    return staff


@dataclass
class S3Server:
    endpoint_url: str
    bucket: str = "assent-test"

    def storage_options(self, **extra) -> dict:
        return {
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint_url,
            "access_key": "test",
            "secret_key": "test",
            "region_name": "us-east-1",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": "path",
            **extra,
        }


@pytest.fixture
def broker_down():
    """A context manager: inside it, tasks are published (not run eagerly) to a broker that
    is down (nothing listens on port 1), as in an outage. The app's pooled broker connections
    are dropped on the way in and out (Celery makes them from broker_url on first use)."""
    import contextlib

    from config.celery import app

    def fresh_connections():
        app._pool = None
        app.amqp._producer_pool = None

    @contextlib.contextmanager
    def down():
        keys = ("task_always_eager", "broker_url", "task_publish_retry")
        saved = {key: app.conf[key] for key in keys}
        app.conf.update(
            task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False
        )
        fresh_connections()
        try:
            yield
        finally:
            app.conf.update(saved)
            fresh_connections()

    return down


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server (moto_server) on 127.0.0.1, for the whole test session."""
    port = _free_port()
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3Server(endpoint_url=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        boto3.client(
            "s3",
            endpoint_url=server.endpoint_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        ).create_bucket(Bucket=server.bucket)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("ASSENT_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"Chromium is required (ASSENT_REQUIRE_BROWSER=1) but {CHROMIUM} is missing"
            )
        pytest.skip("Chromium is not installed (bin/test installs Debian's chromium as root)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls tests make between
    # page actions are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name") writes test-output/screenshots/<test>-<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
