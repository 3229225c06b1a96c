"""License, package and restriction shapes. Rules live in selectors; these only shape."""

from __future__ import annotations

from rest_framework import serializers

from marketplace.selectors.licenses import (
    item_is_running,
    item_status,
    license_end,
    package_downloads,
)
from marketplace.serializers.prices import money
from marketplace.services.delivery import download_url


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
        return item_status(item)

    def get_is_running(self, item) -> bool:
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
        last = getattr(grant, "last_expiry", None)
        if last is None and not hasattr(grant, "last_expiry"):
            last = license_end(self._items(grant)).last_expiry
        return serializers.DateTimeField().to_representation(last) if last else None

    def get_items_count(self, grant) -> int:
        count = getattr(grant, "item_count", None)
        return count if count is not None else len(self._items(grant))

    def get_running_items(self, grant) -> int:
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
