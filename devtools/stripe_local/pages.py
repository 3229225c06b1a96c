"""Every hosted test page the server shows a browser: Checkout's payment page, Connect's
onboarding page and Express dashboard, and what an expired or unknown link shows. Resources
hand these functions their objects; all the HTML is here.

Every page carries a loud "TEST MODE — local Stripe" banner so nobody mistakes it for Stripe
itself, uses inline CSS only (no external assets: the server runs without internet), and
escapes everything it interpolates. Each page is a body handed to `page()`, which returns a
`Response` a route can return directly."""

from __future__ import annotations

import html
from datetime import UTC, datetime

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
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}
dt{color:#697386}dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
ul.due{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#697386;
max-height:9rem;overflow:auto}
form.choice{margin:10px 0}form.choice button{width:100%}
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


# --- Connect: the hosted onboarding page ------------------------------------------------------


def onboarding_page(account: dict, link_id: str, minutes: int) -> Response:
    """Stands in for Stripe's Express onboarding: the account's details, what Stripe would ask
    for, and one button per way it can end."""
    due = account["requirements"]["currently_due"] or ["(nothing: already complete)"]
    items = "".join(f"<li>{esc(f)}</li>" for f in due)
    action = f"/connect/onboarding/{esc(link_id)}"

    def button(value: str, label: str, primary: bool = False) -> str:
        return (
            f'<form class="choice" method="post" action="{action}">'
            f'<input type="hidden" name="action" value="{value}">'
            f'<button type="submit" class="{"primary" if primary else "secondary"}">{label}'
            "</button></form>"
        )

    body = (
        "<p>This page stands in for Stripe's Express onboarding. Choose how it ends.</p>"
        f'<dl><dt>Account</dt><dd data-testid="account-id">{esc(account["id"])}</dd>'
        f"<dt>Email</dt><dd>{esc(account.get('email') or '—')}</dd>"
        f"<dt>Country</dt><dd>{esc(account['country'])}</dd>"
        f"<dt>Link expires</dt><dd>in {minutes} min</dd></dl>"
        f'<p class="muted small">Stripe would ask for:</p><ul class="due">{items}</ul>'
        + button("complete", "Complete onboarding", primary=True)
        + button("pending_verification", "Complete with payouts still pending verification")
        + button("abandon", "Leave without finishing")
        + '<p class="muted small">Completing fills in test details (a test bank account ending '
        "6789) and sends <code>account.updated</code>. Nothing entered here reaches Stripe; no "
        "identity is checked.</p>"
    )
    return page("Test onboarding", body, heading="Set up payouts (test onboarding)")


def link_invalid_page(problem: str, *, status: int) -> Response:
    """An onboarding link that is expired, used or unknown, when it has no refresh_url."""
    body = (
        message("error", problem, testid="link-invalid")
        + '<p class="muted small">Ask the platform for a new onboarding link.</p>'
    )
    return page("Link no longer valid", body, heading="Link no longer valid", status=status)


# --- Connect: the Express dashboard a login link opens ----------------------------------------


def dashboard_page(account: dict, balances: dict, movements: list[dict]) -> Response:
    """Stands in for Stripe's Express dashboard: the account's balance per currency and its
    latest balance movements (`movements`, newest first). It changes nothing."""
    rows = []
    for currency, entry in sorted(balances.items()):
        rows.append(
            f"<tr><td>{esc(currency.upper())}</td>"
            f'<td class="amount" data-testid="available-{esc(currency)}">'
            f"{esc(money(entry['available'], currency))}</td>"
            f'<td class="amount">{esc(money(entry["pending"], currency))}</td></tr>'
        )
    history = "".join(
        f"<tr><td>{esc(t['type'])}</td><td>{esc(t['status'])}</td>"
        f'<td class="amount">{esc(money(t["amount"], t["currency"]))}</td></tr>'
        for t in movements
    )
    body = (
        f'<p class="muted">Account <code data-testid="account-id">{esc(account["id"])}</code>'
        f" · {esc(account.get('email') or 'no email')}</p>"
        '<table class="items"><tr><td><strong>Currency</strong></td>'
        '<td class="amount"><strong>Available</strong></td>'
        '<td class="amount"><strong>Pending</strong></td></tr>'
        + ("".join(rows) or '<tr><td colspan="3" class="muted">No balance yet.</td></tr>')
        + "</table>"
        + (f'<table class="items">{history}</table>' if history else "")
        + '<p class="muted small">Payouts are '
        + ("enabled" if account.get("payouts_enabled") else "not enabled yet")
        + ". This page stands in for Stripe's Express dashboard; it changes nothing.</p>"
    )
    return page("Express dashboard", body, heading="Payouts")


def login_link_expired_page() -> Response:
    return page(
        "Link expired",
        message(
            "notice",
            "This login link has expired or was already used; login links are "
            "single-use. Ask the platform for a new one.",
            testid="login-link-expired",
        ),
        heading="Link expired",
        status=410,
    )


# --- Checkout: the hosted payment page ----------------------------------------------------------


def _items_table(session: dict, lines: list[tuple[dict, str | None]]) -> str:
    rows = []
    for item, description in lines:
        quantity = (
            f' <span class="muted">× {item["quantity"]}</span>' if item["quantity"] > 1 else ""
        )
        rows.append(
            '<tr data-testid="line-item"><td>'
            f"<strong>{esc(item['description'])}</strong>{quantity}"
            + (f'<br><span class="muted small">{esc(description)}</span>' if description else "")
            + f'</td><td class="amount">{esc(money(item["amount_total"], item["currency"]))}'
            "</td></tr>"
        )
    rows.append(
        '<tr class="total"><td>Total</td><td class="amount" data-testid="total">'
        f"{esc(money(session['amount_total'], session['currency']))}</td></tr>"
    )
    return f'<table class="items">{"".join(rows)}</table>'


def _test_cards_help(cards) -> str:
    rows = "".join(
        f"<tr><td><code>{esc(' '.join(c.number[i : i + 4] for i in range(0, 16, 4)))}</code>"
        f"</td><td>{esc(c.label)}</td></tr>"
        for c in cards
    )
    return (
        "<details><summary>Test cards</summary>"
        f'<table class="cards">{rows}</table>'
        '<p class="muted small">Any other well-formed number is declined as a live card; '
        "the expiry date and CVC are not checked.</p></details>"
    )


# A session that can no longer be paid: its message, and which URL leads back to the merchant.
_CLOSED = {
    "complete": (
        "Payment complete",
        "success",
        "This Checkout Session is complete: the payment was received.",
        "session-complete",
    ),
    "expired": (
        "Session expired",
        "notice",
        "This Checkout Session has expired and can no longer be paid.",
        "session-expired",
    ),
}


def checkout_page(
    session: dict,
    lines: list[tuple[dict, str | None]],
    cards,
    *,
    back_url: str | None = None,
    error: str | None = None,
    form: dict | None = None,
    status: int = 200,
) -> Response:
    """The page a buyer pays a Checkout Session on: its line items (`lines`: each item with
    its product's description), a card form prefilled with a test card (`cards` are listed
    under it), and a button that lets the session expire. A session no longer open shows what
    became of it and a link back to the merchant (`back_url`)."""
    form = form or {}
    sid = esc(session["id"])
    total = money(session["amount_total"], session["currency"])
    expires = datetime.fromtimestamp(session["expires_at"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = (
        f'<p class="muted small">Checkout Session <code>{sid}</code>'
        + (f" · expires {esc(expires)}" if session["status"] == "open" else "")
        + "</p>"
    )
    table = _items_table(session, lines)
    if session["status"] in _CLOSED:
        title, kind, text, testid = _CLOSED[session["status"]]
        back = ""
        if back_url:
            back = (
                f'<div class="actions"><a class="button secondary" '
                f'href="{esc(back_url)}">Return to the merchant</a></div>'
            )
        body = message(kind, text, testid=testid) + table + back + footer
        return page(title, body, heading=title, status=status)

    email = form.get("email", session["customer_email"] or "")
    email_input = (
        f'<input type="email" id="email" name="email" value="{esc(email)}" '
        'autocomplete="email" placeholder="you@example.com">'
    )
    cancel = ""
    if session["cancel_url"]:
        cancel = (
            f'<a class="button link" href="{esc(session["cancel_url"])}" '
            'data-testid="cancel">Cancel and return</a>'
        )
    body = (
        f'<p class="muted">Pay <strong data-testid="amount">{esc(total)}</strong></p>'
        + table
        + (message("error", error, testid="payment-error") if error else "")
        + f'<form method="post" action="/pay/{sid}" data-testid="pay-form">'
        '<input type="hidden" name="action" value="pay">'
        f'<label for="email">Email</label>{email_input}'
        '<label for="card_number">Card number</label>'
        '<input type="text" id="card_number" name="card_number" inputmode="numeric" '
        f'autocomplete="cc-number" value="{esc(form.get("card_number", "4242 4242 4242 4242"))}">'
        '<div class="row"><div><label for="exp">Expiry (MM / YY)</label>'
        f'<input type="text" id="exp" name="exp" value="{esc(form.get("exp", "12 / 34"))}">'
        '</div><div><label for="cvc">CVC</label>'
        f'<input type="text" id="cvc" name="cvc" value="{esc(form.get("cvc", "123"))}">'
        "</div></div>"
        '<label for="name">Name on card</label>'
        f'<input type="text" id="name" name="name" autocomplete="cc-name" '
        f'value="{esc(form.get("name", ""))}">'
        '<div class="actions"><button class="primary" type="submit" data-testid="pay">'
        f"Pay {esc(total)}</button></div></form>"
        f'<form method="post" action="/pay/{sid}" class="actions">'
        '<input type="hidden" name="action" value="expire">'
        '<button class="secondary" type="submit" data-testid="expire">Let it expire</button>'
        f"{cancel}</form>" + _test_cards_help(cards) + footer
    )
    return page("Checkout", body, heading="Checkout", status=status)
