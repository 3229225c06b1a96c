"""The holdback of a `destroy-models` sale, settled when licensing says the destruction duty is
met (released to the buying team's credit) or breached for good (forfeited to the creator).
Registered on licensing's hooks in MarketplaceConfig.ready(); the ledger work (idempotent, one
outcome per item) is payouts'. Hooks may be called again by later sweeps: a replay posts
nothing."""

from __future__ import annotations

import logging

from django.db import transaction

from licensing.models import DutyOutcome
from licensing.services.duties import duty_outcomes_settled
from marketplace.models import OrderItem
from payouts.services.holdback import holdback_forfeit, holdback_release

logger = logging.getLogger(__name__)
PREFIX = "order_item:"


def _order_item_ids(item_refs: list[str]) -> list[int]:
    return [int(ref[len(PREFIX) :]) for ref in item_refs if ref.startswith(PREFIX)]


def holdbacks_release(item_refs: list[str]) -> int:
    """Each sold item's holdback to the credit of the team that bought it. Returns how many
    were released now (replays and items without a holdback count 0)."""
    teams = dict(
        OrderItem.objects.filter(id__in=_order_item_ids(item_refs)).values_list(
            "id", "order__organization_id"
        )
    )
    released = 0
    for item_id, organization_id in sorted(teams.items()):
        released += _settle(
            f"{PREFIX}{item_id}",
            lambda ref, org=organization_id: holdback_release(item_ref=ref, organization_id=org),
        )
    return released


def holdbacks_forfeit(item_refs: list[str]) -> int:
    """Each sold item's holdback to its creator: the team never attested destruction."""
    known = OrderItem.objects.filter(id__in=_order_item_ids(item_refs)).values_list("id", flat=True)
    return sum(
        _settle(f"{PREFIX}{item_id}", lambda ref: holdback_forfeit(item_ref=ref))
        for item_id in sorted(known)
    )


def holdbacks_settle_after_dispute(item_refs: list[str]) -> int:
    """A dispute won: the items' holdbacks are held again. One whose destruction duty was
    settled while the money was in dispute could not move then (nothing is released or
    forfeited while taken back), and licensing will not settle it twice: apply the recorded
    outcome now. Holdbacks already released or forfeited before the dispute went back where
    they were; for them this posts nothing. Returns how many moved."""
    outcomes = duty_outcomes_settled(item_refs)
    met = [ref for ref, outcome in outcomes.items() if outcome == DutyOutcome.MET]
    breached = [ref for ref, outcome in outcomes.items() if outcome == DutyOutcome.BREACHED]
    return holdbacks_release(met) + holdbacks_forfeit(breached)


def _settle(item_ref: str, settle) -> int:
    """One item in its own transaction: a failure is logged and left for the next sweep
    rather than stopping the others."""
    try:
        with transaction.atomic():
            result = settle(item_ref)
    except Exception:
        logger.exception("Could not settle the holdback of %s; the next sweep retries", item_ref)
        return 0
    return int(bool(result and result[1]))
