"""Staff review of works until screening exists: approve, or reject with a reason the creator
sees. Both go through the service, so the history records who decided and why."""

from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.html import format_html

from config.errors import ApplicationError
from uploads.forms import ReviewRejectForm
from uploads.models import UploadBatch, UploadRefusal, Work, WorkStatusChange
from uploads.services.works import work_review_decide


class StatusChangeInline(admin.TabularInline):
    model = WorkStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "reason", "actor", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Work)
class WorkAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "owner",
        "status",
        "ai_involvement",
        "rights_holder",
        "preview_img",
        "created_at",
    ]
    list_filter = ["status", "ai_involvement", "has_c2pa"]
    search_fields = ["title", "owner__email", "sha256", "rights_holder"]
    readonly_fields = [
        f.name for f in Work._meta.fields if f.name not in ("title", "description", "tags")
    ]
    inlines = [StatusChangeInline]
    actions = ["approve", "reject"]

    @admin.display(description="Preview")
    def preview_img(self, work):
        if not work.thumbnail:
            return "–"
        return format_html('<img src="/works/{}/files/thumbnail/" style="height:48px">', work.id)

    @admin.action(description="Approve selected works")
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True, reason="")

    @admin.action(description="Reject selected works (asks for a reason)")
    def reject(self, request, queryset):
        form = ReviewRejectForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            self._decide(request, queryset, approve=False, reason=form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "works": queryset,
            "form": form,
            "opts": self.model._meta,
            "action": "reject",
        }
        return render(request, "admin/uploads/work/reject.html", context)

    def _decide(self, request, queryset, *, approve: bool, reason: str) -> None:
        done = 0
        for work in queryset:
            try:
                work_review_decide(work=work, approve=approve, reason=reason, actor=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{work.title}: {exc.message}", messages.WARNING)
        verb = "approved" if approve else "rejected"
        self.message_user(request, f"{done} work(s) {verb}.", messages.SUCCESS)


@admin.register(UploadBatch)
class UploadBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "expected_files", "created_at"]


@admin.register(UploadRefusal)
class UploadRefusalAdmin(admin.ModelAdmin):
    list_display = ["filename", "code", "batch", "created_at"]
    list_filter = ["code"]
