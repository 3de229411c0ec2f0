from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import routers

from workflow import account_views, audit_views, dashboard_views, document_views, export_views, notice_views, notification_views, report_views
from workflow import api as workflow_api
from workflow import api_auth, export_api
from workflow import views as workflow_views

router = routers.DefaultRouter()
router.register("departments", workflow_api.DepartmentViewSet, basename="department")
router.register("users", workflow_api.UserDirectoryViewSet, basename="user")
router.register("notifications", workflow_api.NotificationViewSet, basename="notification")
router.register("urging-notices", workflow_api.UrgingNoticeViewSet, basename="urging-notice")
router.register("supervision-notices", workflow_api.SupervisionNoticeViewSet, basename="api-supervision-notice")

api_v1 = [
    path("", include(router.urls)),
    path("me/", workflow_api.MeView.as_view(), name="api-me"),
    path("tasks/inbox/", workflow_api.InboxView.as_view(), name="api-inbox"),
    path("inbox/", workflow_api.OneInboxView.as_view(), name="api-one-inbox"),
    path("tasks/<str:kind>/<int:pk>/claim/", workflow_api.TaskClaimView.as_view(), name="api-task-claim"),
    path("tasks/<str:kind>/<int:pk>/release/", workflow_api.TaskReleaseView.as_view(), name="api-task-release"),
    path("reports/", workflow_api.ReportListView.as_view(), name="api-reports"),
    path("reports/<int:pk>/", workflow_api.ReportDetailView.as_view(), name="api-report"),
    path("reports/<int:pk>/<slug:action>/", workflow_api.ReportActionView.as_view(), name="api-report-action"),
    path("exports/", export_api.ExportListView.as_view(), name="api-exports"),
    path("exports/<int:pk>/", export_api.ExportDetailView.as_view(), name="api-export"),
    path("exports/<int:pk>/download/", export_api.ExportDownloadView.as_view(), name="api-export-download"),
    path("calendar/deadline/", workflow_api.DeadlineView.as_view(), name="api-deadline"),
    path("auth/token/", api_auth.TokenView.as_view(), name="api-token"),
    path("auth/logout/", api_auth.LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", api_auth.LogoutAllView.as_view(), name="api-logout-all"),
    path("auth/tokens/", api_auth.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<str:prefix>/", api_auth.TokenDetailView.as_view(), name="api-token-detail"),
    path("documents/<slug:kind>/<int:pk>/pdf/", document_views.DocumentPDFView.as_view(), name="api-document-pdf"),
    path("proposal-replies/<int:pk>/pdf/", document_views.ProposalReplyPDFView.as_view(), name="api-proposal-reply-pdf"),
    path("", include("proposals.api_urls")),
    path("", include("complaints.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script (docs/security.md).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", workflow_views.home, name="home"),
    path("departments/", workflow_views.departments, name="departments"),
    path("tasks/<str:kind>/<int:pk>/claim/", workflow_views.task_claim, name="task-claim"),
    path("tasks/<str:kind>/<int:pk>/release/", workflow_views.task_release, name="task-release"),
    path("supervision/urging/", workflow_views.urging_notices, name="supervision-urging"),
    path("supervision/urging/<int:pk>/sign/", workflow_views.urging_notice_sign_view, name="supervision-urging-sign"),
    path("supervision/notices/", notice_views.notice_list, name="supervision-notices"),
    path("supervision/notices/new/<slug:case_type>/<int:case_id>/", notice_views.notice_new, name="supervision-notice-new"),
    path("supervision/notices/<int:pk>/sign/", notice_views.notice_sign, name="supervision-notice-sign"),
    path("supervision/notices/<int:pk>/respond/", notice_views.notice_respond, name="supervision-notice-respond"),
    path("supervision/dashboard/", dashboard_views.supervision_dashboard, name="supervision-dashboard"),
    path("supervision/dashboard.xlsx", dashboard_views.supervision_dashboard_export, name="supervision-dashboard-export"),
    path("supervision/reports/", report_views.report_list, name="supervision-reports"),
    path("supervision/reports/new/", report_views.report_new, name="supervision-report-new"),
    path("supervision/reports/<int:pk>/", report_views.report_detail, name="supervision-report"),
    path("supervision/reports/<int:pk>/edit/", report_views.report_edit, name="supervision-report-edit"),
    path("supervision/reports/<int:pk>/regenerate/", report_views.report_regenerate, name="supervision-report-regenerate"),
    path("supervision/reports/<int:pk>/submit/", report_views.report_submit, name="supervision-report-submit"),
    path("supervision/reports/<int:pk>/approve/", report_views.report_approve, name="supervision-report-approve"),
    path("supervision/reports/<int:pk>/return/", report_views.report_return, name="supervision-report-return"),
    path("notifications/", workflow_views.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", workflow_views.notification_open, name="notification-open"),
    path("documents/<slug:kind>/<int:pk>/pdf/", document_views.document_pdf, name="document-pdf"),
    path("documents/batches/", document_views.batches, name="document-batches"),
    path("documents/batches/<int:pk>/", document_views.batch_detail, name="document-batch"),
    path("documents/batches/<int:pk>/status/", document_views.batch_status, name="document-batch-status"),
    path("documents/batches/<int:pk>/zip/", document_views.batch_zip, name="document-batch-zip"),
    path("exports/", export_views.export_list, name="exports"),
    path("exports/new/<slug:code>/", export_views.export_start, name="export-start"),
    path("exports/<int:pk>/", export_views.export_detail, name="export-detail"),
    path("exports/<int:pk>/status/", export_views.export_status, name="export-status"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export-download"),
    path("security/audit/", audit_views.audit_trail, name="audit-trail"),
    path("security/audit.xlsx", audit_views.audit_trail_export, name="audit-trail-export"),
    path("healthz", workflow_views.healthz, name="healthz"),
    path("favicon.ico", workflow_views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/security/", account_views.account_security, name="account_security"),
    path("accounts/notifications/", notification_views.notification_preferences, name="notification-preferences"),
    path("accounts/otp/verify/", account_views.otp_verify, name="otp_verify"),
    path("accounts/otp/setup/", account_views.otp_setup, name="otp_setup"),
    path("accounts/otp/backup-codes/", account_views.otp_backup_codes, name="otp_backup_codes"),
    path("accounts/otp/disable/", account_views.otp_disable, name="otp_disable"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("proposals/", include("proposals.urls")),
    path("complaints/", include("complaints.urls")),
    path("complaint/", include("complaints.public_urls")),
    path("open311/v2/", include("complaints.open311_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
]

admin.site.site_header = settings.PLATFORM_NAME
admin.site.site_title = settings.PLATFORM_NAME

# Under /api/ an unknown URL is a JSON 404 in the API's error shape (docs/api.md).
handler404 = "workflow.api_support.not_found"
