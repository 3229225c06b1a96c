"""Transfers (`/v1/transfers`) and their reversals (`/v1/transfers/{id}/reversals`).

A transfer takes from the platform's available balance, or, with `source_transaction`, from
that charge's funds (pending or available, up to what has not yet been transferred from it),
and credits the connected account in the same state. A reversal takes the funds back from the
connected account, which must still hold them."""

from __future__ import annotations

import secrets

from ..store import public
from ..wire import StripeError, as_int, metadata_of, missing, sublist
from .balance import between_accounts
from .base import Resource, diff, positive_int

INSUFFICIENT_FUNDS = (
    "You have insufficient available funds in your Stripe account. Try adding funds directly "
    "to your available balance by creating Charges using the 4000000000000077 test card. See: "
    "https://stripe.com/docs/testing#available-balance"
)
NO_TRANSFERS_CAPABILITY = (
    "Your destination account needs to have at least one of the following capabilities "
    "enabled: transfers, crypto_transfers, legacy_payments"
)


class Transfer(Resource):
    object = "transfer"
    prefix = "tr_"
    path = "/v1/transfers"
    id_param = "transfer_id"
    verbs = ("create", "list", "retrieve", "update")
    scoped = False
    list_filters = {"destination": "destination", "transfer_group": "transfer_group"}

    def create(self, request) -> dict:
        params = request.params
        if request.account:
            raise StripeError(
                "stripe_local makes transfers from the platform only; drop the Stripe-Account "
                "header."
            )
        amount = as_int(params, "amount", required=True)
        if amount < 1:
            raise StripeError("This value must be greater than or equal to 1.", param="amount")
        currency = str(params.get("currency") or "").lower()
        if not currency:
            raise missing("currency")
        destination = params.get("destination")
        if not destination:
            raise missing("destination")
        source_id = params.get("source_transaction") or None
        store = self.store
        with store.lock:
            account = store.objects.get(destination)
            if account is None or account["object"] != "account":
                raise StripeError(
                    f"No such destination: '{destination}'",
                    code="resource_missing",
                    param="destination",
                )
            if account["capabilities"].get("transfers") != "active":
                raise StripeError(
                    NO_TRANSFERS_CAPABILITY,
                    code="insufficient_capabilities_for_transfer",
                    param="destination",
                )
            if source_id:
                bucket = _source_bucket(store, source_id, amount, currency)
            else:
                if store.balance(None, currency)["available"] < amount:
                    raise StripeError(INSUFFICIENT_FUNDS, code="balance_insufficient")
                bucket = "available"
            transfer = self.new(
                {
                    "amount": amount,
                    "amount_reversed": 0,
                    "balance_transaction": None,
                    "currency": currency,
                    "description": params.get("description") or None,
                    "destination": destination,
                    "destination_payment": "py_" + secrets.token_hex(12),
                    "metadata": metadata_of(params),
                    "reversals": None,
                    "reversed": False,
                    "source_transaction": source_id,
                    "source_type": "card",
                    "transfer_group": params.get("transfer_group") or None,
                    "_bucket": bucket,  # where the connected account received the funds
                },
            )
            txn = between_accounts(
                store,
                destination,
                amount,
                currency,
                bucket,
                platform=("transfer", transfer["id"]),
                # The connected account's side: a payment (py_) in its own balance history.
                connected=("payment", transfer["destination_payment"]),
                description=transfer["description"],
                pending=bucket == "pending",  # follows its source charge; settles with it
            )
            store.update(
                transfer,
                balance_transaction=txn["id"],
                reversals=sublist([], f"/v1/transfers/{transfer['id']}/reversals"),
            )
        store.emit("transfer.created", transfer)
        return transfer

    def list(self, request) -> dict:
        params = request.params

        def keep(t):
            return all(
                not params.get(param) or t[field] == params[param]
                for param, field in self.list_filters.items()
            )

        return self.page(request, self.all(keep), self.path)

    def update(self, request, transfer_id) -> dict:
        store = self.store
        transfer = self.fetch(request, transfer_id)
        with store.lock:
            before = public(transfer)
            changes = {"metadata": metadata_of(request.params, transfer.get("metadata"))}
            if "description" in request.params:
                changes["description"] = request.params["description"] or None
            store.update(transfer, **changes)
            previous = diff(before, public(transfer))
        if previous:
            store.emit("transfer.updated", transfer, previous=previous)
        return transfer


class TransferReversal(Resource):
    object = "transfer_reversal"
    prefix = "trr_"
    path = "/v1/transfers/{transfer_id}/reversals"
    id_param = "reversal_id"
    kind = "transfer reversal"
    verbs = ("create", "list", "retrieve", "update")
    scoped = False

    @property
    def transfers(self) -> Transfer:
        return Transfer(self.server)

    def refresh(self, transfer: dict) -> None:
        """`transfer.reversals`: its newest ten reversals (the list's url pages on)."""
        reversals = self.all(lambda r: r["transfer"] == transfer["id"])
        reversals.reverse()  # newest first
        self.store.update(
            transfer, reversals=sublist(reversals, f"/v1/transfers/{transfer['id']}/reversals")
        )

    def create(self, request, transfer_id) -> dict:
        params = request.params
        store = self.store
        with store.lock:
            transfer = self.transfers.fetch(request, transfer_id)
            remaining = transfer["amount"] - transfer["amount_reversed"]
            if remaining <= 0:
                raise StripeError(
                    f"Transfer {transfer_id} has already been fully reversed.",
                    param="amount",
                )
            amount = positive_int(params, "amount", default=remaining)
            if amount > remaining:
                raise StripeError(
                    f"You cannot reverse more than the remaining amount of the transfer "
                    f"({remaining} {transfer['currency']}); {amount} was requested.",
                    param="amount",
                )
            currency, destination = transfer["currency"], transfer["destination"]
            held = store.balance(destination, currency)
            # Funds that arrived pending (source_transaction) come back from pending while
            # they are still there; everything else from the connected account's available.
            bucket = (
                "pending"
                if transfer.get("_bucket") == "pending" and held["pending"] >= amount
                else "available"
            )
            if held[bucket] < amount:
                raise StripeError(
                    f"The destination account {destination} does not have sufficient funds "
                    f"to cover this reversal: {held[bucket]} {currency} {bucket}, {amount} "
                    "needed. A reversal can only take back funds the connected account still "
                    "holds.",
                    code="balance_insufficient",
                )
            reversal = self.new(
                {
                    "amount": amount,
                    "balance_transaction": None,
                    "currency": currency,
                    "destination_payment_refund": "pyr_" + secrets.token_hex(12),
                    "metadata": metadata_of(params),
                    "source_refund": None,
                    "transfer": transfer_id,
                },
            )
            txn = between_accounts(
                store,
                destination,
                -amount,
                currency,
                bucket,
                platform=("transfer_refund", reversal["id"]),
                connected=("payment_refund", reversal["destination_payment_refund"]),
            )
            store.update(reversal, balance_transaction=txn["id"])
            before = public(transfer)
            store.update(
                transfer,
                amount_reversed=transfer["amount_reversed"] + amount,
                reversed=transfer["amount_reversed"] + amount >= transfer["amount"],
            )
            self.refresh(transfer)
            previous = {k: v for k, v in diff(before, public(transfer)).items() if k != "reversals"}
        store.emit("transfer.reversed", transfer, previous=previous)
        return reversal

    def list(self, request, transfer_id) -> dict:
        self.transfers.fetch(request, transfer_id)
        items = self.all(lambda r: r["transfer"] == transfer_id)
        return self.page(request, items, f"/v1/transfers/{transfer_id}/reversals")

    def retrieve(self, request, transfer_id, reversal_id) -> dict:
        self.transfers.fetch(request, transfer_id)
        reversal = self.fetch(request, reversal_id)
        if reversal["transfer"] != transfer_id:
            raise StripeError(
                f"No such transfer reversal: '{reversal_id}'",
                status=404,
                code="resource_missing",
                param="id",
            )
        return reversal

    def update(self, request, transfer_id, reversal_id) -> dict:
        with self.store.lock:
            reversal = self.retrieve(request, transfer_id, reversal_id)
            self.store.update(
                reversal, metadata=metadata_of(request.params, reversal.get("metadata"))
            )
            self.refresh(self.transfers.fetch(request, transfer_id))
        return reversal


def _source_bucket(store, charge_id: str, amount: int, currency: str) -> str:
    """Check a transfer against its source charge; answer where the charge's funds are."""
    charge = store.objects.get(charge_id)
    if charge is None or charge["object"] != "charge":
        raise StripeError(
            f"No such charge: '{charge_id}'", code="resource_missing", param="source_transaction"
        )
    if charge.get("status", "succeeded") != "succeeded" or charge.get("paid") is False:
        raise StripeError(
            f"The source_transaction {charge_id} is not a succeeded charge.",
            param="source_transaction",
        )
    if str(charge.get("currency", "")).lower() != currency:
        raise StripeError(
            f"The currency of source_transaction {charge_id} ({charge.get('currency')}) does "
            f"not match the transfer's currency ({currency}).",
            param="currency",
        )
    already = sum(
        t["amount"] for t in store.all("transfer", lambda t: t["source_transaction"] == charge_id)
    )
    left = int(charge.get("amount") or 0) - already
    if amount > left:
        raise StripeError(
            f"Insufficient funds in source_transaction {charge_id}: {left} {currency} of it is "
            f"left to transfer, {amount} was requested.",
            code="balance_insufficient",
            param="amount",
        )
    txn = store.objects.get(charge.get("balance_transaction") or "")
    if txn and txn.get("status") in ("pending", "available"):
        return txn["status"]
    # No balance transaction to ask: the charge's funds are pending while the platform's
    # pending balance still holds them.
    return "pending" if store.balance(None, currency)["pending"] >= amount else "available"
