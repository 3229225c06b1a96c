from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import format_money
from payouts.models import Payout, PayoutStatus
from payouts.selectors.connect import AccountStatus

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


class EarningsOutput(serializers.Serializer):
    balances = BalanceOutput(many=True)
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
