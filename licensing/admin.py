"""Staff see offers and consent records; nobody edits a consent record, here or anywhere."""

from django.contrib import admin

from .models import BulkOfferJob, ConsentRecord, Offer


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
