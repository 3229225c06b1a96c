"""Staff see offers, consent records, model declarations and destruction attestations; nobody
edits a consent record or an attestation, here or anywhere."""

from django.contrib import admin

from licensing.models import (
    BulkOfferJob,
    ConsentRecord,
    DestructionAttestation,
    ModelDeclaration,
    ModelDeclarationItem,
    Offer,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: the rows are statements made by users (or append-only records)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "action",
        "work_title",
        "user",
        "terms_hash",
        "price_amount",
        "currency",
        "ip_address",
    ]
    list_filter = ["action", "currency"]
    search_fields = ["work_title", "user__email", "terms_hash"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD")  # view only

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["id", "work", "status", "preset", "price_amount", "currency", "created_at"]
    list_filter = ["status", "currency", "preset"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BulkOfferJob)
class BulkOfferJobAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "done", "total", "created_at"]
    readonly_fields = ["work_ids", "terms", "skipped"]


class ModelDeclarationItemInline(admin.TabularInline):
    model = ModelDeclarationItem
    fields = ["grant_item", "work_title", "expires_at", "item_status"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("grant_item")

    @admin.display(description="Work")
    def work_title(self, obj):
        return obj.grant_item.work_title

    @admin.display(description="Expires")
    def expires_at(self, obj):
        return obj.grant_item.expires_at

    @admin.display(description="Item status")
    def item_status(self, obj):
        return obj.grant_item.get_status_display()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DestructionAttestationInline(admin.TabularInline):
    model = DestructionAttestation
    fields = ["uuid", "attested_by", "attested_at", "destroyed_on", "method"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModelDeclaration)
class ModelDeclarationAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "version",
        "organization",
        "is_commercial",
        "is_generative",
        "training_started_on",
        "training_ended_on",
        "created_at",
    ]
    list_filter = ["is_commercial", "is_generative"]
    search_fields = ["name", "version", "organization__name", "organization__slug", "uuid"]
    list_select_related = ["organization"]
    inlines = [ModelDeclarationItemInline, DestructionAttestationInline]


@admin.register(DestructionAttestation)
class DestructionAttestationAdmin(ReadOnlyAdmin):
    list_display = ["uuid", "declaration", "attested_by", "attested_at", "destroyed_on"]
    search_fields = ["uuid", "declaration__name", "attested_by__email"]
    list_select_related = ["declaration", "attested_by"]
