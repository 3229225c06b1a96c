"""Helpers for the marketplace side of the license lifecycle: orders paid as the verified webhook
pays them, licenses moved through time by their items' dates, models declared and attested as
rows (the declaration and attestation services are tested in tests/licensing)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.utils import timezone

from licensing.models import LicenseGrantItem
from marketplace.services.datasets import intended_use_parse
from tests.factories import DestructionAttestationFactory, ModelDeclarationFactory, OrderFactory

DESTROY = "generative-commercial-3y"  # 36 months, destroy-models
STOP = "nongenerative-research-5y"  # 60 months, stop-training


def research_use(months: int = 12):
    """An intended use the STOP preset covers (non-generative, not commercial)."""
    return intended_use_parse(
        uses=["ai-train-nongenerative"], commercial=False, months_needed=months
    )


def paid_order(buyer, works, *, intended=None, build: bool = True):
    """A dataset checked out and paid (as the verified webhook does); its package built by the
    eager task when `build`. A thin wrapper over OrderFactory."""
    return OrderFactory(user=buyer, works=works, intended=intended, paid=True, build=build)


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
    return ModelDeclarationFactory(
        declared_by=buyer, items=items, **({"name": name} if name else {})
    )


def attest(declaration, user):
    return DestructionAttestationFactory(declaration=declaration, attested_by=user)


def get_path(client, url: str):
    """GET an absolute link (a signed download link) on the test client."""
    parts = urlparse(url)
    return client.get(f"{parts.path}?{parts.query}")
