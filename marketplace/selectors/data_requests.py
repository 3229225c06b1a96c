"""Reads for data requests: a team's own requests with their responses and tally, the open
requests creators see, and which of a creator's works match one. Matching is the catalog's
rule (`catalog_works`: listed, carrying every tag, large enough, with an offer on sale that
covers the request's use in its currency for the asking team), plus the request's stance on
AI-generated works."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from config.errors import ApplicationError
from licensing.selectors.offers import compatible_offers
from marketplace.models import (
    DataRequest,
    DataRequestResponse,
    DataRequestResponseStatus,
    DataRequestStatus,
    DatasetStatus,
)
from marketplace.selectors.catalog import CatalogQuery, catalog_works
from uploads.models import AiInvolvement, Work, WorkStatus

ACCEPTED = DataRequestResponseStatus.ACCEPTED


def _not_found() -> ApplicationError:
    return ApplicationError("No such data request.", code="not_found", status=404)


# --- the team's side ---------------------------------------------------------------------------


def requests_for_member(*, user) -> QuerySet[DataRequest]:
    """The requests of every team the user belongs to, newest first, with response counts."""
    return (
        DataRequest.objects.filter(organization__memberships__user=user)
        .select_related("organization")
        .annotate(
            offered_count=Count("responses", filter=Q(responses__status="offered")),
            accepted_count=Count("responses", filter=Q(responses__status=ACCEPTED)),
        )
        .order_by("-created_at", "-id")
    )


def request_for_member(*, user, request_uuid) -> DataRequest:
    """The request if one of the user's teams posted it; any other is simply not found."""
    found = (
        DataRequest.objects.filter(uuid=request_uuid, organization__memberships__user=user)
        .select_related("organization", "created_by")
        .first()
    )
    if found is None:
        raise _not_found()
    return found


def request_responses(*, data_request: DataRequest) -> list[DataRequestResponse]:
    """Every response, oldest first, each with `stage`: for an accepted work whether it is
    still to check out, in an open checkout, or licensed; and `is_available`: whether it can
    still be sold on the consented terms (the work listed, an offer on those terms on sale to
    this team)."""
    responses = list(
        data_request.responses.select_related(
            "work", "creator__creator_profile", "dataset", "offer"
        ).order_by("consented_at", "id")
    )
    available = _available_work_ids(data_request, responses)
    for response in responses:
        response.stage = response_stage(response)
        response.is_available = response.work_id in available
    return responses


def response_stage(response: DataRequestResponse) -> str:
    """offered | declined | withdrawn | accepted (to check out) | checking_out | licensed."""
    if response.status != ACCEPTED or response.dataset is None:
        return response.status
    if response.dataset.status == DatasetStatus.PURCHASED:
        return "licensed"
    if response.dataset.status == DatasetStatus.CHECKING_OUT:
        return "checking_out"
    return ACCEPTED


def _available_work_ids(data_request: DataRequest, responses) -> set[int]:
    """The works of these responses with an offer on sale to the team, in the request's
    currency, on the very terms the creator consented to (a price change keeps the terms)."""
    wanted = {(r.work_id, r.terms_hash) for r in responses if r.status in ("offered", ACCEPTED)}
    if not wanted:
        return set()
    offers = compatible_offers(
        intended=data_request.intended_use,
        currency=data_request.currency,
        organization_id=data_request.organization_id,
    ).filter(work_id__in={work_id for work_id, _ in wanted})
    return {w for w, h in offers.values_list("work_id", "terms_hash") if (w, h) in wanted}


@dataclass(frozen=True)
class Tally:
    """Where a request stands: how many works are accepted (licensed included) against how
    many are wanted, what they cost against the budget, and what is still to check out."""

    count_wanted: int
    accepted: int
    accepted_amount: int
    to_check_out: int
    to_check_out_amount: int
    licensed: int
    budget_amount: int | None

    @property
    def remaining(self) -> int:
        return max(0, self.count_wanted - self.accepted)

    @property
    def budget_left(self) -> int | None:
        return None if self.budget_amount is None else self.budget_amount - self.accepted_amount


def request_tally(*, data_request: DataRequest, responses=None) -> Tally:
    responses = responses if responses is not None else request_responses(data_request=data_request)
    accepted = [r for r in responses if r.status == ACCEPTED]
    pending = [r for r in accepted if response_stage(r) == ACCEPTED]
    return Tally(
        count_wanted=data_request.count_wanted,
        accepted=len(accepted),
        accepted_amount=sum(r.price_amount for r in accepted),
        to_check_out=len(pending),
        to_check_out_amount=sum(r.price_amount for r in pending),
        licensed=sum(response_stage(r) == "licensed" for r in accepted),
        budget_amount=data_request.budget_amount,
    )


# --- the creators' side ------------------------------------------------------------------------


def open_requests(*, now=None) -> QuerySet[DataRequest]:
    """What every signed-in creator sees: open requests whose deadline has not passed, the
    soonest deadline first."""
    now = now or timezone.now()
    return (
        DataRequest.objects.filter(status=DataRequestStatus.OPEN, deadline__gt=now)
        .select_related("organization")
        .order_by("deadline", "id")
    )


def request_for_creator(*, creator, request_uuid) -> DataRequest:
    """An open request, or one the creator has offered works into (they follow it to the
    end); anything else is not found."""
    found = (
        DataRequest.objects.filter(uuid=request_uuid)
        .filter(
            Q(status=DataRequestStatus.OPEN, deadline__gt=timezone.now())
            | Q(responses__creator=creator)
        )
        .select_related("organization")
        .distinct()
        .first()
    )
    if found is None:
        raise _not_found()
    return found


def pool_match_counts(*, work_ids, limit: int = 20) -> list[tuple[DataRequest, int]]:
    """Open requests that some of these works (a collective's pool) fit, with how many:
    each member then offers their own works, with their own consent. One count per open
    request, the soonest deadlines first, at most `limit` requests."""
    ids = list(work_ids)
    if not ids:
        return []
    found = []
    for data_request in open_requests()[:limit]:
        works = catalog_works(_match_query(data_request, None)).filter(id__in=ids)
        if not data_request.accepts_ai_generated:
            works = works.exclude(ai_involvement=AiInvolvement.GENERATED)
        count = works.order_by().count()
        if count:
            found.append((data_request, count))
    return found


def _match_query(data_request: DataRequest, creator_id: int | None) -> CatalogQuery:
    return CatalogQuery(
        intended=data_request.intended_use,
        tags=tuple(data_request.tags),
        min_width=data_request.min_width or None,
        min_height=data_request.min_height or None,
        currency=data_request.currency,
        creator=creator_id,
        organization_id=data_request.organization_id,
    )


def matching_works(*, data_request: DataRequest, creator) -> QuerySet[Work]:
    """The creator's works that fit the request, newest first, each annotated with the
    cheapest offer that covers its use (`cheapest_offer_id`, `cheapest_price`): the offer a
    response rests on."""
    works = catalog_works(_match_query(data_request, creator.id))
    if not data_request.accepts_ai_generated:
        works = works.exclude(ai_involvement=AiInvolvement.GENERATED)
    return works


def match_counts(*, requests, creator) -> dict[int, int]:
    """{request id: how many of the creator's works match and are not yet offered into it}.
    One count per request: a page of requests is a few dozen at most."""
    offered = set(
        DataRequestResponse.objects.filter(
            creator=creator, request_id__in=[r.id for r in requests]
        ).values_list("request_id", "work_id")
    )
    counts = {}
    for data_request in requests:
        ids = matching_works(data_request=data_request, creator=creator).order_by()
        ids = ids.values_list("id", flat=True)
        counts[data_request.id] = sum((data_request.id, w) not in offered for w in ids)
    return counts


def work_match_problems(*, data_request: DataRequest, work: Work) -> list[str]:
    """Why a work does not fit a request, in words for its creator (empty when it fits)."""
    problems = []
    if work.status != WorkStatus.LISTED:
        problems.append("It is not approved for sale yet.")
    missing = [t for t in data_request.tags if t not in (work.tags or [])]
    if missing:
        problems.append(f"It lacks the tag{'s' if len(missing) != 1 else ''} {', '.join(missing)}.")
    if work.width < data_request.min_width or work.height < data_request.min_height:
        problems.append(
            f"It is {work.width}×{work.height} pixels; the request needs at least "
            f"{data_request.min_width}×{data_request.min_height}."
        )
    if work.ai_involvement == AiInvolvement.GENERATED and not data_request.accepts_ai_generated:
        problems.append("The request does not take AI-generated works.")
    if not problems:
        problems.append(
            "None of your offers on it covers the request's use in "
            f"{data_request.currency}: offer it on terms that do first."
        )
    return problems


def responses_for_creator(*, creator) -> QuerySet[DataRequestResponse]:
    return (
        DataRequestResponse.objects.filter(creator=creator)
        .select_related("request__organization", "work", "dataset")
        .order_by("-consented_at", "-id")
    )


def creator_responses_in(*, data_request: DataRequest, creator) -> dict[int, DataRequestResponse]:
    """{work id: response} for the creator's responses to this request."""
    responses = data_request.responses.filter(creator=creator).select_related("dataset", "work")
    return {r.work_id: r for r in responses}
