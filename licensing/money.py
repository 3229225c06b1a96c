"""Licensing's rules on prices: a platform floor per currency, below which no license sells (a
price that low would be eaten by card fees, and a floor keeps a race to the bottom from pricing
creators' work at nothing), a ceiling against typos, and what a creator nets per sale after
the published platform fee. Amounts, currencies and their conversion live in common.money."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from common.fees import fee_percent, fee_split
from common.money import format_money

MAX_PRICE = 10**9  # minor units; a guard against typos, far above any real license


def price_floor(currency: str) -> int:
    return settings.LICENSE_PRICE_FLOORS.get(currency, settings.LICENSE_PRICE_FLOORS["USD"])


@dataclass(frozen=True)
class NetPerSale:
    """What one license sold at `price_amount` brings: Assent's published fee and the
    creator's net, split by the ledger's own rule (common.fees)."""

    price_amount: int
    currency: str
    fee_bps: int
    fee_amount: int
    net_amount: int

    @property
    def fee_percent(self) -> str:
        return fee_percent(self.fee_bps)

    @property
    def price_display(self) -> str:
        return format_money(self.price_amount, self.currency)

    @property
    def fee_display(self) -> str:
        return format_money(self.fee_amount, self.currency)

    @property
    def net_display(self) -> str:
        return format_money(self.net_amount, self.currency)


def net_per_sale(*, price_amount: int, currency: str) -> NetPerSale:
    bps = settings.PLATFORM_FEE_BPS
    split = fee_split(price_amount, bps)
    return NetPerSale(price_amount, currency, bps, split.fee, split.net)
