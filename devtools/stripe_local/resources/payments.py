"""PaymentIntents, Charges, Refunds and Disputes, as far as Checkout and refunds need them.

PaymentIntents and Charges are not created through the API here: Checkout creates them when
someone pays on the hosted test page (checkout.py calls `payment_intent_for_session`,
`confirm_card` and `open_dispute`). The API reads them, updates their metadata, refunds them
and manages the disputes that the 4000 0000 0000 0259 test card raises.

Money: a successful charge adds its amount to the balance of the account it belongs to:
pending (its balance transaction says `available_on` two days later; connect.py's
`POST /_control/balance/settle` makes it available), or available at once with
4000 0000 0000 0077. Refunds and disputes take from the available balance, which may go
negative as Stripe's can. Each movement has a balance transaction (`txn_`). Stripe's processing and dispute fees are not
modelled: fee is always 0 and net equals amount."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from ..pages import money
from ..server import Response
from ..store import public
from ..wire import StripeError, as_bool, metadata_of, missing, not_found, sublist

SETTLEMENT_DELAY = 2 * 24 * 3600  # when a card payment's pending funds would become available
DISPUTE_RESPONSE_WINDOW = 7 * 24 * 3600
OPEN_DISPUTE = {"warning_needs_response", "warning_under_review", "needs_response", "under_review"}
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


# --- test cards -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCard:
    """What a card number does, after Stripe's test cards (docs.stripe.com/testing)."""

    __test__ = False  # not a pytest test class

    number: str
    brand: str
    label: str = ""
    funding: str = "credit"
    outcome: str = "succeed"  # succeed | available | dispute | decline
    code: str | None = None  # on decline: the card error code ...
    decline_code: str | None = None  # ... the decline code ...
    message: str | None = None  # ... and the message the customer sees

    @property
    def declines(self) -> bool:
        return self.outcome == "decline"

    @property
    def last4(self) -> str:
        return self.number[-4:]


TEST_CARDS = {
    card.number: card
    for card in (
        TestCard("4242424242424242", "visa", "Succeeds; the funds are pending for two days"),
        TestCard(
            "4000000000000077",
            "visa",
            "Succeeds; the funds are available at once",
            outcome="available",
        ),
        TestCard("5555555555554444", "mastercard", "Succeeds (Mastercard)"),
        TestCard(
            "4000000000000002",
            "visa",
            "Declined: generic_decline",
            outcome="decline",
            code="card_declined",
            decline_code="generic_decline",
            message="Your card was declined.",
        ),
        TestCard(
            "4000000000009995",
            "visa",
            "Declined: insufficient_funds",
            outcome="decline",
            code="card_declined",
            decline_code="insufficient_funds",
            message="Your card has insufficient funds.",
        ),
        TestCard(
            "4000000000000259",
            "visa",
            "Succeeds, then the payment is disputed as fraudulent",
            outcome="dispute",
        ),
    )
}


class CardInputError(ValueError):
    """A card number the payment form refuses before any payment is attempted."""


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _brand(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if re.match(r"5[1-5]|2[2-7]", digits):
        return "mastercard"
    if digits.startswith(("34", "37")):
        return "amex"
    return "unknown"


def card_for(number: str | None) -> TestCard:
    """The test card for what was typed (spaces and dashes allowed). A well-formed number that is
    not a test card is declined the way Stripe declines a real card in test mode."""
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits:
        raise CardInputError("Your card number is incomplete.")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
        raise CardInputError("Your card number is invalid.")
    if digits in TEST_CARDS:
        return TEST_CARDS[digits]
    return TestCard(
        digits,
        _brand(digits),
        outcome="decline",
        code="card_declined",
        decline_code="test_mode_live_card",
        message=(
            "Your card was declined. Your request was in test mode, but used a non test (live) "
            "card. For a list of valid test cards, visit: https://stripe.com/docs/testing."
        ),
    )


# --- helpers shared with checkout.py --------------------------------------------------------


def check_params(params: dict, allowed: set[str] | frozenset[str], prefix: str = "") -> None:
    """Stripe refuses parameters it does not know; so do we (also for ones we don't model)."""
    for key in params:
        if key in allowed or key == "expand":
            continue
        name = f"{prefix}[{key}]" if prefix else key
        raise StripeError(f"Received unknown parameter: {name}", param=name)


def owned(request, object_type: str, object_id: str, kind: str, param: str = "id") -> dict:
    """The object, if it exists and belongs to the account the request acts as."""
    obj = request.store.objects.get(object_id)
    if obj is None or obj["object"] != object_type or obj.get("_account") != request.account:
        raise not_found(kind, object_id, param=param)
    return obj


def _created_matches(condition, created: int) -> bool:
    if condition in (None, ""):
        return True
    try:
        if isinstance(condition, dict):
            tests = {
                "gt": lambda v: created > v,
                "gte": lambda v: created >= v,
                "lt": lambda v: created < v,
                "lte": lambda v: created <= v,
            }
            return all(tests[op](int(v)) for op, v in condition.items() if op in tests)
        return created == int(condition)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid timestamp: {condition}", param="created") from None


def listing(server, request, object_type: str, url: str, filters: dict[str, str]) -> dict:
    """A list of the account's objects, filtered by `param → field` equality and `created`."""
    params = request.params

    def keep(obj: dict) -> bool:
        if obj.get("_account") != request.account:
            return False
        for param, field in filters.items():
            wanted = params.get(param)
            if wanted not in (None, "") and obj.get(field) != wanted:
                return False
        return _created_matches(params.get("created"), obj["created"])

    return server.list_response(request, server.store.all(object_type, keep), url)


def _update_fields(request, obj: dict, allowed: set[str]) -> dict:
    params = request.params
    check_params(params, allowed | {"metadata"})
    changes = {"metadata": metadata_of(params, obj.get("metadata"))}
    for name in allowed:
        if name in params:
            changes[name] = params[name] or None
    return request.store.update(obj, **changes)


# --- balance transactions -------------------------------------------------------------------


def _balance_transaction(
    store,
    *,
    account: str | None,
    amount: int,
    currency: str,
    type: str,
    reporting_category: str,
    source: str | None = None,
    description: str | None = None,
    pending: bool = False,
) -> dict:
    """Record a movement of money and apply it to the account's balance."""
    now = store.now()
    txn = store.create(
        "balance_transaction",
        {
            "amount": amount,
            "available_on": now + SETTLEMENT_DELAY if pending else now,
            "balance_type": "payments",
            "currency": currency,
            "description": description,
            "exchange_rate": None,
            "fee": 0,
            "fee_details": [],
            "net": amount,
            "reporting_category": reporting_category,
            "source": source,
            "status": "pending" if pending else "available",
            "type": type,
        },
        account=account,
    )
    txn.pop("metadata", None)  # balance transactions have none
    if pending:
        store.move(account, currency, pending=amount)
    else:
        store.move(account, currency, available=amount)
    return txn


# --- payment intents and charges (created by Checkout) --------------------------------------


def create_payment_intent(
    server, *, amount: int, currency: str, account: str | None, data: dict
) -> dict:
    """A PaymentIntent as Checkout creates it when the customer first confirms the session."""
    store = server.store
    pi = store.create(
        "payment_intent",
        {
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic_async",
            "client_secret": None,
            "confirmation_method": "automatic",
            "currency": currency,
            "customer": None,
            "customer_account": None,
            "description": data.get("description"),
            "excluded_payment_method_types": None,
            "last_payment_error": None,
            "latest_charge": None,
            "managed_payments": None,
            "metadata": dict(data.get("metadata") or {}),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_configuration_details": None,
            "payment_method_options": {
                "card": {
                    "installments": None,
                    "mandate_options": None,
                    "network": None,
                    "request_three_d_secure": "automatic",
                }
            },
            "payment_method_types": ["card"],
            "processing": None,
            "receipt_email": data.get("receipt_email"),
            "review": None,
            "setup_future_usage": None,
            "shipping": None,
            "source": None,
            "statement_descriptor": data.get("statement_descriptor"),
            "statement_descriptor_suffix": data.get("statement_descriptor_suffix"),
            "status": "requires_payment_method",
            "transfer_data": None,
            "transfer_group": data.get("transfer_group"),
        },
        account=account,
    )
    store.update(pi, client_secret=f"{pi['id']}_secret_{secrets.token_urlsafe(18)}")
    store.emit("payment_intent.created", pi)
    return pi


def cancel_payment_intent(server, pi: dict, reason: str = "abandoned") -> dict:
    store = server.store
    previous = {"status": pi["status"], "canceled_at": None, "cancellation_reason": None}
    store.update(pi, status="canceled", canceled_at=store.now(), cancellation_reason=reason)
    store.emit("payment_intent.canceled", pi, previous=previous)
    return pi


def _payment_method(store, card: TestCard, *, account, email, name, exp: tuple[int, int]):
    return store.create(
        "payment_method",
        {
            "type": "card",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": {
                    "city": None,
                    "country": None,
                    "line1": None,
                    "line2": None,
                    "postal_code": None,
                    "state": None,
                },
                "email": email or None,
                "name": name or None,
                "phone": None,
                "tax_id": None,
            },
            "card": {
                "brand": card.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": "US",
                "display_brand": card.brand,
                "exp_month": exp[0],
                "exp_year": exp[1],
                "fingerprint": hashlib.sha256(card.number.encode()).hexdigest()[:16],
                "funding": card.funding,
                "generated_from": None,
                "last4": card.last4,
                "networks": {"available": [card.brand], "preferred": None},
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            },
            "customer": None,
            "customer_account": None,
        },
        account=account,
    )


def _outcome(card: TestCard) -> dict:
    if card.declines:
        seller = (
            "The bank did not return any further details with this decline."
            if card.decline_code == "generic_decline"
            else f"The bank returned the decline code `{card.decline_code}`."
        )
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network",
            "reason": card.decline_code,
            "risk_level": "normal",
            "risk_score": 40,
            "seller_message": seller,
            "type": "issuer_declined",
        }
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }


def _create_charge(store, pi: dict, pm: dict, card: TestCard, *, txn: dict | None) -> dict:
    succeeded = not card.declines
    details = dict(pm["card"])
    charge = store.create(
        "charge",
        {
            "amount": pi["amount"],
            "amount_captured": pi["amount"] if succeeded else 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": txn["id"] if txn else None,
            "billing_details": pm["billing_details"],
            "calculated_statement_descriptor": "STRIPE LOCAL",
            "captured": succeeded,
            "currency": pi["currency"],
            "customer": None,
            "description": pi["description"],
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": None if succeeded else card.code,
            "failure_message": None if succeeded else card.message,
            "fraud_details": {},
            "metadata": dict(pi["metadata"]),  # Stripe copies the PaymentIntent's metadata
            "on_behalf_of": None,
            "outcome": _outcome(card),
            "paid": succeeded,
            "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "payment_method_details": {
                "type": "card",
                "card": {
                    "amount_authorized": pi["amount"] if succeeded else None,
                    "brand": details["brand"],
                    "checks": details["checks"],
                    "country": details["country"],
                    "exp_month": details["exp_month"],
                    "exp_year": details["exp_year"],
                    "fingerprint": details["fingerprint"],
                    "funding": details["funding"],
                    "last4": details["last4"],
                    "network": details["brand"],
                    "three_d_secure": None,
                    "wallet": None,
                },
            },
            "receipt_email": pi["receipt_email"],
            "receipt_number": None,
            "receipt_url": None,
            "refunded": False,
            "review": None,
            "shipping": None,
            "source": None,
            "source_transfer": None,
            "statement_descriptor": pi["statement_descriptor"],
            "statement_descriptor_suffix": pi["statement_descriptor_suffix"],
            "status": "succeeded" if succeeded else "failed",
            "transfer_data": None,
            "transfer_group": pi["transfer_group"],
        },
        account=pi["_account"],
    )
    return store.update(charge, refunds=sublist([], f"/v1/charges/{charge['id']}/refunds"))


def refresh_refunds(store, charge: dict) -> dict:
    """`charge.refunds`: the charge's newest ten refunds (the list's url pages on)."""
    refunds = store.all("refund", lambda r: r["charge"] == charge["id"])
    refunds.reverse()
    return store.update(charge, refunds=sublist(refunds, f"/v1/charges/{charge['id']}/refunds"))


def confirm_card(
    server,
    pi: dict,
    card: TestCard,
    *,
    email: str | None = None,
    name: str | None = None,
    exp: tuple[int, int] = (12, 2034),
) -> dict:
    """One payment attempt on the PaymentIntent with this card; returns the Charge.

    Success: `charge.succeeded`, then `payment_intent.succeeded`. Decline: a failed Charge
    (`charge.failed`), the PaymentIntent back to `requires_payment_method` with
    `last_payment_error`, and `payment_intent.payment_failed`."""
    store = server.store
    account, amount, currency = pi["_account"], pi["amount"], pi["currency"]
    pm = _payment_method(store, card, account=account, email=email, name=name, exp=exp)
    if card.declines:
        charge = _create_charge(store, pi, pm, card, txn=None)
        store.emit("charge.failed", charge)
        error = {
            "type": "card_error",
            "code": card.code,
            "decline_code": card.decline_code,
            "message": card.message,
            "charge": charge["id"],
            "doc_url": f"https://stripe.com/docs/error-codes/{card.code.replace('_', '-')}",
            "payment_method": public(pm),
            "payment_method_type": "card",
        }
        store.update(
            pi,
            status="requires_payment_method",
            last_payment_error=error,
            latest_charge=charge["id"],
            payment_method=None,
        )
        store.emit("payment_intent.payment_failed", pi)
        return charge
    txn = _balance_transaction(
        store,
        account=account,
        amount=amount,
        currency=currency,
        type="charge",
        reporting_category="charge",
        description=pi["description"],
        pending=card.outcome != "available",
    )
    charge = _create_charge(store, pi, pm, card, txn=txn)
    store.update(txn, source=charge["id"])
    store.emit("charge.succeeded", charge)
    store.update(
        pi,
        status="succeeded",
        amount_received=amount,
        latest_charge=charge["id"],
        payment_method=pm["id"],
        last_payment_error=None,
    )
    store.emit("payment_intent.succeeded", pi)
    return charge


# --- disputes -------------------------------------------------------------------------------


def open_dispute(server, charge: dict, reason: str = "fraudulent") -> dict:
    """The cardholder disputes the charge: the amount leaves the available balance at once."""
    store = server.store
    account, amount, currency = charge["_account"], charge["amount"], charge["currency"]
    now = store.now()
    dispute = store.create(
        "dispute",
        {
            "amount": amount,
            "balance_transactions": [],
            "charge": charge["id"],
            "currency": currency,
            "enhanced_eligibility_types": [],
            "evidence": {
                **{name: None for name in EVIDENCE_FIELDS},
                "enhanced_evidence": {},
            },
            "evidence_details": {
                "due_by": now + DISPUTE_RESPONSE_WINDOW,
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "network_reason_code": "10.4" if reason == "fraudulent" else None,
            "payment_intent": charge["payment_intent"],
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": charge["payment_method_details"]["card"]["brand"],
                    "case_type": "chargeback",
                    "network_reason_code": "10.4" if reason == "fraudulent" else None,
                },
            },
            "reason": reason,
            "status": "needs_response",
        },
        account=account,
    )
    txn = _balance_transaction(
        store,
        account=account,
        amount=-amount,
        currency=currency,
        type="adjustment",
        reporting_category="dispute",
        source=dispute["id"],
        description=f"Chargeback withdrawal for {charge['id']}",
    )
    store.update(dispute, balance_transactions=[public(txn)])
    store.update(charge, disputed=True)
    store.emit("charge.dispute.created", dispute)
    store.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def close_dispute(server, dispute: dict, status: str) -> dict:
    """Settle the dispute as `won` (the funds come back) or `lost`."""
    store = server.store
    if status not in ("won", "lost"):
        raise StripeError("Invalid status: must be one of won or lost", param="status")
    if dispute["status"] not in OPEN_DISPUTE:
        raise StripeError(
            f"This dispute is already closed (status: {dispute['status']}).",
            param="dispute",
        )
    previous = {"status": dispute["status"]}
    if status == "won":
        txn = _balance_transaction(
            store,
            account=dispute["_account"],
            amount=dispute["amount"],
            currency=dispute["currency"],
            type="adjustment",
            reporting_category="dispute_reversal",
            source=dispute["id"],
            description=f"Chargeback reversal for {dispute['charge']}",
        )
        store.update(dispute, balance_transactions=[*dispute["balance_transactions"], public(txn)])
    store.update(dispute, status=status)
    store.emit("charge.dispute.closed", dispute, previous=previous)
    if status == "won":
        store.emit("charge.dispute.funds_reinstated", dispute)
    return dispute


# --- routes ---------------------------------------------------------------------------------


def register(server) -> None:
    store = server.store

    # PaymentIntents -------------------------------------------------------------------------

    @server.route("GET", r"/v1/payment_intents")
    def list_payment_intents(request):
        return listing(server, request, "payment_intent", "/v1/payment_intents", {})

    @server.route("GET", r"/v1/payment_intents/(?P<pi_id>[^/]+)")
    def get_payment_intent(request, pi_id):
        return owned(request, "payment_intent", pi_id, "payment_intent")

    @server.route("POST", r"/v1/payment_intents/(?P<pi_id>[^/]+)")
    def update_payment_intent(request, pi_id):
        pi = owned(request, "payment_intent", pi_id, "payment_intent")
        return _update_fields(request, pi, {"description"})

    # Charges ----------------------------------------------------------------------------------

    @server.route("GET", r"/v1/charges")
    def list_charges(request):
        filters = {"payment_intent": "payment_intent", "transfer_group": "transfer_group"}
        return listing(server, request, "charge", "/v1/charges", filters)

    @server.route("GET", r"/v1/charges/(?P<charge_id>[^/]+)")
    def get_charge(request, charge_id):
        return owned(request, "charge", charge_id, "charge")

    @server.route("POST", r"/v1/charges/(?P<charge_id>[^/]+)")
    def update_charge(request, charge_id):
        charge = owned(request, "charge", charge_id, "charge")
        return _update_fields(request, charge, {"description"})

    @server.route("GET", r"/v1/payment_methods/(?P<pm_id>[^/]+)")
    def get_payment_method(request, pm_id):
        return owned(request, "payment_method", pm_id, "PaymentMethod")

    # Refunds ----------------------------------------------------------------------------------

    @server.route("POST", r"/v1/refunds")
    def create_refund(request):
        with store.lock:  # two refunds at once must not both pass the "remaining" check
            return _create_refund(request)

    def _create_refund(request):
        params = request.params
        check_params(
            params,
            {
                "amount",
                "charge",
                "payment_intent",
                "reason",
                "metadata",
                "instructions_email",
                "refund_application_fee",
                "reverse_transfer",
            },
        )
        charge = _refundable_charge(request)
        for flag in ("reverse_transfer", "refund_application_fee"):
            if as_bool(params, flag):
                raise StripeError(
                    f"stripe_local: `{flag}` applies to destination charges and application "
                    "fees, which the local Stripe server does not create.",
                    param=flag,
                )
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise StripeError(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _positive_int(params, "amount", default=remaining)
        if amount > remaining:
            raise StripeError(
                f"Refund amount ({money(amount, charge['currency'])}) is greater than "
                f"unrefunded amount on charge ({money(remaining, charge['currency'])})",
                param="amount",
            )
        reason = params.get("reason") or None
        if reason is not None and reason not in REFUND_REASONS:
            raise StripeError(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param="reason",
            )
        txn = _balance_transaction(
            store,
            account=charge["_account"],
            amount=-amount,
            currency=charge["currency"],
            type="refund",
            reporting_category="refund",
            description="REFUND FOR CHARGE",
        )
        fields = {
            "amount": amount,
            "balance_transaction": txn["id"],
            "charge": charge["id"],
            "currency": charge["currency"],
            "customer": None,
            "customer_account": None,
            "destination_details": {
                "type": "card",
                "card": {
                    "reference": None,
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
            },
            "metadata": metadata_of(params),
            "payment_intent": charge["payment_intent"],
            "payment_method": charge.get("payment_method"),
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        # Stripe leaves `description`, `instructions_email`, `failure_reason`,
        # `failure_balance_transaction` and `next_action` out until they have a value.
        if params.get("instructions_email"):
            fields["instructions_email"] = params["instructions_email"]
        refund = store.create("refund", fields, account=charge["_account"])
        store.update(txn, source=refund["id"])
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        refunded = charge["amount_refunded"] + amount
        store.update(charge, amount_refunded=refunded, refunded=refunded >= charge["amount"])
        refresh_refunds(store, charge)
        store.emit("charge.refunded", charge, previous=previous)
        store.emit("refund.created", refund)
        return refund

    @server.route("GET", r"/v1/refunds")
    def list_refunds(request):
        filters = {"charge": "charge", "payment_intent": "payment_intent"}
        return listing(server, request, "refund", "/v1/refunds", filters)

    @server.route("GET", r"/v1/refunds/(?P<refund_id>[^/]+)")
    def get_refund(request, refund_id):
        return owned(request, "refund", refund_id, "refund")

    @server.route("POST", r"/v1/refunds/(?P<refund_id>[^/]+)")
    def update_refund(request, refund_id):
        with store.lock:
            refund = _update_fields(request, owned(request, "refund", refund_id, "refund"), set())
            charge = store.objects.get(refund["charge"])
            if charge is not None:
                refresh_refunds(store, charge)
            return refund

    @server.route("GET", r"/v1/charges/(?P<charge_id>[^/]+)/refunds")
    def list_charge_refunds(request, charge_id):
        owned(request, "charge", charge_id, "charge")
        items = store.all("refund", lambda r: r["charge"] == charge_id)
        return server.list_response(request, items, f"/v1/charges/{charge_id}/refunds")

    # Disputes ---------------------------------------------------------------------------------

    @server.route("GET", r"/v1/disputes")
    def list_disputes(request):
        filters = {"charge": "charge", "payment_intent": "payment_intent"}
        return listing(server, request, "dispute", "/v1/disputes", filters)

    @server.route("GET", r"/v1/disputes/(?P<dispute_id>[^/]+)")
    def get_dispute(request, dispute_id):
        return owned(request, "dispute", dispute_id, "dispute")

    @server.route("POST", r"/v1/disputes/(?P<dispute_id>[^/]+)")
    def update_dispute(request, dispute_id):
        """Stage or submit evidence (submit defaults to true, as at Stripe) and metadata."""
        with store.lock:
            return _update_dispute(request, owned(request, "dispute", dispute_id, "dispute"))

    def _update_dispute(request, dispute):
        params = request.params
        check_params(params, {"evidence", "metadata", "submit"})
        if dispute["status"] not in OPEN_DISPUTE:
            raise StripeError(
                f"This dispute is already closed (status: {dispute['status']}).",
                param="dispute",
            )
        evidence = params.get("evidence") or {}
        if not isinstance(evidence, dict):
            raise StripeError("Invalid hash", param="evidence")
        check_params(evidence, set(EVIDENCE_FIELDS), prefix="evidence")
        previous = {"status": dispute["status"]}
        changes = {"metadata": metadata_of(params, dispute.get("metadata"))}
        if evidence:
            changes["evidence"] = {**dispute["evidence"], **evidence}
            details = dict(dispute["evidence_details"], has_evidence=True)
            if as_bool(params, "submit", default=True):
                details["submission_count"] += 1
                changes["status"] = (
                    "warning_under_review"
                    if dispute["status"].startswith("warning")
                    else "under_review"
                )
            changes["evidence_details"] = details
        store.update(dispute, **changes)
        if evidence:
            store.emit("charge.dispute.updated", dispute, previous=previous)
        return dispute

    @server.route("POST", r"/v1/disputes/(?P<dispute_id>[^/]+)/close")
    def close(request, dispute_id):
        """Accept the dispute: it is lost (the funds already left with the dispute)."""
        with store.lock:
            return close_dispute(server, owned(request, "dispute", dispute_id, "dispute"), "lost")

    @server.route("POST", r"/_control/disputes/(?P<dispute_id>[^/]+)", api=False)
    def settle_dispute(request, dispute_id):
        """Test helper: the bank decides the dispute (`status=won|lost`)."""
        dispute = store.get("dispute", dispute_id)
        status = request.params.get("status")
        if not status:
            raise missing("status")
        with store.lock:
            close_dispute(server, dispute, status)
        return Response(body=public(dispute))


def _refundable_charge(request) -> dict:
    params = request.params
    charge_id, pi_id = params.get("charge") or None, params.get("payment_intent") or None
    if not charge_id and not pi_id:
        raise StripeError(
            "One of the following params should be provided for this request: charge or "
            "payment_intent.",
            param="charge",
        )
    if pi_id:
        pi = owned(request, "payment_intent", pi_id, "payment_intent", "payment_intent")
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise StripeError(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        if charge_id and charge_id != pi["latest_charge"]:
            raise StripeError(
                f"The charge {charge_id} does not belong to the PaymentIntent {pi_id}.",
                param="charge",
            )
        charge_id = pi["latest_charge"]
    charge = owned(request, "charge", charge_id, "charge", "charge")
    if charge["status"] != "succeeded":
        raise StripeError(
            f"Charge {charge['id']} has not succeeded and cannot be refunded.",
            code="charge_not_refundable",
            param="charge",
        )
    if charge["disputed"]:
        disputes = request.store.all("dispute", lambda d: d["charge"] == charge["id"])
        if any(not d["is_charge_refundable"] and d["status"] != "won" for d in disputes):
            raise StripeError(
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
    return charge


def _positive_int(params: dict, name: str, *, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid integer: {value}", param=name) from None
    if number < 1:
        raise StripeError("This value must be greater than or equal to 1.", param=name)
    return number
