"""The local Stripe server, in-process on a free 127.0.0.1 port, driven by the official library.

`webhook_sink` is a real HTTP endpoint on 127.0.0.1 that records what it receives and can be
told to fail, so delivery, signatures and retries are tested end to end."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from devtools.stripe_local.server import DEFAULT_SECRET_KEY, StripeLocal


@pytest.fixture
def stripe_server():
    server = StripeLocal()
    server.serve(0)
    server.webhooks.backoff_base = 0.05  # retries in tests: 50 ms, 100 ms, 200 ms, ...
    yield server
    server.shutdown()


@pytest.fixture
def stripe_client(stripe_server) -> stripe.StripeClient:
    return stripe.StripeClient(
        DEFAULT_SECRET_KEY,
        base_addresses={
            "api": stripe_server.public_url,
            "connect": stripe_server.public_url,
            "files": stripe_server.public_url,
        },
        max_network_retries=0,
    )


class WebhookSink:
    def __init__(self) -> None:
        self.received: list[dict] = []  # {"headers", "body", "event"}
        self.fail_next = 0  # answer 500 to this many deliveries
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with sink.lock:
                    failing = sink.fail_next > 0
                    if failing:
                        sink.fail_next -= 1
                    sink.received.append(
                        {
                            "headers": dict(self.headers),
                            "body": body,
                            "event": json.loads(body),
                            "answered": 500 if failing else 200,
                        }
                    )
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhooks/stripe/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self, event_type: str | None = None) -> list[dict]:
        with self.lock:
            return [
                r["event"]
                for r in self.received
                if r["answered"] == 200 and (event_type is None or r["event"]["type"] == event_type)
            ]

    def wait_for(self, event_type: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(event_type)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {event_type} deliveries, got {self.events()}")


@pytest.fixture
def webhook_sink(stripe_server):
    sink = WebhookSink()
    secret = "whsec_test_sink_secret"
    stripe_server.dispatch(
        "POST",
        "/_control/webhook_endpoints",
        {},
        f"url={sink.url}&secret={secret}",
    )
    sink.secret = secret
    yield sink
    sink.httpd.shutdown()


@pytest.fixture
def page(browser):
    """A browser tab (the session's Chromium) for the server's hosted pages."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
