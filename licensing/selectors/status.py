"""Where a declared model and a team stand, derived from the items' expiries, their terms and
the attestations on file (nothing here is stored, so it cannot drift from the facts).

A model must be destroyed when any item it was trained on carries `destroy-models` and has
expired, unless the team renewed that work before the grace period ended (a later license item
on the same work that started by then carries the model on: its own terms decide). The team has
`LICENSE_DESTRUCTION_GRACE_DAYS` from the earliest such expiry to attest; after that the model
is overdue and the team is restricted until it attests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from licensing.models import GrantStatus, LicenseGrantItem, ModelDeclaration, ModelDeclarationItem
from licensing.terms import OnExpiry


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


def requires_destruction(item: LicenseGrantItem) -> bool:
    """Do the item's frozen terms say models trained on it must be destroyed at its end?"""
    return (item.terms or {}).get("on_expiry") == OnExpiry.DESTROY_MODELS


def superseded_ids(ended: list[LicenseGrantItem]) -> set[int]:
    """The ids of these ended items whose every declared model goes on under a renewal: each
    declaration on the item also holds a later item of the same work that renews it (see
    `renews`; grants.py carries declarations to renewals). The renewal's own terms decide what
    happens at its end. Items with no declared model are never superseded (nothing to carry).
    One query for all of them."""
    if not ended:
        return set()
    ended_ids = {i.id for i in ended}
    rows = ModelDeclarationItem.objects.filter(
        declaration__declared_items__grant_item_id__in=ended_ids
    ).values_list(
        "declaration_id",
        "grant_item_id",
        "grant_item__work_id",
        "grant_item__starts_at",
        "grant_item__terms",
        "grant_item__status",
    )
    # Indexed both ways, so the check is linear in the rows (a declaration on a whole license
    # of tens of thousands of items ends all at once).
    declarations_of: dict[int, set[int]] = {}
    same_work: dict[tuple[int, int], list[tuple]] = {}  # (declaration, work) → its items
    for declaration_id, item_id, work_id, starts_at, terms, status in rows.distinct():
        declarations_of.setdefault(item_id, set()).add(declaration_id)
        same_work.setdefault((declaration_id, work_id), []).append(
            (item_id, starts_at, terms, status)
        )
    superseded = set()
    for i in ended:
        declarations = declarations_of.get(i.id)
        if declarations and all(
            any(
                other != i.id
                and status != GrantStatus.REVOKED
                and renews(i, starts_at=starts_at, terms=terms)
                for other, starts_at, terms, status in same_work[(declaration, i.work_id)]
            )
            for declaration in declarations
        ):
            superseded.add(i.id)
    return superseded


def renews(earlier: LicenseGrantItem, *, starts_at: datetime, terms: dict) -> bool:
    """Does a later license item of the same team on the same work (starting then, on these
    terms) renew `earlier`: starting after it did and before its grace period ran out, and
    permitting every use it permitted (commercially, if it did)? An evaluation-only license
    bought later does not carry on a model trained for generation."""
    before = earlier.terms or {}
    return (
        earlier.starts_at < starts_at <= earlier.expires_at + grace()
        and set(before.get("uses", ())) <= set(terms.get("uses", ()))
        and bool(terms.get("commercial") or not before.get("commercial"))
    )


def declaration_state(declaration: ModelDeclaration, *, now: datetime | None = None):
    """The model's status now. Revoked items (refunds, upheld claims) are left out: staff handle
    what a revoked license means for a model trained on it."""
    now = now or timezone.now()
    if declaration.attestations.exists():
        return DeclarationState(ModelStatus.DESTROYED)
    items = [i for i in declaration.items.all() if i.status != GrantStatus.REVOKED]
    ended = [i for i in items if i.expires_at <= now]
    superseded = superseded_ids(ended)
    due = tuple(i for i in ended if requires_destruction(i) and i.id not in superseded)
    if due:
        deadline = min(i.expires_at for i in due) + grace()
        status = ModelStatus.OVERDUE if now > deadline else ModelStatus.DESTRUCTION_DUE
        return DeclarationState(status, deadline, due)
    if len(ended) < len(items):
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
    return ModelDeclaration.objects.filter(
        Q(Exists(late_item)), attestations__isnull=True
    ).prefetch_related("items")


def team_overdue_declarations(organization, *, now: datetime | None = None):
    """The team's models that are overdue for a destruction attestation (empty: not
    restricted)."""
    now = now or timezone.now()
    candidates = overdue_candidates(now=now).filter(organization=organization)
    return [d for d in candidates if declaration_state(d, now=now).status == ModelStatus.OVERDUE]


def team_is_restricted(organization, *, now: datetime | None = None) -> bool:
    """An overdue team may not buy or download until it attests (see the module docstring)."""
    return bool(team_overdue_declarations(organization, now=now))
