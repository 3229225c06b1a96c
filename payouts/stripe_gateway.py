"""The one module that talks to Stripe's SDK: one function per Stripe operation we use, each
taking our own row and deriving the request's idempotency key from it. What leaves is plain
dicts and two errors of ours: `StripeUnavailable` (try again) and `StripeRefused` (Stripe said
no, and why); callers never import `stripe`.

With STRIPE_API_BASE set (the embedded default and the tests), the official library is
pointed at the local Stripe-compatible server in devtools/stripe_local; with real test-mode
keys and no base address it talks to Stripe itself. No code talks to either differently."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import stripe
from django.conf import settings

from config.errors import ApplicationError

logger = logging.getLogger(__name__)


class StripeUnavailable(ApplicationError):
    """Stripe did not answer, or answered "not now": the network failed, a rate limit, its own
    5xx, or another request under the same idempotency key still in flight. Nothing is known
    to have happened; asking again under the same key is safe."""

    def __init__(
        self,
        message: str = "Stripe is not answering just now. Try again in a minute.",
        *,
        detail: str = "",
        is_unreachable: bool = False,
    ) -> None:
        super().__init__(
            message, code="stripe_unavailable", status=503, extra={"detail": detail[:500]}
        )
        self.is_unreachable = is_unreachable  # no answer at all (the connection failed)


class StripeRefused(ApplicationError):
    """Stripe answered and said no. `reason` is Stripe's own message (fit to show staff and
    to record), `stripe_code` its error code ("resource_missing", ...). `is_key_refused`: it
    refused our API key or what the key may act on (authentication, permission), not this
    request; fixing the configuration fixes it, so callers keep the work to try again."""

    def __init__(self, reason: str, *, stripe_code: str = "", is_key_refused: bool = False) -> None:
        super().__init__(
            f"Stripe refused the request: {reason}",
            code="stripe_refused",
            status=502,
            extra={"stripe_code": stripe_code},
        )
        self.reason = reason
        self.stripe_code = stripe_code
        self.is_key_refused = is_key_refused


_REFUSALS = (
    stripe.CardError,
    stripe.InvalidRequestError,
    stripe.AuthenticationError,
    stripe.PermissionError,
)


def _translated(exc: stripe.StripeError) -> StripeUnavailable | StripeRefused:
    if isinstance(exc, _REFUSALS):
        return StripeRefused(
            exc.user_message or str(exc),
            # Not every error class keeps the code (PermissionError does not); the body has it.
            stripe_code=exc.code or getattr(exc.error, "code", None) or "",
            is_key_refused=isinstance(exc, stripe.AuthenticationError | stripe.PermissionError),
        )
    # APIConnectionError, RateLimitError, APIError (5xx), IdempotencyError and anything newer.
    return StripeUnavailable(
        detail=str(exc), is_unreachable=isinstance(exc, stripe.APIConnectionError)
    )


@contextmanager
def _asking() -> Iterator[None]:
    """Around every call: the SDK's errors leave as ours."""
    try:
        yield
    except stripe.StripeError as exc:
        raise _translated(exc) from exc


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


@lru_cache(maxsize=4)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    options: dict = {"max_network_retries": 2}
    if api_base:
        options["base_addresses"] = {"api": api_base, "connect": api_base, "files": api_base}
    return stripe.StripeClient(secret_key, **options)


def client() -> stripe.StripeClient:
    """The configured SDK client, for this module (and tests of it) only."""
    if not is_configured():
        raise ApplicationError(
            "Payments are not configured (STRIPE_SECRET_KEY is empty).",
            code="payments_unavailable",
            status=503,
        )
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


# --- checkout (marketplace orders) ------------------------------------------------------------


def checkout_session_create(
    *, order, product_name: str, product_description: str, success_url: str, cancel_url: str
) -> dict:
    """A Checkout Session paying a marketplace order's total in one line. Asked again for the
    same order, Stripe answers with the same session."""
    reference = {"order": str(order.uuid), "assent_reference": order.reference}
    params = {
        "mode": "payment",
        "client_reference_id": str(order.uuid),
        "metadata": reference,
        "payment_intent_data": {
            "metadata": reference,
            "description": f"Assent order {order.number}",
        },
        "customer_email": order.placed_by.email,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": order.total_amount,
                    "product_data": {
                        "name": product_name[:250],
                        "description": product_description,
                    },
                },
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    with _asking():
        session = client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": f"assent-order-{order.id}-checkout"}
        )
    return session.to_dict()


def checkout_session_expire(*, order) -> dict:
    """Expire the order's open session so it can no longer be paid. Refused when the session
    is no longer open (it was paid, or expired already)."""
    with _asking():
        return client().v1.checkout.sessions.expire(order.stripe_checkout_session_id).to_dict()


def checkout_session_retrieve(*, order) -> dict:
    with _asking():
        return client().v1.checkout.sessions.retrieve(order.stripe_checkout_session_id).to_dict()


# --- refunds (marketplace) --------------------------------------------------------------------


def refund_create(*, refund) -> dict:
    """Refund a marketplace refund row's amount of its order's payment. The key is the row's
    own (`refund.idempotency_key`): asking again, after a lost answer, is the same refund."""
    order = refund.order
    with _asking():
        created = client().v1.refunds.create(
            params={
                "payment_intent": order.stripe_payment_intent_id,
                "amount": refund.amount,
                "reason": "requested_by_customer",
                "metadata": {"assent_reference": f"refund:{refund.id}", "order": str(order.uuid)},
            },
            options={"idempotency_key": refund.idempotency_key},
        )
    return created.to_dict()


def refunds_of_charge(charge_id: str) -> list[dict]:
    """Every refund of a charge (ours and those made in Stripe's dashboard)."""
    with _asking():
        listing = client().v1.refunds.list(params={"charge": charge_id, "limit": 100})
        return [stripe_refund.to_dict() for stripe_refund in listing.auto_paging_iter()]


def refund_reference_update(*, refund, stripe_refund_id: str) -> dict:
    """Write our refund row's reference onto a refund made in Stripe's dashboard."""
    metadata = {"assent_reference": f"refund:{refund.id}", "order": str(refund.order.uuid)}
    with _asking():
        updated = client().v1.refunds.update(stripe_refund_id, params={"metadata": metadata})
    return updated.to_dict()


# --- transfers to creators (payouts) ----------------------------------------------------------


def transfer_create(*, payout) -> dict:
    """The payout's transfer to its creator's connected account, under the payout row's key
    (`payout.idempotency_key`): a repeated send gets the same transfer back."""
    with _asking():
        transfer = client().v1.transfers.create(
            params={
                "amount": payout.amount,
                "currency": payout.currency.lower(),
                "destination": payout.creator.payout_account.stripe_account_id,
                "transfer_group": f"payout-run-{payout.run_id}",
                "metadata": {"payout_id": str(payout.id), "creator_id": str(payout.creator_id)},
            },
            options={"idempotency_key": payout.idempotency_key},
        )
    return transfer.to_dict()


def reversal_key(*, payout, reason_ref: str) -> str:
    """One reversal of a payout's transfer per cause (a refund, a dispute): Stripe's
    idempotency key, our ledger posting's key and the reversal's `assent_key` metadata."""
    return f"reversal:{reason_ref}:{payout.id}"


def transfer_reversal_create(*, payout, amount: int, reason_ref: str) -> dict:
    """Take `amount` back from a payout's transfer for a cause. The key (`reversal_key`)
    already used with another amount is refused rather than unavailable: this cause already
    asked this of this transfer, and asking again would get the same answer."""
    key = reversal_key(payout=payout, reason_ref=reason_ref)
    try:
        reversal = client().v1.transfers.reversals.create(
            payout.stripe_transfer_id,
            params={
                "amount": amount,
                "metadata": {"reason": reason_ref, "payout_id": str(payout.id), "assent_key": key},
            },
            options={"idempotency_key": key},
        )
    except stripe.IdempotencyError as exc:
        raise StripeRefused(exc.user_message or str(exc), stripe_code="idempotency_error") from exc
    except stripe.StripeError as exc:
        raise _translated(exc) from exc
    return reversal.to_dict()


def balance_available(*, payout_account, currency: str) -> int:
    """What a creator's connected account holds available in `currency` (minor units)."""
    with _asking():
        balance = client().v1.balance.retrieve(
            options={"stripe_account": payout_account.stripe_account_id}
        )
    return sum(b.amount for b in balance.available if b.currency == currency.lower())


# --- Connect accounts (creators) --------------------------------------------------------------


def account_create(*, creator) -> dict:
    """The creator's Express account. One per creator: asking again (a double click, a retried
    request, a crash before our row was saved) gets the same account back from Stripe."""
    with _asking():
        account = client().v1.accounts.create(
            params={
                "type": "express",
                "email": creator.email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"assent_creator_id": str(creator.id)},
            },
            options={"idempotency_key": f"assent-connect-account-{creator.id}"},
        )
    return account.to_dict()


def account_retrieve(*, payout_account) -> dict:
    with _asking():
        return client().v1.accounts.retrieve(payout_account.stripe_account_id).to_dict()


def account_link_create(*, payout_account, refresh_url: str, return_url: str) -> str:
    """A fresh, single-use link (its URL) to Stripe's hosted onboarding for the account."""
    with _asking():
        link = client().v1.account_links.create(
            params={
                "account": payout_account.stripe_account_id,
                "type": "account_onboarding",
                "refresh_url": refresh_url,
                "return_url": return_url,
            }
        )
    return link.url


# --- webhooks ---------------------------------------------------------------------------------


def webhook_event(payload: bytes, signature_header: str) -> dict | None:
    """The delivered event (the body as a dict) when its signature is Stripe's and fresh, None
    when it is not. A signed body that is no event raises ValueError (not JSON), or TypeError,
    AttributeError or KeyError (JSON the library cannot make an event of).

    Stripe signs events about connected accounts (account.updated for creators) with the
    Connect endpoint's own secret; both secrets are tried when both are set."""
    secrets = [settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET]
    for secret in [secret for secret in secrets if secret] or [""]:
        try:
            stripe.Webhook.construct_event(payload, signature_header, secret)
        except stripe.SignatureVerificationError:
            continue
        return json.loads(payload)
    return None


# --- reading for reconciliation ---------------------------------------------------------------
# Any failure to read (unreachable, refused key, Stripe's 5xx after retries, rate limit) is one
# StripeUnavailable that says which, so a page can say so instead of answering 500; a report
# cannot be made from what Stripe refuses to show either.


def _unreadable(exc: stripe.StripeError) -> StripeUnavailable:
    logger.warning("reading Stripe failed: %r", exc)
    if isinstance(exc, stripe.APIConnectionError):
        message = "Stripe did not answer: the network connection to Stripe failed."
    elif isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        message = "Stripe refused our API key (STRIPE_SECRET_KEY)."
    elif isinstance(exc, stripe.RateLimitError):
        message = "Stripe asked us to slow down (rate limit). Try again in a minute."
    elif isinstance(exc, stripe.APIError):
        message = "Stripe answered with a server error."
    else:
        message = exc.user_message or "Stripe refused the request."
    return StripeUnavailable(
        message, detail=str(exc), is_unreachable=isinstance(exc, stripe.APIConnectionError)
    )


def _created_between(service, *, gte: int, lte: int, at_most: int, expand=()):
    """(objects created in [gte, lte] newest first as dicts, truncated?) following Stripe's
    pages. Lists are newest first, so iteration stops at the first older object: bounded
    even by a server that ignores the `created` filter."""
    params: dict = {"limit": 100, "created": {"gte": gte, "lte": lte}}
    if expand:
        params["expand"] = [f"data.{path}" for path in expand]
    found: list[dict] = []
    try:
        for obj in service.list(params=params).auto_paging_iter():
            if obj.created > lte:
                continue
            if obj.created < gte:
                break
            if len(found) == at_most:
                return found, True
            found.append(obj.to_dict())
    except stripe.StripeError as exc:
        raise _unreadable(exc) from exc
    return found, False


def charges_created_between(*, gte: int, lte: int, at_most: int):
    """Charges with their PaymentIntent expanded (its metadata names our order)."""
    service = client().v1.charges
    return _created_between(service, gte=gte, lte=lte, at_most=at_most, expand=["payment_intent"])


def refunds_created_between(*, gte: int, lte: int, at_most: int):
    return _created_between(client().v1.refunds, gte=gte, lte=lte, at_most=at_most)


def transfers_created_between(*, gte: int, lte: int, at_most: int):
    return _created_between(client().v1.transfers, gte=gte, lte=lte, at_most=at_most)


def disputes_created_between(*, gte: int, lte: int, at_most: int):
    return _created_between(client().v1.disputes, gte=gte, lte=lte, at_most=at_most)


def _retrieve_or_none(service, object_id: str) -> dict | None:
    try:
        return service.retrieve(object_id).to_dict()
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            return None
        raise _unreadable(exc) from exc
    except stripe.StripeError as exc:
        raise _unreadable(exc) from exc


def transfer_retrieve(transfer_id: str) -> dict | None:
    """The transfer, or None when Stripe does not know it."""
    return _retrieve_or_none(client().v1.transfers, transfer_id)


def dispute_retrieve(dispute_id: str) -> dict | None:
    return _retrieve_or_none(client().v1.disputes, dispute_id)


def transfer_reversals_list(transfer_id: str) -> list[dict]:
    """Every reversal of a transfer (the transfer itself embeds only the first ten)."""
    try:
        reversals = client().v1.transfers.reversals.list(transfer_id, params={"limit": 100})
        return [reversal.to_dict() for reversal in reversals.auto_paging_iter()]
    except stripe.StripeError as exc:
        raise _unreadable(exc) from exc
