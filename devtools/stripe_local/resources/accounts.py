"""Connect Express accounts (`/v1/accounts`, `GET /v1/account`) and account links with the
hosted test onboarding page, plus a control endpoint that moves an account's requirements the
way time and Stripe's reviewers would. The parts of an account read after onboarding
(capabilities, external accounts, login links) are in express.py."""

from __future__ import annotations

import copy
import secrets

from .. import pages
from ..server import Response
from ..store import public
from ..wire import StripeError, as_bool, as_int, metadata_of, missing, sublist
from .base import Resource, Route, diff

LINK_LIFETIME = 300  # seconds, as Stripe's account links

CURRENCY_BY_COUNTRY = {
    "US": "usd",
    "GB": "gbp",
    "CA": "cad",
    "AU": "aud",
    "NZ": "nzd",
    "CH": "chf",
    "JP": "jpy",
    "SE": "sek",
    "NO": "nok",
    "DK": "dkk",
    "PL": "pln",
    "SG": "sgd",
    "HK": "hkd",
}
EURO_COUNTRIES = {
    "AT",
    "BE",
    "CY",
    "DE",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PT",
    "SI",
    "SK",
}
BUSINESS_TYPES = ("individual", "company", "non_profit", "government_entity")
CAPABILITY_STATUSES = ("active", "inactive", "pending")


# --- requirements -------------------------------------------------------------------------


def _initial_due(business_type: str | None, country: str) -> list[str]:
    """What a fresh Express account owes before it can take charges or receive payouts."""
    if business_type == "individual":
        person = [
            "individual.address.city",
            "individual.address.line1",
            "individual.address.postal_code",
            "individual.address.state",
            "individual.dob.day",
            "individual.dob.month",
            "individual.dob.year",
            "individual.email",
            "individual.first_name",
            "individual.last_name",
            "individual.phone",
            "individual.ssn_last_4",
        ]
        if country != "US":
            person = [
                f for f in person if f not in ("individual.address.state", "individual.ssn_last_4")
            ]
    elif business_type:
        person = [
            "company.address.city",
            "company.address.line1",
            "company.address.postal_code",
            "company.name",
            "company.phone",
            "company.tax_id",
            "representative.dob.day",
            "representative.dob.month",
            "representative.dob.year",
            "representative.email",
            "representative.first_name",
            "representative.last_name",
            "representative.phone",
        ]
    else:
        person = ["business_type"]
    return sorted(
        [
            "business_profile.mcc",
            "business_profile.url",
            "external_account",
            *person,
            "tos_acceptance.date",
            "tos_acceptance.ip",
        ]
    )


def _requirements(
    *,
    currently_due: list[str] | None = None,
    eventually_due: list[str] | None = None,
    past_due: list[str] | None = None,
    pending_verification: list[str] | None = None,
    disabled_reason: str | None = None,
    current_deadline: int | None = None,
) -> dict:
    currently_due = list(currently_due or [])
    return {
        "alternatives": [],
        "current_deadline": current_deadline,
        "currently_due": currently_due,
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": sorted(set(eventually_due or []) | set(currently_due)),
        "past_due": list(past_due or []),
        "pending_verification": list(pending_verification or []),
    }


def account_of(server, account_id: str) -> dict:
    """The connected account, or the 403 Stripe answers for one the platform cannot see."""
    account = server.store.objects.get(account_id)
    if account is None or account["object"] != "account":
        raise StripeError(
            f"The provided key '{_redacted(server.secret_key)}' does not have access to "
            f"account '{account_id}' (or that account does not exist). Application access "
            "may have been revoked.",
            status=403,
            code="account_invalid",
        )
    return account


def capability_of(account: dict, name: str) -> dict:
    """The `capability` object for one of the account's capabilities (`unrequested` when the
    account never asked for it)."""
    status = account["capabilities"].get(name, "unrequested")
    reqs = account["requirements"]
    requested = name in account["capabilities"]
    return {
        "id": name,
        "object": "capability",
        "account": account["id"],
        "future_requirements": _requirements(),
        "requested": requested,
        "requested_at": account["created"] if requested else None,
        "requirements": _requirements(
            currently_due=reqs["currently_due"] if requested else [],
            past_due=reqs["past_due"] if requested else [],
            pending_verification=reqs["pending_verification"] if requested else [],
            disabled_reason=reqs["disabled_reason"] if status in ("inactive", "pending") else None,
            current_deadline=reqs["current_deadline"] if requested else None,
        ),
        "status": status,
        "_account": account["id"],
    }


def change_account(server, account: dict, **fields) -> dict:
    """Apply changes; emit capability.updated and account.updated for what changed."""
    store = server.store
    with store.lock:
        before = public(account)
        store.update(account, **copy.deepcopy(fields))
        after = public(account)
        previous = diff(before, after)
    if not previous:
        return account
    old_caps, new_caps = before.get("capabilities", {}), after.get("capabilities", {})
    for name in sorted(new_caps):
        if old_caps.get(name) != new_caps[name]:
            store.emit(
                "capability.updated",
                capability_of(account, name),
                previous={"status": old_caps.get(name, "unrequested")},
            )
    store.emit("account.updated", account, previous=previous)
    return account


def onboarded_fields(store, account: dict, *, payouts_pending: bool = False) -> dict:
    """What completing the hosted onboarding does to an account."""
    caps = {name: "active" for name in account["capabilities"]}
    bank = account["external_accounts"]["data"] or [_test_bank_account(account)]
    return {
        "business_type": account.get("business_type") or "individual",
        "capabilities": caps,
        "charges_enabled": True,
        "details_submitted": True,
        "payouts_enabled": not payouts_pending,
        "requirements": _requirements(
            pending_verification=["individual.verification.document"] if payouts_pending else [],
            disabled_reason="requirements.pending_verification" if payouts_pending else None,
        ),
        "tos_acceptance": {"date": store.now(), "ip": "127.0.0.1", "user_agent": None},
        "external_accounts": sublist(bank, f"/v1/accounts/{account['id']}/external_accounts"),
    }


class Account(Resource):
    """Express accounts only (Standard and Custom accounts are refused)."""

    object = "account"
    prefix = "acct_"
    path = "/v1/accounts"
    id_param = "account_id"
    verbs = ("create", "list", "retrieve", "update", "delete")
    scoped = False
    routes = (
        Route("GET", "/v1/account", "retrieve_current"),
        Route("POST", "/_control/accounts/{account_id}", "control", api=False),
    )

    def fetch(self, request, object_id: str, *, param: str = "id") -> dict:
        """Another platform's account, or none: Stripe's 403, not a 404."""
        return account_of(self.server, object_id)

    def create(self, request):
        params = request.params
        account_type = params.get("type") or "express"
        if account_type != "express":
            raise StripeError(
                f"stripe_local implements Express accounts only; got type '{account_type}'. "
                "Use real Stripe test mode for Standard or Custom accounts.",
                param="type",
            )
        country = str(params.get("country") or "US").upper()
        if len(country) != 2 or not country.isalpha():
            raise StripeError(f"Country '{country}' is unknown.", param="country")
        business_type = params.get("business_type") or None
        if business_type and business_type not in BUSINESS_TYPES:
            raise StripeError(
                f"Invalid business_type: must be one of {', '.join(BUSINESS_TYPES)}",
                param="business_type",
            )
        requested = _requested_capabilities(params.get("capabilities"))
        if requested is None:  # not given: Express accounts need transfers, ask for it
            requested = ["transfers"]
        if "card_payments" in requested and "transfers" not in requested:
            raise StripeError(
                "In order to request the `card_payments` capability, you must also request "
                "the `transfers` capability.",
                param="capabilities",
            )
        due = _initial_due(business_type, country)
        default_currency = str(
            params.get("default_currency")
            or CURRENCY_BY_COUNTRY.get(country)
            or ("eur" if country in EURO_COUNTRIES else "usd")
        ).lower()
        with self.store.lock:
            account = self.new(
                {
                    "business_profile": _business_profile(params.get("business_profile")),
                    "business_type": business_type,
                    "capabilities": dict.fromkeys(sorted(requested), "inactive"),
                    "charges_enabled": False,
                    "controller": {
                        "fees": {"payer": "application"},
                        "is_controller": True,
                        "losses": {"payments": "application"},
                        "requirement_collection": "stripe",
                        "stripe_dashboard": {"type": "express"},
                        "type": "application",
                    },
                    "country": country,
                    "default_currency": default_currency,
                    "details_submitted": False,
                    "email": params.get("email") or None,
                    "external_accounts": None,
                    "future_requirements": _requirements(),
                    "metadata": metadata_of(params),
                    "payouts_enabled": False,
                    "requirements": _requirements(
                        currently_due=due,
                        past_due=due,
                        disabled_reason="requirements.past_due",
                    ),
                    "settings": _settings(),
                    "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
                    "type": "express",
                },
            )
            # Connect events about this account carry `account: acct_...`, as Stripe's do.
            return self.store.update(
                account,
                _account=account["id"],
                external_accounts=sublist([], f"/v1/accounts/{account['id']}/external_accounts"),
            )

    def list(self, request):
        return self.page(request, self.all(), self.path)

    def retrieve_current(self, request):
        if request.account:
            return self.fetch(request, request.account)
        return _platform_account(self.store)

    def update(self, request, account_id):
        account = self.fetch(request, account_id)
        params = request.params
        changes: dict = {"metadata": metadata_of(params, account.get("metadata"))}
        if "email" in params:
            changes["email"] = params["email"] or None
        if "business_type" in params:
            if params["business_type"] not in (*BUSINESS_TYPES, ""):
                raise StripeError("Invalid business_type", param="business_type")
            changes["business_type"] = params["business_type"] or None
        if "business_profile" in params:
            changes["business_profile"] = _business_profile(
                params["business_profile"], account.get("business_profile")
            )
        requested = _requested_capabilities(params.get("capabilities")) or []
        if requested:
            caps = dict(account["capabilities"])
            onboarded = account["details_submitted"] and not account["requirements"]["past_due"]
            for name in requested:
                caps.setdefault(name, "active" if onboarded else "inactive")
            changes["capabilities"] = caps
        return change_account(self.server, account, **changes)

    def delete(self, request, account_id):
        self.fetch(request, account_id)
        with self.store.lock:
            self.store.objects.pop(account_id, None)
            if account_id in self.store.order:
                self.store.order.remove(account_id)
            self.store.save()
        return {"id": account_id, "object": "account", "deleted": True}

    def control(self, request, account_id):
        """Set an account's state the way Stripe's reviewers and deadlines would.

        `state`: complete | pending_verification | requirements_due (due soon, still enabled)
        | restricted (past due: charges and payouts disabled) | new. Then any of:
        currently_due[], past_due[], eventually_due[], pending_verification[],
        disabled_reason, current_deadline, charges_enabled, payouts_enabled,
        details_submitted, capabilities[name]=active|inactive|pending."""
        account = self.fetch(request, account_id)
        params = request.params
        changes: dict = {}
        state = params.get("state")
        if state == "complete":
            changes = onboarded_fields(self.store, account)
        elif state == "pending_verification":
            changes = onboarded_fields(self.store, account, payouts_pending=True)
        elif state == "requirements_due":
            due = params.get("currently_due") or ["individual.verification.document"]
            changes = {
                "requirements": _requirements(
                    currently_due=due, current_deadline=self.store.now() + 14 * 86400
                )
            }
        elif state == "restricted":
            due = params.get("past_due") or ["individual.verification.document"]
            changes = {
                "charges_enabled": False,
                "payouts_enabled": False,
                "capabilities": dict.fromkeys(account["capabilities"], "inactive"),
                "requirements": _requirements(
                    currently_due=due, past_due=due, disabled_reason="requirements.past_due"
                ),
            }
        elif state == "new":
            due = _initial_due(account.get("business_type"), account["country"])
            changes = {
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "capabilities": dict.fromkeys(account["capabilities"], "inactive"),
                "requirements": _requirements(
                    currently_due=due, past_due=due, disabled_reason="requirements.past_due"
                ),
            }
        elif state:
            raise StripeError(f"Unknown state '{state}'", param="state")

        reqs = copy.deepcopy(changes.get("requirements") or account["requirements"])
        touched = False
        for name in ("currently_due", "past_due", "eventually_due", "pending_verification"):
            if name in params:
                value = params[name]
                reqs[name] = [] if value in ("", None) else list(value)
                touched = True
        if "disabled_reason" in params:
            reqs["disabled_reason"] = params["disabled_reason"] or None
            touched = True
        if "current_deadline" in params:
            reqs["current_deadline"] = as_int(params, "current_deadline")
            touched = True
        if touched:
            reqs["eventually_due"] = sorted(
                set(reqs["eventually_due"]) | set(reqs["currently_due"])
            )
            changes["requirements"] = reqs
        for flag in ("charges_enabled", "payouts_enabled", "details_submitted"):
            if flag in params:
                changes[flag] = as_bool(params, flag)
        if isinstance(params.get("capabilities"), dict):
            caps = dict(changes.get("capabilities") or account["capabilities"])
            for name, status in params["capabilities"].items():
                if status not in CAPABILITY_STATUSES:
                    raise StripeError(
                        f"capability status must be one of {CAPABILITY_STATUSES}",
                        param=f"capabilities[{name}]",
                    )
                caps[name] = status
            changes["capabilities"] = caps
        change_account(self.server, account, **changes)
        return Response(body=public(account))


class AccountLink(Resource):
    """A single-use link, valid five minutes, to the hosted test onboarding page."""

    object = "account_link"
    prefix = "acctlink_"
    path = "/v1/account_links"
    verbs = ("create",)
    scoped = False
    routes = (
        Route("GET", "/connect/onboarding/{link_id}", "onboarding", api=False),
        Route("POST", "/connect/onboarding/{link_id}", "onboarding_submit", api=False),
    )

    def create(self, request):
        params = request.params
        account_id = params.get("account")
        if not account_id:
            raise missing("account")
        link_type = params.get("type")
        if not link_type:
            raise missing("type")
        if link_type not in ("account_onboarding", "account_update"):
            raise StripeError(
                "Invalid type: must be one of account_onboarding or account_update", param="type"
            )
        account = self.store.objects.get(account_id)
        if account is None or account["object"] != "account":
            raise StripeError(
                f"No such account: '{account_id}'", code="resource_missing", param="account"
            )
        if link_type == "account_update":
            raise StripeError(
                "You cannot create `account_update` type Account Links for accounts that have "
                "access to a Stripe-hosted Dashboard (Express). Use `account_onboarding`, or "
                "an Express dashboard login link.",
                param="type",
            )
        for name in ("refresh_url", "return_url"):
            url = params.get(name)
            if url and not str(url).startswith(("http://", "https://")):
                raise StripeError(f"Not a valid URL: {url}", param=name, code="url_invalid")
        link = self.new(
            {
                "expires_at": self.store.now() + LINK_LIFETIME,
                "_for": account_id,
                "_type": link_type,
                "_refresh_url": params.get("refresh_url") or None,
                "_return_url": params.get("return_url") or None,
                "_visited": False,
                "_used": False,
            },
        )
        url = f"{self.server.public_url}/connect/onboarding/{link['id']}"
        self.store.update(link, url=url)
        return {
            "object": "account_link",
            "created": link["created"],
            "expires_at": link["expires_at"],
            "url": url,
        }

    def problem(self, link: dict | None, *, posting: bool) -> str | None:
        store = self.store
        if link is None:
            return "This onboarding link does not exist."
        if store.objects.get(link["_for"], {}).get("object") != "account":
            return "The account this link was made for no longer exists."
        if store.now() >= link["expires_at"]:
            return "This onboarding link has expired."
        if link["_used"] or (link["_visited"] and not posting):
            return "This onboarding link has already been used; account links are single-use."
        return None

    @staticmethod
    def invalid(link: dict | None, problem: str) -> Response:
        """Stripe sends the user to refresh_url when a link is expired, visited or invalid;
        without one there is nowhere to go, so say what happened."""
        refresh = link and link.get("_refresh_url")
        if refresh:
            return Response(redirect=refresh)
        return pages.link_invalid_page(problem, status=410 if link else 404)

    def onboarding(self, request, link_id) -> Response:
        store = self.store
        with store.lock:
            link = _link(store, link_id)
            problem = self.problem(link, posting=False)
            if problem:
                return self.invalid(link, problem)
            store.update(link, _visited=True)
            account = store.objects[link["_for"]]
        minutes = max(0, (link["expires_at"] - store.now()) // 60)
        return pages.onboarding_page(account, link_id, minutes)

    def onboarding_submit(self, request, link_id) -> Response:
        store = self.store
        choice = request.form.get("action")
        if choice not in ("complete", "pending_verification", "abandon"):
            return pages.page("Unknown choice", "", heading="Unknown choice", status=400)
        with store.lock:
            link = _link(store, link_id)
            problem = self.problem(link, posting=True)
            if problem:
                return self.invalid(link, problem)
            store.update(link, _used=True, _visited=True)
            account = store.objects[link["_for"]]
        if choice != "abandon":
            fields = onboarded_fields(store, account, payouts_pending=choice != "complete")
            change_account(self.server, account, **fields)
        # Stripe returns the user to return_url whether they finished or left early; the
        # platform must look at the account (details_submitted, requirements) to know which.
        if link["_return_url"]:
            return Response(redirect=link["_return_url"])
        return pages.page("Done", "<p>You can close this window.</p>", heading="Done")


# --- helpers ------------------------------------------------------------------------------


def _redacted(key: str) -> str:
    return key[:8] + "*" * max(0, len(key) - 12) + key[-4:]


def _link(store, link_id: str) -> dict | None:
    link = store.objects.get(link_id)
    return link if link and link["object"] == "account_link" else None


def _requested_capabilities(given) -> list[str] | None:
    """`capabilities[transfers][requested]=true` → ["transfers"]; None when not given."""
    if given in (None, ""):
        return None
    if not isinstance(given, dict):
        raise StripeError("Invalid capabilities: must be a hash", param="capabilities")
    requested = []
    for name, spec in given.items():
        if not isinstance(spec, dict) or "requested" not in spec:
            raise missing(f"capabilities[{name}][requested]")
        if str(spec["requested"]).lower() in ("true", "1"):
            requested.append(name)
    return requested


def _business_profile(given, current: dict | None = None) -> dict:
    profile = dict(
        current
        or {
            "mcc": None,
            "name": None,
            "product_description": None,
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": None,
        }
    )
    if isinstance(given, dict):
        for key, value in given.items():
            profile[key] = value or None
    return profile


def _platform_account(store) -> dict:
    """The platform itself (`GET /v1/account` without `Stripe-Account`): a Standard account,
    fully enabled, made when the server started."""
    account_id = "acct_stripe_local_platform"
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {
            **_business_profile(None),
            "name": "stripe_local platform",
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": "US",
        "created": store.started,
        "default_currency": "usd",
        "details_submitted": True,
        "email": None,
        "external_accounts": sublist([], f"/v1/accounts/{account_id}/external_accounts"),
        "future_requirements": _requirements(),
        "metadata": {},
        "payouts_enabled": True,
        "requirements": _requirements(),
        "settings": _settings(),
        "tos_acceptance": {"date": store.started, "ip": None, "user_agent": None},
        "type": "standard",
    }


def _settings() -> dict:
    """A new Express account's `settings`, as Stripe fills them in before onboarding.
    `bacs_debit_payments` stays empty: API 2023-08-16 leaves out its `display_name` until
    one is set, where newer versions send nulls."""
    return {
        "bacs_debit_payments": {},
        "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
        "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
        "card_payments": {
            "decline_on": {"avs_failure": False, "cvc_failure": False},
            "statement_descriptor_prefix": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
        "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "offer"},
        "payments": {
            "statement_descriptor": None,
            "statement_descriptor_kana": None,
            "statement_descriptor_kanji": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "payouts": {
            "debit_negative_balances": True,
            "schedule": {"delay_days": 2, "interval": "daily"},
            "statement_descriptor": None,
        },
        "sepa_debit_payments": {},
    }


def _test_bank_account(account: dict) -> dict:
    return {
        "id": "ba_" + secrets.token_hex(12),
        "object": "bank_account",
        "account": account["id"],
        "account_holder_name": None,
        "account_holder_type": None,
        "account_type": None,
        "available_payout_methods": ["standard"],
        "bank_name": "STRIPE TEST BANK",
        "country": account["country"],
        "currency": account["default_currency"],
        "customer": None,
        "default_for_currency": True,
        "fingerprint": secrets.token_hex(8),
        "last4": "6789",
        "metadata": {},
        "routing_number": "110000000",
        "status": "new",
    }
