from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import format_money
from payouts.models import Payout, PayoutStatus
from payouts.selectors.connect import AccountStatus
from payouts.selectors.releases import DISPUTED, FROZEN, ON_DATE

ACCOUNT_STATUSES = [
    AccountStatus.NOT_CONNECTED,
    AccountStatus.INCOMPLETE,
    AccountStatus.VERIFYING,
    AccountStatus.RESTRICTED,
    AccountStatus.ENABLED,
]


class BalanceOutput(serializers.Serializer):
    currency = serializers.CharField()
    held = serializers.IntegerField(help_text="Earned, waiting out the hold period.")
    available = serializers.IntegerField(help_text="Paid out in the next payout run.")
    in_transit = serializers.IntegerField(help_text="Sent in a payout that has not settled.")
    paid = serializers.IntegerField(help_text="Paid out to your Stripe account in total.")
    owed = serializers.IntegerField(
        help_text="What you owe after a refund or claim; later earnings pay it first."
    )


# Inline enums (not components), so they cannot collide with other `status` enums.
@extend_schema_field({"type": "string", "enum": ACCOUNT_STATUSES})
class AccountStatusField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": PayoutStatus.values})
class PayoutStatusField(serializers.CharField):
    pass


class PayoutAccountOutput(serializers.Serializer):
    status = AccountStatusField(
        help_text="not_connected, incomplete (Stripe needs details from you), verifying, "
        "restricted or enabled."
    )
    payouts_enabled = serializers.BooleanField()
    headline = serializers.CharField()
    explanation = serializers.CharField()
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="What Stripe still needs, in plain words."
    )
    requirements_due = serializers.SerializerMethodField(
        help_text="Stripe's own requirement keys (currently due and past due)."
    )
    stripe_account_id = serializers.SerializerMethodField()

    def get_requirements_due(self, state) -> list[str]:
        return list(state.account.requirements_due) if state.account else []

    def get_stripe_account_id(self, state) -> str | None:
        return state.account.stripe_account_id if state.account else None


@extend_schema_field({"type": "string", "enum": [ON_DATE, FROZEN, DISPUTED]})
class WaitsForField(serializers.CharField):
    pass


class HeldReleaseOutput(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units.")
    amount_display = serializers.SerializerMethodField()
    items = serializers.IntegerField(help_text="How many sold items the amount comes from.")
    available_on = serializers.DateField(
        allow_null=True, help_text="The day it becomes available; null when no date can be given."
    )
    waits_for = WaitsForField(
        help_text="date (it becomes available on `available_on`), frozen (our staff hold it: "
        "a freeze or a rights claim) or disputed (an open bank dispute took it back)."
    )
    explanation = serializers.CharField(help_text="Why there is no date, in plain words.")

    def get_amount_display(self, release) -> str:
        return format_money(release.amount, release.currency)


class EarningsOutput(serializers.Serializer):
    balances = BalanceOutput(many=True)
    held_releases = HeldReleaseOutput(
        many=True,
        help_text="Held money per day it becomes available, soonest first; then what waits on "
        "a freeze or an open dispute.",
    )
    payout_account = PayoutAccountOutput()


class PayoutOutput(serializers.ModelSerializer):
    status = PayoutStatusField()
    amount_display = serializers.SerializerMethodField()

    class Meta:
        model = Payout
        fields = [
            "id",
            "amount",
            "currency",
            "amount_display",
            "status",
            "failure_reason",
            "stripe_transfer_id",
            "created_at",
            "settled_at",
        ]

    def get_amount_display(self, payout) -> str:
        return format_money(payout.amount, payout.currency)
