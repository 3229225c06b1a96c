"""Creators' Stripe Connect (Express) accounts: created once, onboarding links, kept in step with Stripe."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from accounts.models import Role
from config.errors import ApplicationError
from payouts.models import PayoutAccount
from payouts.stripe_gateway import (
    StripeRefused,
    StripeUnavailable,
    account_create,
    account_link_create,
    account_retrieve,
)

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
        lambda: account_create(creator=creator),
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
        lambda: account_link_create(
            payout_account=payout_account, refresh_url=refresh_url, return_url=return_url
        ),
        doing="creating an account link",
    )


def payout_account_refresh(*, payout_account: PayoutAccount) -> PayoutAccount:
    """Ask Stripe for the account as it is now and store it (the return page does this)."""
    account = _stripe(
        lambda: account_retrieve(payout_account=payout_account),
        doing="reading a Connect account",
    )
    return payout_account_sync(account) or payout_account


def payout_account_sync(account: dict, *, event: dict | None = None) -> PayoutAccount | None:
    """Store what Stripe says about an account (an `account.updated` event's object, or the
    account as retrieved). The row is locked while it is written. With `event`, a late
    delivery older than an event already applied changes nothing. Accounts that are not
    ours (or not yet saved) are skipped: the creator's return page reads them from Stripe."""
    # payouts/webhooks.py imports this module for its account.updated handler: a cycle.
    from payouts.webhooks import superseded

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
