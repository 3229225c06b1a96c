"""Small HTTP helpers for the parts of the local Stripe server the library does not reach: the
control endpoint and the hosted pages (read without following redirects); the sites those pages
send the browser back to, and a Checkout Session to pay on them."""

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


class NamedPages:
    """A tiny site on 127.0.0.1 standing for the merchant or platform that hosted pages send
    the browser back to: every GET answers a page whose heading `heading(path)` names."""

    def __init__(self, heading) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                title = heading(self.path)
                payload = (
                    f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{self.path}</p>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()


def create_session(client, merchant_url: str = "http://merchant.test", **overrides):
    """A Checkout Session of two line items (€42.49 in all) coming back to `merchant_url`."""
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 3,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1250,
                    "product_data": {
                        "name": "Training licence: <b>Harbour</b> & dusk",
                        "description": "Non-exclusive, 12 months",
                    },
                },
            },
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 499,
                    "product_data": {"name": "Attribution pack"},
                },
            },
        ],
        "customer_email": "buyer@example.com",
        "success_url": f"{merchant_url}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{merchant_url}/basket",
    }
    params.update(overrides)
    return client.v1.checkout.sessions.create(params=params)
