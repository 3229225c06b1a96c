"""Helpers for the data request tests: a request posted through `data_request_create`, works
that fit it, and a work offered into it through `data_request_response_create` (consent
recorded as a creator gives it)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from marketplace.services.data_request_responses import data_request_response_create
from marketplace.services.data_requests import data_request_create
from marketplace.services.datasets import intended_use_parse
from tests.factories import CONTEXT, team_of

from .factories import listed_work

TAG = "harbour"


def post_request(owner, **overrides):
    """A request of the owner's team for 2 harbour works, generative and commercial for 12
    months, $10.00 each, open for a week."""
    values = {
        "title": "Harbours at dawn",
        "description": "Working harbours, boats and cranes, early light.",
        "intended": intended_use_parse(
            uses=["ai-train-generative"], commercial=True, months_needed=12
        ),
        "count_wanted": 2,
        "deadline": timezone.now() + timedelta(days=7),
        "currency": "USD",
        "price_amount": 1000,
        "tags": [TAG],
    }
    values.update(overrides)
    if "budget_amount" in overrides and "price_amount" not in overrides:
        values["price_amount"] = None
    return data_request_create(organization=team_of(owner), user=owner, **values)


def fitting_work(creator, **fields):
    """A listed harbour work on the generative-commercial-3y preset at $15.00."""
    fields.setdefault("tags", [TAG, "boats"])
    return listed_work(creator, **fields)


def offer_into(data_request, work, *, price_amount=None):
    return data_request_response_create(
        data_request=data_request,
        work=work,
        creator=work.owner,
        consent=True,
        context=CONTEXT,
        price_amount=price_amount,
    )
