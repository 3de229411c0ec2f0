"""The admin site: Django's, which also refuses a session that still owes its second factor
(workflow.second_factor; SecondFactorMiddleware sends such a session to the code or enrolment
page before it gets here: this is the second lock on the same door)."""
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class PlatformAdminSite(admin.AdminSite):
    def has_permission(self, request):
        from . import second_factor

        return super().has_permission(request) and second_factor.pending_step(request) is None


class PlatformAdminConfig(AdminConfig):
    default_site = "workflow.admin_site.PlatformAdminSite"
