"""The parts of a connected account an Express platform reads after onboarding: its
capabilities, its external (bank) accounts, and login links to its Express dashboard, which
open a hosted test page (single-use, valid five minutes, as Stripe's are)."""

from __future__ import annotations

import secrets

from .. import pages
from ..pages import esc, money
from ..wire import StripeError, as_int, not_found, sublist
from .connect import LINK_LIFETIME, account_of, capability_of
from .payments import check_params

# The capabilities an account can be asked about (Stripe's `account.capabilities` names).
KNOWN_CAPABILITIES = frozenset(
    {
        "acss_debit_payments",
        "affirm_payments",
        "afterpay_clearpay_payments",
        "au_becs_debit_payments",
        "bacs_debit_payments",
        "bancontact_payments",
        "bank_transfer_payments",
        "blik_payments",
        "boleto_payments",
        "card_issuing",
        "card_payments",
        "cartes_bancaires_payments",
        "cashapp_payments",
        "eps_payments",
        "fpx_payments",
        "giropay_payments",
        "grabpay_payments",
        "ideal_payments",
        "jcb_payments",
        "klarna_payments",
        "konbini_payments",
        "legacy_payments",
        "link_payments",
        "oxxo_payments",
        "p24_payments",
        "paynow_payments",
        "promptpay_payments",
        "sepa_debit_payments",
        "sofort_payments",
        "tax_reporting_us_1099_k",
        "tax_reporting_us_1099_misc",
        "transfers",
        "treasury",
        "us_bank_account_ach_payments",
        "zip_payments",
    }
)
NOT_ONBOARDED = "Cannot create a login link for an account that has not completed onboarding."


def _page_of(items: list[dict], params: dict, url: str) -> dict:
    """A list page over objects kept inside their account (no `created` order of their own)."""
    limit = as_int(params, "limit", default=10)
    if not 1 <= limit <= 100:
        raise StripeError("Invalid limit: must be between 1 and 100", param="limit")
    ids = [item["id"] for item in items]
    after, before = params.get("starting_after"), params.get("ending_before")
    for name, cursor in (("starting_after", after), ("ending_before", before)):
        if cursor and cursor not in ids:
            raise StripeError(f"No such object: '{cursor}'", param=name)
    if after:
        items = items[ids.index(after) + 1 :]
    elif before:
        items = items[max(0, ids.index(before) - limit) : ids.index(before)]
    return sublist(items, url, limit=limit)


def _dashboard(server, account: dict) -> str:
    store = server.store
    rows = []
    for currency, entry in sorted(store.balances.get(account["id"], {}).items()):
        rows.append(
            f"<tr><td>{esc(currency.upper())}</td>"
            f'<td class="amount" data-testid="available-{esc(currency)}">'
            f"{esc(money(entry['available'], currency))}</td>"
            f'<td class="amount">{esc(money(entry["pending"], currency))}</td></tr>'
        )
    movements = store.all("balance_transaction", lambda t: t.get("_account") == account["id"])
    history = "".join(
        f"<tr><td>{esc(t['type'])}</td><td>{esc(t['status'])}</td>"
        f'<td class="amount">{esc(money(t["amount"], t["currency"]))}</td></tr>'
        for t in reversed(movements[-10:])
    )
    return (
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


def register(server) -> None:
    store = server.store

    # --- login links and the test Express dashboard --------------------------------------

    @server.route("POST", r"/v1/accounts/(?P<account_id>[^/]+)/login_links")
    def create_login_link(request, account_id):
        check_params(request.params, set())
        account = account_of(server, account_id)
        if not account.get("details_submitted"):
            raise StripeError(NOT_ONBOARDED, param="account")
        token = secrets.token_urlsafe(9)
        link = store.create(
            "login_link",
            {"url": f"{server.public_url}/express/{account_id}/{token}", "_used": False},
            account=account_id,
        )
        return {"object": "login_link", "created": link["created"], "url": link["url"]}

    @server.route("GET", r"/express/(?P<account_id>[^/]+)/(?P<token>[^/]+)", api=False)
    def express_dashboard(request, account_id, token):
        url = f"{server.public_url}/express/{account_id}/{token}"
        with store.lock:
            links = store.all("login_link", lambda link: link["url"] == url)
            link = links[0] if links else None
            if link is None or store.objects.get(account_id, {}).get("object") != "account":
                return pages.not_found_page("login link", token)
            if link["_used"] or store.now() >= link["created"] + LINK_LIFETIME:
                return pages.page(
                    "Link expired",
                    pages.message(
                        "notice",
                        "This login link has expired or was already used; login links are "
                        "single-use. Ask the platform for a new one.",
                        testid="login-link-expired",
                    ),
                    heading="Link expired",
                    status=410,
                )
            store.update(link, _used=True)
            account = store.objects[account_id]
        return pages.page("Express dashboard", _dashboard(server, account), heading="Payouts")

    # --- capabilities ----------------------------------------------------------------------

    @server.route("GET", r"/v1/accounts/(?P<account_id>[^/]+)/capabilities")
    def list_capabilities(request, account_id):
        account = account_of(server, account_id)
        items = [capability_of(account, name) for name in sorted(account["capabilities"])]
        return sublist(items, f"/v1/accounts/{account_id}/capabilities", limit=100)

    @server.route("GET", r"/v1/accounts/(?P<account_id>[^/]+)/capabilities/(?P<name>[^/]+)")
    def retrieve_capability(request, account_id, name):
        account = account_of(server, account_id)
        if name not in KNOWN_CAPABILITIES:
            raise not_found("capability", name, param="capability")
        return capability_of(account, name)

    # --- external accounts -------------------------------------------------------------------

    def external_accounts(account: dict) -> list[dict]:
        return list((account.get("external_accounts") or {}).get("data") or [])

    @server.route("GET", r"/v1/accounts/(?P<account_id>[^/]+)/external_accounts")
    def list_external_accounts(request, account_id):
        params = request.params
        check_params(params, {"object", "limit", "starting_after", "ending_before"})
        kind = params.get("object")
        if kind not in (None, "", "bank_account", "card"):
            raise StripeError("Invalid object: must be one of bank_account or card", param="object")
        items = [
            item
            for item in external_accounts(account_of(server, account_id))
            if not kind or item["object"] == kind
        ]
        return _page_of(items, params, f"/v1/accounts/{account_id}/external_accounts")

    @server.route("GET", r"/v1/accounts/(?P<account_id>[^/]+)/external_accounts/(?P<ext_id>[^/]+)")
    def retrieve_external_account(request, account_id, ext_id):
        for item in external_accounts(account_of(server, account_id)):
            if item["id"] == ext_id:
                return item
        raise not_found("external account", ext_id)
