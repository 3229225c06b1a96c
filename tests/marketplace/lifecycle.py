"""Helpers for the marketplace side of the license lifecycle: orders paid as the verified webhook
pays them, licenses moved through time by their items' dates, models declared and attested as
rows (the declaration and attestation services are tested in tests/licensing)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.test import TestCase
from django.utils import timezone

from licensing.models import (
    DestructionAttestation,
    LicenseGrantItem,
    ModelDeclaration,
    ModelDeclarationItem,
)
from marketplace.services.checkout import order_freeze
from marketplace.services.datasets import intended_use_parse
from marketplace.services.fulfilment import order_paid

from .factories import make_dataset

DESTROY = "generative-commercial-3y"  # 36 months, destroy-models
STOP = "nongenerative-research-5y"  # 60 months, stop-training
_n = itertools.count(1)


def research_use(months: int = 12):
    """An intended use the STOP preset covers (non-generative, not commercial)."""
    return intended_use_parse(
        uses=["ai-train-nongenerative"], commercial=False, months_needed=months
    )


def team_of(user):
    return user.memberships.get().organization


def paid_order(buyer, works, *, intended=None, build: bool = True):
    """A dataset checked out and paid (as the verified webhook does); its package built by the
    eager task when `build`."""
    order = order_freeze(dataset=make_dataset(buyer, works, intended=intended), user=buyer)
    with TestCase.captureOnCommitCallbacks(execute=build):
        order_paid(order_id=order.id)
    order.refresh_from_db()
    return order


def expire(grant, *, days_ago: float = 0, minutes_ago: float = 1) -> None:
    """The license's items ran out this long ago (their status left to the hourly sweep)."""
    ended = timezone.now() - timedelta(days=days_ago, minutes=minutes_ago)
    LicenseGrantItem.objects.filter(grant=grant).update(
        starts_at=ended - timedelta(days=365), expires_at=ended
    )


def overdue_expiry_days() -> int:
    """Days ago an item must have expired for its unattested models to be overdue."""
    return settings.LICENSE_DESTRUCTION_GRACE_DAYS + 1


def declare(buyer, items, *, name: str | None = None):
    declaration = ModelDeclaration.objects.create(
        organization=team_of(buyer),
        declared_by=buyer,
        name=name or f"model-{next(_n)}",
        version="1.0",
        purpose="Image generation",
        is_commercial=True,
        is_generative=True,
        training_started_on=date(2026, 1, 1),
        training_ended_on=date(2026, 2, 1),
    )
    for item in items:
        ModelDeclarationItem.objects.create(declaration=declaration, grant_item=item)
    return declaration


def attest(declaration, user):
    return DestructionAttestation.objects.create(
        declaration=declaration,
        attested_by=user,
        destroyed_on=timezone.localdate(),
        method="Weights and checkpoints deleted from every store.",
        statement="We destroyed the model.",
        signature="0" * 64,
    )


def get_path(client, url: str):
    """GET an absolute link (a signed download link) on the test client."""
    parts = urlparse(url)
    return client.get(f"{parts.path}?{parts.query}")
