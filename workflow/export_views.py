"""Pages of Excel exports (workflow.exports): start one from a list (its
filters in the query string), the progress page (htmx polls a fragment under
the strict CSP), the download (the requester only: 403 for anyone else) and
the user's own exports (我的导出)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import exports


def export_response(request, code: str, query) -> HttpResponse:
    """The export of list `code` with the filters in `query`: the workbook itself when it is
    small, else a redirect to its job's progress page. A bad filter goes back to the list
    with the reason (a message), never a 500."""
    try:
        result = exports.export_start(actor=request.user, kind=code, params=query, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        spec = exports.export_kind(code)
        back = request.META.get("HTTP_REFERER") or "/"
        if spec and spec.list_url:
            from django.urls import reverse

            back = reverse(spec.list_url)
        return redirect(back)
    if isinstance(result, exports.DirectExport):
        response = HttpResponse(result.content, content_type=exports.XLSX_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, result.filename)
        response["X-Export-Rows"] = str(result.rows)
        response["X-Export-Truncated"] = "1" if result.truncated else "0"
        response["Cache-Control"] = "private, no-store"
        return response
    return redirect("export-detail", result.pk)


@login_required
@require_POST
def export_start(request, code: str):
    """POST /exports/new/<code>/?<the list's filters>: the 导出Excel button of a list (a form
    with the CSRF token: an export is an audited act, never a side effect of a GET)."""
    return export_response(request, code, request.GET)


@login_required
@require_GET
def export_list(request):
    """GET /exports/: the user's own exports, newest first (我的导出)."""
    jobs = list(exports.export_jobs_for(user=request.user)[:50])
    return render(request, "workflow/exports.html", {"jobs": jobs})


@login_required
@require_GET
def export_detail(request, pk: int):
    job = exports.export_job_get(user=request.user, pk=pk)
    return render(request, "workflow/export.html", {
        "job": job, "list_url": exports.export_list_url(job), "filter_items": exports.export_filter_items(job),
    })


@login_required
@require_GET
def export_status(request, pk: int):
    """The progress fragment htmx polls every second until the export is finished."""
    return render(request, "workflow/_export_status.html", {"job": exports.export_job_get(user=request.user, pk=pk)})


@login_required
@require_GET
def export_download(request, pk: int):
    job = exports.export_job_get(user=request.user, pk=pk)
    if job.status != job.Status.DONE or not job.file:
        raise Http404(_("文件尚未生成。"))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("文件已不存在，请重新导出。"))
    response = FileResponse(handle, content_type=exports.XLSX_TYPE, as_attachment=True, filename=exports.export_job_filename(job))
    response["Cache-Control"] = "private, no-store"
    return response
