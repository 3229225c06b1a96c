"""Balances (`GET /v1/balance`) and balance transactions (`/v1/balance_transactions`), with the
control endpoints that stand in for Stripe's payout schedule and test-mode top-ups.

Money model. Balances live in the store per account (None = the platform) and currency, split
into `available` and `pending`. Every movement has a balance transaction (`txn_`), recorded with
`record`. Stripe's fees are not modelled: fee is always 0 and net equals amount. No payouts are
made here, so a `payout` filter names no payout this server knows."""

from __future__ import annotations

import copy

from ..server import Response
from ..wire import StripeError, as_int, not_found
from .accounts import account_of
from .base import Resource, Route, check_params

SETTLEMENT_DELAY = 2 * 24 * 3600  # when a card payment's pending funds would become available
# A movement's `reporting_category`, by its `type`, where the two differ.
REPORTING_CATEGORY = {
    "transfer_refund": "transfer_reversal",
    "payment": "charge",
    "payment_refund": "refund",
}


def record(
    store,
    *,
    account: str | None,
    amount: int,
    currency: str,
    type: str,
    reporting_category: str | None = None,
    source: str | None = None,
    description: str | None = None,
    pending: bool = False,
    move: bool = True,
) -> dict:
    """Record a movement of money (a balance transaction) and, with `move`, apply it to the
    account's balance (pending funds become available `SETTLEMENT_DELAY` later)."""
    now = store.now()
    txn = store.create(
        "balance_transaction",
        {
            "amount": amount,
            "available_on": now + SETTLEMENT_DELAY if pending else now,
            "balance_type": "payments",
            "currency": currency,
            "description": description,
            "exchange_rate": None,
            "fee": 0,
            "fee_details": [],
            "net": amount,
            "reporting_category": reporting_category or REPORTING_CATEGORY.get(type, type),
            "source": source,
            "status": "pending" if pending else "available",
            "type": type,
        },
        account=account,
    )
    txn.pop("metadata", None)  # balance transactions have none
    if move:
        store.move(account, currency, **{"pending" if pending else "available": amount})
    return txn


def between_accounts(
    store,
    account: str,
    amount: int,
    currency: str,
    bucket: str,
    *,
    platform: tuple[str, str],
    connected: tuple[str, str],
    description: str | None = None,
    pending: bool = False,
) -> dict:
    """Move `amount` from the platform's `bucket` ("available" or "pending") to the connected
    `account`'s (a negative amount moves it back) and record both sides: the platform's
    balance transaction (`platform`: its type and source), which is returned, and the
    account's (`connected`)."""
    store.move(None, currency, **{bucket: -amount})
    store.move(account, currency, **{bucket: amount})
    sides = ((None, -amount, platform, description), (account, amount, connected, None))
    txns = [
        record(
            store,
            account=holder,
            amount=value,
            currency=currency,
            type=kind,
            source=source,
            description=text,
            pending=pending,
            move=False,
        )
        for holder, value, (kind, source), text in sides
    ]
    return txns[0]


class Balance(Resource):
    """The platform's balance, or a connected account's with `Stripe-Account`."""

    object = "balance"
    path = "/v1/balance"
    routes = (
        Route("GET", "/v1/balance", "retrieve"),
        Route("POST", "/_control/balance/settle", "settle", api=False),
        Route("POST", "/_control/balance/topup", "topup", api=False),
    )

    def retrieve(self, request) -> dict:
        store, account = self.store, request.account
        default = account_of(self.server, account)["default_currency"] if account else "usd"
        with store.lock:
            per_currency = copy.deepcopy(store.balances.get(account or "platform") or {})
        if not per_currency:
            per_currency = {default: {"available": 0, "pending": 0}}
        currencies = sorted(per_currency)

        def entries(kind):
            return [
                {
                    "amount": per_currency[c][kind],
                    "currency": c,
                    "source_types": {"card": per_currency[c][kind]},
                }
                for c in currencies
            ]

        body = {
            "object": "balance",
            "available": entries("available"),
            "livemode": False,
            "pending": entries("pending"),
        }
        body["connect_reserved"] = [{"amount": 0, "currency": c} for c in currencies]
        return body

    def settle(self, request) -> Response:
        """Stripe's payout schedule, now: every pending amount becomes available (the
        platform's and the connected accounts', or only `account`'s; `platform` for it)."""
        store = self.store
        only = request.params.get("account")
        currency = (request.params.get("currency") or "").lower()
        moved = {}
        with store.lock:
            for holder, per_currency in store.balances.items():
                if only and holder != only:
                    continue
                for cur, entry in per_currency.items():
                    if (currency and cur != currency) or not entry["pending"]:
                        continue
                    moved.setdefault(holder, {})[cur] = entry["pending"]
                    entry["available"] += entry["pending"]
                    entry["pending"] = 0
            for txn in store.all("balance_transaction", lambda t: t.get("status") == "pending"):
                holder = txn.get("_account") or "platform"
                if (not only or holder == only) and (not currency or txn["currency"] == currency):
                    txn["status"] = "available"
                    txn["available_on"] = store.now()
            store.save()
        return Response(body={"settled": moved, "balances": copy.deepcopy(store.balances)})

    def topup(self, request) -> Response:
        """Add available funds to the platform (like a test-mode top-up), or to `account`."""
        store = self.store
        amount = as_int(request.params, "amount", required=True)
        if amount <= 0:
            raise StripeError("amount must be positive", param="amount")
        currency = (request.params.get("currency") or "usd").lower()
        account = request.params.get("account") or None
        if account:
            account_of(self.server, account)
        with store.lock:
            record(
                store,
                account=account,
                amount=amount,
                currency=currency,
                type="topup",
                description="Test top-up (stripe_local)",
            )
            return Response(body={"balance": dict(store.balance(account, currency))})


class BalanceTransaction(Resource):
    """Every movement of the platform's or a connected account's (with `Stripe-Account`)
    balance, newest first, filtered by `type`, `source`, `currency`, `created` or `payout`."""

    object = "balance_transaction"
    prefix = "txn_"
    path = "/v1/balance_transactions"
    id_param = "txn_id"
    kind = "balance transaction"
    verbs = ("list", "retrieve")
    list_filters = {"type": "type", "source": "source", "currency": "currency"}
    list_params = frozenset(
        {
            "created",
            "currency",
            "ending_before",
            "limit",
            "payout",
            "source",
            "starting_after",
            "type",
        }
    )

    def list(self, request) -> dict:
        check_params(request.params, self.list_params)
        payout = request.params.get("payout")
        if payout:
            found = self.store.objects.get(payout)
            if found is None or found["object"] != "payout":
                raise not_found("payout", payout, param="payout")
        return self.page(request, self.all(self.listed(request)), self.path)
