"""System checks for the money settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error


def holdback_within_fee(app_configs=None, **kwargs) -> list[Error]:
    """The holdback is taken from the platform fee (creators' shares never change), so it may
    not be larger than the fee, nor negative."""
    holdback = getattr(settings, "LICENSE_HOLDBACK_BPS", 0)
    fee = settings.PLATFORM_FEE_BPS
    if 0 <= holdback <= fee:
        return []
    return [
        Error(
            f"LICENSE_HOLDBACK_BPS ({holdback}) must be between 0 and PLATFORM_FEE_BPS ({fee}).",
            hint="The holdback is part of the platform fee; lower it or raise the fee.",
            id="payouts.E001",
        )
    ]
