"""Small HTTP helpers for the parts of the local Stripe server the library does not reach: the
control endpoint and the hosted pages (read without following redirects)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, form: dict | list | None = None, headers: dict | None = None):
    """GET (or POST `form`) without following redirects: (status, headers, text)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def control(server, path: str, form: dict | list | None = None) -> dict:
    status, _, text = fetch(f"{server.public_url}/_control/{path}", form or {})
    assert status == 200, text
    return json.loads(text)


def control_get(server, path: str) -> dict:
    status, _, text = fetch(f"{server.public_url}/_control/{path}")
    assert status == 200, text
    return json.loads(text)


def fake_charge(server, amount: int, currency: str = "usd", *, available: bool = False) -> dict:
    """A succeeded charge as the payments module records one: its balance transaction, and
    its amount in the platform's pending balance (available for test card 4000000000000077)."""
    store = server.store
    status = "available" if available else "pending"
    txn = store.create(
        "balance_transaction",
        {
            "amount": amount,
            "currency": currency,
            "fee": 0,
            "net": amount,
            "status": status,
            "type": "charge",
            "available_on": store.now() + (0 if available else 2 * 86400),
        },
    )
    charge = store.create(
        "charge",
        {
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "currency": currency,
            "paid": True,
            "status": "succeeded",
            "balance_transaction": txn["id"],
            "transfer_group": None,
            "payment_intent": None,
        },
    )
    store.update(txn, source=charge["id"])
    store.move(None, currency, **{status: amount})
    return charge
