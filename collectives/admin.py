"""Staff read collectives here; rules change only by members' votes (collectives/services/
votes.py), so nothing is edited in the admin."""

from django.contrib import admin

from collectives.models import Assignment, Ballot, Collective, Floor, Proposal, Strike


class ReadOnly(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Collective)
class CollectiveAdmin(ReadOnly):
    list_display = ("name", "founder", "quorum_percent", "vote_window_hours", "created_at")
    search_fields = ("name", "slug")


@admin.register(Proposal)
class ProposalAdmin(ReadOnly):
    list_display = ("summary", "collective", "status", "yes_count", "no_count", "closes_at")
    list_filter = ("status", "kind")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ("work", "collective", "member", "assigned_at", "ends_at")


admin.site.register(Ballot, ReadOnly)
admin.site.register(Floor, ReadOnly)
admin.site.register(Strike, ReadOnly)
