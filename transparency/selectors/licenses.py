"""Reads for the public license page: one license as anyone may see it. Only public facts:
no prices, no emails, no order details, no names of creators who did not choose to be named, and
no title or image of a work the catalog does not show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import CreatorProfile
from licensing.models import (
    DestructionAttestation,
    GrantStatus,
    LicenseGrant,
    LicenseGrantItem,
    ModelDeclaration,
)
from licensing.selectors.status import ModelStatus, declaration_state
from licensing.terms import LicenseTerms
from transparency.selectors.verification import public_works, terms_of, terms_sentences

# Works named on a license page, at most; the rest are counted ("and 812 more").
MAX_WORKS_SHOWN = 60


def _named_creators(creator_ids) -> dict[int, str]:
    """Display names of the creators among these who chose to be named publicly."""
    rows = CreatorProfile.objects.filter(user_id__in=list(creator_ids), is_named_publicly=True)
    return dict(rows.values_list("user_id", "display_name"))


@dataclass(frozen=True)
class TermsGroup:
    terms: LicenseTerms
    item_count: int
    sentences: list[str]


@dataclass(frozen=True)
class PublicWork:
    id: int
    uuid: object
    title: str
    creator_name: str
    has_thumbnail: bool


@dataclass(frozen=True)
class PublicModel:
    name: str
    version: str
    is_generative: bool
    is_commercial: bool
    status: ModelStatus
    deadline: datetime | None = None  # attest by then (destruction due or overdue)
    destroyed_on: object = None  # a date, when attested destroyed


@dataclass(frozen=True)
class PublicLicense:
    uuid: object
    team_name: str
    status: str
    status_label: str
    item_count: int
    revoked_item_count: int
    terms_groups: list[TermsGroup]
    starts_at: datetime
    first_expiry: datetime | None
    last_expiry: datetime | None
    named_creators: list[str]
    unnamed_creator_count: int
    works: list[PublicWork]
    more_works: int
    models: list[PublicModel] = field(default_factory=list)


def _grant_status(grant: LicenseGrant, items: list[dict], now: datetime) -> str:
    """The stored status, except that a grant whose every item has run out reads as expired
    even before the lifecycle sweep has written it."""
    if grant.status == GrantStatus.ACTIVE and not any(
        i["status"] == GrantStatus.ACTIVE and i["expires_at"] > now for i in items
    ):
        return GrantStatus.EXPIRED
    return grant.status


def _terms_groups(items: list[dict]) -> list[TermsGroup]:
    counts = Counter(i["terms_hash"] for i in items)
    raw_by_hash = {i["terms_hash"]: i["terms"] for i in items}
    groups = []
    for terms_hash, count in counts.most_common():
        terms = terms_of(raw_by_hash[terms_hash])
        if terms is not None:
            groups.append(TermsGroup(terms, count, terms_sentences(terms)))
    return groups


def _public_models(grant: LicenseGrant, now: datetime) -> list[PublicModel]:
    declarations = (
        ModelDeclaration.objects.filter(declared_items__grant_item__grant=grant)
        .distinct()
        .order_by("created_at", "id")
        .prefetch_related(
            "items",
            Prefetch("attestations", queryset=DestructionAttestation.objects.order_by("id")),
        )
    )
    models = []
    for declaration in declarations:
        state = declaration_state(declaration, now=now)
        attestations = list(declaration.attestations.all())
        models.append(
            PublicModel(
                name=declaration.name,
                version=declaration.version,
                is_generative=declaration.is_generative,
                is_commercial=declaration.is_commercial,
                status=state.status,
                deadline=state.deadline,
                destroyed_on=attestations[0].destroyed_on if attestations else None,
            )
        )
    return models


def public_license(*, grant_uuid, now: datetime | None = None) -> PublicLicense | None:
    """What anyone may read about one license, or None if there is no such license. A fixed
    number of queries whatever the number of items (plus `declaration_state`'s renewal checks
    for models whose destruction is due)."""
    now = now or timezone.now()
    grant = (
        LicenseGrant.objects.filter(uuid=grant_uuid)
        .select_related("organization")
        .only("id", "uuid", "status", "starts_at", "organization__name")
        .first()
    )
    if grant is None:
        return None
    all_items = list(
        LicenseGrantItem.objects.filter(grant=grant)
        .order_by("id")
        .values("work_id", "creator_id", "terms", "terms_hash", "status", "expires_at")
    )
    status = _grant_status(grant, all_items, now)
    # A revoked license still says what it was; otherwise revoked items (a refunded work, an
    # upheld claim) are no longer part of it.
    items = (
        all_items
        if status == GrantStatus.REVOKED
        else [i for i in all_items if i["status"] != GrantStatus.REVOKED]
    )
    creator_ids = {i["creator_id"] for i in items}
    named = _named_creators(creator_ids)
    works = _named_public_works(items, named)
    expiries = [i["expires_at"] for i in items]
    return PublicLicense(
        uuid=grant.uuid,
        team_name=grant.organization.name,
        status=str(status),
        status_label=GrantStatus(status).label,
        item_count=len(items),
        revoked_item_count=len(all_items) - len(items),
        terms_groups=_terms_groups(items),
        starts_at=grant.starts_at,
        first_expiry=min(expiries, default=None),
        last_expiry=max(expiries, default=None),
        named_creators=sorted(named.values(), key=str.casefold),
        unnamed_creator_count=len(creator_ids) - len(named),
        works=works[:MAX_WORKS_SHOWN],
        more_works=max(0, len(works) - MAX_WORKS_SHOWN),
        models=_public_models(grant, now),
    )


def _named_public_works(items: list[dict], named: dict[int, str]) -> list[PublicWork]:
    """Works of named creators that the catalog shows anyway (title and thumbnail are public
    there). Works of unnamed creators are never listed, even when public: together with the
    team's name they would say who bought what from whom."""
    work_ids = [i["work_id"] for i in items if i["creator_id"] in named]
    if not work_ids:
        return []
    rows = (
        public_works()
        .filter(id__in=work_ids)
        .order_by("title", "id")
        .values_list("id", "uuid", "title", "owner_id", "thumbnail")
    )
    return [
        PublicWork(i, uuid, title, creator_name=named[owner], has_thumbnail=bool(thumb))
        for i, uuid, title, owner, thumb in rows
        if owner in named
    ]


def license_grant_for_policy(*, grant_uuid) -> tuple[LicenseGrant | None, dict[str, int]]:
    """The grant (for `licensing.documents.odrl_policy`) and, for every work on it that the
    public page does not show, its uuid -> a per-license item number. A work's uuid is not a
    secret in the catalog (the claim link carries it), so a private or unnamed creator's work
    must not appear by uuid in a public document either."""
    grant = LicenseGrant.objects.filter(uuid=grant_uuid).select_related("organization").first()
    if grant is None:
        return None, {}
    items = list(grant.items.order_by("id").values_list("work__uuid", "creator_id", "work_id"))
    named = _named_creators({creator for _, creator, _ in items})
    shown = set(
        public_works()
        .filter(id__in=[w for _, c, w in items if c in named] or [0])
        .values_list("uuid", flat=True)
    )
    hidden = {}
    for number, (work_uuid, _, _) in enumerate(items, start=1):
        if work_uuid not in shown:
            hidden.setdefault(str(work_uuid), number)
    return grant, hidden
