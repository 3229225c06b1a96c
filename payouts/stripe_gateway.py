"""The one module that talks to Stripe's SDK. Everything else asks it for a client.

With STRIPE_API_BASE set (the embedded default and the tests), the official library is
pointed at the local Stripe-compatible server in devtools/stripe_local; with real test-mode
keys and no base address it talks to Stripe itself. No code talks to either differently."""

from __future__ import annotations

import logging
from functools import lru_cache

import stripe
from django.conf import settings

from config.errors import ApplicationError

logger = logging.getLogger(__name__)


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


@lru_cache(maxsize=4)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    options: dict = {"max_network_retries": 2}
    if api_base:
        options["base_addresses"] = {"api": api_base, "connect": api_base, "files": api_base}
    return stripe.StripeClient(secret_key, **options)


def client() -> stripe.StripeClient:
    if not is_configured():
        raise ApplicationError(
            "Payments are not configured (STRIPE_SECRET_KEY is empty).",
            code="payments_unavailable",
            status=503,
        )
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


def construct_event(payload: bytes, signature_header: str) -> stripe.Event:
    """Verify a webhook delivery; raises stripe.SignatureVerificationError or ValueError.

    Stripe signs events about connected accounts (account.updated for creators) with the
    Connect endpoint's own secret; both secrets are tried when both are set."""
    secrets = [settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET]
    secrets = [secret for secret in secrets if secret]
    for secret in secrets[:-1]:
        try:
            return stripe.Webhook.construct_event(payload, signature_header, secret)
        except stripe.SignatureVerificationError:
            continue
    return stripe.Webhook.construct_event(payload, signature_header, secrets[-1] if secrets else "")


# --- reading for reconciliation ---------------------------------------------------------------
# Plain dicts leave this module (`to_dict()`), so callers never depend on the SDK's types. Any
# failure to read (unreachable, refused key, Stripe's 5xx after retries, rate limit) becomes
# one ApplicationError, so a page can say so instead of answering 500.


def _unreadable(exc: stripe.StripeError) -> ApplicationError:
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
    return ApplicationError(
        message, code="stripe_unavailable", status=503, extra={"detail": str(exc)[:500]}
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
