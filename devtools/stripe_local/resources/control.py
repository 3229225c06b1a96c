"""The control endpoint, for tests and people: inject faults, move the clock, settle pending
funds, register a webhook endpoint with a known secret, reset. Not part of Stripe's API; it
needs no key and is reachable only on 127.0.0.1 like the rest."""

from __future__ import annotations

from ..server import Response
from ..wire import StripeError, as_int


def register(server) -> None:
    store, faults = server.store, server.faults

    @server.route("POST", r"/_control/faults", api=False)
    def set_faults(request):
        params = request.params
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
                server.webhooks.release_held()
        return Response(body=_faults_state(server))

    @server.route("GET", r"/_control/faults", api=False)
    def get_faults(request):
        return Response(body=_faults_state(server))

    @server.route("POST", r"/_control/clock", api=False)
    def advance_clock(request):
        """Move the server's clock forward (Checkout Session expiry, balance settlement)."""
        seconds = as_int(request.params, "advance_seconds", required=True)
        if seconds < 0:
            raise StripeError("The clock only moves forward.", param="advance_seconds")
        with store.lock:
            store.clock_offset += seconds
            store.save()
        try:
            from . import checkout
        except ImportError:  # checkout not written yet, or left out
            checkout = None
        if hasattr(checkout, "expire_due_sessions"):
            checkout.expire_due_sessions(server)
        return Response(body={"now": store.now(), "offset": store.clock_offset})

    @server.route("POST", r"/_control/webhook_endpoints", api=False)
    def endpoint_with_secret(request):
        """Register an endpoint whose signing secret the caller chooses (bin/run, tests)."""
        url, secret = request.params.get("url"), request.params.get("secret")
        if not url or not secret:
            raise StripeError("url and secret are required", param="url")
        existing = store.all(
            "webhook_endpoint", lambda e: e["url"] == url and e["status"] == "enabled"
        )
        for endpoint in existing:
            store.update(endpoint, status="deleted")
        endpoint = store.create(
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

    @server.route("GET", r"/_control/deliveries", api=False)
    def deliveries(request):
        return Response(body={"data": server.webhooks.attempts_log[-200:]})

    @server.route("POST", r"/_control/reset", api=False)
    def reset(request):
        store.reset()
        server.webhooks.attempts_log.clear()
        with faults.lock:
            faults.fail_next.clear()
            faults.duplicate_events = 0
            faults.delay_seconds = 0.0
            faults.timeout_seconds = 35.0
        faults.hold_events = False
        server.webhooks.held.clear()
        return Response(body={"reset": True})

    @server.route("GET", r"/_control/health", api=False)
    def health(request):
        return Response(body={"ok": True, "objects": len(store.objects)})


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
