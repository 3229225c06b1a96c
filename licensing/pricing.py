"""Pricing by a work's length: a rate per minute of audio or per 1,000 words of text, turned
into the one price an offer stores. A helper for creators who think in rates; buyers only ever
see the work's price, and an offer keeps no rate.

Lengths round up (a 3:12 recording is four minutes, 4,210 words are five thousands), so a rate
never prices a work below what it says, and a work shorter than one unit costs one unit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from common.money import format_major, format_money
from uploads.models import Work, WorkKind


@dataclass(frozen=True)
class RateUnit:
    """What a rate is per, for one medium: the form's label and the phrase after a rate."""

    kind: str
    label: str  # "Price per minute"
    per: str  # "a minute", as in "$4.00 a minute"


RATE_UNITS = {
    WorkKind.AUDIO: RateUnit(WorkKind.AUDIO, "Price per minute", "a minute"),
    WorkKind.TEXT: RateUnit(WorkKind.TEXT, "Price per 1,000 words", "per 1,000 words"),
}


class RateNotApplicable(ValueError):
    """The work has no length a rate could apply to (an image, or its length is not known)."""


def rate_unit(work: Work) -> RateUnit | None:
    """The unit a rate for this work is per, or None where a work has one price (images)."""
    return RATE_UNITS.get(work.kind)


def rate_units(work: Work) -> int:
    """How many units the work is: whole minutes of audio or thousands of words, rounded up,
    at least one."""
    if work.kind == WorkKind.AUDIO:
        if not work.duration_ms:
            raise RateNotApplicable("This recording's length is not known yet.")
        return max(1, math.ceil(work.duration_ms / 60_000))
    if work.kind == WorkKind.TEXT:
        if not work.word_count:
            raise RateNotApplicable("This text's word count is not known yet.")
        return max(1, math.ceil(work.word_count / 1000))
    raise RateNotApplicable("Images have one price per license, not a rate.")


def price_from_rate(work: Work, rate_minor: int) -> int:
    """The work's price in minor units for a rate in minor units: rate × minutes (rounded up)
    for audio, rate × ceil(words / 1000) for text. Raises RateNotApplicable for an image or
    an unknown length, ValueError for a negative rate."""
    if rate_minor < 0:
        raise ValueError("A rate cannot be negative.")
    return rate_minor * rate_units(work)


@dataclass(frozen=True)
class RatePrice:
    """A price worked out from a rate, as the creator's offer form shows it."""

    rate_amount: int
    price_amount: int
    units: int
    currency: str
    unit: RateUnit

    @property
    def rate_display(self) -> str:
        return format_money(self.rate_amount, self.currency)

    @property
    def price_display(self) -> str:
        return format_money(self.price_amount, self.currency)

    @property
    def price_typed(self) -> str:
        """The price as the price box takes it ("12.00"), for the form to fill in."""
        return format_major(self.price_amount, self.currency)

    @property
    def summary(self) -> str:
        """The price and the rate: "$12.00 · $4.00 a minute"."""
        return f"{self.price_display} · {self.rate_display} {self.unit.per}"

    @property
    def reckoning(self) -> str:
        """How the price was reached, lengths rounded up: "4 minutes at $4.00 a minute",
        "5,000 words at $2.00 per 1,000 words"."""
        if self.unit.kind == WorkKind.AUDIO:
            count = f"{self.units} minute{'s' if self.units != 1 else ''}"
        else:
            count = f"{self.units * 1000:,} words"
        return f"{count} at {self.rate_display} {self.unit.per}"


def rate_price(work: Work, *, rate_amount: int, currency: str) -> RatePrice:
    unit = rate_unit(work)
    if unit is None:
        raise RateNotApplicable("Images have one price per license, not a rate.")
    return RatePrice(
        rate_amount=rate_amount,
        price_amount=price_from_rate(work, rate_amount),
        units=rate_units(work),
        currency=currency,
        unit=unit,
    )
