"""Rules as data (categories with their questions, routing rules, reasons, per-department
settings, Open311 keys) are edited here; complaints themselves are read-only in the
admin: they change only through the workflow (services)."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Category, Complaint, DepartmentSetting, Dispatch, NotAcceptedReason, Open311Key, RoutingRule


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "ordering", "is_active"]
    list_editable = ["ordering", "is_active"]


@admin.register(NotAcceptedReason)
class NotAcceptedReasonAdmin(SimpleHistoryAdmin):
    list_display = ["code", "text", "redirect_to", "ordering", "is_active"]
    list_editable = ["ordering", "is_active"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "priority", "category", "keywords", "area", "department", "is_active"]
    list_editable = ["priority", "is_active"]
    list_filter = ["is_active", "category"]
    autocomplete_fields = ["department"]


@admin.register(DepartmentSetting)
class DepartmentSettingAdmin(SimpleHistoryAdmin):
    list_display = ["department", "requires_sign_off"]
    list_editable = ["requires_sign_off"]
    autocomplete_fields = ["department"]


@admin.register(Open311Key)
class Open311KeyAdmin(SimpleHistoryAdmin):
    """Keys are issued with `manage.py open311_key <name>` (the key is shown once);
    here an administrator sees them and switches them off."""

    list_display = ["name", "prefix", "is_active", "created_at", "last_used_at"]
    list_editable = ["is_active"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False


class DispatchInline(admin.TabularInline):
    model = Dispatch
    extra = 0
    can_delete = False
    fields = ["department", "role", "status", "dispatched_at", "signed_at", "returned_at", "return_improper"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(SimpleHistoryAdmin):
    list_display = ["number", "title", "kind", "channel", "status", "department", "received_at", "deadline"]
    list_filter = ["status", "kind", "channel", "category"]
    search_fields = ["number", "title"]
    inlines = [DispatchInline]
    # Personal data is not shown in the admin's list or form (see the case page's audited reveal).
    exclude = ["query_code_hash", "citizen_name", "citizen_phone", "citizen_id_number", "citizen_email", "citizen_address"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
