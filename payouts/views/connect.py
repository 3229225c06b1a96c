"""A creator's payout account: onboarding with Stripe and coming back from it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import creator_required
from config.errors import ApplicationError
from payouts.models import PayoutAccount
from payouts.selectors.connect import AccountStatus, payout_account_state
from payouts.services.connect import payout_account_onboarding_link, payout_account_refresh


def _onboarding_redirect(request):
    try:
        url = payout_account_onboarding_link(
            creator=request.user,
            refresh_url=request.build_absolute_uri(reverse("payouts:connect_refresh")),
            return_url=request.build_absolute_uri(reverse("payouts:connect_return")),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("payouts:earnings")
    return redirect(url)


@creator_required
@require_POST
def earnings_connect(request):
    """Create the Express account if needed and send the creator to Stripe's onboarding."""
    return _onboarding_redirect(request)


@creator_required
def earnings_connect_refresh(request):
    """Stripe sends the creator here when their link was used or expired: a new link."""
    if not PayoutAccount.objects.filter(creator=request.user).exists():
        return redirect("payouts:earnings")
    return _onboarding_redirect(request)


@creator_required
def earnings_connect_return(request):
    """Back from Stripe, finished or not: read the account from Stripe (webhooks can lag)."""
    payout_account = PayoutAccount.objects.filter(creator=request.user).first()
    if payout_account is None:
        return redirect("payouts:earnings")
    try:
        payout_account = payout_account_refresh(payout_account=payout_account)
    except ApplicationError as exc:
        messages.warning(
            request, f"{exc.message} Your payout status below may be a few minutes old."
        )
        return redirect("payouts:earnings")
    state = payout_account_state(payout_account=payout_account)
    if state.status == AccountStatus.ENABLED:
        messages.success(request, "Your Stripe account is connected. Payouts are enabled.")
    elif state.status == AccountStatus.VERIFYING:
        messages.info(request, "Thanks. Stripe is verifying your details; we show it here.")
    elif state.status == AccountStatus.INCOMPLETE:
        messages.warning(
            request, "Stripe setup is not finished yet. Continue whenever you are ready."
        )
    else:
        messages.warning(request, state.explanation)
    return redirect("payouts:earnings")
