from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import second_factor, security, services
from .models import (
    CalendarDay, CalendarYear, CaseEvent, Department, DocumentSeries, LabelChoice, LabelScale, Membership, Notification, OutboundMessage,
    SecurityEvent, TimeLimitRule, User, BreachRecord, UrgingNotice, RuleSetting,
)


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "short_name", "kind", "parent", "contact_person", "contact_phone", "doc_number_prefix", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    list_select_related = ["parent"]


class MembershipInlineFormSet(BaseInlineFormSet):
    """The roles a person's page would leave them with pass the membership service's check
    (三权分立, not one's own): services.membership_check."""

    actor = None

    def clean(self):
        super().clean()
        if any(self.errors) or not self.has_changed():
            return
        roles = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or (self.can_delete and self._should_delete_form(form)):
                continue
            data = form.cleaned_data
            if data.get("role") and data.get("is_active"):
                roles.add(data["role"])
        services.membership_check(actor=self.actor, user=self.instance, roles=roles)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    extra = 1
    fields = ["department", "role", "is_active"]
    autocomplete_fields = ["department"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.actor = request.user
        return formset


class ResetPasswordForm(AdminPasswordChangeForm):
    """The admin's "set password" form: a password an administrator sets for someone else is
    an initial one (the user must change it at the next sign-in); tokens are revoked either way."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        actor = security.current_actor()
        security.user_password_changed(actor=actor, user=user, reset=actor is None or actor.pk != user.pk)
        return user


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "phone", "is_active", "is_staff", "must_change_password"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("联系方式"), {"fields": ("full_name", "phone")}),
        (_("账号安全"), {"fields": ("must_change_password", "password_changed_at")}),
    )
    readonly_fields = ["password_changed_at"]
    change_password_form = ResetPasswordForm
    actions = ["reset_second_factor"]

    # 三权分立 (workflow.roles): the system administrator edits people (change_user), the security
    # administrator their account's security (manage_account_security); groups, permissions and the
    # staff and superuser flags follow memberships or belong to installation (superusers).
    PEOPLE_FIELDS = ("username", "first_name", "last_name", "email", "full_name", "phone")
    SECURITY_FIELDS = ("is_active", "must_change_password")
    INSTALLATION_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions", "last_login", "date_joined")

    @staticmethod
    def _manages_security(request, obj=None) -> bool:
        user = request.user
        if obj is not None and obj.is_superuser and not user.is_superuser:
            return False  # a superuser's account is installation's business
        return user.has_perm("workflow.manage_account_security")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj) or self._manages_security(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if request.user.is_superuser:
            return fields
        fields += self.INSTALLATION_FIELDS
        if obj is not None and not request.user.has_perm("workflow.change_user"):
            fields += self.PEOPLE_FIELDS
        if not self._manages_security(request, obj):
            fields += self.SECURITY_FIELDS
        return fields

    def user_change_password(self, request, id, form_url=""):
        target = self.get_object(request, id)
        if target is not None and not (request.user.is_superuser or self._manages_security(request, target)):
            raise PermissionDenied
        with security.acting(request.user):
            return super().user_change_password(request, id, form_url)

    @admin.action(description=_("重置所选用户的双因素认证"), permissions=["reset_second_factor"])
    def reset_second_factor(self, request, queryset):
        done = []
        for user in queryset:
            try:
                if user.is_superuser and not request.user.is_superuser:
                    raise PermissionDenied(_("超级管理员账号的双因素认证只能由超级管理员重置。"))
                second_factor.reset(actor=request.user, user=user, request=request)
            except (ValidationError, PermissionDenied) as exc:
                message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{user.username}：{message}", messages.ERROR)
            else:
                done.append(user.username)
        if done:
            self.message_user(request, _("已重置双因素认证：%(names)s。他们下次访问时须重新设置。") % {"names": "、".join(done)})

    def has_reset_second_factor_permission(self, request):
        return second_factor.can_reset(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            # An account an administrator created starts with an initial password.
            security.user_password_changed(actor=request.user, user=obj, request=request, reset=True)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Role groups follow memberships (the same rule the service applies).
        services.user_sync_groups(user=form.instance)


class MembershipAdminForm(forms.ModelForm):
    actor = None  # the administrator (MembershipAdmin.get_form)

    class Meta:
        model = Membership
        fields = ["user", "department", "role", "is_active"]

    def clean(self):
        data = super().clean()
        department = data.get("department")
        if department is not None and not department.is_active and data.get("is_active"):
            raise ValidationError(_("单位“%(dept)s”已停用，不能分配角色。") % {"dept": department})
        user, role = data.get("user"), data.get("role")
        if user is not None and role:
            roles = set(Membership.objects.filter(user=user, is_active=True).exclude(pk=self.instance.pk).values_list("role", flat=True))
            if data.get("is_active"):
                roles.add(role)
            services.membership_check(actor=self.actor, user=user, roles=roles)
        return data


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    form = MembershipAdminForm
    list_display = ["user", "department", "role", "is_active"]
    list_filter = ["role", "is_active", "department"]
    list_select_related = ["user", "department"]
    search_fields = ["user__username", "user__full_name", "department__name"]
    autocomplete_fields = ["user", "department"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        """Granting and revoking go through the services (groups follow)."""
        if not obj.is_active and not change:
            super().save_model(request, obj, form, change)  # recorded, grants nothing
        elif not change or ("is_active" in form.changed_data and obj.is_active):
            if change:
                super().save_model(request, obj, form, change)  # keep an edited department/role
            granted = services.membership_grant(actor=request.user, user=obj.user, department=obj.department, role=obj.role)
            obj.pk = granted.pk
        elif "is_active" in form.changed_data:
            obj.is_active = True  # save the other edits; the revocation itself is the service's
            super().save_model(request, obj, form, change)
            services.membership_revoke(actor=request.user, membership=obj)
        else:
            super().save_model(request, obj, form, change)
            services.user_sync_groups(user=obj.user)


class CalendarImportForm(forms.Form):
    file = forms.FileField(label=_("CSV 文件"), help_text=_("每行：日期(YYYY-MM-DD),是否工作日(1/0),说明；必须覆盖整年"))
    note = forms.CharField(label=_("说明"), required=False, max_length=255, help_text=_("例如：国务院办公厅2026年11月通知"))

    def clean_file(self):
        data = self.cleaned_data["file"].read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                return data.decode("gb18030")
            except UnicodeDecodeError:
                raise ValidationError(_("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV。"))


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "is_working_day", "note"]
    list_filter = ["is_working_day", ("date", admin.DateFieldListFilter)]
    search_fields = ["note"]
    date_hierarchy = "date"
    change_list_template = "admin/workflow/calendarday/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="workflow_calendarday_import"),
        ] + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = CalendarImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                years = services.calendar_import_csv(actor=request.user, text=form.cleaned_data["file"], note=form.cleaned_data["note"])
            except ValidationError as exc:
                for msg in exc.messages:
                    form.add_error("file", msg)
            else:
                self.message_user(request, _("已导入 %(years)s 年的工作日历。") % {"years": "、".join(map(str, years))})
                return redirect(reverse("admin:workflow_calendarday_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta, "title": _("导入年度工作日历")}
        return render(request, "admin/workflow/calendarday/import.html", context)


@admin.register(CalendarYear)
class CalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "source", "note", "provisional", "imported_at"]


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(SimpleHistoryAdmin):
    list_display = ["case_kind", "step", "category", "name", "amount", "unit", "warn_before", "is_active"]
    list_filter = ["case_kind", "unit", "is_active"]
    list_editable = ["amount", "unit", "warn_before", "is_active"]
    search_fields = ["name", "step", "note"]


@admin.register(RuleSetting)
class RuleSettingAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "value", "note"]
    list_editable = ["value"]
    readonly_fields = ["code"]


class LabelChoiceInline(admin.TabularInline):
    model = LabelChoice
    extra = 0


@admin.register(LabelScale)
class LabelScaleAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "note"]
    inlines = [LabelChoiceInline]


@admin.register(DocumentSeries)
class DocumentSeriesAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "format"]
    list_editable = ["format"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # services name the series by code


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "case_type", "case_id", "type", "actor", "from_state", "to_state"]
    list_filter = ["type", "case_type"]
    list_select_related = ["actor", "case_type"]

    # The event log is append-only: it is written by services, never edited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    search_fields = ["kind", "stored_title", "recipient__username"]
    readonly_fields = ["title", "body", "url"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The outbox of e-mails and text messages (workflow.notifications): read-only; the
    address is shown masked (a phone number is personal data, stored encrypted)."""

    list_display = ["created_at", "channel", "kind", "masked_address", "status", "attempts", "send_after", "sent_at", "short_error"]
    list_filter = ["status", "channel", "kind"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    fields = ["channel", "kind", "recipient", "masked_address", "subject", "text", "status", "attempts", "last_error",
              "created_at", "send_after", "sent_at", "updated_at", "notification"]
    readonly_fields = fields
    actions = ["retry_failed"]

    @admin.display(description=_("地址"))
    def masked_address(self, obj):
        return obj.masked_address

    @admin.display(description=_("最近错误"))
    def short_error(self, obj):
        return (obj.last_error[:60] + "…") if len(obj.last_error) > 60 else obj.last_error

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("重新发送所选的发送失败消息"), permissions=["change"])
    def retry_failed(self, request, queryset):
        from .notifications import outbound_retry

        count = outbound_retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("已重新排队 %(n)d 条发送失败的消息。") % {"n": count}, messages.SUCCESS)


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The audit trail: read by those with workflow.view_securityevent (the audit administrator;
    superusers), written only by workflow.audit.append, never added, edited or deleted here (the
    audit administrator's search and export page is /security/audit/)."""

    list_display = ["sequence", "created_at", "kind", "username", "ip_address", "object_repr"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address", "object_repr"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "sequence", "created_at", "kind", "username", "user", "ip_address", "user_agent",
        "object_type", "object_id", "object_repr", "detail", "prev_hash", "hash",
    ]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("workflow.view_securityevent")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- login lockouts (django-axes) ---------------------------------------------------------------
# axes registers its own admin for its records; deleting a lock record there unlocks, and the
# unlock is audited with the administrator who did it (workflow.security_events.on_attempt_deleted).
def _axes_admin():
    from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
    from axes.models import AccessAttempt

    class AccessAttemptAdmin(AxesAccessAttemptAdmin):
        actions = [*AxesAccessAttemptAdmin.actions, "unlock"]

        @admin.action(description=_("解除所选用户名的锁定"), permissions=["delete"])
        def unlock(self, request, queryset):
            usernames = sorted({a.username for a in queryset if a.username})
            for username in usernames:
                security.login_unlock(actor=request.user, username=username)
            self.message_user(request, _("已解除锁定：%(names)s") % {"names": "、".join(usernames) or "-"})

        def delete_model(self, request, obj):
            with security.acting(request.user):
                super().delete_model(request, obj)

        def delete_queryset(self, request, queryset):
            with security.acting(request.user):
                super().delete_queryset(request, queryset)

    if admin.site.is_registered(AccessAttempt):
        admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)


_axes_admin()


# The second factor's devices are managed through the account pages and the security
# administrator's reset (workflow.second_factor), never edited here: django-otp's own admin
# pages would show anyone with a view permission the secrets.
def _otp_admin():
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_otp_admin()


class _WrittenBySweep(admin.ModelAdmin):
    """Urging notices and breach records are written by the supervision sweep (and signed
    through the service): read-only here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UrgingNotice)
class UrgingNoticeAdmin(_WrittenBySweep):
    list_display = ["issued_at", "department", "step", "deadline", "case_type", "case_id", "signed_by", "signed_at"]
    list_filter = ["department", "case_type"]
    list_select_related = ["department", "signed_by", "case_type"]


@admin.register(BreachRecord)
class BreachRecordAdmin(_WrittenBySweep):
    list_display = ["created_at", "department", "step", "deadline", "working_days_late", "case_type", "case_id"]
    list_filter = ["department", "case_type"]
    list_select_related = ["department", "case_type"]
