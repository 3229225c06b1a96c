"""A team's credit paid out. Released holdbacks are money Assent owes the team (services/
holdback.py); it is paid off-platform (a bank transfer, a refund to the team's card), and staff
record each payment here so the ledger, the team's page and the trial balance say it is paid.

A payment posts: team credit +amount (less owed to the team), platform cash −amount (the money
left). The payment's own reference (its bank or Stripe id) makes it once: recording the same
reference again changes nothing, and a second amount under a used reference is refused. A
payment may not exceed the credit: what a later refund takes back from the credit would then be
owed by the team (a negative credit), which is for staff to settle, not to create."""

from __future__ import annotations

from django.db import transaction

from common.money import format_money, is_supported, normalise_currency, unsupported_currency
from config.errors import ApplicationError
from payouts.models import AccountKind, JournalTransaction, LedgerEntry
from payouts.selectors.ledger import raw_balance, shown
from payouts.services.ledger import Line, account_lock, ledger_accounts, post, team_account

K = AccountKind
TEAM_CREDIT_PAID = "team_credit_paid"
REFERENCE_MAX = 100


def team_credit_pay_out(
    *, organization, currency: str, amount: int, reference: str, actor, note: str = ""
) -> tuple[JournalTransaction, bool]:
    """Record that Assent paid the team `amount` (minor units) of its credit in `currency`.
    Returns (transaction, created): created is False when `reference` was recorded before."""
    currency = normalise_currency(currency)
    reference = " ".join(str(reference or "").split())
    fields = {}
    if not is_supported(currency):
        fields["currency"] = [unsupported_currency(currency)]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        fields["amount"] = ["A positive amount."]
    if not reference:
        fields["reference"] = ["The payment's own reference (bank transfer or refund id)."]
    elif len(reference) > REFERENCE_MAX:
        fields["reference"] = [f"At most {REFERENCE_MAX} characters."]
    if fields:
        raise ApplicationError("Some fields are invalid.", code="invalid", fields=fields)
    key = f"team-credit-paid:{organization.id}:{reference}"
    credit = team_account(organization, K.TEAM_CREDIT)
    with transaction.atomic():
        # Payments, refunds and disputes that take from this credit go one at a time.
        account_lock(credit)
        before = JournalTransaction.objects.filter(idempotency_key=key).first()
        if before is not None:
            recorded = LedgerEntry.objects.filter(transaction=before, account=credit).first()
            if recorded is None or (recorded.amount, recorded.currency) != (amount, currency):
                raise ApplicationError(
                    f"The reference {reference} is already recorded for another payment.",
                    code="reference_used",
                    status=409,
                    fields={"reference": ["Already recorded for another amount."]},
                )
            return before, False
        balance = shown(K.TEAM_CREDIT, raw_balance(credit, currency))
        if amount > balance:
            raise ApplicationError(
                f"{organization.name}'s credit is {format_money(max(balance, 0), currency)}; "
                f"a payment of {format_money(amount, currency)} would be more than it.",
                code="more_than_credit",
                fields={"amount": ["More than the team's credit."]},
            )
        cash = ledger_accounts(platform=(K.PLATFORM_CASH,))[K.PLATFORM_CASH]
        memo = f"Recorded by {actor.email}" + (f": {note.strip()}" if note.strip() else "")
        return post(
            idempotency_key=key,
            kind=TEAM_CREDIT_PAID,
            lines=[Line(credit, amount, currency), Line(cash, -amount, currency)],
            reference_type="organization",
            reference_id=str(organization.id),
            memo=memo,
        )
