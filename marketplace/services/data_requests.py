"""Data requests: a team posts what it needs and at what price, and closes or cancels it.
Creators' offers into a request are in data_request_responses.py, its checkout in
data_request_checkout.py."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from licensing.money import MAX_PRICE
from licensing.services.offers import price_check
from licensing.terms import IntendedUse
from marketplace.models import (
    DataRequest,
    DataRequestResponseStatus,
    DataRequestStatus,
)
from marketplace.selectors.catalog import MAX_PIXELS_SIDE, MAX_TAGS
from marketplace.selectors.data_requests import response_stage

Status = DataRequestResponseStatus
TITLE_MAX = DataRequest._meta.get_field("title").max_length
DESCRIPTION_MAX = DataRequest._meta.get_field("description").max_length
MAX_DEADLINE_DAYS = 366


# --- posting, closing, cancelling --------------------------------------------------------------


def _text(value, *, field: str, label: str, limit: int, multiline: bool = False) -> str:
    text = str(value or "").strip()
    if not multiline:
        text = " ".join(text.split())
    problem = None
    if not text:
        problem = f"Give the request {label}."
    elif len(text) > limit:
        problem = f"At most {limit:,} characters; this has {len(text):,}."
    elif any(unicodedata.category(c) in {"Cc", "Cf", "Cs"} and c not in "\n\r\t" for c in text):
        problem = "No control characters, please."
    if problem:
        raise ApplicationError(problem, fields={field: [problem]})
    return text


def _tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    # The same normal form uploads give tags (lower case, single spaces, 40 characters).
    normal = list(dict.fromkeys(" ".join(str(t).split()).lower()[:40] for t in tags or ()))
    normal = [t for t in normal if t]
    if len(normal) > MAX_TAGS:
        message = f"At most {MAX_TAGS} tags."
        raise ApplicationError(message, fields={"tags": [message]})
    return normal


def _whole(value, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = f"A whole number from {low:,} to {high:,}."
        raise ApplicationError(message, fields={field: [message]})
    return value


def _pricing(price_amount, budget_amount, currency: str, count_wanted: int):
    """(price per work, budget, currency): exactly one of the two, neither below the floor."""
    if (price_amount is None) == (budget_amount is None):
        message = "Name a price per work or a budget, not both."
        raise ApplicationError(message, fields={"price": [message], "budget": [message]})
    if price_amount is not None:
        price, currency = price_check(price_amount=price_amount, currency=currency)
        return price, None, currency
    try:
        budget, currency = price_check(price_amount=budget_amount, currency=currency)
    except ApplicationError as exc:  # the same rule, said of the budget
        raise ApplicationError(
            exc.message, code=exc.code, fields={"budget": [exc.message]}
        ) from exc
    if budget > MAX_PRICE * count_wanted:
        raise ApplicationError(
            "That budget is too high to be real.", fields={"budget": ["Too high."]}
        )
    return None, budget, currency


def data_request_create(
    *,
    organization,
    user,
    title: str,
    description: str,
    intended: IntendedUse,
    count_wanted: int,
    deadline,
    currency: str = "USD",
    price_amount: int | None = None,
    budget_amount: int | None = None,
    tags=(),
    min_width: int = 0,
    min_height: int = 0,
    accepts_ai_generated: bool = False,
    show_team_name: bool = False,
) -> DataRequest:
    """Post a request. Refused, naming the field, for an empty title or description, more
    than MAX_TAGS tags, a size or count out of range, both or neither of price and budget, a
    price below the floor, or a deadline not in the coming year."""
    count_wanted = _whole(
        count_wanted, field="count_wanted", low=1, high=settings.DATASET_MAX_ITEMS
    )
    price, budget, currency = _pricing(price_amount, budget_amount, currency, count_wanted)
    now = timezone.now()
    if deadline is None or not now < deadline <= now + timedelta(days=MAX_DEADLINE_DAYS):
        message = f"A deadline after now and within {MAX_DEADLINE_DAYS} days."
        raise ApplicationError(message, fields={"deadline": [message]})
    return DataRequest.objects.create(
        organization=organization,
        created_by=user,
        title=_text(title, field="title", label="a title", limit=TITLE_MAX),
        description=_text(
            description,
            field="description",
            label="a description",
            limit=DESCRIPTION_MAX,
            multiline=True,
        ),
        tags=_tags(tags),
        min_width=_whole(min_width or 0, field="min_width", low=0, high=MAX_PIXELS_SIDE),
        min_height=_whole(min_height or 0, field="min_height", low=0, high=MAX_PIXELS_SIDE),
        accepts_ai_generated=bool(accepts_ai_generated),
        count_wanted=count_wanted,
        uses=sorted(str(u) for u in intended.uses),
        commercial=intended.commercial,
        months_needed=intended.months_needed,
        can_destroy_models=intended.can_destroy_models,
        price_amount=price,
        budget_amount=budget,
        currency=currency,
        deadline=deadline,
        show_team_name=bool(show_team_name),
    )


def locked_request(data_request: DataRequest) -> DataRequest:
    return (
        DataRequest.objects.select_for_update()
        .select_related("organization")
        .get(id=data_request.id)
    )


def data_request_close(*, data_request: DataRequest) -> DataRequest:
    """No more offers; what is accepted can still be checked out."""
    with transaction.atomic():
        locked = locked_request(data_request)
        if locked.status == DataRequestStatus.CANCELLED:
            raise ApplicationError(
                "This request was cancelled.", code="request_cancelled", status=409
            )
        if locked.status == DataRequestStatus.OPEN:
            locked.status, locked.closed_at = DataRequestStatus.CLOSED, timezone.now()
            locked.save(update_fields=["status", "closed_at", "updated_at"])
    return locked


def data_request_cancel(*, data_request: DataRequest) -> DataRequest:
    """Withdraw the request altogether: no offers, no checkout. Refused once something was
    bought or is being paid for (close it instead)."""
    with transaction.atomic():
        locked = locked_request(data_request)
        if locked.status == DataRequestStatus.CANCELLED:
            return locked
        stages = {
            response_stage(r)
            for r in locked.responses.filter(status=Status.ACCEPTED).select_related("dataset")
        }
        if stages & {"licensed", "checking_out"}:
            raise ApplicationError(
                "Works of this request are bought or being paid for; close it instead.",
                code="request_has_checkouts",
                status=409,
            )
        locked.status, locked.closed_at = DataRequestStatus.CANCELLED, timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
    return locked
