"""Events (`GET /v1/events`) and webhook endpoints (`/v1/webhook_endpoints`)."""

from __future__ import annotations

import secrets

from ..store import public
from ..wire import StripeError, as_bool, metadata_of, missing


def register(server) -> None:
    store = server.store

    @server.route("GET", r"/v1/events")
    def list_events(request):
        wanted = request.params.get("type")
        types = request.params.get("types") or []

        def keep(event):
            if wanted and not _type_matches(event["type"], wanted):
                return False
            return not types or event["type"] in types

        return server.list_response(request, store.all("event", keep), "/v1/events")

    @server.route("GET", r"/v1/events/(?P<event_id>[^/]+)")
    def get_event(request, event_id):
        return store.get("event", event_id)

    @server.route("POST", r"/v1/webhook_endpoints")
    def create_endpoint(request):
        url = request.params.get("url") or ""
        if not url:
            raise missing("url")
        if not url.startswith(("http://", "https://")):
            raise StripeError("Invalid URL: must be http or https", param="url")
        events = request.params.get("enabled_events")
        if not events:
            raise missing("enabled_events")
        return store.create(
            "webhook_endpoint",
            {
                "url": url,
                "enabled_events": events,
                "status": "enabled",
                "secret": "whsec_" + secrets.token_hex(24),
                "description": request.params.get("description"),
                "metadata": metadata_of(request.params),
                "api_version": None,
                "application": None,
            },
        )

    @server.route("GET", r"/v1/webhook_endpoints")
    def list_endpoints(request):
        items = store.all("webhook_endpoint")
        body = server.list_response(request, items, "/v1/webhook_endpoints")
        for item in body["data"]:
            item.pop("secret", None)  # Stripe shows the secret only on creation
        return body

    @server.route("GET", r"/v1/webhook_endpoints/(?P<endpoint_id>[^/]+)")
    def get_endpoint(request, endpoint_id):
        endpoint = public(store.get("webhook_endpoint", endpoint_id, kind="webhook endpoint"))
        endpoint.pop("secret", None)  # shown on creation only
        return endpoint

    @server.route("POST", r"/v1/webhook_endpoints/(?P<endpoint_id>[^/]+)")
    def update_endpoint(request, endpoint_id):
        endpoint = store.get("webhook_endpoint", endpoint_id)
        changes = {}
        if "url" in request.params:
            changes["url"] = request.params["url"]
        if "enabled_events" in request.params:
            changes["enabled_events"] = request.params["enabled_events"]
        if "disabled" in request.params:
            changes["status"] = "disabled" if as_bool(request.params, "disabled") else "enabled"
        changes["metadata"] = metadata_of(request.params, endpoint.get("metadata"))
        return store.update(endpoint, **changes)

    @server.route("DELETE", r"/v1/webhook_endpoints/(?P<endpoint_id>[^/]+)")
    def delete_endpoint(request, endpoint_id):
        endpoint = store.get("webhook_endpoint", endpoint_id)
        store.update(endpoint, status="deleted")
        return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def _type_matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern
