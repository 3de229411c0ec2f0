"""Downloads of official documents (PDF), page and API, for every registered kind.

The kind's own permission decides (the case's selectors' scoping): a user who
may not see the case gets 403, a visitor without an account is sent to sign
in unless the document is public. The first download generates the PDF; later
ones serve the stored version until the data changes (workflow.documents).
"""
from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from . import documents

logger = logging.getLogger(__name__)


class StoredFileChanged(Exception):
    """A stored document or ZIP no longer matches its SHA-256."""


def read_checked(read, obj) -> bytes:
    """A stored file's bytes (documents.document_read / document_batch_read), or StoredFileChanged
    when its checksum does not match: the page answers 409 with the reason, never a 500."""
    try:
        return read(obj)
    except ValidationError as exc:
        logger.error("stored file refused: %s %s", type(obj).__name__, obj.pk)
        raise StoredFileChanged(" ".join(exc.messages)) from exc


def changed_file_response(request, exc: StoredFileChanged) -> HttpResponse:
    return render(request, "409.html", {"message": str(exc), "refresh_url": request.get_full_path()}, status=409)


def _issue(request, kind: str, pk: int) -> HttpResponse:
    try:
        case = documents.document_object(kind=kind, pk=pk)
    except (LookupError, ObjectDoesNotExist):
        raise Http404(_("没有找到该文书。"))
    if not documents.document_can_download(user=request.user, case=case, kind=kind):
        raise PermissionDenied(_("您无权下载该文书。"))
    doc = documents.document_issue(actor=request.user, case=case, kind=kind)
    try:
        response = HttpResponse(read_checked(documents.document_read, doc), content_type="application/pdf")
    except StoredFileChanged as exc:
        return changed_file_response(request, exc)
    download = request.GET.get("download") == "1"
    response["Content-Disposition"] = content_disposition_header(download, documents.document_filename(case=case, kind=kind))
    response["ETag"] = f'"{doc.sha256}"'
    response["X-Document-Version"] = str(doc.version)
    response["Cache-Control"] = "private, no-store"
    return response


def document_pdf(request, kind: str, pk: int):
    """GET /documents/<kind>/<pk>/pdf/ (?download=1 to save rather than view)."""
    try:
        return _issue(request, kind, pk)
    except PermissionDenied:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise


class DocumentPDFView(APIView):
    """GET /api/v1/documents/{kind}/{id}/pdf/: the document as PDF, with the case's permission."""

    permission_classes = [AllowAny]  # the kind's own permission decides (public documents need no account)
    kind: str | None = None

    @extend_schema(
        summary="正式文书（PDF，按案件权限）",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF (GB/T 9704 layout)."),
            403: OpenApiResponse(description="Not allowed for this user."),
            404: OpenApiResponse(description="No such object or kind."),
        },
    )
    def get(self, request, pk: int, kind: str | None = None):
        return _issue(request, self.kind or kind, pk)


class ProposalReplyPDFView(DocumentPDFView):
    """GET /api/v1/proposal-replies/{id}/pdf/: the reply letter of one passed reply."""

    kind = "proposal_reply"

    @extend_schema(
        summary="提案答复函（PDF）",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The reply letter (GB/T 9704 letter layout)."),
            403: OpenApiResponse(description="Not allowed for this user."),
            404: OpenApiResponse(description="No such reply, or not passed yet."),
        },
    )
    def get(self, request, pk: int, kind: str | None = None):
        return _issue(request, self.kind, pk)


# --- bulk generation: start, progress (htmx polling), ZIP ----------------------------------------
def _batch(request, pk: int):
    from .models import DocumentBatch

    batch = DocumentBatch.objects.select_related("requested_by").filter(pk=pk).first()
    if batch is None:
        raise Http404(_("没有找到该批量任务。"))
    if not documents.document_batch_can_read(user=request.user, batch=batch):
        raise PermissionDenied(_("您无权查看该批量任务。"))
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def batches(request):
    """GET /documents/batches/: the batches and the form to start one (the office); POST starts one."""
    sources = documents.batch_sources(user=request.user)
    if not sources:
        raise PermissionDenied(_("您无权批量生成文书。"))
    errors: list[str] = []
    if request.method == "POST":
        try:
            batch = documents.document_batch_start(
                actor=request.user, source=request.POST.get("source", ""), choice=request.POST.get("choice", ""),
            )
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            return redirect("document-batch", batch.pk)
    options = [(s, [(str(v), str(label)) for v, label in s.choices()]) for s in sources]
    return render(request, "documents/batches.html", {
        "options": options, "batches": list(documents.document_batches_for(user=request.user)[:50]), "errors": errors,
    }, status=400 if errors else 200)


@login_required
@require_GET
def batch_detail(request, pk: int):
    return render(request, "documents/batch.html", {"batch": _batch(request, pk)})


@login_required
@require_GET
def batch_status(request, pk: int):
    """The progress fragment htmx polls every second until the batch is finished."""
    return render(request, "documents/_batch_status.html", {"batch": _batch(request, pk)})


@login_required
@require_GET
def batch_zip(request, pk: int):
    batch = _batch(request, pk)
    if batch.status != batch.Status.DONE or not batch.file:
        raise Http404(_("压缩包尚未生成。"))
    try:
        response = HttpResponse(read_checked(documents.document_batch_read, batch), content_type="application/zip")
    except StoredFileChanged as exc:
        return changed_file_response(request, exc)
    response["Content-Disposition"] = content_disposition_header(True, f"{batch.label}.zip".replace("：", "-"))
    response["Cache-Control"] = "private, no-store"
    return response
