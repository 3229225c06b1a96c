"""Events (`GET /v1/events`) and webhook endpoints (`/v1/webhook_endpoints`). Events are made
by `Store.emit`, which every resource calls when something happens; webhooks.py delivers them."""

from __future__ import annotations

import secrets

from ..store import public
from ..wire import StripeError, as_bool, metadata_of, missing
from .base import Resource


class Event(Resource):
    object = "event"
    prefix = "evt_"
    path = "/v1/events"
    id_param = "event_id"
    verbs = ("list", "retrieve")
    scoped = False

    def list(self, request) -> dict:
        wanted = request.params.get("type")
        types = request.params.get("types") or []

        def keep(event):
            if wanted and not _type_matches(event["type"], wanted):
                return False
            return not types or event["type"] in types

        return self.page(request, self.all(keep), self.path)


class WebhookEndpoint(Resource):
    object = "webhook_endpoint"
    prefix = "we_"
    path = "/v1/webhook_endpoints"
    id_param = "endpoint_id"
    verbs = ("create", "list", "retrieve", "update", "delete")
    scoped = False

    def create(self, request) -> dict:
        url = request.params.get("url") or ""
        if not url:
            raise missing("url")
        if not url.startswith(("http://", "https://")):
            raise StripeError("Invalid URL: must be http or https", param="url")
        events = request.params.get("enabled_events")
        if not events:
            raise missing("enabled_events")
        return self.new(
            {
                "url": url,
                "enabled_events": events,
                "status": "enabled",
                "secret": "whsec_" + secrets.token_hex(24),
                "description": request.params.get("description"),
                "metadata": metadata_of(request.params),
                "api_version": None,
                "application": None,
            }
        )

    def list(self, request) -> dict:
        body = self.page(request, self.all(), self.path)
        for item in body["data"]:
            item.pop("secret", None)  # Stripe shows the secret only on creation
        return body

    def retrieve(self, request, endpoint_id) -> dict:
        endpoint = public(self.fetch(request, endpoint_id))
        endpoint.pop("secret", None)  # shown on creation only
        return endpoint

    def update(self, request, endpoint_id) -> dict:
        endpoint = self.fetch(request, endpoint_id)
        changes = {}
        if "url" in request.params:
            changes["url"] = request.params["url"]
        if "enabled_events" in request.params:
            changes["enabled_events"] = request.params["enabled_events"]
        if "disabled" in request.params:
            changes["status"] = "disabled" if as_bool(request.params, "disabled") else "enabled"
        changes["metadata"] = metadata_of(request.params, endpoint.get("metadata"))
        return self.store.update(endpoint, **changes)

    def delete(self, request, endpoint_id) -> dict:
        endpoint = self.fetch(request, endpoint_id)
        self.store.update(endpoint, status="deleted")
        return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def _type_matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern
