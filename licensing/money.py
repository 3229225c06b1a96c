"""Licensing's rules on prices: a platform floor per currency, below which no license sells (a
price that low would be eaten by card fees, and a floor keeps a race to the bottom from pricing
creators' work at nothing), and a ceiling against typos. Amounts, currencies
and their conversion live in common.money."""

from __future__ import annotations

from django.conf import settings

MAX_PRICE = 10**9  # minor units; a guard against typos, far above any real license


def price_floor(currency: str) -> int:
    return settings.LICENSE_PRICE_FLOORS.get(currency, settings.LICENSE_PRICE_FLOORS["USD"])
