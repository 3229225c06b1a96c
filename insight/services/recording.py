"""Recording demand: marketplace's searches, quotes and sales (heard through
marketplace.registry after the buyer's transaction commits) and its data requests (read from
their rows by a beat task) become DemandEvents with their facets. Each recording is idempotent
(a unique dedupe key) and costs a handful of queries."""

from __future__ import annotations

import hashlib
import json
import logging
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import has_role
from accounts.selectors.teams import organization_for_member
from insight.models import DemandEvent, DemandFacet, DemandKind, FacetKind
from insight.selectors.demand import WINDOW_DAYS
from marketplace.models import DataRequest
from uploads.models import Work

logger = logging.getLogger(__name__)
# A quote of many works keeps its most common tags: enough to say what it was for.
MAX_TAGS_PER_EVENT = 20
RECORD_OVERLAP = timedelta(hours=1)


@dataclass(frozen=True)
class DemandSpec:
    """One event to record, as plain values."""

    kind: str
    team_id: int
    dedupe_key: str
    uses: tuple[str, ...] = ()
    commercial: bool | None = None
    term_months: int | None = None
    tags: tuple[str, ...] = ()
    currency: str = ""
    price_amount: int | None = None
    work_count: int = 1
    created_at: datetime = field(default_factory=timezone.now)


def demand_events_record(*, specs: list[DemandSpec], batch_size: int = 2000) -> int:
    """Write the events not recorded yet, with their facets. Returns how many were new."""
    keys = [s.dedupe_key for s in specs]
    seen = set(DemandEvent.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [s for s in dict(zip(keys, specs, strict=True)).values() if s.dedupe_key not in seen]
    if not fresh:
        return 0
    try:
        with transaction.atomic():
            events = DemandEvent.objects.bulk_create(
                [_event(s) for s in fresh], batch_size=batch_size
            )
            DemandFacet.objects.bulk_create(
                (f for event in events for f in _facets(event)), batch_size=batch_size
            )
    except IntegrityError:
        # The same ask recorded at the same moment by another request: it is counted once.
        logger.info("Demand events already recorded: %s", keys[:3])
        return 0
    return len(fresh)


def _event(spec: DemandSpec) -> DemandEvent:
    return DemandEvent(
        kind=spec.kind,
        team_id=spec.team_id,
        uses=sorted(set(spec.uses)),
        commercial=spec.commercial,
        term_months=spec.term_months,
        tags=list(dict.fromkeys(spec.tags))[:MAX_TAGS_PER_EVENT],
        currency=spec.currency,
        price_amount=spec.price_amount,
        work_count=spec.work_count,
        dedupe_key=spec.dedupe_key,
        created_at=spec.created_at,
    )


def _facets(event: DemandEvent):
    copied = {
        "event": event,
        "kind": event.kind,
        "team_id": event.team_id,
        "commercial": event.commercial,
        "term_months": event.term_months,
        "currency": event.currency,
        "price_amount": event.price_amount,
        "created_at": event.created_at,
    }
    for use in event.uses:
        yield DemandFacet(facet=FacetKind.USE, value=use, **copied)
    for tag in event.tags:
        yield DemandFacet(facet=FacetKind.TAG, value=tag[:40], **copied)


# --- From marketplace's events (marketplace.registry) -----------------------------------------


def demand_listener(kind: str, **facts) -> None:
    """The one listener insight registers: each kind of ask to its recorder."""
    recorders = {
        DemandKind.SEARCH: search_record,
        DemandKind.QUOTE: quote_record,
        DemandKind.SALE: sale_record,
    }
    recorder = recorders.get(kind)
    if recorder is not None:
        recorder(**facts)


def search_record(*, user, query, page=None) -> None:
    """A team member's catalog search for a use or a tag, first page only (paging through the
    results is one search), counted once a day per team and filter. The search text is not
    kept: it could say more about a team than a tag does."""
    if str(page or "1").strip() != "1" or not has_role(user, Role.BUYER):
        return
    intended = query.intended
    if intended is None and not query.tags:
        return
    team = organization_for_member(user=user)
    if team is None:
        return
    asked = {
        "uses": sorted(str(u) for u in intended.uses) if intended else [],
        "commercial": intended.commercial if intended else None,
        "term_months": intended.months_needed if intended else None,
        "tags": sorted(query.tags),
        "currency": query.currency,
        "price": query.max_price,
    }
    digest = hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:32]
    spec = DemandSpec(
        kind=DemandKind.SEARCH,
        team_id=team.id,
        dedupe_key=f"search:{team.id}:{timezone.localdate():%Y%m%d}:{digest}",
        uses=tuple(asked["uses"]),
        commercial=asked["commercial"],
        term_months=asked["term_months"],
        tags=tuple(query.tags),
        currency=query.currency,
        price_amount=query.max_price,
        work_count=0,
    )
    demand_events_record(specs=[spec])


def quote_record(*, dataset, items) -> None:
    """Works added to a team's dataset and priced: one quote, tagged with the works' most
    common tags, priced at its median item."""
    if not items:
        return
    tags_by_work = dict(
        Work.objects.filter(id__in=[i.work_id for i in items]).values_list("id", "tags")
    )
    counts = Counter(t for i in items for t in dict.fromkeys(tags_by_work.get(i.work_id) or ()))
    spec = DemandSpec(
        kind=DemandKind.QUOTE,
        team_id=dataset.organization_id,
        dedupe_key=f"quote:{dataset.id}:{min(i.id for i in items)}",
        uses=tuple(dataset.uses),
        commercial=dataset.commercial,
        term_months=dataset.months_needed,
        tags=tuple(t for t, _ in counts.most_common(MAX_TAGS_PER_EVENT)),
        currency=dataset.currency,
        price_amount=round(statistics.median(i.quoted_amount for i in items)),
        work_count=len(items),
    )
    demand_events_record(specs=[spec])


def _request_spec(data_request) -> DemandSpec:
    """A team's data request: what it asked for, for which use, at what price per work (its
    fixed price, or its budget spread over the works it wants)."""
    per_work = data_request.price_amount
    if per_work is None and data_request.budget_amount is not None:
        per_work = data_request.budget_amount // max(data_request.count_wanted, 1)
    return DemandSpec(
        kind=DemandKind.REQUEST,
        team_id=data_request.organization_id,
        dedupe_key=f"request:{data_request.id}",
        uses=tuple(data_request.uses or ()),
        commercial=data_request.commercial,
        term_months=data_request.months_needed,
        tags=tuple(data_request.tags or ()),
        currency=data_request.currency,
        price_amount=per_work,
        work_count=data_request.count_wanted,
        created_at=data_request.created_at,
    )


def demand_requests_record(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Record the data requests posted since the last one recorded (within the window), read
    from marketplace's rows: requests need no hook in the request service, and a request
    recorded twice is still one event. Run by the beat task; returns how many were new."""
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    latest = DemandEvent.objects.filter(kind=DemandKind.REQUEST).aggregate(at=Max("created_at"))
    if latest["at"] is not None:
        # An hour back: a request whose transaction committed late is not missed, and those
        # already recorded are skipped by their dedupe key.
        since = max(since, latest["at"] - RECORD_OVERLAP)
    posted = DataRequest.objects.filter(created_at__gte=since).order_by("created_at", "id")
    return demand_events_record(specs=[_request_spec(r) for r in posted[:limit]])


def sale_record(*, order, items) -> None:
    """A paid order: one event per work sold, at the price paid for it, with the order's
    intended use (what the team bought it for) and the work's tags."""
    intended = order.intended_use or {}
    uses = tuple(intended.get("uses") or ())
    specs = [
        DemandSpec(
            kind=DemandKind.SALE,
            team_id=order.organization_id,
            dedupe_key=f"sale:{item.item_ref}",
            uses=uses,
            commercial=intended.get("commercial"),
            term_months=intended.get("months_needed"),
            tags=tuple(item.work.tags or ()),
            currency=item.currency,
            price_amount=item.price_amount,
            created_at=order.paid_at or timezone.now(),
        )
        for item in items
    ]
    demand_events_record(specs=specs)
