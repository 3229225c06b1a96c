"""The parts of a connected account an Express platform reads after onboarding: its
capabilities, its external (bank) accounts, and login links to its Express dashboard, which
open a hosted test page (single-use, valid five minutes, as Stripe's are)."""

from __future__ import annotations

import secrets

from .. import pages
from ..wire import StripeError, not_found, sublist
from .accounts import LINK_LIFETIME, account_of, capability_of
from .base import Resource, Route, check_params, paginate

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


class LoginLink(Resource):
    """A single-use link to the account's (test) Express dashboard."""

    object = "login_link"
    path = "/v1/accounts/{account_id}/login_links"
    verbs = ("create",)
    routes = (Route("GET", "/express/{account_id}/{token}", "dashboard", api=False),)

    def create(self, request, account_id) -> dict:
        check_params(request.params, set())
        account = account_of(self.server, account_id)
        if not account.get("details_submitted"):
            raise StripeError(NOT_ONBOARDED, param="account")
        token = secrets.token_urlsafe(9)
        link = self.new(
            {"url": f"{self.server.public_url}/express/{account_id}/{token}", "_used": False},
            account=account_id,
        )
        return {"object": "login_link", "created": link["created"], "url": link["url"]}

    def dashboard(self, request, account_id, token):
        store = self.store
        url = f"{self.server.public_url}/express/{account_id}/{token}"
        with store.lock:
            links = self.all(lambda link: link["url"] == url)
            link = links[0] if links else None
            if link is None or store.objects.get(account_id, {}).get("object") != "account":
                return pages.not_found_page("login link", token)
            if link["_used"] or store.now() >= link["created"] + LINK_LIFETIME:
                return pages.login_link_expired_page()
            store.update(link, _used=True)
            account = store.objects[account_id]
        balances = store.balances.get(account["id"], {})
        movements = store.all("balance_transaction", lambda t: t.get("_account") == account["id"])
        return pages.dashboard_page(account, balances, list(reversed(movements[-10:])))


class Capability(Resource):
    """Computed from the account's `capabilities` (not stored on their own)."""

    object = "capability"
    path = "/v1/accounts/{account_id}/capabilities"
    id_param = "name"
    verbs = ("list", "retrieve")

    def list(self, request, account_id) -> dict:
        account = account_of(self.server, account_id)
        items = [capability_of(account, name) for name in sorted(account["capabilities"])]
        return sublist(items, f"/v1/accounts/{account_id}/capabilities", limit=100)

    def retrieve(self, request, account_id, name) -> dict:
        account = account_of(self.server, account_id)
        if name not in KNOWN_CAPABILITIES:
            raise not_found("capability", name, param="capability")
        return capability_of(account, name)


class ExternalAccount(Resource):
    """The bank accounts kept inside their account (`account.external_accounts`)."""

    object = "bank_account"
    path = "/v1/accounts/{account_id}/external_accounts"
    id_param = "ext_id"
    kind = "external account"
    verbs = ("list", "retrieve")

    def of(self, account_id: str) -> list[dict]:
        account = account_of(self.server, account_id)
        return list((account.get("external_accounts") or {}).get("data") or [])

    def list(self, request, account_id) -> dict:
        params = request.params
        check_params(params, {"object", "limit", "starting_after", "ending_before"})
        kind = params.get("object")
        if kind not in (None, "", "bank_account", "card"):
            raise StripeError("Invalid object: must be one of bank_account or card", param="object")
        items = [item for item in self.of(account_id) if not kind or item["object"] == kind]
        return paginate(params, items, f"/v1/accounts/{account_id}/external_accounts")

    def retrieve(self, request, account_id, ext_id) -> dict:
        for item in self.of(account_id):
            if item["id"] == ext_id:
                return item
        raise not_found(self.noun, ext_id)
