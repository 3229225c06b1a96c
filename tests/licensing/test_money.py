"""Prices are integer minor units in a supported currency, parsed from what people type exactly,
shown the way people read them, and never below the platform floor."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from hypothesis import given
from hypothesis import strategies as st

from common.money import (
    CURRENCY_EXPONENTS,
    Money,
    format_money,
    is_supported,
    normalise_currency,
    to_minor_units,
)
from licensing.money import price_floor


def test_every_supported_currency_has_its_own_floor_in_settings():
    """A currency missing from the settings would silently fall back to USD's minor units
    (200 yen is not $2)."""
    assert set(CURRENCY_EXPONENTS) <= set(django_settings.LICENSE_PRICE_FLOORS)
    for currency in CURRENCY_EXPONENTS:
        assert price_floor(currency) == django_settings.LICENSE_PRICE_FLOORS[currency]
        assert price_floor(currency) > 0


def test_the_floor_follows_the_settings(settings):
    settings.LICENSE_PRICE_FLOORS = {**settings.LICENSE_PRICE_FLOORS, "USD": 500, "JPY": 800}
    assert price_floor("USD") == 500
    assert price_floor("JPY") == 800
    assert price_floor("EUR") == settings.LICENSE_PRICE_FLOORS["EUR"]


def test_the_floors_are_what_we_publish():
    assert format_money(price_floor("USD"), "USD") == "$2.00"
    assert format_money(price_floor("JPY"), "JPY") == "¥300"
    assert format_money(price_floor("EUR"), "EUR") == "€2.00"


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1250, "USD", "$12.50"),
        (5, "USD", "$0.05"),
        (123456789, "USD", "$1,234,567.89"),
        (3000, "JPY", "¥3,000"),
        (300, "JPY", "¥300"),
        (999, "EUR", "€9.99"),
        (100000, "EUR", "€1,000.00"),
        (2500, "GBP", "£25.00"),
        (1250, "CHF", "12.50 CHF"),
        (5000, "KRW", "₩5,000"),
    ],
)
def test_format_money(amount, currency, text):
    assert format_money(amount, currency) == text
    assert str(Money(amount, currency)) == text


@given(st.integers(0, 10**9), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_what_we_show_parses_back_to_the_same_amount(amount, currency):
    shown = format_money(amount, currency)
    digits = shown.lstrip("$€£¥₩").removesuffix(f" {currency}")
    assert to_minor_units(digits, currency) == amount


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("12.5", "USD", 1250),
        ("12.50", "USD", 1250),
        ("12", "USD", 1200),
        (" 7.05 ", "USD", 705),
        ("0.29", "USD", 29),  # exact: float("0.29") * 100 is 28.999999999999996
        ("1,000", "USD", 100000),
        ("1000", "JPY", 1000),
        ("1000.0", "JPY", 1000),
        ("19.99", "EUR", 1999),
        ("3000", "KRW", 3000),
    ],
)
def test_to_minor_units_is_exact(typed, currency, minor):
    assert to_minor_units(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency"),
    [
        ("12.345", "USD"),
        ("0.001", "EUR"),
        ("12.5", "JPY"),
        ("0.5", "KRW"),
        ("abc", "USD"),
        ("", "USD"),
        ("   ", "USD"),
        ("12.5.0", "USD"),
        ("$12", "USD"),
        ("12 dollars", "USD"),
        ("NaN", "USD"),
        ("Infinity", "USD"),
        ("-Infinity", "EUR"),
        ("sNaN", "USD"),
        ("1e999999999", "USD"),
    ],
)
def test_to_minor_units_refuses_what_is_not_an_exact_price(typed, currency):
    """Refusals are ValueError, the one error the price form turns into a message; anything
    else would be a server error on the page."""
    with pytest.raises(ValueError):
        to_minor_units(typed, currency)


def test_currency_codes_are_normalised_and_checked():
    assert normalise_currency(" usd ") == "USD"
    assert normalise_currency(None) == "USD"
    assert normalise_currency("") == "USD"
    assert is_supported("JPY") and is_supported("EUR")
    assert not is_supported("BTC") and not is_supported("usd")
    assert CURRENCY_EXPONENTS["JPY"] == 0 and CURRENCY_EXPONENTS["KRW"] == 0
    assert CURRENCY_EXPONENTS["USD"] == 2
