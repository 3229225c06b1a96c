"""License grants: what a paid order gives a team, item by item on the terms it was sold on,
and taking items back (a refund, an upheld claim). Callers name their source by a reference
string; licensing never imports the marketplace."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from licensing.models import GrantStatus, LicenseGrant, LicenseGrantItem, ModelDeclarationItem
from licensing.selectors.status import renews


@dataclass(frozen=True)
class GrantItemSpec:
    """One sold work: the offer it was sold on and the frozen terms and price."""

    work_id: int
    offer_id: int
    creator_id: int
    work_title: str
    terms: dict
    terms_hash: str
    price_amount: int
    currency: str
    item_ref: str
    starts_at: datetime | None = None  # a renewal starts when the old item ends


def months_after(start: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def license_grant_create(
    *, organization, source_reference: str, items: list[GrantItemSpec], starts_at=None
) -> tuple[LicenseGrant, bool]:
    """Grant these items to the team, once per source (a replay returns the existing grant).
    Each item expires after its own term."""
    existing = LicenseGrant.objects.filter(source_reference=source_reference).first()
    if existing is not None:
        return existing, False
    starts_at = starts_at or timezone.now()
    with transaction.atomic():
        grant = LicenseGrant.objects.create(
            organization=organization, source_reference=source_reference, starts_at=starts_at
        )
        LicenseGrantItem.objects.bulk_create(
            LicenseGrantItem(
                grant=grant,
                work_id=spec.work_id,
                offer_id=spec.offer_id,
                creator_id=spec.creator_id,
                work_title=spec.work_title,
                terms=spec.terms,
                terms_hash=spec.terms_hash,
                price_amount=spec.price_amount,
                currency=spec.currency,
                item_ref=spec.item_ref,
                starts_at=spec.starts_at or starts_at,
                expires_at=months_after(spec.starts_at or starts_at, spec.terms["term_months"]),
            )
            for spec in items
        )
        _declarations_carry_forward(grant)
    return grant, True


def _declarations_carry_forward(grant: LicenseGrant) -> None:
    """A renewal (the team licenses a work again on terms that still permit what the earlier
    license did, starting before its grace period ran out: `status.renews`) carries the models
    declared on the earlier license: they keep using the work under the new license, whose
    terms now decide what happens at its end."""

    new_items = {item.work_id: item for item in grant.items.all()}
    earlier = (
        LicenseGrantItem.objects.filter(
            grant__organization_id=grant.organization_id,
            work_id__in=new_items,
            declared_in__isnull=False,
        )
        .exclude(grant=grant)
        .exclude(status=GrantStatus.REVOKED)
        .prefetch_related("declared_in")
        .distinct()
    )
    links = [
        ModelDeclarationItem(declaration_id=link.declaration_id, grant_item=new_items[old.work_id])
        for old in earlier
        if renews(
            old, starts_at=new_items[old.work_id].starts_at, terms=new_items[old.work_id].terms
        )
        for link in old.declared_in.all()
    ]
    ModelDeclarationItem.objects.bulk_create(links, ignore_conflicts=True)


def license_items_revoke(*, item_refs: list[str], reason: str) -> int:
    """Revoke the running license items for these sold items; the grant is revoked when none of
    its items is left running. Returns how many items were revoked (0 on a replay)."""
    now = timezone.now()
    items = LicenseGrantItem.objects.select_for_update().filter(
        item_ref__in=item_refs, status=GrantStatus.ACTIVE
    )
    grant_ids = set(items.values_list("grant_id", flat=True))
    revoked = items.update(status=GrantStatus.REVOKED, revoked_at=now, revoke_reason=reason[:300])
    for grant_id in grant_ids:
        if not LicenseGrantItem.objects.filter(
            grant_id=grant_id, status=GrantStatus.ACTIVE
        ).exists():
            LicenseGrant.objects.filter(id=grant_id, status=GrantStatus.ACTIVE).update(
                status=GrantStatus.REVOKED
            )
    return revoked
