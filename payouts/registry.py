"""Hooks for higher apps. The ledger knows a sale only by its item reference ("order_item:42");
the marketplace, which knows the work, the team, the license and its terms, registers a
describer here in its AppConfig.ready() so the earnings page and export can name them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SaleDescription:
    work_title: str
    buyer: str  # the team that bought it
    license_ref: str  # the license (grant) it was sold under, as shown to people
    terms: str  # the terms in plain words
    price: int
    fee: int
    net: int
    currency: str
    status: str = ""  # e.g. "refunded", empty while it stands


# Each gets item refs and returns {item_ref: SaleDescription} for those it knows.
sale_describers: list[Callable[[list[str]], dict[str, SaleDescription]]] = []


def sales_describe(item_refs: Iterable[str]) -> dict[str, SaleDescription]:
    refs = sorted({ref for ref in item_refs if ref})
    found: dict[str, SaleDescription] = {}
    if refs:
        for describer in sale_describers:
            found.update(describer(refs))
    return found
