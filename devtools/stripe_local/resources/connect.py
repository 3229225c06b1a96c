"""Connect: Express accounts, account links with a hosted test onboarding page, balances,
Transfers and Transfer reversals, plus control endpoints to move an account's requirements and
the platform's funds the way time and Stripe's reviewers would.

Money model. Balances live in the store per account (None = the platform) and currency, split
into `available` and `pending`. A charge puts its amount in the platform's pending balance (or
available, test card 4000000000000077); `POST /_control/balance/settle` stands in for Stripe's
payout schedule and makes everything pending available. A transfer takes from the platform's
available balance, or, with `source_transaction`, from that charge's funds (pending or
available, up to what has not yet been transferred from it), and credits the connected account
in the same state. A reversal takes the funds back from the connected account, which must still
hold them."""

from __future__ import annotations

import copy
import html
import secrets

from ..server import Response
from ..store import public
from ..wire import StripeError, as_bool, as_int, metadata_of, missing, sublist

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

INSUFFICIENT_FUNDS = (
    "You have insufficient available funds in your Stripe account. Try adding funds directly "
    "to your available balance by creating Charges using the 4000000000000077 test card. See: "
    "https://stripe.com/docs/testing#available-balance"
)
NO_TRANSFERS_CAPABILITY = (
    "Your destination account needs to have at least one of the following capabilities "
    "enabled: transfers, crypto_transfers, legacy_payments"
)


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


def _diff(old: dict, new: dict) -> dict:
    """Stripe's `previous_attributes`: the old values of what changed (nested dicts by key)."""
    previous = {}
    for key in sorted(set(old) | set(new)):
        if key.startswith("_") or old.get(key) == new.get(key):
            continue
        before, after = old.get(key), new.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            previous[key] = _diff(before, after)
        else:
            previous[key] = copy.deepcopy(before)
    return previous


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · stripe_local</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f6f8fa; color: #1a1f36; margin: 0; }}
.banner {{ background: #ffde59; color: #3b2f00; padding: .6rem 1rem; font-weight: 600;
  text-align: center; border-bottom: 2px solid #e0b800; }}
main {{ max-width: 34rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem;
  border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }}
h1 {{ font-size: 1.35rem; margin-top: 0; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }}
dt {{ color: #697386; }} dd {{ margin: 0; font-family: ui-monospace, monospace; }}
ul.due {{ font-family: ui-monospace, monospace; font-size: .85rem; color: #697386;
  max-height: 9rem; overflow: auto; }}
form {{ margin: .6rem 0; }}
button {{ width: 100%; padding: .7rem; font-size: 1rem; border-radius: 6px; cursor: pointer;
  border: 1px solid #c1c9d2; background: #fff; }}
button.primary {{ background: #635bff; border-color: #635bff; color: #fff; font-weight: 600; }}
.note {{ color: #697386; font-size: .85rem; }}
</style></head>
<body><div class="banner" role="note">TEST MODE · stripe_local, a local stand-in for Stripe.
Nothing entered here reaches Stripe; no identity is checked.</div>
<main>{body}</main></body></html>"""


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


def register(server) -> None:
    store = server.store

    # --- accounts ---------------------------------------------------------------------

    def get_account(account_id: str) -> dict:
        return account_of(server, account_id)

    def change_account(account: dict, **fields) -> dict:
        """Apply changes; emit capability.updated and account.updated for what changed."""
        with store.lock:
            before = public(account)
            store.update(account, **copy.deepcopy(fields))
            after = public(account)
            previous = _diff(before, after)
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

    def onboarded_fields(account: dict, *, payouts_pending: bool = False) -> dict:
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
                pending_verification=["individual.verification.document"]
                if payouts_pending
                else [],
                disabled_reason="requirements.pending_verification" if payouts_pending else None,
            ),
            "tos_acceptance": {"date": store.now(), "ip": "127.0.0.1", "user_agent": None},
            "external_accounts": sublist(bank, f"/v1/accounts/{account['id']}/external_accounts"),
        }

    @server.route("POST", r"/v1/accounts")
    def create_account(request):
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
        with store.lock:
            account = store.create(
                "account",
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
            return store.update(
                account,
                _account=account["id"],
                external_accounts=sublist([], f"/v1/accounts/{account['id']}/external_accounts"),
            )

    @server.route("GET", r"/v1/accounts")
    def list_accounts(request):
        return server.list_response(request, store.all("account"), "/v1/accounts")

    @server.route("GET", r"/v1/accounts/(?P<account_id>[^/]+)")
    def retrieve_account(request, account_id):
        return get_account(account_id)

    @server.route("GET", r"/v1/account")
    def retrieve_current_account(request):
        if request.account:
            return get_account(request.account)
        return _platform_account(store)

    @server.route("POST", r"/v1/accounts/(?P<account_id>[^/]+)")
    def update_account(request, account_id):
        account = get_account(account_id)
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
        return change_account(account, **changes)

    @server.route("DELETE", r"/v1/accounts/(?P<account_id>[^/]+)")
    def delete_account(request, account_id):
        get_account(account_id)
        with store.lock:
            store.objects.pop(account_id, None)
            if account_id in store.order:
                store.order.remove(account_id)
            store.save()
        return {"id": account_id, "object": "account", "deleted": True}

    # --- account links and the hosted onboarding page ---------------------------------

    @server.route("POST", r"/v1/account_links")
    def create_account_link(request):
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
        account = store.objects.get(account_id)
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
        link = store.create(
            "account_link",
            {
                "expires_at": store.now() + LINK_LIFETIME,
                "_for": account_id,
                "_type": link_type,
                "_refresh_url": params.get("refresh_url") or None,
                "_return_url": params.get("return_url") or None,
                "_visited": False,
                "_used": False,
            },
        )
        url = f"{server.public_url}/connect/onboarding/{link['id']}"
        store.update(link, url=url)
        return {
            "object": "account_link",
            "created": link["created"],
            "expires_at": link["expires_at"],
            "url": url,
        }

    def link_problem(link: dict | None, *, posting: bool) -> str | None:
        if link is None:
            return "This onboarding link does not exist."
        if store.objects.get(link["_for"], {}).get("object") != "account":
            return "The account this link was made for no longer exists."
        if store.now() >= link["expires_at"]:
            return "This onboarding link has expired."
        if link["_used"] or (link["_visited"] and not posting):
            return "This onboarding link has already been used; account links are single-use."
        return None

    def invalid_link(link: dict | None, problem: str) -> Response:
        """Stripe sends the user to refresh_url when a link is expired, visited or invalid;
        without one there is nowhere to go, so say what happened."""
        refresh = link and link.get("_refresh_url")
        if refresh:
            return Response(redirect=refresh)
        return Response(
            status=410 if link else 404,
            html=_page(
                "Link no longer valid",
                f"<h1>Link no longer valid</h1><p>{html.escape(problem)}</p>"
                '<p class="note">Ask the platform for a new onboarding link.</p>',
            ),
        )

    @server.route("GET", r"/connect/onboarding/(?P<link_id>[^/]+)", api=False)
    def onboarding_page(request, link_id):
        with store.lock:
            link = _link(store, link_id)
            problem = link_problem(link, posting=False)
            if problem:
                return invalid_link(link, problem)
            store.update(link, _visited=True)
            account = store.objects[link["_for"]]
        due = account["requirements"]["currently_due"] or ["(nothing: already complete)"]
        items = "".join(f"<li>{html.escape(f)}</li>" for f in due)
        minutes = max(0, (link["expires_at"] - store.now()) // 60)
        action = f"/connect/onboarding/{html.escape(link_id)}"

        def button(value: str, label: str, primary: bool = False) -> str:
            css = ' class="primary"' if primary else ""
            return (
                f'<form method="post" action="{action}">'
                f'<input type="hidden" name="action" value="{value}">'
                f'<button type="submit"{css}>{label}</button></form>'
            )

        body = f"""<h1>Set up payouts (test onboarding)</h1>
<p>This page stands in for Stripe's Express onboarding. Choose how it ends.</p>
<dl><dt>Account</dt><dd data-testid="account-id">{html.escape(account["id"])}</dd>
<dt>Email</dt><dd>{html.escape(account.get("email") or "—")}</dd>
<dt>Country</dt><dd>{html.escape(account["country"])}</dd>
<dt>Link expires</dt><dd>in {minutes} min</dd></dl>
<p class="note">Stripe would ask for:</p><ul class="due">{items}</ul>
{button("complete", "Complete onboarding", primary=True)}
{button("pending_verification", "Complete with payouts still pending verification")}
{button("abandon", "Leave without finishing")}
<p class="note">Completing fills in test details (a test bank account ending 6789) and
sends <code>account.updated</code>.</p>"""
        return Response(html=_page("Test onboarding", body))

    @server.route("POST", r"/connect/onboarding/(?P<link_id>[^/]+)", api=False)
    def onboarding_submit(request, link_id):
        choice = request.form.get("action")
        if choice not in ("complete", "pending_verification", "abandon"):
            return Response(status=400, html=_page("Unknown choice", "<h1>Unknown choice</h1>"))
        with store.lock:
            link = _link(store, link_id)
            problem = link_problem(link, posting=True)
            if problem:
                return invalid_link(link, problem)
            store.update(link, _used=True, _visited=True)
            account = store.objects[link["_for"]]
        if choice != "abandon":
            change_account(
                account, **onboarded_fields(account, payouts_pending=choice != "complete")
            )
        # Stripe returns the user to return_url whether they finished or left early; the
        # platform must look at the account (details_submitted, requirements) to know which.
        if link["_return_url"]:
            return Response(redirect=link["_return_url"])
        return Response(html=_page("Done", "<h1>Done</h1><p>You can close this window.</p>"))

    # --- test control: requirements and capabilities ----------------------------------

    @server.route("POST", r"/_control/accounts/(?P<account_id>[^/]+)", api=False)
    def control_account(request, account_id):
        """Set an account's state the way Stripe's reviewers and deadlines would.

        `state`: complete | pending_verification | requirements_due (due soon, still enabled)
        | restricted (past due: charges and payouts disabled) | new. Then any of:
        currently_due[], past_due[], eventually_due[], pending_verification[],
        disabled_reason, current_deadline, charges_enabled, payouts_enabled,
        details_submitted, capabilities[name]=active|inactive|pending."""
        account = get_account(account_id)
        params = request.params
        changes: dict = {}
        state = params.get("state")
        if state == "complete":
            changes = onboarded_fields(account)
        elif state == "pending_verification":
            changes = onboarded_fields(account, payouts_pending=True)
        elif state == "requirements_due":
            due = params.get("currently_due") or ["individual.verification.document"]
            changes = {
                "requirements": _requirements(
                    currently_due=due, current_deadline=store.now() + 14 * 86400
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
        change_account(account, **changes)
        return Response(body=public(account))

    # --- balances ---------------------------------------------------------------------

    @server.route("GET", r"/v1/balance")
    def retrieve_balance(request):
        account = request.account
        default = get_account(account)["default_currency"] if account else "usd"
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

    @server.route("POST", r"/_control/balance/settle", api=False)
    def settle(request):
        """Stripe's payout schedule, now: every pending amount becomes available (the
        platform's and the connected accounts', or only `account`'s; `platform` for it)."""
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

    @server.route("POST", r"/_control/balance/topup", api=False)
    def topup(request):
        """Add available funds to the platform (like a test-mode top-up), or to `account`."""
        amount = as_int(request.params, "amount", required=True)
        if amount <= 0:
            raise StripeError("amount must be positive", param="amount")
        currency = (request.params.get("currency") or "usd").lower()
        account = request.params.get("account") or None
        if account:
            get_account(account)
        with store.lock:
            store.move(account, currency, available=amount)
            _record_txn(
                store, amount, currency, "topup", None, "Test top-up (stripe_local)", account
            )
            return Response(body={"balance": dict(store.balance(account, currency))})

    # --- transfers --------------------------------------------------------------------

    def get_transfer(transfer_id: str) -> dict:
        return store.get("transfer", transfer_id)

    @server.route("POST", r"/v1/transfers")
    def create_transfer(request):
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
            transfer = store.create(
                "transfer",
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
            store.move(None, currency, **{bucket: -amount})
            store.move(destination, currency, **{bucket: amount})
            txn = _record_txn(
                store, -amount, currency, "transfer", transfer["id"], transfer["description"]
            )
            # The connected account's side: a payment (py_) in its own balance history.
            received = _record_txn(
                store,
                amount,
                currency,
                "payment",
                transfer["destination_payment"],
                None,
                destination,
            )
            if bucket == "pending":  # follows its source charge; settles with it
                for movement in (txn, received):
                    store.update(movement, status="pending", available_on=store.now() + 2 * 86400)
            store.update(
                transfer,
                balance_transaction=txn["id"],
                reversals=sublist([], f"/v1/transfers/{transfer['id']}/reversals"),
            )
        store.emit("transfer.created", transfer)
        return transfer

    @server.route("GET", r"/v1/transfers")
    def list_transfers(request):
        destination = request.params.get("destination")
        group = request.params.get("transfer_group")

        def keep(t):
            return (not destination or t["destination"] == destination) and (
                not group or t["transfer_group"] == group
            )

        return server.list_response(request, store.all("transfer", keep), "/v1/transfers")

    @server.route("GET", r"/v1/transfers/(?P<transfer_id>[^/]+)")
    def retrieve_transfer(request, transfer_id):
        return get_transfer(transfer_id)

    @server.route("POST", r"/v1/transfers/(?P<transfer_id>[^/]+)")
    def update_transfer(request, transfer_id):
        transfer = get_transfer(transfer_id)
        with store.lock:
            before = public(transfer)
            changes = {"metadata": metadata_of(request.params, transfer.get("metadata"))}
            if "description" in request.params:
                changes["description"] = request.params["description"] or None
            store.update(transfer, **changes)
            previous = _diff(before, public(transfer))
        if previous:
            store.emit("transfer.updated", transfer, previous=previous)
        return transfer

    # --- reversals --------------------------------------------------------------------

    def refresh_reversals(transfer: dict) -> None:
        reversals = store.all("transfer_reversal", lambda r: r["transfer"] == transfer["id"])
        reversals.reverse()  # newest first
        store.update(
            transfer, reversals=sublist(reversals, f"/v1/transfers/{transfer['id']}/reversals")
        )

    @server.route("POST", r"/v1/transfers/(?P<transfer_id>[^/]+)/reversals")
    def create_reversal(request, transfer_id):
        params = request.params
        with store.lock:
            transfer = get_transfer(transfer_id)
            remaining = transfer["amount"] - transfer["amount_reversed"]
            if remaining <= 0:
                raise StripeError(
                    f"Transfer {transfer_id} has already been fully reversed.",
                    param="amount",
                )
            amount = as_int(params, "amount", default=remaining)
            if amount < 1:
                raise StripeError("This value must be greater than or equal to 1.", param="amount")
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
            reversal = store.create(
                "transfer_reversal",
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
            store.move(destination, currency, **{bucket: -amount})
            store.move(None, currency, **{bucket: amount})
            txn = _record_txn(store, amount, currency, "transfer_refund", reversal["id"], None)
            _record_txn(
                store,
                -amount,
                currency,
                "payment_refund",
                reversal["destination_payment_refund"],
                None,
                destination,
            )
            store.update(reversal, balance_transaction=txn["id"])
            before = public(transfer)
            store.update(
                transfer,
                amount_reversed=transfer["amount_reversed"] + amount,
                reversed=transfer["amount_reversed"] + amount >= transfer["amount"],
            )
            refresh_reversals(transfer)
            previous = {
                k: v for k, v in _diff(before, public(transfer)).items() if k != "reversals"
            }
        store.emit("transfer.reversed", transfer, previous=previous)
        return reversal

    @server.route("GET", r"/v1/transfers/(?P<transfer_id>[^/]+)/reversals")
    def list_reversals(request, transfer_id):
        get_transfer(transfer_id)
        items = store.all("transfer_reversal", lambda r: r["transfer"] == transfer_id)
        return server.list_response(request, items, f"/v1/transfers/{transfer_id}/reversals")

    def get_reversal(transfer_id: str, reversal_id: str) -> dict:
        get_transfer(transfer_id)
        reversal = store.get("transfer_reversal", reversal_id, kind="transfer reversal")
        if reversal["transfer"] != transfer_id:
            raise StripeError(
                f"No such transfer reversal: '{reversal_id}'",
                status=404,
                code="resource_missing",
                param="id",
            )
        return reversal

    @server.route("GET", r"/v1/transfers/(?P<transfer_id>[^/]+)/reversals/(?P<reversal_id>[^/]+)")
    def retrieve_reversal(request, transfer_id, reversal_id):
        return get_reversal(transfer_id, reversal_id)

    @server.route("POST", r"/v1/transfers/(?P<transfer_id>[^/]+)/reversals/(?P<reversal_id>[^/]+)")
    def update_reversal(request, transfer_id, reversal_id):
        with store.lock:
            reversal = get_reversal(transfer_id, reversal_id)
            store.update(reversal, metadata=metadata_of(request.params, reversal.get("metadata")))
            refresh_reversals(get_transfer(transfer_id))
        return reversal


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


def _record_txn(
    store, amount: int, currency: str, kind: str, source, description, account=None
) -> dict:
    """A balance transaction for a movement already applied with `store.move`."""
    reporting = {
        "transfer": "transfer",
        "transfer_refund": "transfer_reversal",
        "payment": "charge",
        "payment_refund": "refund",
    }
    fields = {
        "amount": amount,
        "available_on": store.now(),
        "balance_type": "payments",
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": 0,
        "fee_details": [],
        "net": amount,
        "reporting_category": reporting.get(kind, kind),
        "source": source,
        "status": "available",
        "type": kind,
    }
    txn = store.create("balance_transaction", fields, account=account)
    txn.pop("metadata", None)  # balance transactions have none
    return txn


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
