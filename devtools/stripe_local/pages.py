"""Shared HTML for the hosted test pages (Checkout's payment page, Connect onboarding, ...).

Every page carries a loud "TEST MODE — local Stripe" banner so nobody mistakes it for Stripe
itself, uses inline CSS only (no external assets: the server runs without internet), and
escapes everything it interpolates. Build a body with the helpers below and hand it to
`page()`, which returns a `Response` a route can return directly."""

from __future__ import annotations

import html

from .server import Response

# Currencies Stripe counts in whole units (amount 500 JPY is ¥500, not ¥5.00).
ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,
sans-serif;color:#1a1f36;background:#f6f8fa}
.testmode{background:#ffb224;color:#3b2300;text-align:center;font-weight:600;font-size:13px;
letter-spacing:.04em;padding:6px 12px;border-bottom:1px solid #e39b00}
.testmode small{font-weight:400;letter-spacing:0;margin-left:6px}
main{max-width:520px;margin:32px auto;padding:0 16px}
.card{background:#fff;border:1px solid #e3e8ee;border-radius:10px;padding:24px 28px;
box-shadow:0 2px 6px rgba(26,31,54,.06)}
h1{font-size:22px;margin:0 0 4px}
.muted{color:#697386}
.small{font-size:13px}
table.items{width:100%;border-collapse:collapse;margin:16px 0}
table.items td{padding:8px 0;border-bottom:1px solid #eef1f4;vertical-align:top}
table.items td.amount{text-align:right;white-space:nowrap;padding-left:12px}
table.items tr.total td{border-bottom:0;font-weight:700;font-size:17px;padding-top:12px}
label{display:block;font-weight:600;font-size:13px;margin:14px 0 4px}
input[type=text],input[type=email]{width:100%;padding:9px 11px;border:1px solid #c9d1da;
border-radius:6px;font:inherit;background:#fff}
input:focus{outline:2px solid #635bff;outline-offset:0;border-color:#635bff}
.row{display:flex;gap:12px}.row>div{flex:1}
.actions{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-top:20px}
button,.button{display:inline-block;font:inherit;font-weight:600;border-radius:6px;
padding:10px 18px;cursor:pointer;text-decoration:none;border:1px solid transparent}
.primary{background:#635bff;color:#fff;width:100%;font-size:16px;padding:12px 18px}
.primary:hover{background:#5148e8}
.secondary{background:#fff;color:#3c4257;border-color:#c9d1da}
.secondary:hover{background:#f6f8fa}
.link{color:#635bff;background:none;border:0;padding:10px 4px}
.error{background:#fff0f0;border:1px solid #f5b5b5;color:#a41c1c;border-radius:6px;
padding:10px 12px;margin:14px 0}
.notice{background:#eef6ff;border:1px solid #b6d4fe;color:#0b3d91;border-radius:6px;
padding:10px 12px;margin:14px 0}
.success{background:#edfbf2;border:1px solid #a6e3bd;color:#0b6b33;border-radius:6px;
padding:10px 12px;margin:14px 0}
details{margin-top:20px}
summary{cursor:pointer;color:#697386;font-size:13px}
table.cards{font-size:13px;border-collapse:collapse;margin-top:6px}
table.cards td{padding:3px 10px 3px 0}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f3f6;
padding:1px 4px;border-radius:4px}
footer{max-width:520px;margin:0 auto 32px;padding:0 16px;color:#8792a2;font-size:12px}
"""


def esc(value) -> str:
    """HTML-escape anything (None becomes an empty string)."""
    return html.escape("" if value is None else str(value), quote=True)


def money(amount: int, currency: str) -> str:
    """Stripe amounts are in the currency's smallest unit: money(1250, "eur") == "€12.50"."""
    currency = (currency or "").lower()
    if currency in ZERO_DECIMAL:
        number = f"{amount:,}"
    else:
        sign = "-" if amount < 0 else ""
        number = f"{sign}{abs(amount) // 100:,}.{abs(amount) % 100:02d}"
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{number} {currency.upper()}"


def render(title: str, body: str, *, heading: str | None = None) -> str:
    """A whole HTML document: test-mode banner, one card holding `body` (already HTML)."""
    heading_html = f"<h1>{esc(heading)}</h1>" if heading else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{esc(title)} · TEST MODE — local Stripe</title>"
        f"<style>{_CSS}</style></head><body>"
        '<div class="testmode" role="note" data-testid="test-mode-banner">'
        "TEST MODE — local Stripe<small>No real money moves. This page is served by "
        "devtools/stripe_local, not by Stripe.</small></div>"
        f'<main><div class="card">{heading_html}{body}</div></main>'
        "<footer>stripe_local · a development stand-in for Stripe's hosted pages</footer>"
        "</body></html>\n"
    )


def page(title: str, body: str, *, heading: str | None = None, status: int = 200) -> Response:
    return Response(status=status, html=render(title, body, heading=heading))


def message(kind: str, text: str, *, testid: str | None = None) -> str:
    """A coloured box: kind is "error", "notice" or "success"; `text` is plain text."""
    role = ' role="alert"' if kind == "error" else ""
    tid = f' data-testid="{esc(testid)}"' if testid else ""
    return f'<div class="{esc(kind)}"{role}{tid}>{esc(text)}</div>'


def not_found_page(what: str, object_id: str) -> Response:
    return page(
        "Not found",
        message("error", f"No such {what}: '{object_id}'.", testid="not-found")
        + '<p class="muted small">The link may be wrong, or the local Stripe server was '
        "reset since it was made.</p>",
        heading="Not found",
        status=404,
    )
