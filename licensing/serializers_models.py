"""Model declarations API shapes. Rules live in `lifecycle.declarations`; these only parse and
present."""

from __future__ import annotations

from rest_framework import serializers

from config.input_fields import FlatListField, id_list


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
