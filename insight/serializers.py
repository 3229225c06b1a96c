"""API output of the demand figures. Every count and median is null where fewer than
`min_teams` teams stand behind it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import format_money
from insight.models import FacetKind


@extend_schema_field({"type": "string", "enum": FacetKind.values})
class FacetField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": ["below", "around", "above"], "nullable": True})
class PositionField(serializers.CharField):
    pass


class PriceFigureOutput(serializers.Serializer):
    currency = serializers.CharField()
    median_amount = serializers.IntegerField(
        help_text="The median per work, minor units of `currency` (650 = $6.50)."
    )
    median_display = serializers.SerializerMethodField()
    count = serializers.IntegerField(help_text="Works sold, or asks that named a price.")

    def get_median_display(self, figure) -> str:
        return format_money(figure.median_amount, figure.currency)


class DemandRowOutput(serializers.Serializer):
    facet = FacetField()
    value = serializers.CharField(help_text="The use (licensing terms vocabulary) or the tag.")
    label = serializers.CharField()
    teams = serializers.IntegerField(help_text="Distinct teams that asked; at least `min_teams`.")
    searches = serializers.IntegerField(
        allow_null=True, help_text="Catalog searches (one per team, filter and day)."
    )
    quotes = serializers.IntegerField(allow_null=True, help_text="Works added to datasets.")
    requests = serializers.IntegerField(allow_null=True, help_text="Data requests.")
    sales = serializers.IntegerField(allow_null=True, help_text="Works sold.")
    commercial_share = serializers.FloatField(
        allow_null=True, help_text="Share (0 to 1) of the asks naming a use that were commercial."
    )
    median_term_months = serializers.FloatField(
        allow_null=True, help_text="The median license term asked for, in months."
    )
    paid = PriceFigureOutput(many=True, help_text="Median price paid per work, per currency.")
    asked = PriceFigureOutput(
        many=True,
        help_text="Median price ceiling per work in searches and data requests, per currency.",
    )


class PricePositionOutput(serializers.Serializer):
    facet = FacetField()
    value = serializers.CharField()
    label = serializers.CharField()
    currency = serializers.CharField()
    your_median_amount = serializers.IntegerField(source="your_median")
    your_offers = serializers.IntegerField(help_text="Your offers on sale with this use or tag.")
    paid = PriceFigureOutput(allow_null=True)
    asked = PriceFigureOutput(allow_null=True)
    position = PositionField(
        allow_null=True,
        help_text="Your median against the median paid: below, around (within 10%) or above; "
        "null when too few teams bought.",
    )


class DemandOutput(serializers.Serializer):
    computed_at = serializers.DateTimeField(help_text="When these figures were computed.")
    since = serializers.DateTimeField(help_text="The window's start: `window_days` before.")
    window_days = serializers.IntegerField()
    min_teams = serializers.IntegerField(
        help_text="No figure is shown from fewer teams than this (k-anonymity)."
    )
    uses = DemandRowOutput(many=True)
    tags = DemandRowOutput(many=True, help_text="The most-asked tags, most teams first.")
    your_prices = PricePositionOutput(
        many=True, help_text="Your prices on sale against the market (creators; empty for staff)."
    )
