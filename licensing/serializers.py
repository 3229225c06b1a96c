"""Model declarations API shapes. Rules live in `lifecycle.declarations`; these only parse and
present."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import format_money
from config.input_fields import (
    CanonicalChoiceField,
    CanonicalMultipleChoiceField,
    CurrencyField,
    FlatListField,
    NestedInput,
    id_list,
)
from licensing.models import ConsentRecord, Offer
from licensing.money import MAX_PRICE
from licensing.terms import MAX_TERM_MONTHS, MIN_TERM_MONTHS, PRESETS, OnExpiry, Use


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


class DeclarationCreateInput(serializers.Serializer):
    organization = serializers.SlugField(
        required=False, help_text="Your team's slug; needed only if you belong to several teams."
    )
    name = serializers.CharField(max_length=120)
    version = serializers.CharField(max_length=60)
    purpose = serializers.CharField(max_length=2000)
    commercial = serializers.BooleanField(help_text="The model is used commercially.")
    generative = serializers.BooleanField(help_text="The model generates content.")
    training_started_on = serializers.DateField()
    training_ended_on = serializers.DateField(
        help_text="The last day of training (planned, if it has not ended yet)."
    )
    items = id_list(
        required=False,
        default=list,
        max_length=10_000,
        help_text="License item ids (see GET /api/v1/licenses/{uuid}/); for whole licenses use `grants`.",
    )
    grants = FlatListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=1000,
        help_text="Whole licenses by uuid: all their items that are not revoked.",
    )

    def validate(self, attrs):
        if not attrs.get("items") and not attrs.get("grants"):
            raise serializers.ValidationError(
                {"items": ["Name license items, whole licenses (`grants`), or both."]}
            )
        return attrs


class DeclarationAttestationOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    attested_by = serializers.EmailField(source="attested_by.email")
    attested_at = serializers.DateTimeField()
    destroyed_on = serializers.DateField()
    method = serializers.CharField()
    signature = serializers.CharField()


class DeclarationItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    license = serializers.UUIDField(source="grant.uuid")
    work_id = serializers.IntegerField()
    work_title = serializers.CharField()
    terms = serializers.DictField()
    starts_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    status = serializers.CharField()


class DeclarationOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    organization = serializers.CharField(source="organization.slug")
    name = serializers.CharField()
    version = serializers.CharField()
    purpose = serializers.CharField()
    commercial = serializers.BooleanField(source="is_commercial")
    generative = serializers.BooleanField(source="is_generative")
    training_started_on = serializers.DateField()
    training_ended_on = serializers.DateField()
    declared_by = serializers.EmailField(source="declared_by.email")
    created_at = serializers.DateTimeField()
    item_count = serializers.SerializerMethodField()
    status = serializers.CharField(source="state.status.value")
    deadline = serializers.DateTimeField(
        source="state.deadline",
        allow_null=True,
        help_text="Attest destruction by then (when destruction is due or overdue).",
    )

    def get_item_count(self, declaration) -> int:
        count = getattr(declaration, "item_count", None)
        return count if count is not None else len(declaration.items.all())


class DeclarationDetailOutput(DeclarationOutput):
    items = DeclarationItemOutput(many=True, source="item_list")
    attestations = DeclarationAttestationOutput(many=True, source="attestations.all")


class OffendingItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    work_id = serializers.IntegerField()
    work_title = serializers.CharField()
    license = serializers.UUIDField()
    reasons = serializers.ListField(child=serializers.CharField())


class TermsMismatchOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField()
    offending_items = OffendingItemOutput(many=True, required=False)
