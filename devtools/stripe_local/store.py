"""The server's state: every object by id, events, idempotency replies and balances, behind
one lock. Kept in memory, and written to a JSON file after each change when one is given, so
a restarted server (bin/run) keeps its accounts and payments.

Objects are also indexed by type (in creation order), so listing one type, which the webhook
deliverer does for every event, costs what that type holds rather than everything the server
ever made: scanning every object per event made 10,000 transfers take minutes."""

from __future__ import annotations

import copy
import json
import os
import secrets
import threading
import time
from pathlib import Path

from .wire import StripeError, not_found

# Stripe's id prefixes, by object type: each resource class (resources/) adds its own; these
# are the objects stored without a class of their own.
PREFIXES = {
    "item": "li_",  # a Checkout Session's line item
    "price": "price_",
    "product": "prod_",
}


def new_id(object_type: str) -> str:
    return PREFIXES.get(object_type, "obj_") + secrets.token_hex(12)


class Store:
    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.lock = threading.RLock()
        self.path = Path(path) if path else None
        self.objects: dict[str, dict] = {}
        self.order: list[str] = []  # creation order, for lists and events
        # object type -> ids in creation order (a dict as an ordered set)
        self.by_type: dict[str, dict[str, None]] = {}
        self.idempotency: dict[str, dict] = {}
        # balance[account or "platform"][currency] = {"available": n, "pending": n}
        self.balances: dict[str, dict[str, dict[str, int]]] = {}
        self.listeners: list = []  # called with each new event (webhook delivery)
        self.clock_offset = 0
        self.started = int(time.time())
        self._load()

    # --- time -------------------------------------------------------------------------

    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    # --- objects ----------------------------------------------------------------------

    def create(self, object_type: str, fields: dict, *, account: str | None = None) -> dict:
        with self.lock:
            obj = {
                "id": new_id(object_type),
                "object": object_type,
                "livemode": False,
                "created": self.now(),
                **fields,
            }
            obj.setdefault("metadata", {})
            obj["_account"] = account  # which Stripe-Account it belongs to (None: platform)
            self.objects[obj["id"]] = obj
            self.order.append(obj["id"])
            self.by_type.setdefault(object_type, {})[obj["id"]] = None
            self.save()
            return obj

    def get(self, object_type: str, object_id: str, *, kind: str | None = None) -> dict:
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != object_type:
            raise not_found(kind or object_type.replace("_", " ").split(".")[-1], object_id)
        return obj

    def update(self, obj: dict, **fields) -> dict:
        with self.lock:
            obj.update(fields)
            self.save()
            return obj

    def all(self, object_type: str, predicate=None) -> list[dict]:
        """Every object of one type, oldest first (a deleted object is skipped)."""
        with self.lock:
            ids = self.by_type.get(object_type, {})
            found = [self.objects[i] for i in ids if i in self.objects]
        return [o for o in found if predicate is None or predicate(o)]

    # --- events -----------------------------------------------------------------------

    def emit(self, event_type: str, obj: dict, *, previous: dict | None = None) -> dict:
        """Record an event with a snapshot of the object, and hand it to the listeners."""
        with self.lock:
            data = {"object": public(obj)}
            if previous:
                data["previous_attributes"] = previous
            event = self.create(
                "event",
                {
                    "type": event_type,
                    "api_version": "2025-09-30.clover",
                    "data": data,
                    "pending_webhooks": 0,
                    "request": {"id": None, "idempotency_key": None},
                    "account": obj.get("_account"),
                },
            )
            if event["account"] is None:
                event.pop("account")
        for listener in list(self.listeners):
            listener(event)
        return event

    # --- balances ---------------------------------------------------------------------

    def balance(self, account: str | None, currency: str) -> dict[str, int]:
        with self.lock:
            per_currency = self.balances.setdefault(account or "platform", {})
            return per_currency.setdefault(currency.lower(), {"available": 0, "pending": 0})

    def move(self, account: str | None, currency: str, *, available: int = 0, pending: int = 0):
        with self.lock:
            entry = self.balance(account, currency)
            entry["available"] += available
            entry["pending"] += pending
            self.save()

    # --- persistence ------------------------------------------------------------------

    def save(self) -> None:
        if not self.path:
            return
        with self.lock:
            state = {
                "objects": self.objects,
                "order": self.order,
                "idempotency": self.idempotency,
                "balances": self.balances,
                "clock_offset": self.clock_offset,
            }
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state))
            tmp.replace(self.path)

    def _load(self) -> None:
        if self.path and self.path.exists():
            state = json.loads(self.path.read_text())
            self.objects = state["objects"]
            self.order = state["order"]
            self.idempotency = state["idempotency"]
            self.balances = state["balances"]
            self.clock_offset = state.get("clock_offset", 0)
            for object_id in self.order:
                obj = self.objects.get(object_id)
                if obj is not None:
                    self.by_type.setdefault(obj["object"], {})[object_id] = None

    def snapshot(self) -> str:
        """The whole state as JSON, for `restore`: a test that plays many scenarios from one
        setup (accounts made once) starts each from the same state without remaking it."""
        with self.lock:
            return json.dumps(
                {
                    "objects": self.objects,
                    "order": self.order,
                    "by_type": self.by_type,
                    "idempotency": self.idempotency,
                    "balances": self.balances,
                    "clock_offset": self.clock_offset,
                }
            )

    def restore(self, snapshot: str) -> None:
        state = json.loads(snapshot)
        with self.lock:
            self.objects, self.order = state["objects"], state["order"]
            self.by_type, self.idempotency = state["by_type"], state["idempotency"]
            self.balances, self.clock_offset = state["balances"], state["clock_offset"]
            self.save()

    def reset(self) -> None:
        with self.lock:
            self.objects.clear()
            self.order.clear()
            self.by_type.clear()
            self.idempotency.clear()
            self.balances.clear()
            self.clock_offset = 0
            self.save()


def public(obj: dict) -> dict:
    """The object as clients see it: a deep copy without our private `_` fields."""
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}


def require_account(store: Store, account_id: str | None) -> None:
    if account_id and account_id not in store.objects:
        raise StripeError(
            f"The provided key does not have access to account '{account_id}' (or that "
            "account does not exist). Application access may have been revoked.",
            status=403,
            type="invalid_request_error",
            code="account_invalid",
        )
