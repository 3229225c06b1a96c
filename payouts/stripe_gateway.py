"""The one module that talks to Stripe's SDK. Everything else asks it for a client.

With STRIPE_API_BASE set (the embedded default and the tests), the official library is
pointed at the local Stripe-compatible server in devtools/stripe_local; with real test-mode
keys and no base address it talks to Stripe itself. No code talks to either differently."""

from __future__ import annotations

from functools import lru_cache

import stripe
from django.conf import settings

from config.errors import ApplicationError


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
