"""Settling a `destroy-models` item's duty with the marketplace, which holds the item's holdback:
met (every declared model attested destroyed, none declared, or carried on by a renewal) releases
it to the team's credit; breached (never attested, forfeited) gives it to the creator.

The outcome is recorded on the item first; the marketplace's hook then runs item by item and the
item is marked settled only once the hook returned. A hook that fails is logged and retried by the
next hourly sweep; the ledger's idempotency keys make a repeat move nothing."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from licensing import registry
from licensing.models import DutyOutcome, GrantStatus, LicenseGrantItem
from licensing.terms import OnExpiry

logger = logging.getLogger(__name__)


SETTLE_BATCH = 1000


def duties_unsettled():
    """Items whose duty has an outcome the marketplace has not taken yet."""
    return LicenseGrantItem.objects.filter(
        terms__on_expiry=OnExpiry.DESTROY_MODELS.value, duty_settled_at__isnull=True
    ).filter(
        Q(duty_outcome=DutyOutcome.BREACHED)
        | Q(duty_outcome=DutyOutcome.MET)
        | Q(duty_outcome="", status__in=[GrantStatus.EXPIRED, GrantStatus.DESTROYED])
    )


def duties_settle(*, item_ids=None, limit: int = SETTLE_BATCH) -> int:
    """Send each unsettled outcome (of these items, or of any) to the marketplace. Returns how
    many were settled."""
    items = duties_unsettled()
    if item_ids is not None:
        items = items.filter(id__in=list(item_ids))
    settled = 0
    for item in items.order_by("id")[:limit]:
        outcome = item.duty_outcome or DutyOutcome.MET
        send = (
            registry.destruction_breached_send
            if outcome == DutyOutcome.BREACHED
            else registry.destruction_met_send
        )
        try:
            with transaction.atomic():
                send([item.item_ref])
                LicenseGrantItem.objects.filter(id=item.id, duty_settled_at__isnull=True).update(
                    duty_outcome=outcome, duty_settled_at=timezone.now()
                )
        except Exception:
            logger.exception("Settling the destruction duty of %s failed; retried", item.item_ref)
            continue
        settled += 1
    return settled


def duty_outcomes_settled(item_refs) -> dict[str, str]:
    """{item_ref: outcome} of these items whose duty was already settled with the marketplace
    (met or breached)."""
    return dict(
        LicenseGrantItem.objects.filter(
            item_ref__in=list(item_refs), duty_settled_at__isnull=False
        ).values_list("item_ref", "duty_outcome")
    )


def duties_settle_on_commit(item_ids) -> None:
    """Settle these items once the surrounding transaction commits (a failure is retried by
    the sweep, never undoes what committed)."""
    ids = list(item_ids)
    if ids:
        transaction.on_commit(lambda: duties_settle(item_ids=ids), robust=True)
