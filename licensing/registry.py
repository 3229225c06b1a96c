"""Hooks for higher apps on a license's lifecycle. licensing cannot import the marketplace (which
holds the holdback of a sale in the ledger) or moderation (which opens staff cases); they
register here in their AppConfig.ready(). Every hook is called after the licensing change has
committed, with ids and item refs only, and must be idempotent: beat sweeps may call it again."""

from __future__ import annotations

from collections.abc import Callable

# Each gets the item refs (e.g. "order_item:42") whose destruction duty is met: every declared
# model that used them is attested destroyed, or none was declared and the item expired. The
# marketplace releases each item's holdback to the team's credit.
destruction_met: list[Callable[[list[str]], None]] = []

# Each gets the item refs whose destruction duty is breached for good (still unattested
# `LICENSE_FORFEIT_AFTER_DAYS` after the grace period): the holdback goes to the creators.
destruction_breached: list[Callable[[list[str]], None]] = []

# Each gets (organization id, declaration ids) when a team becomes overdue on destruction:
# moderation opens one staff case per team. Called again on later sweeps (must not duplicate).
team_overdue: list[Callable[[int, list[int]], None]] = []

# Asked before an offer is made: (work, terms, price_amount, currency); raises ApplicationError
# to refuse it (a collective's floor). Called inside the offer's transaction, the work locked.
offer_checks: list[Callable[..., None]] = []

# Narrow what may be sold: (offers queryset, organization_id=None, intended=None) -> queryset.
# A collective drops offers below its floors always, and, for a known buyer team or intended
# use, the works it withholds from them. Must add no query of its own (subqueries only), so
# the catalog's query count stays what it is.
sale_exclusions: list[Callable[..., object]] = []


def _call_all(hooks, *args) -> None:
    for hook in hooks:
        hook(*args)


def destruction_met_send(item_refs: list[str]) -> None:
    if item_refs:
        _call_all(destruction_met, list(item_refs))


def destruction_breached_send(item_refs: list[str]) -> None:
    if item_refs:
        _call_all(destruction_breached, list(item_refs))


def team_overdue_send(organization_id: int, declaration_ids: list[int]) -> None:
    if declaration_ids:
        _call_all(team_overdue, organization_id, list(declaration_ids))
