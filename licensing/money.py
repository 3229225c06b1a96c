"""Prices: integer minor units and an ISO 4217 currency, converted only at the edges.

The currencies are those Stripe settles for a US platform that we offer creators; each has its
minor-unit exponent (JPY and KRW have none) and a platform floor, below which no license sells:
a price that low would be eaten by card fees, and a floor keeps a race to the bottom from
pricing creators' work at nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# currency -> digits after the decimal point (Stripe's zero-decimal currencies have 0)
CURRENCY_EXPONENTS = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "NZD": 2,
    "JPY": 0,
    "KRW": 0,
}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "KRW": "₩"}
DEFAULT_CURRENCY = "USD"
MAX_PRICE = 10**9  # minor units; a guard against typos, far above any real license


@dataclass(frozen=True)
class Money:
    amount: int  # minor units
    currency: str

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def normalise_currency(code: str | None) -> str:
    return (code or DEFAULT_CURRENCY).strip().upper()


def is_supported(currency: str) -> bool:
    return currency in CURRENCY_EXPONENTS


def unsupported_currency(code: str) -> str:
    """What to tell someone who named a currency we do not handle: which ones we do."""
    shown = str(code or "").strip()[:10] or "That"
    supported = ", ".join(sorted(CURRENCY_EXPONENTS))
    return f"{shown} is not a currency Assent handles; use one of: {supported}."


def price_floor(currency: str) -> int:
    return settings.LICENSE_PRICE_FLOORS.get(currency, settings.LICENSE_PRICE_FLOORS["USD"])


def format_money(amount: int, currency: str) -> str:
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    major = amount / (10**exponent)
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{major:,.{exponent}f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def to_minor_units(major: str, currency: str) -> int:
    """Parse a price typed by a person ("12", "12.50") into minor units, exactly."""
    import re
    from decimal import Decimal, InvalidOperation

    exponent = CURRENCY_EXPONENTS[currency]
    text = str(major).strip()
    if re.search(r",\d{1,2}$", text):
        # "12,50" is twelve and a half in much of Europe; refusing beats guessing 1,250.
        raise ValueError("Use a point for decimals: 12.50, not 12,50.")
    try:
        value = Decimal(text.replace(",", ""))
        # adjusted() is the power of ten of the leading digit; no arithmetic, so no overflow.
        if not value.is_finite() or value.adjusted() >= 12:
            raise ValueError("Enter a price such as 12 or 12.50.")
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{currency} prices have at most {exponent} decimal places.")
    except (InvalidOperation, ArithmeticError) as exc:
        raise ValueError("Enter a price such as 12 or 12.50.") from exc
    return int(scaled)
