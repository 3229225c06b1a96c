"""API shapes for datasets, quotes, orders and licenses. Amounts are integer minor units with
their currency, plus a display string."""

from __future__ import annotations

from rest_framework import serializers

from common.money import format_money
from config.input_fields import CanonicalMultipleChoiceField, CurrencyField, id_list
from licensing.terms import MAX_TERM_MONTHS, MIN_TERM_MONTHS, Use


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


class DatasetWorksInput(serializers.Serializer):
    work_ids = id_list(required=False)
    filters = serializers.DictField(required=False)


class DatasetWorksRemoveInput(serializers.Serializer):
    work_ids = id_list(allow_empty=False)


class RefundInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    item_ids = id_list(required=False, help_text="Omit to refund everything.")


def money(amount: int, currency: str) -> dict:
    return {"amount": amount, "currency": currency, "display": format_money(amount, currency)}


class MoneyOutput(serializers.Serializer):
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    display = serializers.CharField()


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


class CheckoutInput(serializers.Serializer):
    acknowledge_destruction = serializers.BooleanField(
        default=False,
        help_text="Required true when any work's terms require destroying the models trained "
        "on it at expiry (see the quote's `duties.destroy_models`).",
    )


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


class OrderItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    work_id = serializers.IntegerField()
    title = serializers.CharField(source="work_title")
    terms = serializers.DictField()
    price = serializers.SerializerMethodField()
    refunded_at = serializers.DateTimeField()

    def get_price(self, item) -> dict:
        return money(item.price_amount, item.currency)


class RefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    amount = serializers.SerializerMethodField()
    reason = serializers.CharField()
    item_ids = serializers.SerializerMethodField()
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_amount(self, refund) -> dict:
        return money(refund.amount, refund.currency)

    def get_item_ids(self, refund) -> list[int]:
        return sorted(i.id for i in refund.items.all())


class OrderOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    number = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    dataset = serializers.UUIDField(source="dataset.uuid")
    organization = serializers.CharField(source="organization.slug")
    total = serializers.SerializerMethodField()
    fee = serializers.SerializerMethodField()
    checkout_url = serializers.SerializerMethodField()
    license = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField()

    def get_total(self, order) -> dict:
        return money(order.total_amount, order.currency)

    def get_fee(self, order) -> dict:
        return money(order.fee_amount, order.currency)

    def get_checkout_url(self, order) -> str | None:
        return order.checkout_url if order.status == "awaiting_payment" else None

    def get_license(self, order) -> str | None:
        return str(order.license_grant.uuid) if order.license_grant_id else None


class OrderDetailOutput(OrderOutput):
    items = OrderItemOutput(many=True)
    refunds = RefundOutput(many=True)


class LicenseItemOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The item's id, as `POST /api/v1/models/` takes it.")
    work_id = serializers.IntegerField()
    title = serializers.CharField(source="work_title")
    terms = serializers.DictField()
    terms_hash = serializers.CharField()
    price = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField(
        help_text="active, expired, destruction-due, destroyed, breached or revoked; an item "
        "past its expiry is expired even before the hourly sweep records it."
    )
    is_running = serializers.SerializerMethodField(
        help_text="Licensed now: the work may be used and downloaded."
    )

    def get_price(self, item) -> dict:
        return money(item.price_amount, item.currency)

    def get_status(self, item) -> str:
        from .selectors.licenses import item_status

        return item_status(item)

    def get_is_running(self, item) -> bool:
        from .selectors.licenses import item_is_running

        return item_is_running(item)


class LicenseOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    status = serializers.CharField()
    organization = serializers.CharField(source="organization.slug")
    order = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField()
    expires_at = serializers.SerializerMethodField(
        help_text="When the last item ends (or ended); null if every item was revoked."
    )
    items_count = serializers.SerializerMethodField()
    running_items = serializers.SerializerMethodField(help_text="Items licensed now.")
    created_at = serializers.DateTimeField()

    def get_order(self, grant) -> str | None:
        order = getattr(grant, "order", None)
        return str(order.uuid) if order else None

    def _items(self, grant):
        return list(grant.items.all())

    def get_expires_at(self, grant) -> str | None:
        from .selectors.licenses import license_end

        last = getattr(grant, "last_expiry", None)
        if last is None and not hasattr(grant, "last_expiry"):
            last = license_end(self._items(grant)).last_expiry
        return serializers.DateTimeField().to_representation(last) if last else None

    def get_items_count(self, grant) -> int:
        count = getattr(grant, "item_count", None)
        return count if count is not None else len(self._items(grant))

    def get_running_items(self, grant) -> int:
        from .selectors.licenses import item_is_running

        count = getattr(grant, "running_count", None)
        return count if count is not None else sum(map(item_is_running, self._items(grant)))


class PackageFileOutput(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    is_available = serializers.BooleanField()
    unavailable_reason = serializers.CharField(allow_blank=True)
    url = serializers.URLField(allow_null=True, help_text="Signed; expires (see `expires`).")


class PackageOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    percent = serializers.IntegerField()
    total_items = serializers.IntegerField()
    done_items = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    unavailable_reason = serializers.CharField(
        allow_blank=True,
        help_text="Why no file may be downloaded now (the team is restricted, or the license "
        "expired: renew to download again); empty otherwise.",
    )
    files = PackageFileOutput(many=True)


def package_data(package, user) -> dict | None:
    """The package as `package_downloads` finds it, with a signed link made out to the user
    for each file that may be downloaded now."""
    from .selectors.licenses import package_downloads
    from .services.delivery import download_url

    if package is None:
        return None
    downloads = package_downloads(package=package)
    return {
        "uuid": str(package.uuid),
        "version": package.version,
        "status": package.status,
        "percent": package.percent,
        "total_items": package.total_items,
        "done_items": package.done_items,
        "error": "The build failed; staff have been told." if package.error else "",
        "unavailable_reason": downloads.unavailable_reason,
        "files": [
            {
                "name": f.file.name,
                "kind": f.file.kind,
                "size": f.file.size,
                "sha256": f.file.sha256,
                "is_available": f.is_available,
                "unavailable_reason": f.reason,
                "url": download_url(package_file=f.file, user=user) if f.is_available else None,
            }
            for f in downloads.files
        ],
    }


class OverdueModelOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    version = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    attest_url = serializers.CharField()


class RestrictionOutput(serializers.Serializer):
    code = serializers.CharField(help_text="team_restricted")
    message = serializers.CharField()
    overdue_models = OverdueModelOutput(many=True)


def restriction_data(restriction) -> dict | None:
    if restriction is None:
        return None
    return {
        "code": "team_restricted",
        "message": restriction.message,
        "overdue_models": [m.as_dict() for m in restriction.models],
    }


class DeclaredModelOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    version = serializers.CharField()
    status = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    items_in_license = serializers.IntegerField()


def declared_models_data(models) -> list[dict]:
    return [
        {
            "uuid": str(m.declaration.uuid),
            "name": m.declaration.name,
            "version": m.declaration.version,
            "status": m.state.status.value,
            "deadline": m.state.deadline.isoformat() if m.state.deadline else None,
            "items_in_license": m.items_in_license,
        }
        for m in models
    ]


class LicenseDetailOutput(LicenseOutput):
    items = LicenseItemOutput(many=True)
    package = PackageOutput(allow_null=True)
    restriction = RestrictionOutput(
        allow_null=True, help_text="Set while the team is overdue on a destruction attestation."
    )
    declared_models = DeclaredModelOutput(many=True, required=False)
    odrl_url = serializers.CharField(required=False)
