"""Hooks for higher apps. The ledger knows a sale only by its item reference ("order_item:42")
and a work only by its id; the marketplace, which knows the work, the team, the license and its
terms, registers describers here in its AppConfig.ready() so the earnings page and export can
name them, and a creator's freezes can include those on their works."""

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
    license_name: str = ""  # what people call the license (the dataset's name)
    license_url: str = ""  # its public record


# Each gets item refs and returns {item_ref: SaleDescription} for those it knows.
sale_describers: list[Callable[[list[str]], dict[str, SaleDescription]]] = []


def sales_describe(item_refs: Iterable[str]) -> dict[str, SaleDescription]:
    refs = sorted({ref for ref in item_refs if ref})
    found: dict[str, SaleDescription] = {}
    if refs:
        for describer in sale_describers:
            found.update(describer(refs))
    return found


# Each is called as hook(work_ids=..., owner=...) and returns {work id: title} for those of the
# works that exist (and are the owner's, when an owner is given).
work_describers: list[Callable[..., dict[int, str]]] = []

# Each is called as hook(owner=creator) and returns the ids of the creator's works (a lazy
# query is welcome: the caller filters on it as a subquery).
creator_work_finders: list[Callable[..., Iterable[int]]] = []


def work_titles(work_ids: Iterable[int], *, owner=None) -> dict[int, str]:
    ids = sorted({i for i in work_ids if i})
    found: dict[int, str] = {}
    if ids:
        for describer in work_describers:
            found.update(describer(work_ids=ids, owner=owner))
    return found


def creator_work_ids(creator) -> list[Iterable[int]]:
    """One collection of work ids per finder (each may be a lazy query)."""
    return [finder(owner=creator) for finder in creator_work_finders]
