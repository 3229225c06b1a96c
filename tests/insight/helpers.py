"""Demand events written as the recording service writes them, for the selector and page
tests (the recording from real searches, quotes and sales is tested in test_recording.py)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from insight.models import DemandKind
from insight.services.recording import DemandSpec, demand_events_record
from tests.factories import OrganizationFactory

GENERATIVE = "ai-train-generative"
FINE_TUNE = "ai-fine-tune"
_keys = itertools.count()


def teams(n: int) -> list:
    return [OrganizationFactory() for _ in range(n)]


def record(team, kind=DemandKind.SALE, *, days_ago: float = 1, **fields) -> None:
    """One event of `team`; defaults: a generative, commercial, 12-month ask tagged `sea`."""
    spec = {
        "uses": (GENERATIVE,),
        "commercial": True,
        "term_months": 12,
        "tags": ("sea",),
        "currency": "USD",
        **fields,
    }
    demand_events_record(
        specs=[
            DemandSpec(
                kind=kind,
                team_id=team.id,
                dedupe_key=f"test:{next(_keys)}",
                created_at=timezone.now() - timedelta(days=days_ago),
                **spec,
            )
        ]
    )
