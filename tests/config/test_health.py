"""`/healthz` tells a load balancer whether the database, broker and storage answer."""

import time

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db(transaction=True)


def test_healthy_stack_answers_200(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values())


def test_dead_broker_is_reported_and_does_not_hang(client, monkeypatch):
    from config.celery import app

    # Nothing listens on port 1: a broker that is down. The probe must say so, promptly
    # (pytest-timeout fails the test if it hangs).
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(settings, "HEALTHCHECK_TIMEOUT_SECONDS", 1.0)

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["storage"]["ok"] is True
    print(f"dead-broker health check answered in {elapsed:.2f}s")


def test_health_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
