"""Balance transactions (`GET /v1/balance_transactions`, `.../{id}`): every movement of the
platform's or a connected account's (with `Stripe-Account`) balance, newest first, filtered by
`type`, `source`, `currency`, `created` or `payout`. No payouts are made here, so a `payout`
filter names no payout this server knows."""

from __future__ import annotations

from ..wire import not_found
from .payments import check_params, listing, owned

LIST_PARAMS = {
    "created",
    "currency",
    "ending_before",
    "limit",
    "payout",
    "source",
    "starting_after",
    "type",
}


def register(server) -> None:
    store = server.store

    @server.route("GET", r"/v1/balance_transactions")
    def list_balance_transactions(request):
        params = request.params
        check_params(params, LIST_PARAMS)
        payout = params.get("payout")
        if payout:
            found = store.objects.get(payout)
            if found is None or found["object"] != "payout":
                raise not_found("payout", payout, param="payout")
        filters = {"type": "type", "source": "source", "currency": "currency"}
        return listing(server, request, "balance_transaction", "/v1/balance_transactions", filters)

    @server.route("GET", r"/v1/balance_transactions/(?P<txn_id>[^/]+)")
    def retrieve_balance_transaction(request, txn_id):
        return owned(request, "balance_transaction", txn_id, "balance transaction")
