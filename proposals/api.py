"""REST API of the proposals app under /api/v1/.

Thin views: every object is fetched through the selectors' scope (what the
user may not see does not exist: 404), the serializer checks the shape of
the request, and exactly one service makes the change. The service's
refusals become HTTP 400 (ValidationError, with its Chinese messages, keyed
by field when it names one) or 403 (PermissionDenied).
"""
from __future__ import annotations

import re

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from proposals.roles import Role
from workflow.rules import label_choices
from workflow.selectors import user_roles

from . import selectors, services
from . import serializers as s
from .models import Assignment, Category, Consultation, ExtensionRequest, Proposal, RejectionReason, Reply, Session
from .services import ReviewOutcome

ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="输入有误或当前状态不允许：{字段: [消息]} 或 {detail: [消息]}"),
    403: OpenApiResponse(s.ErrorSerializer, description="角色或单位无权办理"),
    404: OpenApiResponse(s.ErrorSerializer, description="不存在或无权查看"),
}


def responses(ok, code: int = 200) -> dict:
    return {code: ok, **ERRORS}


def validation_error_data(exc: DjangoValidationError) -> dict:
    """Django's ValidationError as the response body: {field: [messages]} or {"detail": [messages]}."""
    if hasattr(exc, "error_dict"):
        data = dict(exc.message_dict)
        if NON_FIELD_ERRORS in data:
            data["detail"] = data.pop(NON_FIELD_ERRORS)
        return data
    return {"detail": exc.messages}


_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable_detail(detail):
    """The error detail with lone surrogates replaced by U+FFFD.

    JSON bodies may carry lone surrogates ("\\ud800"); DRF's messages quote
    the input ("“…” 不是合法选项。") and the JSON renderer cannot encode them as
    UTF-8, which turned a bad request into a server error."""
    if isinstance(detail, dict):
        return {encodable_detail(k): encodable_detail(v) for k, v in detail.items()}
    if isinstance(detail, (list, tuple)):
        return [encodable_detail(v) for v in detail]
    if isinstance(detail, str) and _SURROGATE.search(detail):
        return exceptions.ErrorDetail(_SURROGATE.sub("\ufffd", detail), code=getattr(detail, "code", None))
    return detail


class ServiceAPIMixin:
    """Scoped fetching and the mapping of service refusals to HTTP answers."""

    filter_backends: list = []

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(validation_error_data(exc))
        elif isinstance(exc, PermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        if isinstance(exc, exceptions.APIException):
            exc.detail = encodable_detail(exc.detail)
        return super().handle_exception(exc)

    def _pk(self) -> int:
        try:
            pk = int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        except (TypeError, ValueError, KeyError):
            raise Http404
        if not 0 < pk <= s.MAX_INT:
            raise Http404
        return pk

    def _visible_proposal(self, pk: int) -> Proposal:
        try:
            return selectors.proposal_get_or_deny(user=self.request.user, pk=pk)
        except Proposal.DoesNotExist:
            raise Http404

    def _input(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _proposal_detail_response(request, proposal: Proposal, code: int = status.HTTP_200_OK) -> Response:
    """The proposal as the requesting user sees it now (after a change)."""
    try:
        proposal = selectors.proposal_get(user=request.user, pk=proposal.pk)
    except Proposal.DoesNotExist:
        return Response(status=status.HTTP_204_NO_CONTENT)
    detail = selectors.proposal_detail(user=request.user, proposal=proposal)
    proposal.overdue = selectors.proposal_is_overdue(proposal=proposal)
    return Response(s.ProposalDetailSerializer(proposal, context={"request": request, "detail": detail}).data, status=code)


def _list_filters(data: dict) -> selectors.ProposalFilters:
    return selectors.ProposalFilters(
        session=data.get("session"), category=data.get("category"), status=data.get("status") or None,
        department=data.get("department"), is_key=data.get("is_key"), overdue=data.get("overdue"), q=data.get("q") or None,
    )


# --- proposals ---------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="提案列表", parameters=[s.ProposalListQuerySerializer], responses=responses(s.ProposalSerializer(many=True))),
    retrieve=extend_schema(summary="提案详情", parameters=[ID_PARAM], responses=responses(s.ProposalDetailSerializer)),
    create=extend_schema(summary="新建提案草稿", request=s.ProposalWriteSerializer, responses=responses(s.ProposalDetailSerializer, 201)),
    partial_update=extend_schema(
        summary="修改草稿（仅领衔提案人、仅草稿）", parameters=[ID_PARAM],
        request=s.ProposalWriteSerializer(partial=True), responses=responses(s.ProposalDetailSerializer),
    ),
)
class ProposalViewSet(ServiceAPIMixin, viewsets.GenericViewSet):
    """政协提案: scoped reads and every step of handling, one service per action."""

    queryset = Proposal.objects.none()
    serializer_class = s.ProposalSerializer

    def get_object(self) -> Proposal:
        return self._visible_proposal(self._pk())

    def list(self, request):
        query = s.ProposalListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        qs = selectors.proposal_list(user=request.user, filters=_list_filters(query.validated_data))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.ProposalSerializer(page, many=True, context={"request": request}).data)

    def retrieve(self, request, pk=None):
        return _proposal_detail_response(request, self.get_object())

    @extend_schema(
        summary="督办：重点提案和逾期提案（本人可见范围内）", request=None,
        responses=responses(s.ProposalSerializer(many=True)),
    )
    @action(detail=False, methods=["get"], url_path="supervision", url_name="supervision-list")
    def supervision_list(self, request):
        page = self.paginate_queryset(selectors.supervision_list(user=request.user))
        return self.get_paginated_response(s.ProposalSerializer(page, many=True, context={"request": request}).data)

    def create(self, request):
        data = self._input(s.ProposalWriteSerializer)
        proposal = services.proposal_create(actor=request.user, **data)
        return _proposal_detail_response(request, proposal, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.ProposalWriteSerializer, partial=True)
        proposal = services.proposal_update(actor=request.user, proposal=proposal, **data)
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="提交提案（有联名委员时先请其确认；确认完成后再次提交）", parameters=[ID_PARAM], request=None, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        proposal = services.proposal_submit(actor=request.user, proposal=self.get_object())
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="联名确认或拒绝（受邀委员）", parameters=[ID_PARAM], request=s.CosignSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.CosignSerializer)
        services.cosigner_respond(actor=request.user, proposal=proposal, accept=data["accept"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="立案审查：立案 / 不予立案 / 并案 / 转意见建议（提案委）", parameters=[ID_PARAM], request=s.ReviewSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.ReviewSerializer)
        outcome = data["outcome"]
        proposal = services.proposal_review(
            actor=request.user, proposal=proposal, outcome=outcome, note=data.get("note", ""),
            rejection_reason=data.get("rejection_reason") if outcome == ReviewOutcome.REJECT else None,
            merge_into=data.get("merge_into") if outcome == ReviewOutcome.MERGE else None,
            forward_to=data.get("forward_to") if outcome == ReviewOutcome.FORWARD else None,
            number=data.get("number") if outcome == ReviewOutcome.ACCEPT else None,
        )
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="交办：单独办理 / 主办+会办 / 分办（提案委）", parameters=[ID_PARAM], request=s.AssignSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.AssignSerializer)
        proposal = services.proposal_assign(
            actor=request.user, proposal=proposal, mode=data["mode"], lead=data.get("lead"),
            co_handlers=data.get("co_handlers", []), separate=data.get("separate", []), is_key=data["is_key"],
            leading_official=data.get("leading_official"), supervising_unit=data.get("supervising_unit"),
            is_public=data["is_public"], note=data["note"],
        )
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="设为或取消重点提案（牵头领导、督办单位）（提案委）", parameters=[ID_PARAM], request=s.SupervisionSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def supervision(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.SupervisionSerializer)
        proposal = services.proposal_set_supervision(
            actor=request.user, proposal=proposal, is_key=data["is_key"],
            leading_official=data.get("leading_official"), supervising_unit=data.get("supervising_unit"),
        )
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="信息公开设置（提案委）", parameters=[ID_PARAM], request=s.PublicSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def public(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.PublicSerializer)
        proposal = services.proposal_set_public(actor=request.user, proposal=proposal, is_public=data["is_public"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="委员评价（提案人、联名委员）", parameters=[ID_PARAM], request=s.EvaluateSerializer, responses=responses(s.EvaluationSerializer, 201))
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.EvaluateSerializer)
        evaluation = services.proposal_evaluate(actor=request.user, proposal=proposal, **data)
        return Response(s.EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="办结并评定落实情况（提案委）", parameters=[ID_PARAM], request=s.CloseSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.CloseSerializer)
        proposal = services.proposal_close(actor=request.user, proposal=proposal, **data)
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="委员不满意时退回重办（提案委）", parameters=[ID_PARAM], request=s.NoteSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def rehandle(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.NoteSerializer)
        proposal = services.proposal_rehandle(actor=request.user, proposal=proposal, note=data["note"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="委员逾期未评价：记录情况后可办结（提案委）", parameters=[ID_PARAM], request=s.NoteSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"], url_path="waive-evaluation", url_name="waive-evaluation")
    def waive_evaluation(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.NoteSerializer)
        proposal = services.proposal_waive_evaluation(actor=request.user, proposal=proposal, note=data["note"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="撤回未答复的联名邀请（领衔提案人）", parameters=[ID_PARAM], request=s.WithdrawCosignerSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"], url_path="withdraw-cosigner", url_name="withdraw-cosigner")
    def withdraw_cosigner(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.WithdrawCosignerSerializer)
        services.cosigner_withdraw(actor=request.user, proposal=proposal, member=data["member"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="办理过程（事件与修改记录）", parameters=[ID_PARAM], request=None, responses=responses(s.TimelineEntrySerializer(many=True)))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        proposal = self.get_object()
        # The selector leaves the working papers out for people outside the case's office and departments.
        entries = selectors.proposal_detail(user=request.user, proposal=proposal)["timeline"]
        return Response(s.TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(summary="当前用户在本提案的待办", parameters=[ID_PARAM], request=None, responses=responses(s.ProposalTaskSerializer(many=True)))
    @action(detail=True, methods=["get"])
    def tasks(self, request, pk=None):
        proposal = self.get_object()
        tasks = list(selectors.open_tasks_for(user=request.user, proposal=proposal.merged_into or proposal))
        return Response(s.ProposalTaskSerializer(tasks, many=True, context={"current_replies": s.current_replies_for(tasks)}).data)


# --- assignments (one department's part) ------------------------------------------------------------
class AssignmentViewSet(ServiceAPIMixin, viewsets.GenericViewSet):
    """交办给一个单位的办理：签收、申请调整、协商、会办意见、答复函、延期申请。"""

    queryset = Assignment.objects.none()
    serializer_class = s.AssignmentSerializer

    def get_object(self) -> Assignment:
        assignment = Assignment.objects.select_related("proposal", "department").filter(pk=self._pk()).first()
        if assignment is None:
            raise Http404
        self._visible_proposal(assignment.proposal_id)
        return assignment

    def _assignment_response(self, assignment: Assignment, code: int = status.HTTP_200_OK) -> Response:
        # Through the selector: opinions, re-assignment reasons and extension
        # requests are blanked for people outside the office and the departments.
        proposal = selectors.proposal_get(user=self.request.user, pk=assignment.proposal_id)
        detail = selectors.proposal_detail(user=self.request.user, proposal=proposal)
        scoped = next((a for a in detail["assignments"] if a.pk == assignment.pk), None)
        if scoped is None:
            raise Http404
        return Response(s.AssignmentSerializer(scoped).data, status=code)

    @extend_schema(summary="交办详情", parameters=[ID_PARAM], responses=responses(s.AssignmentSerializer))
    def retrieve(self, request, pk=None):
        return self._assignment_response(self.get_object())

    @extend_schema(summary="签收（承办人员）", parameters=[ID_PARAM], request=None, responses=responses(s.AssignmentSerializer))
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        assignment = services.assignment_sign(actor=request.user, assignment=self.get_object())
        return self._assignment_response(assignment)

    @extend_schema(summary="申请调整承办单位（承办人员，交办后限期内）", parameters=[ID_PARAM], request=s.ReassignRequestSerializer, responses=responses(s.AssignmentSerializer))
    @action(detail=True, methods=["post"], url_path="reassign-request", url_name="reassign-request")
    def reassign_request(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.ReassignRequestSerializer)
        assignment = services.assignment_request_reassign(actor=request.user, assignment=assignment, reason=data["reason"])
        return self._assignment_response(assignment)

    @extend_schema(summary="审批调整申请（提案委）", parameters=[ID_PARAM], request=s.ReassignDecisionSerializer, responses=responses(s.AssignmentSerializer))
    @action(detail=True, methods=["post"], url_path="reassign-decision", url_name="reassign-decision")
    def reassign_decision(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.ReassignDecisionSerializer)
        assignment = services.assignment_decide_reassign(
            actor=request.user, assignment=assignment, approve=data["approve"], new_department=data.get("new_department"), note=data["note"],
        )
        return self._assignment_response(assignment)

    @extend_schema(summary="记录办理协商（承办人员）", parameters=[ID_PARAM], request=s.ConsultationWriteSerializer, responses=responses(s.ConsultationSerializer, 201))
    @action(detail=True, methods=["post"])
    def consultation(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.ConsultationWriteSerializer)
        consultation = services.consultation_record(actor=request.user, assignment=assignment, **data)
        return Response(s.ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="送会办意见（会办单位承办人员）", parameters=[ID_PARAM], request=s.OpinionSerializer, responses=responses(s.AssignmentSerializer))
    @action(detail=True, methods=["post"])
    def opinion(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.OpinionSerializer)
        assignment = services.assignment_send_opinion(actor=request.user, assignment=assignment, opinion=data["opinion"])
        return self._assignment_response(assignment)

    @extend_schema(methods=["GET"], summary="本轮答复函", parameters=[ID_PARAM], request=None, responses=responses(s.ReplySerializer))
    @extend_schema(methods=["PUT", "POST"], summary="撰写或修改本轮答复函（承办人员）", parameters=[ID_PARAM], request=s.ReplyDraftSerializer, responses=responses(s.ReplySerializer))
    @action(detail=True, methods=["get", "put", "post"])
    def reply(self, request, pk=None):
        assignment = self.get_object()
        if request.method == "GET":
            reply = Reply.objects.filter(assignment=assignment, round=assignment.proposal.handling_round).first()
            if reply is None or not _reply_visible(request.user, reply, assignment.proposal):
                raise Http404
        else:
            data = self._input(s.ReplyDraftSerializer)
            reply = services.reply_save_draft(actor=request.user, assignment=assignment, **data)
        return _reply_response(reply)

    @extend_schema(summary="提交答复函待单位领导签发（承办人员）", parameters=[ID_PARAM], request=None, responses=responses(s.ReplySerializer))
    @action(detail=True, methods=["post"], url_path="reply/submit", url_name="reply-submit")
    def reply_submit(self, request, pk=None):
        reply = services.reply_submit(actor=request.user, assignment=self.get_object())
        return _reply_response(reply)

    @extend_schema(summary="申请延期答复（承办人员，期限届满前）", parameters=[ID_PARAM], request=s.ExtensionRequestWriteSerializer, responses=responses(s.ExtensionRequestSerializer, 201))
    @action(detail=True, methods=["post"], url_path="extension-request", url_name="extension-request")
    def extension_request(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.ExtensionRequestWriteSerializer)
        req = services.extension_request(actor=request.user, assignment=assignment, **data)
        return Response(s.ExtensionRequestSerializer(req).data, status=status.HTTP_201_CREATED)


def _reply_visible(user, reply: Reply, proposal: Proposal) -> bool:
    """The same rule as the detail page (selectors.proposal_detail)."""
    return any(r.pk == reply.pk for r in selectors.proposal_detail(user=user, proposal=proposal)["replies"])


def _reply_response(reply: Reply) -> Response:
    reply = Reply.objects.select_related("assignment__department", "signed_by").get(pk=reply.pk)
    return Response(s.ReplySerializer(reply).data)


# --- replies ---------------------------------------------------------------------------------------------
class ReplyViewSet(ServiceAPIMixin, viewsets.GenericViewSet):
    """答复函：单位领导签发、提案委督办审核。"""

    queryset = Reply.objects.none()
    serializer_class = s.ReplySerializer

    def get_object(self) -> Reply:
        reply = Reply.objects.select_related("assignment__proposal", "assignment__department").filter(pk=self._pk()).first()
        if reply is None:
            raise Http404
        proposal = self._visible_proposal(reply.assignment.proposal_id)
        if not _reply_visible(self.request.user, reply, proposal):
            raise Http404
        return reply

    @extend_schema(summary="答复函详情", parameters=[ID_PARAM], responses=responses(s.ReplySerializer))
    def retrieve(self, request, pk=None):
        return _reply_response(self.get_object())

    @extend_schema(summary="签发或退回修改（单位领导）", parameters=[ID_PARAM], request=s.SignOffSerializer, responses=responses(s.ReplySerializer))
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="sign-off")
    def sign_off(self, request, pk=None):
        reply = self.get_object()
        data = self._input(s.SignOffSerializer)
        reply = services.reply_sign_off(actor=request.user, reply=reply, **data)
        return _reply_response(reply)

    @extend_schema(summary="督办审核：通过（可更正答复类别）或退回（提案委）", parameters=[ID_PARAM], request=s.ReplyReviewSerializer, responses=responses(s.ReplySerializer))
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        reply = self.get_object()
        data = self._input(s.ReplyReviewSerializer)
        reply = services.reply_review(actor=request.user, reply=reply, **data)
        return _reply_response(reply)


# --- extension requests -----------------------------------------------------------------------------
class ExtensionRequestViewSet(ServiceAPIMixin, viewsets.GenericViewSet):
    """延期申请的审批（提案委）。"""

    queryset = ExtensionRequest.objects.none()
    serializer_class = s.ExtensionRequestSerializer

    def get_object(self) -> ExtensionRequest:
        req = ExtensionRequest.objects.select_related("assignment__proposal", "assignment__department").filter(pk=self._pk()).first()
        if req is None:
            raise Http404
        proposal = self._visible_proposal(req.assignment.proposal_id)
        if not selectors.proposal_detail(user=self.request.user, proposal=proposal)["internal"]:
            raise PermissionDenied(_("延期申请是提案委和承办单位的工作记录，您无权查看。"))
        return req

    @extend_schema(summary="延期申请详情", parameters=[ID_PARAM], responses=responses(s.ExtensionRequestSerializer))
    def retrieve(self, request, pk=None):
        return Response(s.ExtensionRequestSerializer(self.get_object()).data)

    @extend_schema(summary="同意或不同意延期（提案委）", parameters=[ID_PARAM], request=s.ExtensionDecisionSerializer, responses=responses(s.ExtensionRequestSerializer))
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        req = self.get_object()
        data = self._input(s.ExtensionDecisionSerializer)
        req = services.extension_decide(actor=request.user, request=req, approve=data["approve"], note=data["note"])
        return Response(s.ExtensionRequestSerializer(req).data)


# --- the user's tasks and the form options -------------------------------------------------------------
@extend_schema_view(list=extend_schema(summary="当前用户的提案待办（按期限排序）"))
class ProposalTaskViewSet(ServiceAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ProposalTaskSerializer

    def get_queryset(self):
        return selectors.open_tasks_for(user=self.request.user)

    def get_serializer(self, *args, **kwargs):
        if args:
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["current_replies"] = s.current_replies_for(args[0])
        return super().get_serializer(*args, **kwargs)


@extend_schema_view(list=extend_schema(summary="届次"))
class SessionViewSet(ServiceAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.SessionSerializer
    pagination_class = None
    queryset = Session.objects.all()


@extend_schema_view(list=extend_schema(summary="提案类别"))
class CategoryViewSet(ServiceAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CategorySerializer
    pagination_class = None
    queryset = Category.objects.filter(is_active=True)


@extend_schema_view(list=extend_schema(summary="可邀请联名的政协委员"))
class CosignCandidateViewSet(ServiceAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.MemberSerializer

    def get_queryset(self):
        # The member directory is for members choosing co-signers, not for everyone.
        if Role.MEMBER not in user_roles(user=self.request.user):
            raise PermissionDenied(_("只有政协委员可以邀请联名。"))
        return selectors.members_for_cosign(user=self.request.user)


def _labels(scale: str) -> list[dict]:
    return [
        {"code": c.code, "label": c.label, "is_negative": c.is_negative}
        for c in label_choices(scale)
    ]


def _choices(choices) -> list[dict]:
    return [{"code": str(code), "label": str(label)} for code, label in choices]


class ProposalOptionsView(APIView):
    """Options of the proposal forms: reply classes, rating scale, grades, reasons, modes."""

    @extend_schema(summary="提案表单选项", responses=s.ChoicesSerializer)
    def get(self, request):
        data = {
            "reply_class": _labels("reply_class"),
            "proposal_rating": _labels("proposal_rating"),
            "implementation_grade": _labels("implementation_grade"),
            "rejection_reasons": RejectionReason.objects.filter(is_active=True),
            "consultation_modes": _choices(Consultation.Mode.choices),
            "handling_modes": _choices(Proposal.HandlingMode.choices),
            "review_outcomes": _choices([(ReviewOutcome.ACCEPT, _("立案")), (ReviewOutcome.REJECT, _("不予立案")), (ReviewOutcome.MERGE, _("并案")), (ReviewOutcome.FORWARD, _("转意见建议"))]),
            "proposal_kinds": _choices(Proposal.Kind.choices),
            "proposal_statuses": _choices(Proposal.Status.choices),
        }
        return Response(s.ChoicesSerializer(data).data)
