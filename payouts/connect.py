"""Stripe Connect onboarding: a creator's Express account, account links to Stripe's hosted
onboarding, and keeping our copy of the account's state current (from `account.updated`
webhooks, and from Stripe directly when the creator comes back, since webhooks can lag).

Also the words: what Stripe's requirement keys (`individual.dob.day`, `external_account`, ...)
and disabled reasons mean, said the way a creator would understand them."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from accounts.models import Role
from config.errors import ApplicationError

from . import stripe_gateway
from .models import PayoutAccount
from .stripe_gateway import StripeRefused, StripeUnavailable

logger = logging.getLogger(__name__)


def _stripe(call, *, doing: str):
    """Run a gateway call; its failures become errors a creator can act on."""
    try:
        return call()
    except (StripeUnavailable, StripeRefused) as exc:
        if isinstance(exc, StripeUnavailable) and exc.is_unreachable:
            logger.warning("Stripe unreachable while %s: %s", doing, exc.extra.get("detail"))
            raise ApplicationError(
                "We could not reach Stripe just now. Nothing was changed; try again in a minute.",
                code="stripe_unavailable",
                status=503,
            ) from exc
        logger.warning("Stripe refused while %s: %s", doing, exc.message)
        raise ApplicationError(
            "Stripe could not complete this step. Try again in a minute; if it keeps "
            "happening, contact us.",
            code="stripe_error",
            status=502,
        ) from exc


# --- services ---------------------------------------------------------------------------------


def payout_account_get_or_create(*, creator) -> PayoutAccount:
    """The creator's payout account; the Express account is created at Stripe the first time."""
    if getattr(creator, "role", None) != Role.CREATOR:
        raise ApplicationError(
            "Only creator accounts are paid out.", code="not_a_creator", status=403
        )
    existing = PayoutAccount.objects.filter(creator=creator).first()
    if existing is not None:
        return existing
    account = _stripe(
        lambda: stripe_gateway.account_create(creator=creator),
        doing="creating a Connect account",
    )
    try:
        with transaction.atomic():
            row = PayoutAccount.objects.create(creator=creator, stripe_account_id=account["id"])
    except IntegrityError:
        # Two requests at once: both got the same account from Stripe; the other saved it.
        return PayoutAccount.objects.get(creator=creator)
    _apply(row, account)
    row.save()
    return row


def payout_account_onboarding_link(*, creator, refresh_url: str, return_url: str) -> str:
    """A fresh, single-use link to Stripe's hosted onboarding for this creator's account."""
    payout_account = payout_account_get_or_create(creator=creator)
    return _stripe(
        lambda: stripe_gateway.account_link_create(
            payout_account=payout_account, refresh_url=refresh_url, return_url=return_url
        ),
        doing="creating an account link",
    )


def payout_account_refresh(*, payout_account: PayoutAccount) -> PayoutAccount:
    """Ask Stripe for the account as it is now and store it (the return page does this)."""
    account = _stripe(
        lambda: stripe_gateway.account_retrieve(payout_account=payout_account),
        doing="reading a Connect account",
    )
    return payout_account_sync(account) or payout_account


def payout_account_sync(account: dict, *, event: dict | None = None) -> PayoutAccount | None:
    """Store what Stripe says about an account (an `account.updated` event's object, or the
    account as retrieved). The row is locked while it is written. With `event`, a late
    delivery older than an event already applied changes nothing. Accounts that are not
    ours (or not yet saved) are skipped: the creator's return page reads them from Stripe."""
    from .webhooks import superseded

    with transaction.atomic():
        row = (
            PayoutAccount.objects.select_for_update()
            .filter(stripe_account_id=account.get("id"))
            .first()
        )
        if row is None:
            logger.info("Stripe account %s is not one of ours; skipped", account.get("id"))
            return None
        if event is not None and superseded(event):
            logger.info("%s for %s is older than one applied; skipped", event.get("id"), row)
            return row
        _apply(row, account)
        row.save()
    return row


def _apply(row: PayoutAccount, account: dict) -> None:
    requirements = account.get("requirements") or {}
    due = list(requirements.get("currently_due") or []) + list(requirements.get("past_due") or [])
    row.details_submitted = bool(account.get("details_submitted"))
    row.charges_enabled = bool(account.get("charges_enabled"))
    row.payouts_enabled = bool(account.get("payouts_enabled"))
    row.requirements_due = sorted(set(due))
    row.disabled_reason = (requirements.get("disabled_reason") or "")[:100]


# --- in plain words ---------------------------------------------------------------------------

# Stripe's requirement keys, most specific prefix first. Keys not listed fall back to a
# readable form of the key itself.
_REQUIREMENT_PHRASES: list[tuple[str, str]] = [
    ("external_account", "a bank account to receive your payouts"),
    ("tos_acceptance", "your acceptance of Stripe's services agreement"),
    ("business_type", "whether you are paid as an individual or a company"),
    ("business_profile.mcc", "the kind of work you sell"),
    ("business_profile.url", "a website or public profile that shows your work"),
    ("business_profile.product_description", "a short description of what you sell"),
    ("business_profile", "details about your business"),
    ("individual.first_name", "your legal name"),
    ("individual.last_name", "your legal name"),
    ("individual.dob", "your date of birth"),
    ("individual.address", "your home address"),
    ("individual.email", "your email address"),
    ("individual.phone", "your phone number"),
    ("individual.ssn_last_4", "the last 4 digits of your Social Security number"),
    ("individual.id_number", "your national identity number"),
    ("individual.verification.additional_document", "a document that proves your address"),
    ("individual.verification.document", "a photo of your identity document"),
    ("individual", "your personal details"),
    ("company.name", "your company's legal name"),
    ("company.address", "your company's address"),
    ("company.phone", "your company's phone number"),
    ("company.tax_id", "your company's tax ID"),
    ("company.verification.document", "a document that proves your company is registered"),
    ("company", "your company's details"),
    ("representative", "details of the person who represents your company"),
    ("owners", "details of your company's owners"),
    ("directors", "details of your company's directors"),
    ("executives", "details of your company's executives"),
    ("settings.payments.statement_descriptor", "how your name appears on statements"),
]

_DISABLED_REASONS: dict[str, str] = {
    "requirements.past_due": "Stripe needs more information before it can pay you.",
    "requirements.pending_verification": (
        "Stripe is checking the details you gave. This usually takes from a few minutes to a "
        "couple of days; there is nothing for you to do."
    ),
    "under_review": "Stripe is reviewing this account. They will contact you if they need more.",
    "listed": "Stripe is reviewing this account against its lists of restricted persons.",
    "platform_paused": "Payouts to this account are paused by Assent. Contact us.",
    "rejected.fraud": "Stripe closed this account. Contact us if you believe this is a mistake.",
    "rejected.terms_of_service": "Stripe closed this account for breaking its terms.",
    "rejected.listed": "Stripe closed this account.",
    "rejected.other": "Stripe closed this account. Contact us.",
    "other": "Stripe has restricted this account. Open Stripe to see why.",
}


def requirement_phrase(key: str) -> str:
    for prefix, phrase in _REQUIREMENT_PHRASES:
        if key == prefix or key.startswith(prefix + "."):
            return phrase
    # e.g. "person_abc.relationship.title" -> "relationship title"
    parts = [p for p in key.split(".") if not p.startswith(("person_", "acct_"))]
    return " ".join(parts).replace("_", " ") or key


def requirements_in_words(keys: Iterable[str]) -> list[str]:
    """The distinct phrases for a list of requirement keys, in a stable, readable order."""
    phrases: list[str] = []
    for key in keys:
        phrase = requirement_phrase(key)
        if phrase not in phrases:
            phrases.append(phrase)
    order = {phrase: i for i, (_, phrase) in enumerate(_REQUIREMENT_PHRASES)}
    return sorted(phrases, key=lambda p: (order.get(p, len(order)), p))


def disabled_reason_in_words(reason: str) -> str:
    if not reason:
        return ""
    if reason in _DISABLED_REASONS:
        return _DISABLED_REASONS[reason]
    if reason.startswith("rejected."):
        return _DISABLED_REASONS["rejected.other"]
    return _DISABLED_REASONS["other"]
