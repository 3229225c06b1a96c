"""The HTTP side: routing, API-key auth, idempotency keys, `expand[]`, Stripe error shapes,
and the fault-injection hooks. The resource classes (resources/) add their routes here."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .store import Store, public, require_account
from .wire import StripeError, parse_params

logger = logging.getLogger("stripe_local")

DEFAULT_SECRET_KEY = "sk_test_assent_local"


@dataclass
class Request:
    method: str
    path: str
    params: dict
    headers: dict
    account: str | None  # the Stripe-Account header (acting as a connected account)
    server: StripeLocal
    form: dict = field(default_factory=dict)  # hosted pages: the raw posted form

    @property
    def store(self) -> Store:
        return self.server.store


@dataclass
class Response:
    status: int = 200
    body: dict | None = None
    html: str | None = None
    redirect: str | None = None
    headers: dict = field(default_factory=dict)


Handler = Callable[..., "dict | Response"]
_SEGMENT = re.compile(r"\{(\w+)\}")


def pattern(path: str) -> str:
    """A route's path template as a regex: `/v1/charges/{charge_id}` becomes
    `/v1/charges/(?P<charge_id>[^/]+)`."""
    return _SEGMENT.sub(r"(?P<\1>[^/]+)", path)


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    api: bool  # API routes need a key; hosted pages and control do not


class Faults:
    """What the control endpoint arms: the next API call fails, events repeat or wait."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fail_next: list[str] = []  # "500" or "timeout", consumed one per API call
        self.duplicate_events = 0  # deliver each of the next N events twice
        self.delay_seconds = 0.0  # wait before delivering each event
        self.hold_events = False  # keep events back until released (then out of order)
        self.timeout_seconds = 35.0  # how long a "timeout" failure hangs before answering

    def take_failure(self) -> str | None:
        with self.lock:
            return self.fail_next.pop(0) if self.fail_next else None


class StripeLocal:
    """One server: its store, its routes, its webhook deliverer, its faults."""

    def __init__(
        self,
        *,
        store: Store | None = None,
        secret_key: str = DEFAULT_SECRET_KEY,
        public_url: str = "",
    ) -> None:
        self.store = store or Store()
        self.secret_key = secret_key
        self.public_url = public_url
        self.routes: list[Route] = []
        self.faults = Faults()
        self.httpd: ThreadingHTTPServer | None = None
        from . import resources, webhooks

        self.webhooks = webhooks.Deliverer(self)
        self.store.listeners.append(self.webhooks.enqueue)
        resources.register_all(self)

    # --- routing ----------------------------------------------------------------------

    def add_route(self, method: str, path: str, handler: Handler, *, api: bool = True) -> None:
        """Route `method path` to `handler`; `{name}` in `path` is one path segment, passed to
        the handler as the keyword `name`."""
        self.routes.append(Route(method, re.compile(f"^{pattern(path)}$"), handler, api))

    def dispatch(self, method: str, raw_path: str, headers: dict, body: str) -> Response:
        parts = urlsplit(raw_path)
        path = parts.path
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                break
        else:
            if any(r.pattern.match(path) for r in self.routes):
                raise StripeError(f"Unrecognized request method for {path}", status=405)
            raise StripeError(
                f"Unrecognized request URL ({method}: {path}).", status=404, code="resource_missing"
            )
        params = parse_params(parts.query if method in ("GET", "DELETE") else body)
        account = headers.get("stripe-account") or None
        request = Request(method, path, params, headers, account, self, form=params)
        if not route.api:
            return self._as_response(route.handler(request, **match.groupdict()))
        self._authenticate(headers)
        failure = self.faults.take_failure()
        if failure == "timeout":
            time.sleep(float(headers.get("x-stripe-local-timeout") or self.faults.timeout_seconds))
        if failure:
            raise StripeError(
                "An unexpected error occurred (injected).", status=500, type="api_error"
            )
        require_account(self.store, account)
        return self._with_idempotency(request, route, match)

    def _authenticate(self, headers: dict) -> None:
        auth = headers.get("authorization", "")
        key = auth[7:] if auth.lower().startswith("bearer ") else ""
        if not key:
            raise StripeError(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth.",
                status=401,
            )
        if key != self.secret_key:
            shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:]
            raise StripeError(f"Invalid API Key provided: {shown}", status=401)

    def _with_idempotency(self, request: Request, route: Route, match) -> Response:
        key = request.headers.get("idempotency-key")
        if request.method != "POST" or not key:
            return self._run(request, route, match)
        fingerprint = hashlib.sha256(
            json.dumps([request.path, request.params, request.account], sort_keys=True).encode()
        ).hexdigest()
        slot = f"{request.account or ''}:{key}"
        with self.store.lock:
            seen = self.store.idempotency.get(slot)
            if seen is not None:
                if seen["fingerprint"] != fingerprint:
                    raise StripeError(
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                return Response(
                    status=seen["status"],
                    body=seen["body"],
                    headers={"Idempotent-Replayed": "true", "Idempotency-Key": key},
                )
            # Held under the store lock: a second request with the same key waits for the
            # first to finish and then gets its reply, as Stripe does.
            try:
                response = self._run(request, route, match)
            except StripeError as exc:
                response = Response(status=exc.status, body=exc.as_json())
            self.store.idempotency[slot] = {
                "fingerprint": fingerprint,
                "status": response.status,
                "body": response.body,
            }
            self.store.save()
            response.headers["Idempotency-Key"] = key
            return response

    def _run(self, request: Request, route: Route, match) -> Response:
        response = self._as_response(route.handler(request, **match.groupdict()))
        if response.body is not None and response.status < 400:
            response.body = self.expand(response.body, request.params.get("expand") or [])
        return response

    @staticmethod
    def _as_response(result) -> Response:
        if isinstance(result, Response):
            if result.body is not None:
                result.body = public(result.body) if "_account" in result.body else result.body
            return result
        return Response(body=public(result))

    # --- expand -------------------------------------------------------------

    def expand(self, body: dict, paths: list[str]) -> dict:
        for path in paths if isinstance(paths, list) else [paths]:
            self._expand_path(body, str(path).split("."))
        return body

    def _expand_path(self, node, parts: list[str]) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and isinstance(node.get("data"), list):
            for item in node["data"]:
                self._expand_path(item, rest)
            return
        value = node.get(head)
        if isinstance(value, str) and value in self.store.objects:
            node[head] = public(self.store.objects[value])
            value = node[head]
        self._expand_path(value, rest)

    # --- serving ----------------------------------------------------------------------

    def serve(self, port: int = 0) -> int:
        """Start on 127.0.0.1 (never another interface) in a background thread."""
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, the client's delayed
            # ACK adds ~40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, fmt, *args):  # keep test output quiet
                logger.debug("%s %s", self.address_string(), fmt % args)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    response = server.dispatch(self.command, self.path, headers, body)
                except StripeError as exc:
                    response = Response(status=exc.status, body=exc.as_json())
                except Exception as exc:  # a bug in the server: answer like Stripe's 500
                    logger.exception("stripe_local crashed on %s %s", self.command, self.path)
                    response = Response(
                        status=500, body={"error": {"type": "api_error", "message": str(exc)}}
                    )
                self._send(response)

            def _send(self, response: Response) -> None:
                if response.redirect:
                    payload, ctype, status = b"", "text/plain", 303
                    response.headers["Location"] = response.redirect
                elif response.html is not None:
                    payload, ctype = response.html.encode(), "text/html; charset=utf-8"
                    status = response.status
                else:
                    payload = json.dumps(response.body, indent=2).encode()
                    ctype, status = "application/json", response.status
                self.send_response(
                    status,
                    HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "",
                )
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", "req_" + hashlib.sha1(payload).hexdigest()[:14])
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval (tests start and stop
        # a server per test).
        thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-local",
            daemon=True,
        )
        thread.start()
        actual = self.httpd.server_address[1]
        if not self.public_url:
            self.public_url = f"http://127.0.0.1:{actual}"
        self.webhooks.start()
        return actual

    def shutdown(self) -> None:
        self.webhooks.stop()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
