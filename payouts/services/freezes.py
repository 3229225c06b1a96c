"""Staff freezes: a frozen creator or work earns on, but nothing of it is released or paid."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from config.errors import ApplicationError

from ..models import Freeze


def is_frozen(*, creator_id: int | None = None, work_id: int | None = None) -> bool:
    match = Q()
    if creator_id is not None:
        match |= Q(creator_id=creator_id)
    if work_id is not None:
        match |= Q(work_id=work_id)
    if not match:
        return False
    return Freeze.objects.filter(match, lifted_at__isnull=True).exists()


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
