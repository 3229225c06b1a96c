"""Recovering debt (a refund or lost dispute after payout): reverse the creator's latest
transfers, each by no more than what is left of it unreversed and all together by no more
than the connected account still holds; what cannot be recovered stays owed, and later
earnings pay it first (services/events.py)."""

from __future__ import annotations

import logging

from django.db import transaction

from payouts.models import AccountKind, JournalTransaction, Payout, PayoutAccount, PayoutStatus
from payouts.selectors.ledger import raw_balance
from payouts.services.ledger import Line, account_lock, creator_account, ledger_accounts, post
from payouts.stripe_gateway import (
    StripeRefused,
    balance_available,
    reversal_key,
    transfer_reversal_create,
    transfer_reversals_list,
)

logger = logging.getLogger(__name__)
K = AccountKind


def transfer_reversal_recover(*, creator, currency: str = "USD", reason_ref: str) -> int:
    """Recover what a creator owes us by reversing their most recent transfers: each by no more
    than what is left of it unreversed, all of them by no more than the connected account
    holds, and no more than the debt. Returns the amount recovered (0 when nothing could be).

    Each cause (`reason_ref`: the refund or dispute) reverses each transfer at most once, under
    the Stripe idempotency key `reversal:<cause>:<payout id>`, which the reversal's metadata
    also carries. So a repeat for the same cause recovers nothing more, and a worker killed
    after Stripe reversed and before we recorded it finds that reversal on Stripe by its key
    and records it then, instead of asking again."""
    currency = currency.upper()
    creator_id = getattr(creator, "id", creator)
    with transaction.atomic():
        # One recovery per creator at a time: two could read the same debt and both reverse.
        debt_account = creator_account(creator_id, K.CREATOR_DEBT)
        account_lock(debt_account)
        debt = raw_balance(debt_account, currency)
        if debt <= 0:
            return 0
        payouts = list(
            Payout.objects.filter(
                creator_id=creator_id, currency=currency, status=PayoutStatus.PAID
            ).order_by("-settled_at", "-id")
        )
        if not payouts:  # nothing was ever sent: the debt is netted from later earnings
            return 0
        return _Recovery(creator_id, currency, reason_ref, debt).run(payouts)


class _Recovery:
    def __init__(self, creator_id: int, currency: str, reason_ref: str, debt: int) -> None:
        self.creator_id, self.currency, self.reason_ref = creator_id, currency, reason_ref
        self.debt = debt  # what is still owed, as we go
        self.recovered = 0
        self._on_account: int | None = None  # the connected account's available, read once

    def run(self, payouts: list[Payout]) -> int:
        for payout in payouts:
            if self.debt <= 0:
                break
            key = reversal_key(payout=payout, reason_ref=self.reason_ref)
            reversals = self._reversals_of(payout)
            if any(_key_of(r) == key for r in reversals):
                continue  # this cause already took what it could from this transfer
            amount = min(self.debt, payout.amount - sum(r["amount"] for r in reversals))
            if amount <= 0:
                continue
            amount = min(amount, self._left_on_account())
            if amount <= 0:
                break  # the account holds nothing more: the rest stays owed
            self._reverse(payout, amount, key=key)
        return self.recovered

    def _reversals_of(self, payout: Payout) -> list[dict]:
        """The transfer's reversals on Stripe. One of ours that the ledger lacks (the worker
        died between Stripe's answer and our commit) is recorded now, under its own key."""
        reversals = transfer_reversals_list(payout.stripe_transfer_id)
        keys = [_key_of(r) for r in reversals if _key_of(r)]
        recorded = set(
            JournalTransaction.objects.filter(idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        for reversal in reversals:
            if _key_of(reversal) and _key_of(reversal) not in recorded:
                self._record(reversal, key=_key_of(reversal))
                if self._on_account is not None:
                    self._on_account -= reversal["amount"]
        return reversals

    def _left_on_account(self) -> int:
        if self._on_account is None:
            account = PayoutAccount.objects.filter(creator_id=self.creator_id).first()
            self._on_account = 0  # without a connected account there is nothing to take from
            if account is not None:
                self._on_account = balance_available(payout_account=account, currency=self.currency)
        return self._on_account

    def _reverse(self, payout: Payout, amount: int, *, key: str) -> None:
        try:
            reversal = transfer_reversal_create(
                payout=payout, amount=amount, reason_ref=self.reason_ref
            )
        except StripeRefused as exc:
            if exc.is_key_refused:
                raise
            # Refused (the account's balance moved since we read it), or this cause already
            # asked this of this transfer: it stays owed; later earnings pay it first.
            logger.info("reversal of %s refused: %s", payout.stripe_transfer_id, exc.reason)
            return
        self._record(reversal, key=key)
        self._on_account = max(0, self._left_on_account() - reversal["amount"])

    def _record(self, reversal: dict, *, key: str) -> None:
        """Post a reversal: the money is back on the platform's balance and no longer paid to
        the creator; it pays their debt, and anything beyond the debt (only a reversal found
        late, after later earnings paid part of the debt) is theirs again: available."""
        c, cur, a = self.creator_id, self.currency, reversal["amount"]
        to_debt = min(a, max(0, self.debt))
        accounts = ledger_accounts(
            c,
            (K.CREATOR_PAID, K.CREATOR_DEBT, K.CREATOR_AVAILABLE),
            platform=(K.PLATFORM_CASH, K.TRANSFERS_OUT),
        )
        post(
            idempotency_key=key,
            kind="transfer_reversal",
            lines=[
                Line(accounts[K.PLATFORM_CASH], a, cur),
                Line(accounts[K.TRANSFERS_OUT], -a, cur),
                Line(accounts[K.CREATOR_PAID], a, cur),
                Line(accounts[K.CREATOR_DEBT], -to_debt, cur),
                Line(accounts[K.CREATOR_AVAILABLE], -(a - to_debt), cur),
            ],
            reference_type="transfer_reversal",
            reference_id=reversal["id"],
        )
        self.debt -= to_debt
        self.recovered += a


def _key_of(reversal: dict) -> str:
    """Our idempotency key, kept in the reversal's metadata ("" for one we did not make)."""
    return (reversal.get("metadata") or {}).get("assent_key", "")
