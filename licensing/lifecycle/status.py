"""Where a declared model and a team stand, derived from the items' expiries, their terms and
the attestations on file (nothing here is stored, so it cannot drift from the facts).

A model must be destroyed when any item it was trained on carries `destroy-models` and has
expired, unless the team renewed that work before the grace period ended (a later license item
on the same work that started by then and still runs carries the model on). The team has
`LICENSE_DESTRUCTION_GRACE_DAYS` from the earliest such expiry to attest; after that the model
is overdue and the team is restricted until it attests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ..models import GrantStatus, LicenseGrantItem, ModelDeclaration
from ..terms import OnExpiry


class ModelStatus(StrEnum):
    ACTIVE = "active"  # trained on items that still run
    EXPIRED = "expired"  # its items ended and none requires destruction
    DESTRUCTION_DUE = "destruction-due"  # must be attested destroyed by `deadline`
    OVERDUE = "overdue"  # the deadline passed without an attestation: the team is restricted
    DESTROYED = "destroyed"  # attested destroyed

    @property
    def label(self) -> str:
        return {
            "active": "Active",
            "expired": "Expired",
            "destruction-due": "Destruction due",
            "overdue": "Overdue",
            "destroyed": "Attested destroyed",
        }[self.value]


@dataclass(frozen=True)
class DeclarationState:
    status: ModelStatus
    deadline: datetime | None = None  # attest by then (destruction due or overdue)
    due_items: tuple[LicenseGrantItem, ...] = ()  # the expired items that require destruction


def grace() -> timedelta:
    return timedelta(days=settings.LICENSE_DESTRUCTION_GRACE_DAYS)


def _requires_destruction(item: LicenseGrantItem) -> bool:
    return (item.terms or {}).get("on_expiry") == OnExpiry.DESTROY_MODELS


def _renewed_in_time(item: LicenseGrantItem, organization_id: int, now: datetime) -> bool:
    return (
        LicenseGrantItem.objects.filter(
            grant__organization_id=organization_id,
            work_id=item.work_id,
            status=GrantStatus.ACTIVE,
            starts_at__lte=item.expires_at + grace(),
            expires_at__gt=now,
        )
        .exclude(id=item.id)
        .exists()
    )


def declaration_state(declaration: ModelDeclaration, *, now: datetime | None = None):
    """The model's status now. Revoked items (refunds, upheld claims) are left out: staff handle
    what a revoked license means for a model trained on it."""
    now = now or timezone.now()
    if declaration.attestations.exists():
        return DeclarationState(ModelStatus.DESTROYED)
    items = [i for i in declaration.items.all() if i.status != GrantStatus.REVOKED]
    ended = [i for i in items if i.expires_at <= now]
    renewed = {i.id for i in ended if _renewed_in_time(i, declaration.organization_id, now)}
    due = tuple(i for i in ended if _requires_destruction(i) and i.id not in renewed)
    if due:
        deadline = min(i.expires_at for i in due) + grace()
        status = ModelStatus.OVERDUE if now > deadline else ModelStatus.DESTRUCTION_DUE
        return DeclarationState(status, deadline, due)
    if renewed or len(ended) < len(items):
        return DeclarationState(ModelStatus.ACTIVE)
    return DeclarationState(ModelStatus.EXPIRED)


def overdue_candidates(*, now: datetime | None = None) -> QuerySet[ModelDeclaration]:
    """Declarations that may be overdue (unattested, with a `destroy-models` item expired more
    than the grace period ago); `declaration_state` decides (it knows about renewals)."""
    now = now or timezone.now()
    late_item = LicenseGrantItem.objects.filter(
        declared_in__declaration=OuterRef("pk"),
        terms__on_expiry=OnExpiry.DESTROY_MODELS.value,
        expires_at__lt=now - grace(),
    ).exclude(status=GrantStatus.REVOKED)
    return ModelDeclaration.objects.filter(Q(Exists(late_item)), attestations__isnull=True)


def team_overdue_declarations(organization, *, now: datetime | None = None):
    """The team's models that are overdue for a destruction attestation (empty: not
    restricted)."""
    now = now or timezone.now()
    candidates = overdue_candidates(now=now).filter(organization=organization)
    return [
        d
        for d in candidates.prefetch_related("items")
        if declaration_state(d, now=now).status == ModelStatus.OVERDUE
    ]


def team_is_restricted(organization, *, now: datetime | None = None) -> bool:
    """An overdue team may not buy or download until it attests (see the module docstring)."""
    return bool(team_overdue_declarations(organization, now=now))
