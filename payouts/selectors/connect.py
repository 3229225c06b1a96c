"""Where a creator's payout account stands, and Stripe's requirements in words."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from payouts.models import PayoutAccount

logger = logging.getLogger(__name__)


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


class AccountStatus:
    NOT_CONNECTED = "not_connected"
    INCOMPLETE = "incomplete"  # the creator has something to do
    VERIFYING = "verifying"  # submitted; Stripe is checking, nothing to do
    RESTRICTED = "restricted"  # Stripe disabled it for another reason
    ENABLED = "enabled"


@dataclass(frozen=True)
class PayoutAccountState:
    status: str
    headline: str
    explanation: str
    missing: list[str] = field(default_factory=list)
    action: str = ""  # the button's words, when there is something to do at Stripe
    account: PayoutAccount | None = None

    @property
    def payouts_enabled(self) -> bool:
        return self.status == AccountStatus.ENABLED


def payout_account_state(*, creator=None, payout_account: PayoutAccount | None = None):
    """Where the creator stands with Stripe, in words. Pass the creator or their account."""
    if payout_account is None and creator is not None:
        payout_account = PayoutAccount.objects.filter(creator=creator).first()
    account = payout_account
    if account is None:
        return PayoutAccountState(
            status=AccountStatus.NOT_CONNECTED,
            headline="Not connected",
            explanation=(
                "Connect a Stripe account to be paid. Stripe asks who you are and where to send "
                "the money; it takes about five minutes. We never see your bank details."
            ),
            action="Connect with Stripe",
        )
    missing = requirements_in_words(account.requirements_due)
    reason = disabled_reason_in_words(account.disabled_reason)
    if account.payouts_enabled:
        if missing:
            return PayoutAccountState(
                status=AccountStatus.ENABLED,
                headline="Payouts enabled",
                explanation=(
                    "Stripe will soon need a few more details to keep paying you. Add them "
                    "before your payouts are paused."
                ),
                missing=missing,
                action="Update details",
                account=account,
            )
        return PayoutAccountState(
            status=AccountStatus.ENABLED,
            headline="Payouts enabled",
            explanation=(
                "Your available earnings are sent to your Stripe account in each payout run; "
                "Stripe then pays them into your bank account."
            ),
            account=account,
        )
    if missing:
        return PayoutAccountState(
            status=AccountStatus.INCOMPLETE,
            headline="Setup not finished",
            explanation=(
                "Stripe still needs a few details before it can pay you. Your earnings are kept "
                "safe until then."
                if not account.details_submitted
                else f"{reason or 'Stripe needs more information before it can pay you.'} "
                "Your earnings are kept safe until then."
            ),
            missing=missing,
            action="Continue setup",
            account=account,
        )
    if account.disabled_reason in ("", "requirements.pending_verification"):
        return PayoutAccountState(
            status=AccountStatus.VERIFYING,
            headline="Stripe is verifying your details",
            explanation=disabled_reason_in_words("requirements.pending_verification")
            + " Your earnings are kept safe meanwhile.",
            account=account,
        )
    return PayoutAccountState(
        status=AccountStatus.RESTRICTED,
        headline="Payouts paused by Stripe",
        explanation=reason,
        account=account,
    )
