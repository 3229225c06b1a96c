"""Order, checkout and refund shapes."""

from __future__ import annotations

from rest_framework import serializers

from config.input_fields import id_list
from marketplace.serializers.prices import money


class RefundInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    item_ids = id_list(required=False, help_text="Omit to refund everything.")


class CheckoutInput(serializers.Serializer):
    acknowledge_destruction = serializers.BooleanField(
        default=False,
        help_text="Required true when any work's terms require destroying the models trained "
        "on it at expiry (see the quote's `duties.destroy_models`).",
    )


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
