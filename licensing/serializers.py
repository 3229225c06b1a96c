from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import format_money
from config.input_fields import (
    CanonicalChoiceField,
    CanonicalMultipleChoiceField,
    CurrencyField,
    NestedInput,
)

from .models import ConsentRecord, Offer
from .money import MAX_PRICE
from .terms import MAX_TERM_MONTHS, MIN_TERM_MONTHS, PRESETS, OnExpiry, Use


class TermsInput(NestedInput):
    uses = CanonicalMultipleChoiceField(choices=[u.value for u in Use], allow_empty=False)
    commercial = serializers.BooleanField()
    term_months = serializers.IntegerField(min_value=MIN_TERM_MONTHS, max_value=MAX_TERM_MONTHS)
    on_expiry = CanonicalChoiceField(choices=[e.value for e in OnExpiry])
    attribution_required = serializers.BooleanField(default=False)


class OfferCreateInput(serializers.Serializer):
    preset = CanonicalChoiceField(
        choices=list(PRESETS),
        required=False,
        allow_blank=True,
        help_text="A preset key (GET /api/v1/presets/).",
    )
    terms = TermsInput(required=False)
    # No minimum here: below the currency's floor the service answers `price_below_floor`.
    price = serializers.IntegerField(
        max_value=MAX_PRICE, help_text="Per license, in minor units (1200 = $12.00)."
    )
    currency = CurrencyField(default="USD")
    consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Must be true: you have read the summary and opt this work in on these terms.",
    )


class TermsOutput(serializers.Serializer):
    uses = serializers.ListField(child=serializers.CharField())
    commercial = serializers.BooleanField()
    term_months = serializers.IntegerField()
    on_expiry = serializers.CharField()
    attribution_required = serializers.BooleanField()
    hash = serializers.CharField()


class OfferOutput(serializers.ModelSerializer):
    terms = serializers.SerializerMethodField()
    price = serializers.IntegerField(source="price_amount")
    price_display = serializers.SerializerMethodField()
    license_url = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "uuid",
            "work",
            "status",
            "preset",
            "terms",
            "price",
            "currency",
            "price_display",
            "license_url",
            "created_at",
            "ended_at",
        ]

    @extend_schema_field(TermsOutput)
    def get_terms(self, offer) -> dict:
        return {**offer.terms.canonical(), "hash": offer.terms_hash}

    def get_price_display(self, offer) -> str:
        return format_money(offer.price_amount, offer.currency)

    def get_license_url(self, offer) -> str:
        from django.urls import reverse

        return reverse("licensing:terms_page", args=[offer.terms_hash])


class PresetOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    terms = TermsOutput()


class ConsentRecordOutput(serializers.ModelSerializer):
    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "action",
            "work",
            "offer",
            "work_title",
            "terms",
            "terms_hash",
            "price_amount",
            "currency",
            "license_text_version",
            "license_text_hash",
            "summary",
            "at",
        ]
