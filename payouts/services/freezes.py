"""Staff freezes: a frozen creator or work earns on, but nothing of it is released or paid.

A freeze moves no money. While it stands, the hold release leaves the work's held shares held,
and the payout run leaves out its available money, which the ledger keeps per item (see
services/payout_runs.py), including what the work earned and was released before the freeze.
Lifting the freeze is all it takes for that money to flow again: the next hold release and
payout run take it, as if it had never stopped."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from config.errors import ApplicationError
from payouts.models import Freeze


def is_frozen(*, creator_id: int | None = None, work_id: int | None = None) -> bool:
    match = Q()
    if creator_id is not None:
        match |= Q(creator_id=creator_id)
    if work_id is not None:
        match |= Q(work_id=work_id)
    if not match:
        return False
    return Freeze.objects.filter(match, lifted_at__isnull=True).exists()


def frozen_scope(*, creator_id: int, work_ids) -> tuple[bool, set[int]]:
    """Whether the creator is frozen, and which of `work_ids` are, in one query."""
    works = {w for w in work_ids if w is not None}
    rows = list(
        Freeze.objects.filter(
            Q(creator_id=creator_id) | Q(work_id__in=works), lifted_at__isnull=True
        ).values_list("creator_id", "work_id")
    )
    creator_frozen = any(creator == creator_id for creator, _ in rows)
    return creator_frozen, {work for _, work in rows if work in works}


def freeze_create(*, actor, reason: str, creator=None, work_id: int | None = None) -> Freeze:
    if not getattr(actor, "is_staff", False):
        raise ApplicationError("Only staff freeze earnings.", code="not_staff", status=403)
    if not (reason or "").strip():
        raise ApplicationError("Say why; the creator is told.", code="reason_required")
    if creator is None and work_id is None:
        raise ApplicationError("Freeze a creator or a work.", code="invalid")
    return Freeze.objects.create(
        creator=creator, work_id=work_id, reason=reason.strip(), frozen_by=actor
    )


def freeze_lift(*, freeze: Freeze, actor) -> Freeze:
    if not getattr(actor, "is_staff", False):
        raise ApplicationError("Only staff lift freezes.", code="not_staff", status=403)
    if freeze.lifted_at is None:
        freeze.lifted_at = timezone.now()
        freeze.lifted_by = actor
        freeze.save(update_fields=["lifted_at", "lifted_by"])
    return freeze
