"""API shapes for renewal: the renewable items at today's offers and prices, the rest with the
reason, and the renewal dataset to check out."""

from __future__ import annotations

from rest_framework import serializers

from marketplace.selectors.datasets import dataset_quote
from marketplace.serializers.datasets import DatasetOutput, dataset_data
from marketplace.serializers.prices import MoneyOutput, money
from marketplace.services.renewals import not_renewable_data


class RenewableItemOutput(serializers.Serializer):
    work_id = serializers.IntegerField()
    title = serializers.CharField()
    expires_at = serializers.DateTimeField()
    offer_id = serializers.IntegerField()
    terms = serializers.DictField()
    is_same_terms = serializers.BooleanField()
    previous_price = MoneyOutput()
    price = MoneyOutput()


class NotRenewableItemOutput(serializers.Serializer):
    work_id = serializers.IntegerField()
    title = serializers.CharField()
    expires_at = serializers.DateTimeField()
    reason_code = serializers.ChoiceField(
        choices=[
            "revoked",
            "work_removed",
            "consent_withdrawn",
            "no_compatible_offer",
            "already_renewed",
        ]
    )
    reason = serializers.CharField()


class RenewalQuoteOutput(serializers.Serializer):
    currency = serializers.CharField()
    renewable = RenewableItemOutput(many=True)
    total = MoneyOutput()
    previous_total = MoneyOutput()


class RenewalOutput(serializers.Serializer):
    dataset = DatasetOutput(allow_null=True, help_text="The renewal dataset: check it out next.")
    quote = RenewalQuoteOutput()
    not_renewable = NotRenewableItemOutput(many=True)


def renewal_data(quote, dataset=None) -> dict:

    c = quote.currency
    return {
        "dataset": dataset_data(dataset, dataset_quote(dataset=dataset)) if dataset else None,
        "quote": {
            "currency": c,
            "renewable": [
                {
                    "work_id": line.item.work_id,
                    "title": line.item.work_title,
                    "expires_at": line.item.expires_at,
                    "offer_id": line.offer.id,
                    "terms": line.offer.terms.canonical(),
                    "is_same_terms": line.is_same_terms,
                    "previous_price": money(line.item.price_amount, line.item.currency),
                    "price": money(line.offer.price_amount, line.offer.currency),
                }
                for line in quote.renewable
            ],
            "total": money(quote.total_amount, c),
            "previous_total": money(quote.previous_amount, c),
        },
        "not_renewable": [not_renewable_data(line) for line in quote.not_renewable],
    }
