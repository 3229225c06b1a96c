"""PaymentIntents, Charges, Refunds and Disputes, as far as Checkout and refunds need them.

PaymentIntents and Charges are not created through the API here: Checkout creates them when
someone pays on the hosted test page (checkout.py calls `create_payment_intent`,
`confirm_card` and `open_dispute`; so does `seed_demo --stripe-state`). The API reads them, updates their metadata, refunds them
and manages the disputes that the 4000 0000 0000 0259 test card raises.

Money: a successful charge adds its amount to the balance of the account it belongs to:
pending (its balance transaction says `available_on` two days later; balance.py's
`POST /_control/balance/settle` makes it available), or available at once with
4000 0000 0000 0077. Refunds and disputes take from the available balance, which may go
negative as Stripe's can. Each movement has a balance transaction (`balance.record`)."""

from __future__ import annotations

import hashlib
import secrets

from ..pages import money
from ..server import Response
from ..store import public
from ..wire import StripeError, as_bool, metadata_of, missing, sublist
from .balance import record
from .base import Resource, Route, blank_address, check_params, positive_int
from .cards import TEST_CARDS, CardInputError, TestCard, card_for  # noqa: F401 (seed_demo)

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
                "address": blank_address(),
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
    txn = record(
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
    txn = record(
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
        txn = record(
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


# --- the resources --------------------------------------------------------------------------


class PaymentIntent(Resource):
    object = "payment_intent"
    prefix = "pi_"
    path = "/v1/payment_intents"
    id_param = "pi_id"
    kind = "payment_intent"
    verbs = ("list", "retrieve", "update")

    def update(self, request, pi_id) -> dict:
        return self.update_fields(request, self.fetch(request, pi_id), {"description"})


class Charge(Resource):
    object = "charge"
    prefix = "ch_"
    path = "/v1/charges"
    id_param = "charge_id"
    verbs = ("list", "retrieve", "update")
    list_filters = {"payment_intent": "payment_intent", "transfer_group": "transfer_group"}
    routes = (Route("GET", "/v1/charges/{charge_id}/refunds", "refunds"),)

    def update(self, request, charge_id) -> dict:
        return self.update_fields(request, self.fetch(request, charge_id), {"description"})

    def refunds(self, request, charge_id) -> dict:
        self.fetch(request, charge_id)
        items = self.store.all("refund", lambda r: r["charge"] == charge_id)
        return self.page(request, items, f"/v1/charges/{charge_id}/refunds")


class PaymentMethod(Resource):
    object = "payment_method"
    prefix = "pm_"
    path = "/v1/payment_methods"
    id_param = "pm_id"
    kind = "PaymentMethod"
    verbs = ("retrieve",)


class Refund(Resource):
    object = "refund"
    prefix = "re_"
    path = "/v1/refunds"
    id_param = "refund_id"
    verbs = ("create", "list", "retrieve", "update")
    list_filters = {"charge": "charge", "payment_intent": "payment_intent"}
    create_params = frozenset(
        {
            "amount",
            "charge",
            "payment_intent",
            "reason",
            "metadata",
            "instructions_email",
            "refund_application_fee",
            "reverse_transfer",
        }
    )

    def create(self, request) -> dict:
        with self.store.lock:  # two refunds at once must not both pass the "remaining" check
            return self._create(request)

    def _create(self, request) -> dict:
        store, params = self.store, request.params
        check_params(params, self.create_params)
        charge = self._refundable_charge(request)
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
        amount = positive_int(params, "amount", default=remaining)
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
        txn = record(
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
        refund = self.new(fields, account=charge["_account"])
        store.update(txn, source=refund["id"])
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        refunded = charge["amount_refunded"] + amount
        store.update(charge, amount_refunded=refunded, refunded=refunded >= charge["amount"])
        refresh_refunds(store, charge)
        store.emit("charge.refunded", charge, previous=previous)
        store.emit("refund.created", refund)
        return refund

    def update(self, request, refund_id) -> dict:
        with self.store.lock:
            refund = self.update_fields(request, self.fetch(request, refund_id), set())
            charge = self.store.objects.get(refund["charge"])
            if charge is not None:
                refresh_refunds(self.store, charge)
            return refund

    def _refundable_charge(self, request) -> dict:
        params = request.params
        charge_id, pi_id = params.get("charge") or None, params.get("payment_intent") or None
        if not charge_id and not pi_id:
            raise StripeError(
                "One of the following params should be provided for this request: charge or "
                "payment_intent.",
                param="charge",
            )
        if pi_id:
            pi = PaymentIntent(self.server).fetch(request, pi_id, param="payment_intent")
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
        charge = Charge(self.server).fetch(request, charge_id, param="charge")
        if charge["status"] != "succeeded":
            raise StripeError(
                f"Charge {charge['id']} has not succeeded and cannot be refunded.",
                code="charge_not_refundable",
                param="charge",
            )
        if charge["disputed"]:
            disputes = self.store.all("dispute", lambda d: d["charge"] == charge["id"])
            if any(not d["is_charge_refundable"] and d["status"] != "won" for d in disputes):
                raise StripeError(
                    f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                    code="charge_disputed",
                )
        return charge


class Dispute(Resource):
    object = "dispute"
    prefix = "du_"
    path = "/v1/disputes"
    id_param = "dispute_id"
    verbs = ("list", "retrieve", "update")
    list_filters = {"charge": "charge", "payment_intent": "payment_intent"}
    routes = (
        Route("POST", "/v1/disputes/{dispute_id}/close", "close"),
        Route("POST", "/_control/disputes/{dispute_id}", "settle", api=False),
    )

    def update(self, request, dispute_id) -> dict:
        """Stage or submit evidence (submit defaults to true, as at Stripe) and metadata."""
        with self.store.lock:
            return self._update(request, self.fetch(request, dispute_id))

    def _update(self, request, dispute: dict) -> dict:
        store, params = self.store, request.params
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

    def close(self, request, dispute_id) -> dict:
        """Accept the dispute: it is lost (the funds already left with the dispute)."""
        with self.store.lock:
            return close_dispute(self.server, self.fetch(request, dispute_id), "lost")

    def settle(self, request, dispute_id) -> Response:
        """Test helper: the bank decides the dispute (`status=won|lost`)."""
        dispute = self.store.get("dispute", dispute_id)
        status = request.params.get("status")
        if not status:
            raise missing("status")
        with self.store.lock:
            close_dispute(self.server, dispute, status)
        return Response(body=public(dispute))
