"""Reads for team credit: what teams are owed after refunds."""

from __future__ import annotations

from django.db.models import Sum

from payouts.models import AccountKind, LedgerEntry
from payouts.selectors.ledger import shown


def team_credit_balances(organization) -> dict[str, int]:
    """What Assent owes the team (released holdbacks, less any taken back by refunds), per
    currency, in minor units; negative when the team owes it. Currencies at zero are left out.
    One grouped query."""
    rows = (
        LedgerEntry.objects.filter(
            account__organization=organization, account__kind=AccountKind.TEAM_CREDIT
        )
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {
        row["currency"]: shown(AccountKind.TEAM_CREDIT, row["total"])
        for row in rows
        if row["total"]
    }


def team_credits_outstanding() -> list[dict]:
    """Every team's credit that is not zero, per currency, for staff to pay out: dicts of
    organization id, name and slug, currency, amount (minor units). One grouped query."""
    rows = (
        LedgerEntry.objects.filter(account__kind=AccountKind.TEAM_CREDIT)
        .values(
            "account__organization_id",
            "account__organization__name",
            "account__organization__slug",
            "currency",
        )
        .annotate(total=Sum("amount"))
        .order_by("account__organization__name", "currency")
    )
    return [
        {
            "organization_id": row["account__organization_id"],
            "name": row["account__organization__name"],
            "slug": row["account__organization__slug"],
            "currency": row["currency"],
            "amount": shown(AccountKind.TEAM_CREDIT, row["total"]),
        }
        for row in rows
        if row["total"]
    ]
