"""Checkout Sessions (mode `payment`) and their hosted test payment page.

A session is `open` until it is paid (`complete`, `payment_status: paid`) or expires
(`expired`: at `expires_at`, through `POST /v1/checkout/sessions/{id}/expire`, or with the
page's "Let it expire" button). As in Stripe's API since 2022-08-01, no PaymentIntent exists
until the customer first confirms payment on the page; the session's `payment_intent` is set
then. `url` points at the hosted page and, as at Stripe, is null once the session is no longer
open. Line items are stored as `item` objects (with a product and an inactive price each, as
`price_data` creates them)."""

from __future__ import annotations

import re

from .. import pages
from ..pages import money
from ..server import Response
from ..store import public
from ..wire import StripeError, metadata_of, missing
from . import payments
from .base import Resource, Route, blank_address, check_params, paginate

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 3600
# Stripe's minimum charge amounts (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUM_AMOUNT = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50}

SESSION_PARAMS = frozenset(
    {
        "mode",
        "line_items",
        "metadata",
        "client_reference_id",
        "success_url",
        "cancel_url",
        "expires_at",
        "customer_email",
        "payment_intent_data",
        # accepted, with no effect beyond being echoed where Stripe echoes them
        "payment_method_types",
        "locale",
        "submit_type",
        "billing_address_collection",
        "ui_mode",
    }
)
PAYMENT_INTENT_DATA_PARAMS = frozenset(
    {
        "metadata",
        "transfer_group",
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "capture_method",
    }
)
LINE_ITEM_PARAMS = frozenset({"price_data", "price", "quantity", "metadata"})
PRICE_DATA_PARAMS = frozenset(
    {
        "currency",
        "unit_amount",
        "unit_amount_decimal",
        "product_data",
        "product",
        "tax_behavior",
        "recurring",
    }
)
PRODUCT_DATA_PARAMS = frozenset({"name", "description", "metadata", "images"})


# --- expiry ---------------------------------------------------------------------------------------


def expire_session(server, session: dict) -> bool:
    """Expire an open session (cancelling its unpaid PaymentIntent, if a payment was attempted)
    and emit `checkout.session.expired`. Returns False if it was not open."""
    store = server.store
    with store.lock:
        if session["status"] != "open":
            return False
        pi = store.objects.get(session.get("payment_intent") or "")
        if pi is not None and pi["status"] not in ("succeeded", "canceled"):
            payments.cancel_payment_intent(server, pi, reason="abandoned")
        store.update(session, status="expired", url=None)
        store.emit("checkout.session.expired", session, previous={"status": "open"})
    return True


def _expire_if_due(server, session: dict) -> None:
    if session["status"] == "open" and session["expires_at"] <= server.store.now():
        expire_session(server, session)


def expire_due_sessions(server) -> int:
    """Expire every open session whose `expires_at` has passed (control.py calls this after
    moving the clock). Returns how many expired."""
    store = server.store
    with store.lock:
        now = store.now()
        due = store.all(
            "checkout.session", lambda s: s["status"] == "open" and s["expires_at"] <= now
        )
        return sum(expire_session(server, session) for session in due)


# --- creation -------------------------------------------------------------------------------------


def _int(value, param: str, *, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid integer: {value}", param=param) from None
    if number < minimum:
        raise StripeError(
            f"Invalid {'positive' if minimum > 0 else 'non-negative'} integer", param=param
        )
    return number


def _url(params: dict, name: str) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", str(value)):
        raise StripeError("Not a valid URL", param=name)
    return str(value)


def _parse_line_item(store, raw, i: int) -> dict:
    """Validate one `line_items[i]`; returns what is needed to create it (nothing created yet)."""
    prefix = f"line_items[{i}]"
    if not isinstance(raw, dict):
        raise StripeError(f"Invalid hash: {prefix}", param=prefix)
    check_params(raw, LINE_ITEM_PARAMS, prefix=prefix)
    if raw.get("quantity") in (None, ""):
        raise missing(f"{prefix}[quantity]")
    quantity = _int(raw["quantity"], f"{prefix}[quantity]", minimum=1)
    metadata = metadata_of({"metadata": raw.get("metadata")})
    if raw.get("price"):
        if raw.get("price_data"):
            raise StripeError(
                f"You may only specify one of these parameters: {prefix}[price], "
                f"{prefix}[price_data].",
                param=f"{prefix}[price]",
            )
        price = store.objects.get(raw["price"])
        if price is None or price["object"] != "price":
            raise StripeError(
                f"No such price: '{raw['price']}'",
                status=400,
                code="resource_missing",
                param=f"{prefix}[price]",
            )
        return {
            "price": price,
            "quantity": quantity,
            "metadata": metadata,
            "currency": price["currency"],
            "unit_amount": price["unit_amount"],
        }
    data = raw.get("price_data")
    if not data:
        raise StripeError(
            f"You must specify either `price` or `price_data` in {prefix}.",
            param=f"{prefix}[price_data]",
        )
    if not isinstance(data, dict):
        raise StripeError(f"Invalid hash: {prefix}[price_data]", param=f"{prefix}[price_data]")
    pd_prefix = f"{prefix}[price_data]"
    check_params(data, PRICE_DATA_PARAMS, prefix=pd_prefix)
    if data.get("recurring"):
        raise StripeError(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param=f"{pd_prefix}[recurring]",
        )
    currency = str(data.get("currency") or "").lower()
    if not currency:
        raise missing(f"{pd_prefix}[currency]")
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise StripeError(f"Invalid currency: {currency}", param=f"{pd_prefix}[currency]")
    if data.get("unit_amount") not in (None, ""):
        unit_amount = _int(data["unit_amount"], f"{pd_prefix}[unit_amount]")
    elif data.get("unit_amount_decimal") not in (None, ""):
        decimal = str(data["unit_amount_decimal"])
        if not re.fullmatch(r"\d+(\.0*)?", decimal):
            raise StripeError(
                "stripe_local: fractional unit_amount_decimal is not supported.",
                param=f"{pd_prefix}[unit_amount_decimal]",
            )
        unit_amount = int(decimal.split(".")[0])
    else:
        raise missing(f"{pd_prefix}[unit_amount]")
    tax_behavior = data.get("tax_behavior") or "unspecified"
    if tax_behavior not in ("unspecified", "inclusive", "exclusive"):
        raise StripeError(
            "Invalid tax_behavior: must be one of exclusive, inclusive, or unspecified",
            param=f"{pd_prefix}[tax_behavior]",
        )
    product, product_data = None, None
    if data.get("product"):
        product = store.objects.get(data["product"])
        if product is None or product["object"] != "product":
            raise StripeError(
                f"No such product: '{data['product']}'",
                code="resource_missing",
                param=f"{pd_prefix}[product]",
            )
    else:
        product_data = data.get("product_data")
        if not isinstance(product_data, dict) or not product_data:
            raise missing(f"{pd_prefix}[product_data]")
        check_params(product_data, PRODUCT_DATA_PARAMS, prefix=f"{pd_prefix}[product_data]")
        if not product_data.get("name"):
            raise missing(f"{pd_prefix}[product_data][name]")
        images = product_data.get("images") or []
        product_data = {
            "name": str(product_data["name"]),
            "description": product_data.get("description") or None,
            "metadata": metadata_of({"metadata": product_data.get("metadata")}),
            "images": images if isinstance(images, list) else [images],
        }
    return {
        "price": None,
        "product": product,
        "product_data": product_data,
        "quantity": quantity,
        "metadata": metadata,
        "currency": currency,
        "unit_amount": unit_amount,
        "tax_behavior": tax_behavior,
    }


def _create_line_item(store, spec: dict, account) -> dict:
    price = spec["price"]
    if price is None:
        product = spec["product"]
        if product is None:
            pd = spec["product_data"]
            product = store.create(
                "product",
                {
                    "active": True,
                    "default_price": None,
                    "description": pd["description"],
                    "images": pd["images"],
                    "marketing_features": [],
                    "metadata": pd["metadata"],
                    "name": pd["name"],
                    "package_dimensions": None,
                    "shippable": None,
                    "statement_descriptor": None,
                    "tax_code": None,
                    "type": "service",
                    "unit_label": None,
                    "updated": store.now(),
                    "url": None,
                },
                account=account,
            )
        price = store.create(
            "price",
            {
                "active": False,  # ad-hoc prices made from price_data are not active
                "billing_scheme": "per_unit",
                "currency": spec["currency"],
                "custom_unit_amount": None,
                "lookup_key": None,
                "nickname": None,
                "product": product["id"],
                "recurring": None,
                "tax_behavior": spec["tax_behavior"],
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "one_time",
                "unit_amount": spec["unit_amount"],
                "unit_amount_decimal": str(spec["unit_amount"]),
            },
            account=account,
        )
    product = store.objects.get(price["product"]) or {}
    amount = spec["unit_amount"] * spec["quantity"]
    return store.create(
        "item",
        {
            "adjustable_quantity": None,
            "amount_discount": 0,
            "amount_subtotal": amount,
            "amount_tax": 0,
            "amount_total": amount,
            "currency": spec["currency"],
            "description": product.get("name"),
            "metadata": spec["metadata"],
            "price": public(price),
            "quantity": spec["quantity"],
        },
        account=account,
    )


def create_session(server, request) -> dict:
    store, params = server.store, request.params
    check_params(params, SESSION_PARAMS)
    mode = params.get("mode")
    if not mode:
        raise missing("mode")
    if mode not in ("payment", "setup", "subscription"):
        raise StripeError(
            "Invalid mode: must be one of payment, setup, or subscription", param="mode"
        )
    if mode != "payment":
        raise StripeError(
            f"stripe_local supports only mode=payment; mode={mode} is not implemented by the "
            "local Stripe server.",
            param="mode",
        )
    if (params.get("ui_mode") or "hosted") != "hosted":
        raise StripeError(
            "stripe_local supports only ui_mode=hosted (the hosted test payment page).",
            param="ui_mode",
        )
    methods = params.get("payment_method_types") or ["card"]
    if not isinstance(methods, list):
        raise StripeError("Invalid array", param="payment_method_types")
    for i, method in enumerate(methods):
        if method != "card":
            raise StripeError(
                f"stripe_local supports only card payments, not {method}.",
                param=f"payment_method_types[{i}]",
            )
    success_url, cancel_url = _url(params, "success_url"), _url(params, "cancel_url")

    raw_items = params.get("line_items")
    if not raw_items:
        raise missing("line_items")
    if not isinstance(raw_items, list):
        raise StripeError("Invalid array", param="line_items")
    specs = [_parse_line_item(store, raw, i) for i, raw in enumerate(raw_items)]
    currency = specs[0]["currency"]
    for i, spec in enumerate(specs):
        if spec["currency"] != currency:
            raise StripeError(
                "All line items must have the same currency; "
                f"line_items[{i}] is in {spec['currency']}, not {currency}.",
                param=f"line_items[{i}]",
            )
    total = sum(spec["unit_amount"] * spec["quantity"] for spec in specs)
    minimum = MINIMUM_AMOUNT.get(currency, 50)
    if total < minimum:
        raise StripeError(
            "The Checkout Session's total amount due must add up to at least "
            f"{money(minimum, currency)} {currency}",
            param="line_items",
        )

    now = store.now()
    expires_at = now + MAX_LIFETIME
    if params.get("expires_at") not in (None, ""):
        expires_at = _int(params["expires_at"], "expires_at")
        if expires_at < now + MIN_LIFETIME:
            raise StripeError(
                "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
                "creation.",
                param="expires_at",
            )
        if expires_at > now + MAX_LIFETIME:
            raise StripeError(
                "The `expires_at` timestamp must be less than 24 hours from Checkout Session "
                "creation.",
                param="expires_at",
            )
    email = params.get("customer_email") or None
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise StripeError(f"Invalid email address: {email}", param="customer_email")
    reference = params.get("client_reference_id") or None
    if reference is not None and len(reference) > 200:
        raise StripeError(
            "Invalid string: client_reference_id must be at most 200 characters",
            param="client_reference_id",
        )
    metadata = metadata_of(params)

    pi_data = params.get("payment_intent_data") or {}
    if not isinstance(pi_data, dict):
        raise StripeError("Invalid hash", param="payment_intent_data")
    check_params(pi_data, PAYMENT_INTENT_DATA_PARAMS, prefix="payment_intent_data")
    if pi_data.get("capture_method") not in (None, "", "automatic", "automatic_async"):
        raise StripeError(
            "stripe_local supports only automatic capture.",
            param="payment_intent_data[capture_method]",
        )
    intent_data = {
        "metadata": metadata_of({"metadata": pi_data.get("metadata")}),
        "transfer_group": pi_data.get("transfer_group") or None,
        "description": pi_data.get("description") or None,
        "receipt_email": pi_data.get("receipt_email") or None,
        "statement_descriptor": pi_data.get("statement_descriptor") or None,
        "statement_descriptor_suffix": pi_data.get("statement_descriptor_suffix") or None,
    }

    with store.lock:
        session = store.create(
            "checkout.session",
            {
                "adaptive_pricing": None,
                "after_expiration": None,
                "allow_promotion_codes": None,
                "amount_subtotal": total,
                "amount_total": total,
                "automatic_tax": {
                    "enabled": False,
                    "liability": None,
                    "provider": None,
                    "status": None,
                },
                "billing_address_collection": params.get("billing_address_collection"),
                "cancel_url": cancel_url,
                "client_reference_id": reference,
                "client_secret": None,
                "collected_information": None,
                "consent": None,
                "consent_collection": None,
                "currency": currency,
                "currency_conversion": None,
                "custom_fields": [],
                "custom_text": {
                    "after_submit": None,
                    "shipping_address": None,
                    "submit": None,
                    "terms_of_service_acceptance": None,
                },
                "customer": None,
                "customer_account": None,
                "customer_creation": "if_required",
                "customer_details": None,
                "customer_email": email,
                "discounts": [],
                "expires_at": expires_at,
                "integration_identifier": None,
                "invoice": None,
                "invoice_creation": None,
                "locale": params.get("locale"),
                "managed_payments": None,
                "metadata": metadata,
                "mode": "payment",
                "origin_context": None,
                "payment_intent": None,
                "payment_link": None,
                "payment_method_collection": "if_required",
                "payment_method_configuration_details": None,
                "payment_method_options": {},
                "payment_method_types": ["card"],
                "payment_status": "unpaid",
                "permissions": None,
                "phone_number_collection": {"enabled": False},
                "recovered_from": None,
                "saved_payment_method_options": None,
                "setup_intent": None,
                "shipping_address_collection": None,
                "shipping_cost": None,
                "shipping_options": [],
                "status": "open",
                "submit_type": params.get("submit_type"),
                "subscription": None,
                "success_url": success_url,
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "ui_mode": "hosted",
                "url": None,
                "wallet_options": None,
            },
            account=request.account,
        )
        items = [_create_line_item(store, spec, request.account) for spec in specs]
        return store.update(
            session,
            url=f"{server.public_url}/pay/{session['id']}",
            _line_items=[item["id"] for item in items],
            _payment_intent_data=intent_data,
        )


# --- line items -----------------------------------------------------------------------------------


def _line_items(store, session: dict) -> list[dict]:
    return [store.objects[item_id] for item_id in session.get("_line_items", [])]


# --- the hosted payment page ----------------------------------------------------------------------


def _parse_expiry(value: str | None) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", value or "")
    if not match:
        return 12, 2034
    month, year = int(match.group(1)), int(match.group(2))
    return (month if 1 <= month <= 12 else 12), (year + 2000 if year < 100 else year)


def render_pay_page(
    server,
    session: dict,
    *,
    error: str | None = None,
    form: dict | None = None,
    status: int = 200,
) -> Response:
    store = server.store
    lines = []
    for item in _line_items(store, session):
        product = store.objects.get(item["price"]["product"]) or {}
        lines.append((item, product.get("description")))
    back_url = None
    if session["status"] == "complete" and session["success_url"]:
        back_url = _success_url(session)
    elif session["status"] == "expired":
        back_url = session["cancel_url"]
    return pages.checkout_page(
        session,
        lines,
        payments.TEST_CARDS.values(),
        back_url=back_url,
        error=error,
        form=form,
        status=status,
    )


def _success_url(session: dict) -> str:
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])


def _pay(server, session: dict, form: dict) -> Response:
    """The Pay button: one payment attempt with the typed card."""
    store = server.store
    try:
        card = payments.card_for(form.get("card_number"))
    except payments.CardInputError as exc:
        return render_pay_page(server, session, error=str(exc), form=form, status=400)
    email = (form.get("email") or "").strip() or session["customer_email"]
    name = (form.get("name") or "").strip() or None
    pi = store.objects.get(session.get("payment_intent") or "")
    if pi is None:
        pi = payments.create_payment_intent(
            server,
            amount=session["amount_total"],
            currency=session["currency"],
            account=session["_account"],
            data=session["_payment_intent_data"],
        )
        store.update(session, payment_intent=pi["id"])
    charge = payments.confirm_card(
        server, pi, card, email=email, name=name, exp=_parse_expiry(form.get("exp"))
    )
    if charge["status"] != "succeeded":
        return render_pay_page(
            server, session, error=pi["last_payment_error"]["message"], form=form, status=402
        )
    previous = {"status": "open", "payment_status": "unpaid", "url": session["url"]}
    store.update(
        session,
        status="complete",
        payment_status="paid",
        url=None,
        customer_details={
            "address": blank_address(),
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": name,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
    )
    store.emit("checkout.session.completed", session, previous=previous)
    if card.outcome == "dispute":
        payments.open_dispute(server, charge, reason="fraudulent")
    if session["success_url"]:
        return Response(redirect=_success_url(session))
    return render_pay_page(server, session)


# --- the resource ---------------------------------------------------------------------------------


class CheckoutSession(Resource):
    object = "checkout.session"
    prefix = "cs_test_"
    path = "/v1/checkout/sessions"
    id_param = "session_id"
    kind = "checkout.session"
    verbs = ("create", "list", "retrieve", "update")
    list_filters = {"payment_intent": "payment_intent", "status": "status"}
    routes = (
        Route("GET", "/v1/checkout/sessions/{session_id}/line_items", "line_items"),
        Route("POST", "/v1/checkout/sessions/{session_id}/expire", "expire"),
        Route("GET", "/pay/{session_id}", "pay_page", api=False),
        Route("POST", "/pay/{session_id}", "pay_submit", api=False),
    )

    def fetch(self, request, object_id: str, *, param: str = "id") -> dict:
        """The session, expired first if its time has come."""
        session = super().fetch(request, object_id, param=param)
        _expire_if_due(self.server, session)
        return session

    def body(self, request, session: dict) -> dict:
        """The session as the API returns it; `expand[]=line_items` includes its line items
        (they are not stored on it, so the server's generic `expand` cannot)."""
        body = public(session)
        expand = request.params.get("expand") or []
        paths = [str(p) for p in (expand if isinstance(expand, list) else [expand])]
        if any(p == "line_items" or p.startswith("line_items.") for p in paths):
            items = _line_items(self.store, session)
            body["line_items"] = paginate({}, items, f"{self.path}/{session['id']}/line_items")
        return body

    def create(self, request) -> dict:
        return self.body(request, create_session(self.server, request))

    def list(self, request) -> dict:
        expire_due_sessions(self.server)
        return super().list(request)

    def retrieve(self, request, session_id) -> dict:
        return self.body(request, self.fetch(request, session_id))

    def update(self, request, session_id) -> dict:
        session = self.fetch(request, session_id)
        check_params(request.params, {"metadata"})
        self.store.update(session, metadata=metadata_of(request.params, session["metadata"]))
        return self.body(request, session)

    def line_items(self, request, session_id) -> dict:
        session = self.fetch(request, session_id)
        return self.page(
            request,
            _line_items(self.store, session),
            f"/v1/checkout/sessions/{session_id}/line_items",
            newest_first=False,
        )

    def expire(self, request, session_id) -> dict:
        session = self.fetch(request, session_id)
        if not expire_session(self.server, session):
            raise StripeError(
                'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
                f"Session has a status of `{session['status']}`.",
                param="session",
            )
        return self.body(request, session)

    # --- the hosted payment page (no key: the buyer's browser) ---------------------------

    def _session_or_none(self, session_id: str) -> dict | None:
        session = self.store.objects.get(session_id)
        if session is None or session["object"] != self.object:
            return None
        _expire_if_due(self.server, session)
        return session

    def pay_page(self, request, session_id) -> Response:
        session = self._session_or_none(session_id)
        if session is None:
            return pages.not_found_page("Checkout Session", session_id)
        return render_pay_page(self.server, session)

    def pay_submit(self, request, session_id) -> Response:
        server, form = self.server, request.form
        action = form.get("action") or "pay"
        with self.store.lock:  # one attempt at a time: a double click cannot pay twice
            session = self._session_or_none(session_id)
            if session is None:
                return pages.not_found_page("Checkout Session", session_id)
            if session["status"] != "open":
                return render_pay_page(server, session, status=409)
            if action == "expire":
                expire_session(server, session)
                return Response(redirect=f"/pay/{session_id}")
            if action == "cancel" and session["cancel_url"]:
                return Response(redirect=session["cancel_url"])
            if action != "pay":
                return render_pay_page(
                    server, session, error=f"Unknown action: {action}", form=form, status=400
                )
            return _pay(server, session, form)
