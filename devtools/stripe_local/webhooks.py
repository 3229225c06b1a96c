"""Webhook delivery: every event goes to each enabled endpoint that wants its type, signed the
way Stripe signs (`Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">`), retried with
exponential backoff while the endpoint fails. Faults can duplicate, delay or hold events back
(held events are then released in reverse order: out of order, as Stripe may deliver them)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from .store import public

if TYPE_CHECKING:
    from .server import StripeLocal

logger = logging.getLogger("stripe_local.webhooks")


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Deliverer:
    def __init__(self, server: StripeLocal) -> None:
        self.server = server
        self.queue: queue.Queue = queue.Queue()
        self.held: list[dict] = []
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.backoff_base = 0.5  # seconds; doubled per attempt
        self.max_attempts = 6
        self.timeout = 10.0
        self.attempts_log: list[dict] = []  # what was delivered, for the control endpoint

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.queue.put(None)

    # --- intake -----------------------------------------------------------------------

    def enqueue(self, event: dict) -> None:
        faults = self.server.faults
        if faults.hold_events:
            self.held.append(event)
            return
        copies = 1
        with faults.lock:
            if faults.duplicate_events > 0:
                faults.duplicate_events -= 1
                copies = 2
        for _ in range(copies):
            self.queue.put((event["id"], 1, time.monotonic() + faults.delay_seconds, None))

    def release_held(self) -> int:
        """Deliver what was held, newest first."""
        self.server.faults.hold_events = False
        held, self.held = self.held, []
        for event in reversed(held):
            self.queue.put((event["id"], 1, time.monotonic(), None))
        return len(held)

    # --- delivery ---------------------------------------------------------------------

    def _run(self) -> None:
        while not self.stopping.is_set():
            item = self.queue.get()
            if item is None:
                return
            # endpoint_id None: every endpoint that wants the event; a retry names the one
            # endpoint that failed, so the endpoints that answered 200 don't get it again.
            event_id, attempt, not_before, endpoint_id = item
            wait = not_before - time.monotonic()
            if wait > 0:
                # Not due yet: put it back and look again shortly (keeps others moving).
                self.queue.put(item)
                time.sleep(min(wait, 0.05))
                continue
            event = self.server.store.objects.get(event_id)
            if event is None:
                continue
            endpoints = self._endpoints_for(event)
            if endpoint_id is not None:
                endpoints = [ep for ep in endpoints if ep["id"] == endpoint_id]
            for endpoint in endpoints:
                if not self._deliver(endpoint, event, attempt) and attempt < self.max_attempts:
                    delay = self.backoff_base * (2 ** (attempt - 1))
                    self.queue.put(
                        (event_id, attempt + 1, time.monotonic() + delay, endpoint["id"])
                    )

    def _endpoints_for(self, event: dict) -> list[dict]:
        def wants(endpoint: dict) -> bool:
            events = endpoint.get("enabled_events") or ["*"]
            return endpoint.get("status") == "enabled" and (
                "*" in events or event["type"] in events
            )

        return self.server.store.all("webhook_endpoint", wants)

    def _deliver(self, endpoint: dict, event: dict, attempt: int) -> bool:
        payload = json.dumps(public(event), indent=2).encode()
        header = sign(payload, endpoint["secret"], int(time.time()))
        request = urllib.request.Request(
            endpoint["url"],
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": header,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) stripe-local",
            },
        )
        status = None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            logger.info("webhook to %s failed: %s", endpoint["url"], exc)
        ok = status is not None and 200 <= status < 300
        self.attempts_log.append(
            {
                "event": event["id"],
                "type": event["type"],
                "endpoint": endpoint["id"],
                "attempt": attempt,
                "status": status,
                "ok": ok,
            }
        )
        return ok
