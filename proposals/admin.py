from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Assignment, Category, Consultation, Cosigner, Evaluation, ExtensionRequest, Proposal, RejectionReason, Reply, Session,
)


@admin.register(Session)
class SessionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "committee", "year", "plenary_start", "plenary_end", "cutoff", "is_current"]
    list_filter = ["is_current", "year"]


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "ordering", "is_active"]
    list_editable = ["ordering", "is_active"]


@admin.register(RejectionReason)
class RejectionReasonAdmin(SimpleHistoryAdmin):
    list_display = ["code", "text", "ordering", "is_active"]
    list_editable = ["text", "ordering", "is_active"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CosignerInline(ReadOnlyInline):
    model = Cosigner
    fields = ["member", "status", "responded_at"]


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ["department", "role", "status", "assigned_at", "deadline", "signed_at"]


@admin.register(Proposal)
class ProposalAdmin(SimpleHistoryAdmin):
    """Read-only in the admin: proposals change only through the workflow (services)."""

    list_display = ["session", "number", "title", "proposer", "status", "is_key", "reply_deadline"]
    list_filter = ["session", "status", "is_key", "category"]
    search_fields = ["title", "proposer__full_name", "proposer__username"]
    list_select_related = ["session", "proposer"]
    inlines = [CosignerInline, AssignmentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """Replies, ratings, extensions and consultations change only through the
    workflow services (flow steps, deadlines, event log): the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in (Reply, Evaluation, ExtensionRequest, Consultation):
    admin.site.register(model, ReadOnlyHistoryAdmin)
