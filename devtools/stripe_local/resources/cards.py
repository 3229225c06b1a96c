"""Stripe's test cards (docs.stripe.com/testing) as the hosted payment page reads them: what a
typed number does (succeed, succeed with funds available at once, be disputed, be declined)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    """What a card number does, after Stripe's test cards (docs.stripe.com/testing)."""

    __test__ = False  # not a pytest test class

    number: str
    brand: str
    label: str = ""
    funding: str = "credit"
    outcome: str = "succeed"  # succeed | available | dispute | decline
    code: str | None = None  # on decline: the card error code ...
    decline_code: str | None = None  # ... the decline code ...
    message: str | None = None  # ... and the message the customer sees

    @property
    def declines(self) -> bool:
        return self.outcome == "decline"

    @property
    def last4(self) -> str:
        return self.number[-4:]


TEST_CARDS = {
    card.number: card
    for card in (
        TestCard("4242424242424242", "visa", "Succeeds; the funds are pending for two days"),
        TestCard(
            "4000000000000077",
            "visa",
            "Succeeds; the funds are available at once",
            outcome="available",
        ),
        TestCard("5555555555554444", "mastercard", "Succeeds (Mastercard)"),
        TestCard(
            "4000000000000002",
            "visa",
            "Declined: generic_decline",
            outcome="decline",
            code="card_declined",
            decline_code="generic_decline",
            message="Your card was declined.",
        ),
        TestCard(
            "4000000000009995",
            "visa",
            "Declined: insufficient_funds",
            outcome="decline",
            code="card_declined",
            decline_code="insufficient_funds",
            message="Your card has insufficient funds.",
        ),
        TestCard(
            "4000000000000259",
            "visa",
            "Succeeds, then the payment is disputed as fraudulent",
            outcome="dispute",
        ),
    )
}


class CardInputError(ValueError):
    """A card number the payment form refuses before any payment is attempted."""


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _brand(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if re.match(r"5[1-5]|2[2-7]", digits):
        return "mastercard"
    if digits.startswith(("34", "37")):
        return "amex"
    return "unknown"


def card_for(number: str | None) -> TestCard:
    """The test card for what was typed (spaces and dashes allowed). A well-formed number that is
    not a test card is declined the way Stripe declines a real card in test mode."""
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits:
        raise CardInputError("Your card number is incomplete.")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
        raise CardInputError("Your card number is invalid.")
    if digits in TEST_CARDS:
        return TEST_CARDS[digits]
    return TestCard(
        digits,
        _brand(digits),
        outcome="decline",
        code="card_declined",
        decline_code="test_mode_live_card",
        message=(
            "Your card was declined. Your request was in test mode, but used a non test (live) "
            "card. For a list of valid test cards, visit: https://stripe.com/docs/testing."
        ),
    )
