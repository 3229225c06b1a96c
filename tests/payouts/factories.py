"""Small helpers for the money tests: sales posted through the real service (there is no
factory for ledger rows: the ledger is written only by `payouts.services.ledger.post`, and tests go
through it too) and the local Stripe server's accounts and balances. The payout account and
freeze factories are in tests/factories/payouts.py."""

from __future__ import annotations

import itertools
from functools import partial
from unittest import mock

from devtools.stripe_local.server import DEFAULT_SECRET_KEY
from payouts.models import JournalTransaction
from payouts.services.events import SaleItem, sale_post
from tests.devtools.helpers import control
from tests.factories import CreatorFactory, PayoutAccountFactory

_refs = itertools.count(1)


def next_ref(prefix: str) -> str:
    return f"{prefix}:{next(_refs)}"


def sell(
    creator,
    amount: int,
    currency: str = "USD",
    *,
    work_id: int | None = None,
    order_ref=None,
    holdback_bps: int = 0,
) -> str:
    """Post a one-item sale for `creator` (with a holdback: terms carrying `destroy-models`);
    returns the item's ref."""
    item_ref = next_ref("order_item")
    sale_post(
        order_ref=order_ref or next_ref("order"),
        items=[
            SaleItem(
                creator_id=getattr(creator, "id", creator),
                item_ref=item_ref,
                amount=amount,
                currency=currency,
                work_id=work_id,
                holdback_bps=holdback_bps,
            )
        ],
    )
    return item_ref


def sell_on(when, creator, amount: int, currency: str = "USD", **kwargs) -> str:
    """`sell` as of `when`: the hold counts from the sale's journal time, which the ledger
    stamps as it writes (and PostgreSQL refuses to change afterwards)."""
    stamped = partial(JournalTransaction, created_at=when)
    with mock.patch("payouts.services.ledger.JournalTransaction", stamped):
        return sell(creator, amount, currency, **kwargs)


def sell_destroy_models(creator, amount=10_000, currency="USD", work_id=7) -> str:
    """A sale on terms carrying `destroy-models`: 10% of the price held back (of the fee)."""
    return sell(creator, amount, currency, work_id=work_id, holdback_bps=1000)


# --- The local Stripe server -------------------------------------------------------------------


def use_local_stripe(settings, server) -> None:
    """Point the app's gateway at an in-process local Stripe server. `stripe_gateway._client`
    is cached by (key, base address), so each server (each port) gets its own client."""
    settings.STRIPE_SECRET_KEY = DEFAULT_SECRET_KEY
    settings.STRIPE_API_BASE = server.public_url


def connected_account(stripe_client, server, *, onboarded: bool = True) -> str:
    """A real Express account on the local server, onboarded (transfers capability active)."""
    account = stripe_client.v1.accounts.create(params={"type": "express"})
    if onboarded:
        control(server, f"accounts/{account.id}", {"state": "complete"})
    return account.id


def connected_creator(stripe_client, server, *, creator=None, payouts_enabled: bool = True):
    """A creator with a connected account on the local server and its PayoutAccount row."""
    creator = creator or CreatorFactory()
    PayoutAccountFactory(
        creator=creator,
        stripe_account_id=connected_account(stripe_client, server),
        payouts_enabled=payouts_enabled,
    )
    return creator


def fund_platform(server, amount: int, currency: str = "usd") -> None:
    """Available funds on the platform's Stripe balance (a test-mode top-up)."""
    control(server, "balance/topup", {"amount": amount, "currency": currency.lower()})


def stripe_balance(server, account: str | None, currency: str = "usd") -> dict[str, int]:
    """The server's balance for the platform (None) or a connected account."""
    return dict(server.store.balance(account, currency))
