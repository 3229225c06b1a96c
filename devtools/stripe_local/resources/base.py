"""What every resource class shares: its Stripe object name and id prefix, where its objects
live in the server's store, which verbs it serves at which path, and Stripe's list pagination.

A resource declares

    object = "charge"               # Stripe's `object` value (and the store's type)
    prefix = "ch_"                  # the id prefix of its objects
    path = "/v1/charges"            # the collection; one object is `path/{id_param}`
    id_param = "charge_id"
    verbs = ("list", "retrieve", "update")   # of create, list, retrieve, update, delete
    routes = (Route("GET", "/v1/charges/{charge_id}/refunds", "refunds"),)  # anything else

and `register_all` (resources/__init__.py) adds every route of every class to the server, in
a loop: a verb routes to the method of the same name, a `Route` to the method it names. A path
is a template: `{name}` is one path segment, handed to the method as the keyword `name`.

A method returns the stored object (or a `Response`); the server strips the private `_`
fields and applies `expand[]` to whatever ids in the answer name stored objects. What the
store does not hold as an id (a Checkout Session's line items) the class expands itself."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..store import PREFIXES, public
from ..wire import StripeError, as_int, metadata_of, not_found

if TYPE_CHECKING:
    from ..server import Request, StripeLocal

# verb -> (HTTP method, whether it addresses one object)
VERBS = {
    "create": ("POST", False),
    "list": ("GET", False),
    "retrieve": ("GET", True),
    "update": ("POST", True),
    "delete": ("DELETE", True),
}


@dataclass(frozen=True)
class Route:
    """A route beyond the resource's verbs: `handler` names the method that serves it.
    `api=False`: a hosted page or a control endpoint (no API key, no idempotency)."""

    method: str
    path: str
    handler: str
    api: bool = True


class Resource:
    object: ClassVar[str] = ""
    prefix: ClassVar[str | None] = None
    path: ClassVar[str] = ""
    id_param: ClassVar[str] = "id"
    verbs: ClassVar[tuple[str, ...]] = ()
    routes: ClassVar[tuple[Route, ...]] = ()
    # How "No such ..." errors name it (default: the object name, underscores as spaces).
    kind: ClassVar[str | None] = None
    # True: an object belongs to the account the request acts as (Stripe-Account header);
    # another account's object is not found. False: found whoever asks.
    scoped: ClassVar[bool] = True
    # The default `list`: request param -> object field that must equal it.
    list_filters: ClassVar[dict[str, str]] = {}
    list_params: ClassVar[frozenset[str] | None] = None  # what `list` accepts (None: anything)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.object and cls.prefix:
            PREFIXES[cls.object] = cls.prefix

    def __init__(self, server: StripeLocal) -> None:
        self.server = server
        self.store = server.store

    # --- routing ----------------------------------------------------------------------

    def endpoints(self):
        """(method, path template, handler, api) for each verb and each extra route."""
        for verb in self.verbs:
            method, one = VERBS[verb]
            path = f"{self.path}/{{{self.id_param}}}" if one else self.path
            yield method, path, getattr(self, verb), True
        for route in self.routes:
            yield route.method, route.path, getattr(self, route.handler), route.api

    # --- storage ----------------------------------------------------------------------

    @property
    def noun(self) -> str:
        return self.kind or self.object.replace("_", " ").split(".")[-1]

    def new(self, fields: dict, *, account: str | None = None) -> dict:
        return self.store.create(self.object, fields, account=account)

    def all(self, predicate=None) -> list[dict]:
        return self.store.all(self.object, predicate)

    def fetch(self, request: Request | None, object_id: str, *, param: str = "id") -> dict:
        """The object, or Stripe's 404; a scoped resource's object must also belong to the
        account `request` acts as."""
        obj = self.store.objects.get(object_id)
        if obj is None or obj["object"] != self.object:
            raise not_found(self.noun, object_id, param=param)
        if self.scoped and obj.get("_account") != (request.account if request else None):
            raise not_found(self.noun, object_id, param=param)
        return obj

    def update_fields(self, request: Request, obj: dict, allowed: set[str]) -> dict:
        """A plain update: `metadata` merged, each of `allowed` set (an empty value: null)."""
        params = request.params
        check_params(params, allowed | {"metadata"})
        changes = {"metadata": metadata_of(params, obj.get("metadata"))}
        for name in allowed:
            if name in params:
                changes[name] = params[name] or None
        return self.store.update(obj, **changes)

    # --- the default verbs --------------------------------------------------------------

    def retrieve(self, request: Request, **ids) -> dict:
        return self.fetch(request, ids[self.id_param])

    def list(self, request: Request, **ids) -> dict:
        if self.list_params is not None:
            check_params(request.params, self.list_params)
        return self.page(request, self.all(self.listed(request)), self.path)

    def listed(self, request: Request):
        """The default list's predicate: the request's account (if scoped), the filters,
        `created`."""
        params = request.params

        def keep(obj: dict) -> bool:
            if self.scoped and obj.get("_account") != request.account:
                return False
            for param, field in self.list_filters.items():
                wanted = params.get(param)
                if wanted not in (None, "") and obj.get(field) != wanted:
                    return False
            return created_matches(params.get("created"), obj["created"])

        return keep

    def page(
        self, request: Request, items: list[dict], url: str, *, newest_first: bool = True
    ) -> dict:
        """One page of a list of stored objects: newest first (or in creation order, e.g.
        line items), as Stripe orders them."""
        order = self.store.order
        items = sorted(
            items, key=lambda o: (o["created"], order.index(o["id"])), reverse=newest_first
        )
        return paginate(request.params, items, url)


# --- helpers every resource may use ----------------------------------------------------------


def paginate(params: dict, items: list[dict], url: str) -> dict:
    """Stripe's list page over `items` (already in the list's order): `limit` (1-100, default
    10), then the objects after the `starting_after` cursor, or the `limit` just before the
    `ending_before` one; `has_more` says whether more lie beyond the page in that direction."""
    limit = as_int(params, "limit", default=10)
    if not 1 <= limit <= 100:
        raise StripeError("Invalid limit: must be between 1 and 100", param="limit")
    after, before = params.get("starting_after"), params.get("ending_before")
    ids = [o["id"] for o in items]
    if after:
        if after not in ids:
            raise StripeError(f"No such object: '{after}'", param="starting_after")
        items = items[ids.index(after) + 1 :]
        page = items[:limit]
    elif before:
        if before not in ids:
            raise StripeError(f"No such object: '{before}'", param="ending_before")
        items = items[: ids.index(before)]
        page = items[-limit:]
    else:
        page = items[:limit]
    return {
        "object": "list",
        "url": url,
        "has_more": len(items) > limit,
        "data": [public(o) for o in page],
    }


def check_params(params: dict, allowed: set[str] | frozenset[str], prefix: str = "") -> None:
    """Stripe refuses parameters it does not know; so do we (also for ones we don't model)."""
    for key in params:
        if key in allowed or key == "expand":
            continue
        name = f"{prefix}[{key}]" if prefix else key
        raise StripeError(f"Received unknown parameter: {name}", param=name)


def created_matches(condition, created: int) -> bool:
    """The `created` list filter: a timestamp, or a hash of gt / gte / lt / lte."""
    if condition in (None, ""):
        return True
    try:
        if isinstance(condition, dict):
            tests = {
                "gt": lambda v: created > v,
                "gte": lambda v: created >= v,
                "lt": lambda v: created < v,
                "lte": lambda v: created <= v,
            }
            return all(tests[op](int(v)) for op, v in condition.items() if op in tests)
        return created == int(condition)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid timestamp: {condition}", param="created") from None


def diff(old: dict, new: dict) -> dict:
    """Stripe's `previous_attributes`: the old values of what changed (nested dicts by key)."""
    previous = {}
    for key in sorted(set(old) | set(new)):
        if key.startswith("_") or old.get(key) == new.get(key):
            continue
        before, after = old.get(key), new.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            previous[key] = diff(before, after)
        else:
            previous[key] = copy.deepcopy(before)
    return previous


def positive_int(params: dict, name: str, *, default: int) -> int:
    """An amount: an integer of at least 1, or `default` when not given."""
    number = as_int(params, name, default=default)
    if number < 1:
        raise StripeError("This value must be greater than or equal to 1.", param=name)
    return number


def blank_address() -> dict:
    """An address Stripe has no part of (billing details, customer details)."""
    return dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))
