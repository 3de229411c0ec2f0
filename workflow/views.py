from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import inbox, registry, selectors, services
from .models import SupervisionState
from .navigation import entries_for
from .supervision import urging_notice_sign, urging_notices_for
from .web import StyledForm

INBOX_LIMIT = 50


class InboxFilterForm(StyledForm):
    kind = forms.ChoiceField(label=gettext_lazy("案件类型"), required=False)
    step = forms.ChoiceField(label=gettext_lazy("环节"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("期限状态"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部"))] + inbox.task_kinds()
        self.fields["step"].choices = [("", _("全部"))] + [(value, label) for value, label, _kind in inbox.step_choices()]
        self.fields["state"].choices = [("", _("全部"))] + list(SupervisionState.choices)

    def filters(self) -> inbox.InboxFilters:
        if not self.is_valid():
            return inbox.InboxFilters()
        return inbox.InboxFilters(**{k: self.cleaned_data.get(k) or "" for k in ("kind", "step", "state")})


@login_required
def home(request):
    """Role home page: the one inbox (everything the user must act on, by deadline) and what the role may do."""
    user = request.user
    roles = selectors.user_roles(user=user)
    form = InboxFilterForm(request.GET or None)
    found = inbox.inbox(user=user, filters=form.filters(), limit=INBOX_LIMIT)
    context = {
        "form": form,
        "filtered": bool(request.GET) and form.is_valid() and any(form.cleaned_data.values()),
        "tasks": found["tasks"],
        "total": found["total"],
        "limit": INBOX_LIMIT,
        "memberships": selectors.user_memberships(user=user),
        "links": entries_for(roles, user=user),
        "role_labels": [spec.label for spec in registry.roles() if spec.code in roles],
        "missing_rules": selectors.missing_time_limit_rules(user=user),
    }
    return render(request, "workflow/home.html", context)


def _task_model(label: str):
    for model in registry.task_models():
        if model._meta.label_lower == label:
            return model
    raise Http404


@login_required
@require_POST
def task_claim(request, kind: str, pk: int):
    """Claim an unclaimed task of a shared queue (403 when it is not the user's to act on)."""
    return _claim_or_release(request, services.task_claim, kind, pk, _("已领取任务，同事会看到由您办理。"))


@login_required
@require_POST
def task_release(request, kind: str, pk: int):
    """Give a claimed task back to the shared queue."""
    return _claim_or_release(request, services.task_release, kind, pk, _("已退回任务，本单位（本岗位）同事可以领取。"))


def _claim_or_release(request, service, kind: str, pk: int, success: str):
    model = _task_model(kind)
    try:
        service(actor=request.user, task_model=model, task_id=pk)
    except model.DoesNotExist:
        raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = ""
    return redirect(target or "home")


NOTIFICATIONS_PAGE_SIZE = 30


@login_required
def notifications(request):
    """The person's notifications, newest first, a page at a time (rendered in their language)."""
    from django.core.paginator import Paginator

    if request.method == "POST":
        services.notification_mark_read(actor=request.user)
        return redirect("notifications")
    page = Paginator(selectors.notification_list(user=request.user), NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workflow/notifications.html", {"page": page, "notifications": page.object_list})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Open a notification: it is read now, and its case (or the list) is shown."""
    notification = selectors.notification_get(user=request.user, pk=pk)
    services.notification_mark_read(actor=request.user, notification_ids=[notification.pk])
    target = notification.url if url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}) else ""
    return redirect(target or "notifications")


@login_required
def urging_notices(request):
    """催办单 of the user's departments waiting to be signed for."""
    return render(request, "workflow/urging_notices.html", {"notices": list(urging_notices_for(user=request.user)[:200])})


@login_required
@require_POST
def urging_notice_sign_view(request, pk: int):
    """Sign for one urging notice: the department's own handlers and leaders (403 for anyone else)."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import get_object_or_404
    from django.utils.translation import gettext as _

    from .models import UrgingNotice

    notice = get_object_or_404(UrgingNotice, pk=pk)
    try:
        urging_notice_sign(actor=request.user, notice=notice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已签收催办单。"))
    return redirect("supervision-urging")


@login_required
def departments(request):
    return render(request, "workflow/departments.html", {"departments": selectors.department_list(user=request.user)})


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the icon."""
    from django.templatetags.static import static

    return redirect(static("favicon.svg"), permanent=True)


@never_cache
@require_GET
def healthz(request):
    """Database and broker reachability. 200 when both answer, 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this is a probe
        checks["database"] = f"error: {exc.__class__.__name__}"
    checks["broker"] = _broker_status()
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def _broker_status() -> str:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
