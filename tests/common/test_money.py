"""Minor units to major units and back, exactly: Decimal and int arithmetic for every exponent
ISO 4217 uses (0, 2 and 3), never float; and amounts written the way people read them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common import money
from common.money import (
    CURRENCY_EXPONENTS,
    MINOR_UNIT_EXPONENTS,
    format_major,
    format_money,
    major_to_minor,
    minor_to_major,
)


@pytest.mark.parametrize(
    ("amount", "currency", "major"),
    [
        (1200, "JPY", "1200"),
        (5000, "KRW", "5000"),
        (1250, "USD", "12.50"),
        (5, "EUR", "0.05"),
        (-1999, "GBP", "-19.99"),
        (0, "USD", "0.00"),
        (1250, "KWD", "1.250"),
        (7, "BHD", "0.007"),
        (-3000, "KWD", "-3.000"),
        (1250, "XTS", "12.50"),  # a code we do not know has ISO's default two places
    ],
)
def test_minor_to_major_places_the_digits(amount, currency, major):
    assert minor_to_major(amount, currency) == Decimal(major)
    assert format_major(amount, currency) == major
    assert major_to_minor(major, currency) == amount


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1250, "USD", "$12.50"),
        (123456789, "USD", "$1,234,567.89"),
        (1200, "JPY", "¥1,200"),
        (5000, "KRW", "₩5,000"),
        (100000, "EUR", "€1,000.00"),
        (1250, "CHF", "12.50 CHF"),
        (1250, "KWD", "1.250 KWD"),
        (1234567, "BHD", "1,234.567 BHD"),
    ],
)
def test_format_money(amount, currency, text):
    assert format_money(amount, currency) == text


def test_the_exponents_follow_iso_4217():
    assert MINOR_UNIT_EXPONENTS["JPY"] == MINOR_UNIT_EXPONENTS["KRW"] == 0
    assert MINOR_UNIT_EXPONENTS["USD"] == MINOR_UNIT_EXPONENTS["EUR"] == 2
    assert MINOR_UNIT_EXPONENTS["KWD"] == MINOR_UNIT_EXPONENTS["BHD"] == 3
    # The currencies Assent trades in are among them, with the same exponents.
    assert {c: MINOR_UNIT_EXPONENTS[c] for c in CURRENCY_EXPONENTS} == CURRENCY_EXPONENTS


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [
        ("12.5", "USD", 1250),
        ("12.500", "USD", 1250),  # trailing zeros are not precision
        (Decimal("0.29"), "USD", 29),  # float("0.29") * 100 is 28.999999999999996
        (12, "USD", 1200),
        ("1000.0", "JPY", 1000),
        ("1.25", "KWD", 1250),
        ("0.001", "BHD", 1),
        ("1E+3", "KRW", 1000),
        ("-0", "USD", 0),
        ("0.000000", "JPY", 0),
    ],
)
def test_major_to_minor(major, currency, minor):
    assert major_to_minor(major, currency) == minor


@pytest.mark.parametrize(
    ("major", "currency"),
    [
        ("12.345", "USD"),
        ("0.001", "EUR"),
        ("12.5", "JPY"),
        ("0.5", "KRW"),
        ("1.2345", "KWD"),
        ("0.0001", "BHD"),
        ("1e-999999999", "USD"),  # refused without computing 10**999999999
    ],
)
def test_major_to_minor_refuses_what_is_finer_than_a_minor_unit(major, currency):
    with pytest.raises(ValueError, match="decimal places"):
        major_to_minor(major, currency)


@pytest.mark.parametrize(
    "major", ["abc", "", "NaN", "Infinity", "-Infinity", "sNaN", "1e999999999"]
)
def test_major_to_minor_refuses_what_is_not_an_amount(major):
    with pytest.raises(ValueError):
        major_to_minor(major, "USD")


def test_floats_are_refused_both_ways():
    with pytest.raises(TypeError):
        major_to_minor(12.5, "USD")
    with pytest.raises(TypeError):
        minor_to_major(1250.0, "USD")
    with pytest.raises(TypeError):
        minor_to_major(True, "USD")


@pytest.mark.parametrize("currency", ["JPY", "USD", "KWD"])
def test_amounts_beyond_float_precision_convert_exactly(currency):
    """2**53 + 1 is the first integer a float cannot hold: any float division on the way would
    lose its last digit."""
    amount = 2**53 + 1
    assert float(amount) == float(amount - 1)
    major = minor_to_major(amount, currency)
    assert major.as_tuple().digits[-1] == 3  # 9007199254740993
    assert major_to_minor(major, currency) == amount
    assert major_to_minor(format_major(amount, currency), currency) == amount
    assert (
        format_money(amount, currency)
        .replace(",", "")
        .startswith(
            {"JPY": "¥9007199254740993", "USD": "$90071992547409.93", "KWD": "9007199254740.993"}[
                currency
            ]
        )
    )


def test_conversion_does_not_depend_on_the_decimal_context():
    """A 40-digit amount is more than the default 28-digit context holds; still exact."""
    import decimal

    amount = 10**39 + 7
    with decimal.localcontext() as ctx:
        ctx.prec = 6
        assert minor_to_major(amount, "USD") == Decimal(f"{amount}E-2")
        assert format_major(amount, "USD") == f"{amount // 100}.07"


@given(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from(sorted(MINOR_UNIT_EXPONENTS)),
)
def test_every_bigint_round_trips(amount, currency):
    assert major_to_minor(minor_to_major(amount, currency), currency) == amount
    assert major_to_minor(format_major(amount, currency), currency) == amount


@given(st.integers(0, 10**11 - 1), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_what_we_show_parses_back_as_a_typed_price(amount, currency):
    shown = format_money(amount, currency)
    digits = shown.lstrip("$€£¥₩").removesuffix(f" {currency}")
    assert money.to_minor_units(digits, currency) == amount


def test_common_money_uses_no_float():
    """The module that converts money holds no float conversion or true division at all."""
    import inspect

    source = inspect.getsource(money)
    assert "float(" not in source
    assert " / " not in source
