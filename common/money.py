"""Money as integer minor units and an ISO 4217 code: the one place that turns minor units into
major units and back, exactly (Decimal and int arithmetic, never float), and writes an amount
the way a person reads it. The apps convert only at their edges (display, CSV, RSL, forms)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 digits after the decimal point, for the currencies we may meet in documents and
# exports; a code not listed has two, the ISO default.
MINOR_UNIT_EXPONENTS = {
    **dict.fromkeys(("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "NZD"), 2),
    # Stripe's zero-decimal currencies among them: an amount is already whole units.
    **dict.fromkeys(("JPY", "KRW", "CLP", "PYG", "VND", "UGX", "XAF", "XOF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
DEFAULT_EXPONENT = 2

# The currencies Assent prices, charges and pays out in (those Stripe settles for a US
# platform that we offer creators), with their exponents: the one list every app uses.
CURRENCY_EXPONENTS = {
    code: MINOR_UNIT_EXPONENTS[code]
    for code in ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "NZD", "JPY", "KRW")
}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "KRW": "₩"}
DEFAULT_CURRENCY = "USD"

# More digits than any amount a column holds (a bigint has 19): refused before any arithmetic.
_MAX_MINOR_DIGITS = 30


@dataclass(frozen=True)
class Money:
    amount: int  # minor units
    currency: str

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def exponent(currency: str) -> int:
    return MINOR_UNIT_EXPONENTS.get(currency, DEFAULT_EXPONENT)


def minor_to_major(amount: int, currency: str) -> Decimal:
    """1250 USD -> Decimal("12.50"); 1200 JPY -> Decimal("1200"); 1250 KWD -> Decimal("1.250").
    Exact for any int: the digits are placed, not divided."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"minor units are an int, not {type(amount).__name__}")
    return Decimal(f"{amount}E-{exponent(currency)}")


def major_to_minor(major: Decimal | str | int, currency: str) -> int:
    """Decimal("12.50") USD -> 1250. Refuses (ValueError) a value finer than the currency's
    minor unit ("12.345" USD, "0.5" JPY) rather than rounding it; "12.500" is 1250."""
    if isinstance(major, float | bool):
        raise TypeError("major units are a Decimal, a str or an int, never a float")
    try:
        value = Decimal(major)
    except InvalidOperation as exc:
        raise ValueError(f"{major!r} is not an amount") from exc
    if not value.is_finite():
        raise ValueError(f"{major!r} is not an amount")
    places = exponent(currency)
    sign, digits, power = value.as_tuple()
    while len(digits) > 1 and digits[-1] == 0:  # 12.500 is 12.50
        digits, power = digits[:-1], power + 1
    units = int("".join(map(str, digits)))
    if units == 0:
        return 0
    if power + places < 0:
        raise ValueError(f"{currency} amounts have at most {places} decimal places.")
    if len(digits) + power + places > _MAX_MINOR_DIGITS:
        raise ValueError(f"{major!r} is too large an amount")
    minor = units * 10 ** (power + places)
    return -minor if sign else minor


def format_money(amount: int, currency: str) -> str:
    """$12.50, ¥1,200, €1,000.00; a currency without a symbol after the digits: 12.50 CHF."""
    text = f"{minor_to_major(amount, currency):,.{exponent(currency)}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def format_major(amount: int, currency: str) -> str:
    """The major units without symbol or grouping, as a form, a CSV or RSL carries them:
    12.50 for 1250 USD, 1200 for 1200 JPY, -3.000 for -3000 KWD."""
    return f"{minor_to_major(amount, currency):f}"


def normalise_currency(code: str | None) -> str:
    return (code or DEFAULT_CURRENCY).strip().upper()


def is_supported(currency: str) -> bool:
    return currency in CURRENCY_EXPONENTS


def unsupported_currency(code: str) -> str:
    """What to tell someone who named a currency we do not handle: which ones we do."""
    shown = str(code or "").strip()[:10] or "That"
    supported = ", ".join(sorted(CURRENCY_EXPONENTS))
    return f"{shown} is not a currency Assent handles; use one of: {supported}."


def to_minor_units(major: str, currency: str) -> int:
    """Parse a price typed by a person ("12", "12.50", "1,000") into minor units, exactly."""
    text = str(major).strip()
    if re.search(r",\d{1,2}$", text):
        # "12,50" is twelve and a half in much of Europe; refusing beats guessing 1,250.
        raise ValueError("Use a point for decimals: 12.50, not 12,50.")
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("Enter a price such as 12 or 12.50.") from exc
    # adjusted() is the power of ten of the leading digit; no arithmetic, so no overflow.
    if not value.is_finite() or value.adjusted() >= 12:
        raise ValueError("Enter a price such as 12 or 12.50.")
    try:
        return major_to_minor(value, currency)
    except ValueError as exc:
        raise ValueError(
            f"{currency} prices have at most {exponent(currency)} decimal places."
        ) from exc
