"""Hooks for higher apps. marketplace cannot import them, yet they want to hear what buyers ask
for: catalog searches, quoted datasets and sales (insight counts them; it reads data requests
from their rows). They register a listener here in their AppConfig.ready().

A listener runs after the caller's transaction commits, so it never sees (or holds up) a write
that is rolled back, and a listener that fails is logged: the buyer's search, quote or payment
goes on as if nobody had listened."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

# Each listener gets (kind, **facts), kind one of "search", "quote", "sale":
#   search: user, query (a selectors.catalog.CatalogQuery), page (the page asked for, or None)
#   quote:  dataset, items (the DatasetItems just added to it)
#   sale:   order, items (its OrderItems, each with its work loaded)
demand_listeners: list[Callable[..., None]] = []


def catalog_searched(*, user, query, page=None) -> None:
    _announce("search", user=user, query=query, page=page)


def dataset_quoted(*, dataset, items) -> None:
    _announce("quote", dataset=dataset, items=items)


def order_sold(*, order, items) -> None:
    _announce("sale", order=order, items=items)


def _announce(kind: str, **facts) -> None:
    if demand_listeners:  # nobody listening costs nothing
        transaction.on_commit(partial(_deliver, kind, facts), robust=True)


def _deliver(kind: str, facts: dict) -> None:
    for listener in list(demand_listeners):
        try:
            listener(kind, **facts)
        except Exception:
            logger.exception("Demand listener %r failed on a %s", listener, kind)
