"""Money as the API shows it: integer minor units with their currency and a display string."""

from __future__ import annotations

from rest_framework import serializers

from common.money import format_money


def money(amount: int, currency: str) -> dict:
    return {"amount": amount, "currency": currency, "display": format_money(amount, currency)}


class MoneyOutput(serializers.Serializer):
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    display = serializers.CharField()
