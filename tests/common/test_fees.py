"""The platform fee rule in one place: a price splits into Assent's fee and the creator's net,
which add up to the price exactly; the net is rounded down, the remainder is the platform's.
The ledger posts sales with it and the creator's price form shows it (issue 21)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.fees import FeeSplit, fee_percent, fee_split
from payouts.services.events import split_amount


@pytest.mark.parametrize(
    ("amount", "bps", "fee", "net"),
    [
        (2500, 2000, 500, 2000),
        (999, 2000, 200, 799),  # 799.2 → 799; the 0.2 is the platform's
        (1, 2000, 1, 0),
        (101, 1500, 16, 85),  # 85.85 → 85
        (1001, 2000, 201, 800),  # ¥1,001: no minor unit to split, the yen goes to the fee
        (2500, 0, 0, 2500),
        (2500, 10_000, 2500, 0),
    ],
)
def test_a_price_splits_into_fee_and_net(amount, bps, fee, net):
    assert fee_split(amount, bps) == FeeSplit(fee=fee, net=net)


@given(amount=st.integers(min_value=0, max_value=10**13), bps=st.integers(0, 10_000))
def test_fee_and_net_add_up_and_the_net_is_rounded_down(amount, bps):
    split = fee_split(amount, bps)
    assert split.fee + split.net == amount
    exact_net = Fraction(amount * (10_000 - bps), 10_000)
    assert split.net <= exact_net < split.net + 1


@given(amount=st.integers(min_value=1, max_value=10**12), bps=st.integers(0, 10_000))
def test_the_ledger_splits_a_sale_with_the_same_rule(amount, bps):
    share, fee = split_amount(amount, bps)
    assert (fee, share) == fee_split(amount, bps)


@pytest.mark.parametrize(("bps", "text"), [(2000, "20%"), (1250, "12.5%"), (0, "0%")])
def test_the_fee_as_published(bps, text):
    assert fee_percent(bps) == text
