"""Moderation's side of the license lifecycle: a team overdue on destroying its models gets one
open staff case (registered with licensing.registry.team_overdue in AppConfig.ready; the hourly
sweep calls it again while the team stays overdue, which opens nothing new)."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from accounts.models import Organization
from licensing.models import ModelDeclaration
from moderation.models import CaseKind, CaseStatus, ReviewCase

logger = logging.getLogger(__name__)

# Above a typical held upload: a team keeping models it promised to destroy is a breach.
OVERDUE_RISK = 80


def team_overdue_case_open(organization_id: int, declaration_ids: list[int]) -> ReviewCase | None:
    """Open the team's destruction-overdue case unless one is already open."""
    open_case = ReviewCase.objects.filter(
        organization_id=organization_id,
        kind=CaseKind.DESTRUCTION_OVERDUE,
        status=CaseStatus.OPEN,
    ).first()
    if open_case is not None:
        return open_case
    organization = Organization.objects.filter(id=organization_id).first()
    if organization is None:
        return None
    models = ModelDeclaration.objects.filter(id__in=declaration_ids).order_by("name", "version")
    names = ", ".join(f"{d.name} {d.version}" for d in models) or "declared models"
    reason = (
        f"{organization.name} has not attested that {names} "
        f"{'was' if len(declaration_ids) == 1 else 'were'} destroyed by the deadline; the team is "
        "restricted until it does."
    )[:500]
    try:
        with transaction.atomic():
            return ReviewCase.objects.create(
                organization=organization,
                kind=CaseKind.DESTRUCTION_OVERDUE,
                risk_score=OVERDUE_RISK,
                reason=reason,
            )
    except IntegrityError:  # a concurrent sweep opened it first
        return ReviewCase.objects.filter(
            organization_id=organization_id,
            kind=CaseKind.DESTRUCTION_OVERDUE,
            status=CaseStatus.OPEN,
        ).first()
