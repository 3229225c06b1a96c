"""Staff see the money side here; nobody edits it here. The ledger is append-only (services
post to it), freezes go through the staff ledger page (a reason is required and the creator
is told), payout rows move only through payout runs, and payout accounts follow Stripe."""

from django.contrib import admin, messages

from payouts.models import (
    Freeze,
    JournalTransaction,
    LedgerAccount,
    LedgerEntry,
    Payout,
    PayoutAccount,
    PayoutRun,
    StripeEvent,
)
from payouts.webhooks import Outcome, event_process


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD")  # view only

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows of the ledger and of payouts are shown, never added or changed here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ["account", "amount", "currency", "item_ref", "work_id"]
    readonly_fields = fields


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "creator", "organization"]
    list_filter = ["kind"]
    search_fields = ["creator__email", "organization__name"]
    list_select_related = ["creator", "organization"]


@admin.register(JournalTransaction)
class JournalTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "reference_type", "reference_id", "idempotency_key"]
    list_filter = ["kind", "reference_type"]
    search_fields = ["idempotency_key", "reference_id", "entries__account__creator__email"]
    inlines = [LedgerEntryInline]
    date_hierarchy = "created_at"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "account", "amount", "currency", "item_ref", "work_id"]
    list_filter = ["currency", "account__kind"]
    search_fields = ["item_ref", "transaction__idempotency_key", "account__creator__email"]
    list_select_related = ["transaction", "account__creator"]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "creator",
        "stripe_account_id",
        "details_submitted",
        "payouts_enabled",
        "disabled_reason",
        "updated_at",
    ]
    list_filter = ["payouts_enabled", "details_submitted"]
    search_fields = ["creator__email", "stripe_account_id"]
    list_select_related = ["creator"]


@admin.register(Freeze)
class FreezeAdmin(ReadOnlyAdmin):
    list_display = ["id", "creator", "work_id", "reason", "frozen_by", "created_at", "lifted_at"]
    list_filter = ["lifted_at"]
    search_fields = ["creator__email", "reason"]


class PayoutInline(ReadOnlyInline):
    model = Payout
    fields = ["creator", "amount", "currency", "status", "stripe_transfer_id", "failure_reason"]
    readonly_fields = fields


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    list_display = ["scheduled_for", "started_by", "created_at", "finished_at"]
    inlines = [PayoutInline]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "run", "creator", "amount", "currency", "status", "settled_at"]
    list_filter = ["status", "currency"]
    search_fields = ["creator__email", "stripe_transfer_id"]
    list_select_related = ["run", "creator"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "object_id", "received_at", "processed_at", "attempts"]
    list_filter = ["type", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["event_id", "object_id"]
    date_hierarchy = "received_at"
    actions = ["process_again"]

    @admin.action(description="Process the selected unprocessed events again")
    def process_again(self, request, queryset):
        done = failed = 0
        for row in queryset.filter(processed_at__isnull=True):
            if event_process(row) == Outcome.FAILED:
                failed += 1
            else:
                done += 1
        level = messages.WARNING if failed else messages.SUCCESS
        self.message_user(request, f"{done} processed, {failed} failed again.", level)
