"""REST API of complaints under /api/v1/ (docs/api.md, "Complaints").

Thin views, as for proposals: every object is reached through the
selectors' scope (complaint_get: 404 when it does not exist, 403 when it is
not the user's), a serializer checks the shape of the request, and exactly
one service makes the change. The services' refusals (ValidationError,
PermissionDenied) become 400 and 403 in the one error shape through the
global exception handler (workflow/api_support.py).

The citizen's personal data reaches an answer only through
selectors.complaint_contact (masked for every user) or the audited
reveal-contact action.

The public endpoints (no account) file a complaint, follow it with its
number and query code (wrong guesses throttled: complaints/throttle.py) and
rate it through the one-time link sent by text message.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from workflow import events
from workflow.api_support import ErrorSerializer, ServiceAPIMixin, choice_options, labels
from workflow.models import Department, Membership
from workflow.selectors import require_role

from . import routing, selectors, services, throttle
from . import serializers as s
from .models import (
    Appeal,
    CitizenLink,
    Complaint,
    ComplaintExtension,
    ComplaintRating,
    ComplaintReply,
    Dispatch,
    HandlingNote,
    Kind,
    NotAcceptedReason,
    Suspension,
)
from .roles import Role
from .serializers import TriageOutcome

ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
TOKEN_PARAM = OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.PATH, description="短信中评价链接的令牌")


def responses(ok, code: int = 200) -> dict:
    """The success answer; 400/401/403/404 (the Error component) are added by workflow.api_support.postprocess_schema."""
    return {code: ok}


def _rating_labels() -> dict:
    return {"haocha_rating": {c["code"]: c["label"] for c in labels(services.RATING_SCALE)}}


def _timeline(entries) -> tuple[list, list]:
    return events.present_timeline(model=Complaint, entries=entries, status_labels=dict(Complaint.Status.choices), labels=_rating_labels())


def _detail_response(request, complaint: Complaint, code: int = status.HTTP_200_OK, serializer_class=None, **context) -> Response:
    """The complaint as the requesting user sees it now (after a change); 204 when they no longer may."""
    try:
        detail = selectors.complaint_detail(user=request.user, pk=complaint.pk)
    except (Http404, PermissionDenied):
        return Response(status=status.HTTP_204_NO_CONTENT)
    complaint = detail["complaint"]
    serializer_class = serializer_class or s.ComplaintDetailSerializer
    data = serializer_class(complaint, context={"request": request, "detail": detail, "timeline": _timeline(detail["timeline"]), **context}).data
    return Response(data, status=code)


class ComplaintAPIMixin(ServiceAPIMixin):
    """Scoped fetching of the complaints the URL names (directly or through a part of them)."""

    def _visible_complaint(self, pk: int) -> Complaint:
        return selectors.complaint_get(user=self.request.user, pk=pk)

    def _part(self, model, related=()):
        """A dispatch, request, rating or appeal, if its complaint is visible to the user (404 / 403 otherwise)."""
        obj = model.objects.select_related(*related).filter(pk=self._pk()).first()
        if obj is None:
            raise Http404
        obj.complaint = self._visible_complaint(obj.complaint_id)
        return obj


def _list_filters(data: dict) -> dict:
    return {k: v for k, v in data.items() if k in selectors.FILTERS and v not in (None, "")}


LIST_DESCRIPTION = (
    "当前用户可见范围内的投诉工单（热线受理员、派单员、督查人员：全部；承办单位：派给本单位的），新的在前，分页。"
    "筛选：status、department、category、channel、kind、rating、q（编号或标题）、received_from/received_to（受理日期），"
    "overdue、suspended、bad 为 true 时只看逾期、挂起中、有差评的。承办单位看到的群众称呼和电话是遮挡后的。"
)


# --- complaints ---------------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="投诉工单列表", description=LIST_DESCRIPTION, parameters=[s.ComplaintListQuerySerializer], responses=responses(s.ComplaintSerializer(many=True))),
    retrieve=extend_schema(
        summary="投诉工单详情",
        description="工单及其派单、答复、评价、办理记录、附件（元数据）、延期和挂起申请、办理过程和当前用户在本件的待办。"
                    "群众联系方式：电话、身份证号、电子邮箱和联系地址对所有工作人员遮挡（完整的须调用 reveal-contact，留痕）；姓名仅热线工作人员看到完整的。",
        parameters=[ID_PARAM], responses=responses(s.ComplaintDetailSerializer),
    ),
    create=extend_schema(
        summary="登记来电、来访或差评转办（热线/窗口受理员、派单员）",
        description="channel 为 hotline、window 或 review。可带 resolve_on_spot（处理结果和群众的现场评价）当场办结。"
                    "答复中的 query_code 是查询码，只返回这一次（库中只存其摘要），请告知群众。附件须以 multipart/form-data 的 attachments 字段上传。",
        request=s.StaffIntakeSerializer, responses=responses(s.StaffIntakeResultSerializer, 201),
    ),
)
class ComplaintViewSet(ComplaintAPIMixin, viewsets.GenericViewSet):
    """投诉工单: scoped reads and every step of handling, one service per action."""

    queryset = Complaint.objects.none()
    serializer_class = s.ComplaintSerializer

    def get_object(self) -> Complaint:
        return self._visible_complaint(self._pk())

    def list(self, request):
        query = s.ComplaintListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        qs = selectors.complaint_list(user=request.user, filters=_list_filters(query.validated_data))
        page = selectors.redact_for(user=request.user, complaints=self.paginate_queryset(qs))
        return self.get_paginated_response(s.ComplaintSerializer(page, many=True, context={"request": request}).data)

    def retrieve(self, request, pk=None):
        return _detail_response(request, self.get_object())

    def create(self, request):
        data = self._input(s.StaffIntakeSerializer)
        complaint, code = services.complaint_submit(
            actor=request.user, attachments=request.FILES.getlist("attachments"), **data,
        )
        return _detail_response(request, complaint, status.HTTP_201_CREATED, s.StaffIntakeResultSerializer, query_code=code)

    @extend_schema(
        summary="派单 / 不予受理 / 并案 / 拆分（派单员）",
        description="outcome=dispatch 给 department（主办）和可选的 co_departments（协办）；not_accept 给 reason（不予受理理由 id 或代码）；"
                    "merge 给 target（并入的工单 id）；split 给 parts（至少两件，每件 title、description，可选 category）。note 可选。",
        parameters=[ID_PARAM], request=s.TriageSerializer, responses=responses(s.ComplaintDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.TriageSerializer)
        outcome, note = data["outcome"], data["note"]
        if outcome == TriageOutcome.DISPATCH:
            department = data.get("department")
            suggestion = routing.suggest_department(complaint) if department is not None else None
            rule = suggestion.rule.name if suggestion and suggestion.department.pk == department.pk else ""
            complaint = services.complaint_dispatch(
                actor=request.user, complaint=complaint, department=department, co_departments=data.get("co_departments", []),
                note=note, suggested_rule=rule,
            )
        elif outcome == TriageOutcome.NOT_ACCEPT:
            complaint = services.complaint_not_accept(actor=request.user, complaint=complaint, reason=data.get("reason"), note=note)
        elif outcome == TriageOutcome.MERGE:
            complaint = services.complaint_merge(actor=request.user, complaint=complaint, target=data.get("target"), note=note)
        else:
            parts = [dict(p) for p in data.get("parts", [])]
            services.complaint_split(actor=request.user, complaint=complaint, parts=parts, note=note)
        return _detail_response(request, complaint)

    @extend_schema(
        summary="派单建议：承办单位和可能重复的工单（派单员）",
        description="按派单规则（管理员维护）建议的承办单位和命中的规则，以及规定期限内同一电话、或同一地点且内容相似的工单。只读。",
        parameters=[ID_PARAM], request=None, responses=responses(s.SuggestionsSerializer),
    )
    @action(detail=True, methods=["get"])
    def suggestions(self, request, pk=None):
        complaint = self.get_object()
        require_role(user=request.user, role=Role.DISPATCHER)
        suggestion = routing.suggest_department(complaint)
        duplicates = [
            {"id": c.pk, "number": c.number, "title": c.title, "status": c.status, "status_display": c.get_status_display(),
             "received_at": c.received_at, "reason": reason}
            for c, reason in routing.possible_duplicates(complaint)
        ]
        data = {
            "department": suggestion.department if suggestion else None,
            "rule": suggestion.rule.name if suggestion else "",
            "duplicates": duplicates,
        }
        return Response(s.SuggestionsSerializer(data).data)

    @extend_schema(
        summary="撰写答复（主办单位承办人员）",
        description="办理中（或群众反馈未解决、答复被退回后）的工单写答复；单位设置为须签发时先交单位领导签发，否则交派单员审核。",
        parameters=[ID_PARAM], request=s.ReplyWriteSerializer, responses=responses(s.ComplaintDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.ReplyWriteSerializer)
        services.complaint_reply(actor=request.user, complaint=complaint, **data)
        return _detail_response(request, complaint)

    @extend_schema(
        summary="签发或退回答复（主办单位领导）",
        description="本轮待签发的答复：approve=true 签发（交派单员审核），false 退回承办人员修改（note 必填）。",
        parameters=[ID_PARAM], request=s.ApproveSerializer, responses=responses(s.ComplaintDetailSerializer),
    )
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="reply-sign-off")
    def sign_off(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.ApproveSerializer)
        reply = complaint.replies.filter(round=complaint.handling_round, status=ComplaintReply.Status.DRAFT).order_by("-pk").first()
        if reply is None:
            raise exceptions.ValidationError(_("该工单没有待签发的答复。"))
        services.complaint_reply_sign_off(actor=request.user, reply=reply, **data)
        return _detail_response(request, complaint)

    @extend_schema(
        summary="审核答复：通过或退回（派单员）",
        description="approve=true 通过：答复告知群众并发出评价链接，等待回访；false 退回承办单位修改（note 必填）。",
        parameters=[ID_PARAM], request=s.ApproveSerializer, responses=responses(s.ComplaintDetailSerializer),
    )
    @action(detail=True, methods=["post"], url_path="review", url_name="reply-review")
    def review(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.ApproveSerializer)
        services.complaint_review_reply(actor=request.user, complaint=complaint, **data)
        return _detail_response(request, complaint)

    @extend_schema(
        summary="回访：录入评价 / 未能联系上 / 未解决（派单员）",
        description="录入群众的评价 rating（haocha_rating 量表，可带分项 indicators 和意见 comment；差评须写意见，转承办单位整改）；"
                    "或 unreachable=true（未能联系上，不评价办结）；或 not_resolved=true（群众反映未解决，comment 写明，退回重办）。",
        parameters=[ID_PARAM], request=s.CallbackSerializer, responses=responses(s.ComplaintDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def callback(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.CallbackSerializer)
        services.complaint_callback(actor=request.user, complaint=complaint, **data)
        return _detail_response(request, complaint)

    @extend_schema(
        summary="差评整改反馈（主办单位承办人员）",
        description="收到差评后联系群众并整改，反馈整改情况；之后群众可再评价一次（整改后回访）。",
        parameters=[ID_PARAM], request=s.RectifySerializer, responses=responses(s.ComplaintDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.RectifySerializer)
        services.complaint_rectify(actor=request.user, complaint=complaint, report=data["report"])
        return _detail_response(request, complaint)

    @extend_schema(
        summary="记录办理情况或联系群众（承办单位、派单员）",
        description="kind=note 办理记录，finding 核实情况，contact 联系群众（须给 mode 联系方式和 contacted_at 联系时间）。"
                    "可用 multipart/form-data 在 attachments 字段附上图片或PDF（按内容检查）。工单结束后不能再记录。",
        parameters=[ID_PARAM], request=s.NoteWriteSerializer, responses=responses(s.HandlingNoteSerializer, 201),
    )
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.NoteWriteSerializer)
        note = services.complaint_add_note(actor=request.user, complaint=complaint, attachments=request.FILES.getlist("attachments"), **data)
        note = HandlingNote.objects.select_related("author", "department").get(pk=note.pk)
        return Response(s.HandlingNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="领导批示（主办单位领导）",
        description="主办单位领导对办理中的工单作出批示，通知本单位承办人员，记入办理过程。",
        parameters=[ID_PARAM], request=s.InstructSerializer, responses=responses(s.HandlingNoteSerializer, 201),
    )
    @action(detail=True, methods=["post"])
    def instruct(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.InstructSerializer)
        note = services.complaint_instruct(actor=request.user, complaint=complaint, text=data["text"])
        note = HandlingNote.objects.select_related("author", "department").get(pk=note.pk)
        return Response(s.HandlingNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="查看群众完整联系方式（热线回访、承办单位、督查人员；留痕）",
        description="返回群众的完整称呼、电话、身份证号、邮箱和地址。每次查看都记入办理过程和安全审计记录（谁、何时、理由）。",
        parameters=[ID_PARAM], request=s.RevealSerializer, responses=responses(s.RevealedContactSerializer),
    )
    @action(detail=True, methods=["post"], url_path="reveal-contact", url_name="reveal-contact")
    def reveal_contact(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.RevealSerializer)
        contact = services.complaint_reveal_contact(actor=request.user, complaint=complaint, reason=data["reason"])
        return Response(s.RevealedContactSerializer(contact).data)

    @extend_schema(
        summary="申请延期（主办单位承办人员）",
        description="办理期限前规定时间内提出，说明理由，延期不超过规定上限；由派单员或督查人员审批（/complaint-extensions/{id}/decide/）。",
        parameters=[ID_PARAM], request=s.ExtensionWriteSerializer, responses=responses(s.ComplaintExtensionSerializer, 201),
    )
    @action(detail=True, methods=["post"])
    def extension(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.ExtensionWriteSerializer)
        req = services.complaint_extension_request(actor=request.user, complaint=complaint, **data)
        req = ComplaintExtension.objects.select_related("complaint", "department", "requested_by", "decided_by").get(pk=req.pk)
        return Response(s.ComplaintExtensionSerializer(req).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="申请挂起（主办单位承办人员）",
        description="等待群众补充材料或第三方意见时申请暂停计时，说明理由；由派单员或督查人员审批（/complaint-suspensions/{id}/decide/）。",
        parameters=[ID_PARAM], request=s.ReasonSerializer, responses=responses(s.SuspensionSerializer, 201),
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.ReasonSerializer)
        suspension = services.complaint_suspension_request(actor=request.user, complaint=complaint, reason=data["reason"])
        return Response(s.SuspensionSerializer(_suspension(suspension.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="恢复办理（主办单位承办人员、派单员）",
        description="结束挂起：办理期限顺延挂起的时间（按小时计的期限顺延实际时间，按工作日计的顺延挂起覆盖的工作日）。",
        parameters=[ID_PARAM], request=s.ResumeSerializer, responses=responses(s.ComplaintDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.ResumeSerializer)
        services.complaint_resume(actor=request.user, complaint=complaint, note=data["note"])
        return _detail_response(request, complaint)


def _suspension(pk: int) -> Suspension:
    return Suspension.objects.select_related("complaint", "department", "requested_by", "decided_by", "ended_by").get(pk=pk)


# --- dispatches ----------------------------------------------------------------------------------------------
class StatusFilterMixin:
    def _status_filtered(self, qs):
        query = s.StatusQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        if query.validated_data.get("status"):
            qs = qs.filter(status=query.validated_data["status"])
        return qs

    def _visible_ids(self):
        return selectors.complaint_list(user=self.request.user).values("pk")


@extend_schema_view(
    list=extend_schema(
        summary="派单列表",
        description="当前用户可见的工单的派单（承办单位：派给本单位的工单的各单位派单），可按 status 筛选（dispatched 待签收、signed、returned、redirected、done），分页。",
        parameters=[s.StatusQuerySerializer],
    ),
    retrieve=extend_schema(summary="派单详情", description="派给一个单位的一次派单：主办或协办、签收、退单及其审核、协办意见。", parameters=[ID_PARAM]),
)
class DispatchViewSet(ComplaintAPIMixin, StatusFilterMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """派单: sign, return (退单), the dispatcher's ruling on a return, co-handling opinions."""

    serializer_class = s.ComplaintDispatchSerializer

    def get_queryset(self):
        qs = Dispatch.objects.filter(complaint__in=self._visible_ids()).select_related("complaint", "department", "dispatched_by")
        return self._status_filtered(qs).order_by("-dispatched_at", "-pk")

    def get_object(self) -> Dispatch:
        return self._part(Dispatch, related=["department", "dispatched_by"])

    def _dispatch_response(self, dispatch: Dispatch) -> Response:
        dispatch = Dispatch.objects.select_related("complaint", "department", "dispatched_by").get(pk=dispatch.pk)
        return Response(s.ComplaintDispatchSerializer(dispatch).data)

    def retrieve(self, request, pk=None):
        return self._dispatch_response(self.get_object())

    @extend_schema(summary="签收（承办单位承办人员）", description="承办单位签收派来的工单；主办单位签收后开始办理。", parameters=[ID_PARAM], request=None, responses=responses(s.ComplaintDispatchSerializer))
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        dispatch = services.dispatch_sign(actor=request.user, dispatch=self.get_object())
        return self._dispatch_response(dispatch)

    @extend_schema(
        summary="退单（承办单位承办人员，派单后规定期限内）",
        description="认为不属于本单位职责时，在签收前、派单后规定期限内说明理由退回派单员审核。",
        parameters=[ID_PARAM], request=s.ReasonSerializer, responses=responses(s.ComplaintDispatchSerializer),
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        dispatch = self.get_object()
        data = self._input(s.ReasonSerializer)
        dispatch = services.dispatch_return(actor=request.user, dispatch=dispatch, reason=data["reason"])
        return self._dispatch_response(dispatch)

    @extend_schema(
        summary="审核退单：改派或认定退单不当（派单员）",
        description="accept=true 退单理由成立，改派给 department（答复新的派单）；false 退单不当（note 必填），原单位须签收办理，计入该单位的不当退单。",
        parameters=[ID_PARAM], request=s.ReturnDecisionSerializer, responses=responses(s.ComplaintDispatchSerializer),
    )
    @action(detail=True, methods=["post"], url_path="return-decision", url_name="return-decision")
    def return_decision(self, request, pk=None):
        dispatch = self.get_object()
        data = self._input(s.ReturnDecisionSerializer)
        result = services.dispatch_return_decide(
            actor=request.user, dispatch=dispatch, accept=data["accept"], department=data.get("department"), note=data["note"],
        )
        return self._dispatch_response(result)

    @extend_schema(
        summary="送协办意见（协办单位承办人员）",
        description="已签收的协办单位把意见送主办单位，由主办单位统一答复。",
        parameters=[ID_PARAM], request=s.OpinionWriteSerializer, responses=responses(s.ComplaintDispatchSerializer),
    )
    @action(detail=True, methods=["post"])
    def opinion(self, request, pk=None):
        dispatch = self.get_object()
        data = self._input(s.OpinionWriteSerializer)
        dispatch = services.dispatch_opinion(actor=request.user, dispatch=dispatch, opinion=data["opinion"])
        return self._dispatch_response(dispatch)


# --- extension and suspension requests -------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="投诉延期申请列表",
        description="当前用户可见的工单的延期申请，新的在前，可按 status 筛选（pending 待审批、approved、refused），分页。",
        parameters=[s.StatusQuerySerializer],
    ),
    retrieve=extend_schema(summary="投诉延期申请详情", description="申请延至的日期、理由和审批情况。", parameters=[ID_PARAM]),
)
class ExtensionViewSet(ComplaintAPIMixin, StatusFilterMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ComplaintExtensionSerializer

    def get_queryset(self):
        qs = ComplaintExtension.objects.filter(complaint__in=self._visible_ids()).select_related("complaint", "department", "requested_by", "decided_by")
        return self._status_filtered(qs).order_by("-requested_at", "-pk")

    def get_object(self) -> ComplaintExtension:
        return self._part(ComplaintExtension, related=["department", "requested_by", "decided_by"])

    def retrieve(self, request, pk=None):
        return Response(s.ComplaintExtensionSerializer(self.get_object()).data)

    @extend_schema(
        summary="审批投诉延期申请（派单员、督查人员）",
        description="approve=true 同意：办理期限延至申请的日期，告知群众；false 不同意（note 必填）。",
        parameters=[ID_PARAM], request=s.ApproveSerializer, responses=responses(s.ComplaintExtensionSerializer),
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        req = self.get_object()
        data = self._input(s.ApproveSerializer)
        services.complaint_extension_decide(actor=request.user, request=req, **data)
        req = ComplaintExtension.objects.select_related("complaint", "department", "requested_by", "decided_by").get(pk=req.pk)
        return Response(s.ComplaintExtensionSerializer(req).data)


@extend_schema_view(
    list=extend_schema(
        summary="挂起申请列表",
        description="当前用户可见的工单的挂起申请，新的在前，可按 status 筛选（pending 待审批、active 挂起中、refused、ended），分页。",
        parameters=[s.StatusQuerySerializer],
    ),
    retrieve=extend_schema(summary="挂起申请详情", description="挂起理由、审批、开始和恢复的时间。", parameters=[ID_PARAM]),
)
class SuspensionViewSet(ComplaintAPIMixin, StatusFilterMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.SuspensionSerializer

    def get_queryset(self):
        qs = Suspension.objects.filter(complaint__in=self._visible_ids()).select_related("complaint", "department", "requested_by", "decided_by", "ended_by")
        return self._status_filtered(qs).order_by("-requested_at", "-pk")

    def get_object(self) -> Suspension:
        return self._part(Suspension, related=["department", "requested_by", "decided_by", "ended_by"])

    def retrieve(self, request, pk=None):
        return Response(s.SuspensionSerializer(self.get_object()).data)

    @extend_schema(
        summary="审批挂起申请（派单员、督查人员）",
        description="approve=true 同意：工单挂起、停止计时，告知群众；false 不同意（note 必填）。恢复办理用 /complaints/{id}/resume/。",
        parameters=[ID_PARAM], request=s.ApproveSerializer, responses=responses(s.SuspensionSerializer),
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        suspension = self.get_object()
        data = self._input(s.ApproveSerializer)
        services.complaint_suspension_decide(actor=request.user, suspension=suspension, **data)
        return Response(s.SuspensionSerializer(_suspension(suspension.pk)).data)


# --- ratings and appeals -------------------------------------------------------------------------------------
@extend_schema_view(retrieve=extend_schema(summary="一条好差评", description="评价、分项评价、意见、评价方式，是否差评、是否因申诉成立而不计入统计。", parameters=[ID_PARAM]))
class RatingViewSet(ComplaintAPIMixin, viewsets.GenericViewSet):
    serializer_class = s.ComplaintRatingSerializer

    def get_queryset(self):
        return ComplaintRating.objects.none()

    def get_object(self) -> ComplaintRating:
        return self._part(ComplaintRating, related=["recorded_by"])

    def retrieve(self, request, pk=None):
        return Response(s.ComplaintRatingSerializer(self.get_object()).data)

    @extend_schema(
        summary="申诉差评（主办单位）",
        description="主办单位认为差评与事实不符或属恶意差评时，在评价后规定期限内说明理由申诉，每条差评一次；由督查人员复核（/complaint-appeals/{id}/decide/）。",
        parameters=[ID_PARAM], request=s.ReasonSerializer, responses=responses(s.ComplaintAppealSerializer, 201),
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        rating = self.get_object()
        data = self._input(s.ReasonSerializer)
        appeal = services.appeal_file(actor=request.user, rating=rating, reason=data["reason"])
        return Response(s.ComplaintAppealSerializer(_appeal(appeal.pk)).data, status=status.HTTP_201_CREATED)


def _appeal(pk: int) -> Appeal:
    return Appeal.objects.select_related("complaint", "department", "filed_by", "decided_by").get(pk=pk)


@extend_schema_view(
    list=extend_schema(
        summary="差评申诉列表",
        description="当前用户可见的工单的差评申诉（督查人员：全部），新的在前，可按 status 筛选（pending 待复核、upheld、rejected），分页。",
        parameters=[s.StatusQuerySerializer],
    ),
    retrieve=extend_schema(summary="差评申诉详情", description="申诉理由和复核结论（属实、合理、恶意）。", parameters=[ID_PARAM]),
)
class AppealViewSet(ComplaintAPIMixin, StatusFilterMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ComplaintAppealSerializer

    def get_queryset(self):
        qs = Appeal.objects.filter(complaint__in=self._visible_ids()).select_related("complaint", "department", "filed_by", "decided_by")
        return self._status_filtered(qs).order_by("-filed_at", "-pk")

    def get_object(self) -> Appeal:
        return self._part(Appeal, related=["department", "filed_by", "decided_by"])

    def retrieve(self, request, pk=None):
        return Response(s.ComplaintAppealSerializer(self.get_object()).data)

    @extend_schema(
        summary="复核差评申诉（督查人员）",
        description="核实差评反映的情况是否属实（facts_true）、是否合理（reasonable）、是否恶意（malicious），note 必填。"
                    "不属实、不合理或恶意的，申诉成立：该差评不计入统计。",
        parameters=[ID_PARAM], request=s.AppealDecisionSerializer, responses=responses(s.ComplaintAppealSerializer),
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        appeal = self.get_object()
        data = self._input(s.AppealDecisionSerializer)
        services.appeal_decide(actor=request.user, appeal=appeal, **data)
        return Response(s.ComplaintAppealSerializer(_appeal(appeal.pk)).data)


# --- the user's tasks, categories and options ---------------------------------------------------------------
@extend_schema_view(list=extend_schema(
    summary="当前用户的投诉待办（按期限排序）",
    description="当前用户所有投诉待办（派单、签收、办理答复、签发、审核、回访、整改……），每条带完成它的接口路径（action，相对 /api/v1/），分页。",
))
class ComplaintTaskViewSet(ComplaintAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ComplaintTaskSerializer

    def get_queryset(self):
        return selectors.complaint_tasks(user=self.request.user)


@extend_schema_view(list=extend_schema(summary="投诉类别", description="启用的投诉类别及各自的补充问题（code、label、required、type、choices），不分页。"))
class CategoryViewSet(ComplaintAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ComplaintCategorySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.categories()


def _dispatch_departments():
    handlers = Membership.objects.filter(role=Role.HANDLER, is_active=True, user__is_active=True).values("department_id")
    return Department.objects.filter(is_active=True, pk__in=handlers).order_by("code")


class ComplaintOptionsView(APIView):
    @extend_schema(
        summary="投诉表单选项",
        description="诉求类型、渠道、状态、派单结果、好差评量表和分项（管理员维护的代码表）、办理记录类型、联系方式、不予受理理由和可派单的单位（当前语言）。",
        responses=s.ComplaintOptionsSerializer,
    )
    def get(self, request):
        data = {
            "kinds": choice_options(Kind.choices),
            "channels": choice_options(Complaint._meta.get_field("channel").choices),
            "staff_channels": choice_options(s.STAFF_CHANNELS),
            "statuses": choice_options(Complaint.Status.choices),
            "triage_outcomes": choice_options(TriageOutcome.CHOICES),
            "haocha_rating": labels(services.RATING_SCALE),
            "indicators": choice_options(s.indicators().items()),
            "note_kinds": choice_options(s.NoteWriteSerializer().fields["kind"].choices.items()),
            "contact_modes": choice_options(HandlingNote.Mode.choices),
            "not_accepted_reasons": NotAcceptedReason.objects.filter(is_active=True),
            "departments": _dispatch_departments(),
        }
        return Response(s.ComplaintOptionsSerializer(data).data)


# --- public (no account) ----------------------------------------------------------------------------------
class PublicAPIView(APIView):
    """Anonymous by design: no authentication (a stale token must not turn these into 401s), so no session CSRF either."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


def _throttled(request, scope: str, subject: str = "") -> None:
    wait = throttle.retry_after(request, scope, subject=subject)
    if wait:
        raise exceptions.Throttled(wait=wait, detail=_("尝试次数过多，请%(seconds)d秒后再试。") % {"seconds": wait})


THROTTLED = OpenApiResponse(ErrorSerializer, description="尝试失败次数过多，Retry-After 响应头给出可以再试的秒数")
SUBMIT_THROTTLED = OpenApiResponse(ErrorSerializer, description="同一地址或同一电话提交过于频繁，Retry-After 响应头给出可以再试的秒数")


class PublicSubmitView(PublicAPIView):
    @extend_schema(
        summary="群众提交投诉（无需登录）",
        description="与公开页面 /complaint/ 相同。JSON，或 multipart/form-data（附件放在 attachments 字段，最多5个，只接受图片和PDF，"
                    "补充问题写作 answers.<代码>）。答复中的 query_code 是查询码，只返回这一次，凭编号和查询码查询进度。",
        request=s.PublicSubmitSerializer, responses={**responses(s.PublicSubmitResultSerializer, 201), 429: SUBMIT_THROTTLED},
    )
    def post(self, request):
        _throttled(request, "submit", subject=str(request.data.get("citizen_phone") or ""))  # each filing sends an SMS
        serializer = s.PublicSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint, code = services.complaint_submit(actor=None, channel="web", attachments=request.FILES.getlist("attachments"), **serializer.validated_data)
        throttle.hit(request, "submit", subject=complaint.citizen_phone)
        data = {"number": complaint.number, "query_code": code, "status": complaint.status, "expected_dispatch": complaint.dispatch_due}
        return Response(s.PublicSubmitResultSerializer(data).data, status=status.HTTP_201_CREATED)


def _public_steps(entries) -> list[dict]:
    rows, _history = _timeline(entries)
    return [{"at": r["at"], "type": r["type"], "text": r["text"], "details": r["details"], "note": r["note"]} for r in rows]


def _public_reply(reply: ComplaintReply | None) -> dict | None:
    return {"body": reply.body, "written_at": reply.written_at, "round": reply.round} if reply else None


class PublicTrackView(PublicAPIView):
    @extend_schema(
        summary="群众凭编号和查询码查询进度（无需登录）",
        description="办理进度（公开的环节，不含工作人员姓名和内部记录）、预计答复时间和已通过审核的答复。编号不存在和查询码错误的答复完全相同（404）；"
                    "同一地址连续猜错达到上限后 429，Retry-After 给出等待秒数。",
        request=s.TrackSerializer, responses={200: s.PublicProgressSerializer, 429: THROTTLED},
    )
    def post(self, request):
        number = str(request.data.get("number") or "") if hasattr(request.data, "get") else ""
        _throttled(request, "lookup", subject=number)
        serializer = s.TrackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        progress = selectors.complaint_progress(number=serializer.validated_data["number"], code=serializer.validated_data["code"])
        if progress is None:
            throttle.record_failure(request, "lookup", subject=number)
            raise Http404
        complaint, case = progress.complaint, progress.case
        data = {
            "number": complaint.number, "title": complaint.title, "kind": complaint.kind, "category": str(complaint.category),
            "status": complaint.status, "status_display": complaint.get_status_display(), "received_at": complaint.received_at,
            "department": str(case.department or ""), "merged_into": complaint.merged_into.number if complaint.merged_into_id else "",
            "not_accepted_reason": complaint.not_accepted_reason.text if complaint.not_accepted_reason_id else "",
            "redirect_to": complaint.not_accepted_reason.redirect_to if complaint.not_accepted_reason_id else "",
            "expected": progress.expected, "steps": _public_steps(progress.steps), "reply": _public_reply(progress.reply),
        }
        return Response(s.PublicProgressSerializer(data).data)


class PublicRateView(PublicAPIView):
    def _link(self, request, token: str) -> CitizenLink:
        _throttled(request, "rate")
        link = services.link_get(token=token)
        if link is None:
            throttle.record_failure(request, "rate")
            raise Http404
        return link

    @extend_schema(
        summary="评价链接：评价的是哪件工单（无需登录）",
        description="短信中一次性评价链接的令牌：工单编号、标题、承办单位、答复，是否还能反馈“未解决”，评价量表。"
                    "无效、已使用和已过期的令牌答复相同（404）；连续无效达到上限后 429。",
        parameters=[TOKEN_PARAM], responses={200: s.PublicRateInfoSerializer, 429: THROTTLED},
    )
    def get(self, request, token: str):
        link = self._link(request, token)
        complaint = link.complaint
        reply = complaint.replies.filter(status=ComplaintReply.Status.PASSED).order_by("-round", "-pk").first()
        data = {
            "number": complaint.number, "title": complaint.title, "purpose": link.purpose, "department": str(complaint.department or ""),
            "reply": _public_reply(reply), "can_say_not_resolved": services.can_say_not_resolved(complaint),
            "haocha_rating": labels(services.RATING_SCALE), "indicators": choice_options(s.indicators().items()),
        }
        return Response(s.PublicRateInfoSerializer(data).data)

    @extend_schema(
        summary="通过评价链接评价或反馈未解决（无需登录）",
        description="rating（haocha_rating 量表，不满意须写 comment；可带分项 indicators），或 not_resolved=true 和 reason（答复后规定期限内、评价前）。"
                    "链接只能用一次。",
        parameters=[TOKEN_PARAM], request=s.PublicRateSerializer, responses={200: s.PublicRateResultSerializer, 429: THROTTLED},
    )
    def post(self, request, token: str):
        self._link(request, token)
        serializer = s.PublicRateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["not_resolved"]:
            complaint = services.complaint_not_resolved(token=token, reason=data["reason"])
        else:
            complaint = services.complaint_rate_by_link(token=token, rating=data["rating"], comment=data["comment"], indicators=data["indicators"])
        complaint.refresh_from_db()
        return Response(s.PublicRateResultSerializer({"number": complaint.number, "status": complaint.status, "status_display": complaint.get_status_display()}).data)
