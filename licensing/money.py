"""Licensing's rules on prices: a platform floor per currency, below which no license sells (a
price that low would be eaten by card fees, and a floor keeps a race to the bottom from pricing
creators' work at nothing), and a ceiling against typos.

Amounts, currencies and their conversion live in common.money; the names below are re-exported
for the apps above licensing that still import them from here."""

from __future__ import annotations

from django.conf import settings

from common.money import (
    CURRENCY_EXPONENTS,
    CURRENCY_SYMBOLS,
    DEFAULT_CURRENCY,
    Money,
    format_money,
    is_supported,
    normalise_currency,
    to_minor_units,
    unsupported_currency,
)

__all__ = [
    "CURRENCY_EXPONENTS",
    "CURRENCY_SYMBOLS",
    "DEFAULT_CURRENCY",
    "MAX_PRICE",
    "Money",
    "format_money",
    "is_supported",
    "normalise_currency",
    "price_floor",
    "to_minor_units",
    "unsupported_currency",
]

MAX_PRICE = 10**9  # minor units; a guard against typos, far above any real license


def price_floor(currency: str) -> int:
    return settings.LICENSE_PRICE_FLOORS.get(currency, settings.LICENSE_PRICE_FLOORS["USD"])
