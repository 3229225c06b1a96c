"""The platform fee rule: how one sale's price splits into Assent's fee and what the creator
nets. The ledger posts sales with it and the price form shows it, so the two cannot differ.

Rounding: the creator's net is floor(amount × (10000 − fee_bps) / 10000) and the fee is the
rest, so fee and net add up to the exact price and any remainder goes to the platform."""

from __future__ import annotations

from typing import NamedTuple

BPS_PER_WHOLE = 10_000  # basis points in 100%


class FeeSplit(NamedTuple):
    fee: int  # minor units, Assent's
    net: int  # minor units, the creator's


def fee_split(amount: int, fee_bps: int) -> FeeSplit:
    """Split `amount` (minor units) at `fee_bps` (2000 is 20%): fee + net == amount."""
    net = amount * (BPS_PER_WHOLE - fee_bps) // BPS_PER_WHOLE
    return FeeSplit(fee=amount - net, net=net)


def fee_percent(fee_bps: int) -> str:
    """2000 -> "20%", 1250 -> "12.5%": the fee as it is published."""
    return f"{fee_bps / 100:g}%"
