"""The API of Excel exports (workflow.exports), docs/api.md:

* ``POST /api/v1/exports/`` ``{"list": "<code>", "filters": {...}}``: the list's
  filters as its page's query parameters. A small export (at most
  EXPORT_DIRECT_MAX_ROWS rows) answers 200 with the workbook itself; a larger
  one answers 201 with the job (its status, progress and, when done, its
  download URL). The rows are those the caller may see (the list's selector).
* ``GET /api/v1/exports/``: the caller's own exports; ``GET /api/v1/exports/<id>/``:
  one of them (403 for someone else's); ``GET /api/v1/exports/<id>/download/``: the file.
"""
from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import exports
from .api_support import Serializer, error_response


class ExportJobSerializer(Serializer):
    id = serializers.IntegerField()
    list = serializers.CharField(source="kind", help_text="导出的列表代码")
    label = serializers.CharField()
    filters = serializers.JSONField(help_text="筛选条件（列表页面的查询参数）")
    status = serializers.CharField(help_text="pending | running | done | failed | expired")
    done = serializers.IntegerField(help_text="已写入行数")
    total = serializers.IntegerField(help_text="总行数")
    truncated = serializers.BooleanField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField(help_text="完成后的下载地址（仅发起人）")
    page_url = serializers.SerializerMethodField(help_text="进度页面")

    def get_download_url(self, job) -> str | None:
        return reverse("api-export-download", args=[job.pk]) if job.status == job.Status.DONE else None

    def get_page_url(self, job) -> str:
        return reverse("export-detail", args=[job.pk])


class ExportStartSerializer(Serializer):
    list = serializers.CharField(max_length=48, help_text="列表代码：各案件应用注册的列表（docs/supervision.md“Excel exports”），以及 urging_notices、supervision_notices")
    filters = serializers.DictField(required=False, default=dict, help_text="筛选条件，与列表页面的查询参数相同，例如 {\"status\": \"handling\"}")


def _file_response(content: bytes, filename: str, rows: int, truncated: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Export-Rows"] = str(rows)
    response["X-Export-Truncated"] = "1" if truncated else "0"
    response["Cache-Control"] = "private, no-store"
    return response


class ExportListView(APIView):
    @extend_schema(summary="我的导出", responses=ExportJobSerializer(many=True))
    def get(self, request):
        jobs = exports.export_jobs_for(user=request.user)[:50]
        return Response({"results": ExportJobSerializer(jobs, many=True).data})

    @extend_schema(
        summary="导出列表为Excel",
        description="按列表自己的权限范围导出；行数不超过阈值时直接返回文件（200），否则后台生成并返回任务（201）。",
        request=ExportStartSerializer,
        responses={
            (200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The workbook (small exports)."),
            201: ExportJobSerializer, 400: OpenApiResponse(description="Unknown list or bad filter."),
            403: OpenApiResponse(description="Not allowed to export this list."),
        },
    )
    def post(self, request):
        serializer = ExportStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        if exports.export_kind(d["list"]) is None:
            message = _("没有这种导出：%(code)s") % {"code": d["list"]}
            return error_response(400, detail=message, code="invalid", errors={"list": [message]})
        result = exports.export_start(actor=request.user, kind=d["list"], params=d.get("filters") or {}, request=request)
        if isinstance(result, exports.DirectExport):
            return _file_response(result.content, result.filename, result.rows, result.truncated)
        response = Response(ExportJobSerializer(result).data, status=201)
        response["Location"] = reverse("api-export", args=[result.pk])
        return response


class ExportDetailView(APIView):
    @extend_schema(summary="导出任务状态", responses={200: ExportJobSerializer, 403: OpenApiResponse(description="Someone else's export.")})
    def get(self, request, pk: int):
        return Response(ExportJobSerializer(exports.export_job_get(user=request.user, pk=pk)).data)


class ExportDownloadView(APIView):
    @extend_schema(summary="下载导出的Excel", responses={(200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY), 404: OpenApiResponse(description="Not ready.")})
    def get(self, request, pk: int):
        job = exports.export_job_get(user=request.user, pk=pk)
        if job.status != job.Status.DONE or not job.file:
            return error_response(404, detail=_("文件尚未生成。"), code="not_found")
        response = FileResponse(job.file.open("rb"), content_type=exports.XLSX_TYPE, as_attachment=True, filename=exports.export_job_filename(job))
        response["Cache-Control"] = "private, no-store"
        return response
