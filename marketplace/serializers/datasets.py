"""Dataset and quote shapes."""

from __future__ import annotations

from rest_framework import serializers

from config.input_fields import CanonicalMultipleChoiceField, CurrencyField, id_list
from licensing.terms import MAX_TERM_MONTHS, MIN_TERM_MONTHS, Use
from marketplace.serializers.prices import MoneyOutput, money


class DatasetCreateInput(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    uses = CanonicalMultipleChoiceField(
        choices=[u.value for u in Use],
        help_text="The intended uses every work must be licensed for.",
    )
    commercial = serializers.BooleanField(help_text="Will the models be used commercially?")
    months_needed = serializers.IntegerField(
        min_value=MIN_TERM_MONTHS,
        max_value=MAX_TERM_MONTHS,
        help_text="How many months you need the license.",
    )
    can_destroy_models = serializers.BooleanField(
        default=True,
        help_text="False: only works whose terms do not require destroying models at expiry.",
    )
    currency = CurrencyField(default="USD")
    work_ids = id_list(required=False)
    filters = serializers.DictField(
        required=False,
        help_text="Catalog filters (as GET /api/v1/catalog/ takes them): every matching work "
        "is added.",
    )


class DatasetRenameInput(serializers.Serializer):
    # Checked by the service (dataset_name_clean), so the API and the page refuse alike.
    name = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="The new name: 1 to 120 characters on one line (spaces are tidied).",
    )


class DatasetWorksInput(serializers.Serializer):
    work_ids = id_list(required=False)
    filters = serializers.DictField(required=False)


class DatasetWorksRemoveInput(serializers.Serializer):
    work_ids = id_list(allow_empty=False)


class QuoteItemOutput(serializers.Serializer):
    work_id = serializers.IntegerField()
    title = serializers.CharField()
    creator_id = serializers.IntegerField()
    offer_id = serializers.IntegerField()
    terms = serializers.DictField()
    price = MoneyOutput()
    creator_share = MoneyOutput()
    fee = MoneyOutput()
    is_sellable = serializers.BooleanField()


class CreatorLineOutput(serializers.Serializer):
    creator_id = serializers.IntegerField()
    creator_name = serializers.CharField()
    works = serializers.IntegerField()
    amount = MoneyOutput()
    creator_share = MoneyOutput()
    fee = MoneyOutput()


class DutiesOutput(serializers.Serializer):
    destroy_models = serializers.IntegerField(
        help_text="Works whose models must be destroyed when their license ends."
    )
    attribution = serializers.IntegerField(help_text="Works whose creator must be credited.")


class QuoteOutput(serializers.Serializer):
    currency = serializers.CharField()
    fee_percent = serializers.CharField()
    items = QuoteItemOutput(many=True)
    creators = CreatorLineOutput(many=True)
    fee = MoneyOutput()
    total = MoneyOutput()
    stale_items = serializers.IntegerField()
    duties = DutiesOutput()


def quote_data(quote) -> dict:
    c = quote.currency
    return {
        "currency": c,
        "fee_percent": quote.fee_percent,
        "items": [
            {
                "work_id": q.item.work_id,
                "title": q.item.work.title,
                "creator_id": q.item.work.owner_id,
                "offer_id": q.item.offer_id,
                "terms": q.item.offer.terms.canonical(),
                "price": money(q.price_amount, c),
                "creator_share": money(q.share, c),
                "fee": money(q.fee, c),
                "is_sellable": q.is_sellable,
            }
            for q in quote.items
        ],
        "creators": [
            {
                "creator_id": line.creator_id,
                "creator_name": line.creator_name,
                "works": line.count,
                "amount": money(line.amount, c),
                "creator_share": money(line.share, c),
                "fee": money(line.fee, c),
            }
            for line in quote.creators
        ],
        "fee": money(quote.fee_amount, c),
        "total": money(quote.total_amount, c),
        "stale_items": quote.stale_count,
        "duties": {
            "destroy_models": quote.duties.destroy_models,
            "attribution": quote.duties.attribution,
        },
    }


class DatasetOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.CharField()
    organization = serializers.CharField()
    intended_use = serializers.DictField()
    currency = serializers.CharField()
    notices = serializers.ListField(child=serializers.DictField())
    quote = QuoteOutput()
    skipped = serializers.ListField(child=serializers.DictField(), required=False)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def dataset_data(dataset, quote, *, skipped=None) -> dict:
    data = {
        "uuid": str(dataset.uuid),
        "name": dataset.name,
        "status": dataset.status,
        "organization": dataset.organization.slug,
        "intended_use": {
            "uses": dataset.uses,
            "commercial": dataset.commercial,
            "months_needed": dataset.months_needed,
            "can_destroy_models": dataset.can_destroy_models,
        },
        "currency": dataset.currency,
        "notices": dataset.notices,
        "quote": quote_data(quote),
        "created_at": dataset.created_at,
        "updated_at": dataset.updated_at,
    }
    if skipped is not None:
        data["skipped"] = skipped
    return data


class DatasetSummaryOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.CharField()
    works = serializers.IntegerField(source="item_count")
    currency = serializers.CharField()
    updated_at = serializers.DateTimeField()
