"""How the local Stripe server is put together: one class per resource, its routes registered
from what the class declares, Stripe's list pagination in one place, and every hosted page's
HTML in pages.py."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from devtools.stripe_local import resources
from devtools.stripe_local.resources.base import VERBS, Resource, paginate
from devtools.stripe_local.server import DEFAULT_SECRET_KEY, StripeLocal, pattern
from devtools.stripe_local.store import PREFIXES
from devtools.stripe_local.wire import StripeError

from .helpers import fake_charge, fetch

RESOURCES_DIR = Path(resources.__file__).parent


# --- route registration -----------------------------------------------------------------------


def test_every_route_comes_from_a_resource_class_once():
    server = StripeLocal()
    declared = [
        (method, f"^{pattern(path)}$", handler, api)
        for cls in resources.RESOURCES
        for method, path, handler, api in cls(server).endpoints()
    ]
    registered = [(r.method, r.pattern.pattern, r.api) for r in server.routes]
    assert registered == [(m, p, a) for m, p, _, a in declared]
    assert len(set(registered)) == len(registered), "a route is registered twice"
    for route in server.routes:
        # the handler is a method of a resource instance, bound to this server
        assert isinstance(route.handler.__self__, Resource)
        assert route.handler.__self__.server is server


def test_a_verb_routes_to_the_method_of_that_name():
    server = StripeLocal()
    charges = resources.payments.Charge(server)
    got = {(m, p): h.__name__ for m, p, h, _ in charges.endpoints()}
    assert got == {
        ("GET", "/v1/charges"): "list",
        ("GET", "/v1/charges/{charge_id}"): "retrieve",
        ("POST", "/v1/charges/{charge_id}"): "update",
        ("GET", "/v1/charges/{charge_id}/refunds"): "refunds",
    }


@pytest.mark.parametrize("cls", resources.RESOURCES, ids=lambda c: c.__name__)
def test_each_class_declares_only_verbs_it_implements(cls):
    assert set(cls.verbs) <= set(VERBS)
    for verb in cls.verbs:
        assert callable(getattr(cls, verb, None)), f"{cls.__name__}.{verb}"
    for route in cls.routes:
        assert callable(getattr(cls, route.handler)), f"{cls.__name__}.{route.handler}"
    if cls.path:
        assert cls.path.startswith(("/v1/", "/_control/")), cls.path


def test_a_verb_a_resource_does_not_serve_is_405(stripe_server):
    key = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}
    # Charges are made by Checkout: there is a GET /v1/charges but no POST
    status, _, text = fetch(f"{stripe_server.public_url}/v1/charges", {}, headers=key)
    assert status == 405 and "Unrecognized request method" in text
    status, _, text = fetch(f"{stripe_server.public_url}/v1/nothing_here", headers=key)
    assert status == 404 and "Unrecognized request URL" in text


def test_id_prefixes_are_the_classes_own():
    for cls in resources.RESOURCES:
        if cls.prefix:
            assert PREFIXES[cls.object] == cls.prefix
    server = StripeLocal()
    for cls in resources.RESOURCES:
        if cls.prefix:
            made = cls(server).new({})
            assert made["id"].startswith(cls.prefix) and made["object"] == cls.object


# --- pagination -------------------------------------------------------------------------------


def items(n: int) -> list[dict]:
    return [{"id": f"obj_{i}", "object": "thing", "_private": i} for i in range(n)]


def ids(page: dict) -> list[str]:
    return [o["id"] for o in page["data"]]


def test_paginate_forwards_and_backwards_like_stripe():
    all_items = items(7)
    first = paginate({"limit": "3"}, all_items, "/v1/things")
    assert ids(first) == ["obj_0", "obj_1", "obj_2"] and first["has_more"] is True
    assert first["url"] == "/v1/things" and first["object"] == "list"
    assert "_private" not in first["data"][0]
    second = paginate({"limit": "3", "starting_after": "obj_2"}, all_items, "/v1/things")
    assert ids(second) == ["obj_3", "obj_4", "obj_5"] and second["has_more"] is True
    last = paginate({"limit": "3", "starting_after": "obj_5"}, all_items, "/v1/things")
    assert ids(last) == ["obj_6"] and last["has_more"] is False
    # ending_before: the `limit` just before the cursor; has_more: more lie further back
    back = paginate({"limit": "3", "ending_before": "obj_6"}, all_items, "/v1/things")
    assert ids(back) == ["obj_3", "obj_4", "obj_5"] and back["has_more"] is True
    front = paginate({"limit": "3", "ending_before": "obj_2"}, all_items, "/v1/things")
    assert ids(front) == ["obj_0", "obj_1"] and front["has_more"] is False


@pytest.mark.parametrize(
    "params, param",
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"starting_after": "obj_nope"}, "starting_after"),
        ({"ending_before": "obj_nope"}, "ending_before"),
    ],
)
def test_paginate_refuses_bad_limits_and_unknown_cursors(params, param):
    with pytest.raises(StripeError) as raised:
        paginate(params, items(3), "/v1/things")
    assert raised.value.status == 400 and raised.value.body["param"] == param


def test_the_library_pages_through_a_list_both_ways(stripe_server, stripe_client):
    made = [fake_charge(stripe_server, 100 + i)["id"] for i in range(7)]
    newest_first = list(reversed(made))
    forward = [c.id for c in stripe_client.v1.charges.list({"limit": 3}).auto_paging_iter()]
    assert forward == newest_first
    backward = stripe_client.v1.charges.list({"limit": 3, "ending_before": newest_first[-1]})
    assert [c.id for c in backward.data] == newest_first[-4:-1] and backward.has_more is True
    oldest = [c.id for c in backward.auto_paging_iter()]
    assert oldest == list(reversed(newest_first[:-1]))


# --- hosted pages -----------------------------------------------------------------------------


def test_hosted_page_html_lives_in_pages_py_only():
    """A resource hands its objects to devtools/stripe_local/pages.py; no HTML document, no
    stylesheet and no escaping of its own."""
    for source in sorted(RESOURCES_DIR.glob("*.py")):
        text = source.read_text()
        for marker in ("<!doctype", "<html", "<style", "import html", "html.escape"):
            assert marker not in text.lower(), f"{source.name} builds HTML itself ({marker})"
        assert not re.search(r"Response\([^)]*\bhtml=", text), source.name


def test_pages_module_is_what_resources_render_with():
    from devtools.stripe_local import pages

    rendered = {
        name
        for name, fn in inspect.getmembers(pages, inspect.isfunction)
        if name.endswith("_page") and fn.__module__ == pages.__name__
    }
    assert {
        "checkout_page",
        "onboarding_page",
        "link_invalid_page",
        "dashboard_page",
        "login_link_expired_page",
        "not_found_page",
    } <= rendered
