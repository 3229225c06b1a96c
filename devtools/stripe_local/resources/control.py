"""The control endpoint, for tests and people: inject faults, move the clock, settle pending
funds, register a webhook endpoint with a known secret, reset. Not part of Stripe's API; it
needs no key and is reachable only on 127.0.0.1 like the rest."""

from __future__ import annotations

from ..server import Response
from ..wire import StripeError, as_int
from .base import Resource, Route


class Control(Resource):
    """Not a Stripe resource: the server's own knobs, routed the same way."""

    routes = (
        Route("POST", "/_control/faults", "set_faults", api=False),
        Route("GET", "/_control/faults", "get_faults", api=False),
        Route("POST", "/_control/clock", "advance_clock", api=False),
        Route("POST", "/_control/webhook_endpoints", "endpoint_with_secret", api=False),
        Route("GET", "/_control/deliveries", "deliveries", api=False),
        Route("POST", "/_control/reset", "reset", api=False),
        Route("GET", "/_control/health", "health", api=False),
    )

    def set_faults(self, request):
        params, faults = request.params, self.server.faults
        with faults.lock:
            if "fail_next" in params:  # "500" or "timeout", or a list of them
                value = params["fail_next"]
                faults.fail_next.extend(value if isinstance(value, list) else [value])
            if "duplicate_events" in params:
                faults.duplicate_events = as_int(params, "duplicate_events")
            if "delay_seconds" in params:
                faults.delay_seconds = float(params["delay_seconds"])
            if "timeout_seconds" in params:  # how long fail_next=timeout hangs
                faults.timeout_seconds = float(params["timeout_seconds"])
        if "hold_events" in params:
            if params["hold_events"] in ("true", "1"):
                faults.hold_events = True
            else:
                self.server.webhooks.release_held()
        return Response(body=_faults_state(self.server))

    def get_faults(self, request):
        return Response(body=_faults_state(self.server))

    def advance_clock(self, request):
        """Move the server's clock forward (Checkout Session expiry, balance settlement)."""
        seconds = as_int(request.params, "advance_seconds", required=True)
        if seconds < 0:
            raise StripeError("The clock only moves forward.", param="advance_seconds")
        with self.store.lock:
            self.store.clock_offset += seconds
            self.store.save()
        from .checkout import expire_due_sessions

        expire_due_sessions(self.server)
        return Response(body={"now": self.store.now(), "offset": self.store.clock_offset})

    def endpoint_with_secret(self, request):
        """Register an endpoint whose signing secret the caller chooses (bin/run, tests)."""
        url, secret = request.params.get("url"), request.params.get("secret")
        if not url or not secret:
            raise StripeError("url and secret are required", param="url")
        existing = self.store.all(
            "webhook_endpoint", lambda e: e["url"] == url and e["status"] == "enabled"
        )
        for endpoint in existing:
            self.store.update(endpoint, status="deleted")
        endpoint = self.store.create(
            "webhook_endpoint",
            {
                "url": url,
                "enabled_events": ["*"],
                "status": "enabled",
                "secret": secret,
                "description": "registered through /_control",
                "api_version": None,
                "application": None,
            },
        )
        return Response(body={k: v for k, v in endpoint.items() if not k.startswith("_")})

    def deliveries(self, request):
        return Response(body={"data": self.server.webhooks.attempts_log[-200:]})

    def reset(self, request):
        faults = self.server.faults
        self.store.reset()
        self.server.webhooks.attempts_log.clear()
        with faults.lock:
            faults.fail_next.clear()
            faults.duplicate_events = 0
            faults.delay_seconds = 0.0
            faults.timeout_seconds = 35.0
        faults.hold_events = False
        self.server.webhooks.held.clear()
        return Response(body={"reset": True})

    def health(self, request):
        return Response(body={"ok": True, "objects": len(self.store.objects)})


def _faults_state(server) -> dict:
    faults = server.faults
    return {
        "fail_next": list(faults.fail_next),
        "duplicate_events": faults.duplicate_events,
        "delay_seconds": faults.delay_seconds,
        "timeout_seconds": faults.timeout_seconds,
        "hold_events": faults.hold_events,
        "held": len(server.webhooks.held),
    }
