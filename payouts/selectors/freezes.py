"""Reads for freezes: a creator's, and all of them for staff."""

from __future__ import annotations

from django.db.models import Q

from payouts.models import Freeze
from payouts.registry import creator_work_ids


def creator_freezes(*, creator) -> list[Freeze]:
    """Active freezes on the creator or on one of their works, so their page can say why."""
    on_them = Q(creator=creator)
    for work_ids in creator_work_ids(creator):
        on_them |= Q(work_id__in=work_ids)
    return list(Freeze.objects.filter(on_them, lifted_at__isnull=True).order_by("-created_at"))


def freezes_for_staff() -> tuple[list[Freeze], list[Freeze]]:
    """(active, recently lifted) freezes."""
    base = Freeze.objects.select_related("creator", "frozen_by", "lifted_by")
    active = list(base.filter(lifted_at__isnull=True).order_by("-created_at"))
    lifted = list(base.filter(lifted_at__isnull=False).order_by("-lifted_at")[:10])
    return active, lifted
