"""REST API of the proposals app under /api/v1/.

Thin views: every object is fetched through the selectors' scope (what the
user may not see does not exist: 404), the serializer checks the shape of
the request, and exactly one service makes the change. The service's
refusals (Django's ValidationError and PermissionDenied) become 400 and 403
in the platform's one error shape through the global exception handler
(workflow/api_support.py); nothing here maps errors.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from workflow.api_support import choice_options, labels, url_pk
from workflow.api_support import ServiceAPIMixin as EngineServiceAPIMixin
from workflow.selectors import user_roles

from . import selectors, services
from . import serializers as s
from .models import Assignment, Category, Consultation, ExtensionRequest, Proposal, RejectionReason, Reply, Session
from .permissions import can_view_supervision
from .roles import Role
from .services import ReviewOutcome

ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def responses(ok, code: int = 200) -> dict:
    """The success answer; the 400/401/403/404 answers (the Error component) are added to
    every operation by workflow.api_support.postprocess_schema."""
    return {code: ok}


class ServiceAPIMixin(EngineServiceAPIMixin):
    """Scoped fetching of the proposals the URL names."""

    def _visible_proposal(self, pk: int) -> Proposal:
        try:
            return selectors.proposal_get_or_deny(user=self.request.user, pk=pk)
        except Proposal.DoesNotExist:
            raise Http404


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
    list=extend_schema(summary="提案列表", description="当前用户可见范围内的提案（委员：本人领衔或联名的；提案委、督查：全部；承办单位：交办给本单位的），可按届次、类别、状态、承办单位、重点、逾期和关键词筛选，分页。", parameters=[s.ProposalListQuerySerializer], responses=responses(s.ProposalSerializer(many=True))),
    retrieve=extend_schema(summary="提案详情", description="提案及其交办、答复函、联名、评价和当前用户在本案的待办。答复函和工作记录只给有权查看的人；委员的联系电话只给办理本案的人。", parameters=[ID_PARAM], responses=responses(s.ProposalDetailSerializer)),
    create=extend_schema(summary="新建提案草稿", description="政协委员保存一份草稿（尚未提交）。草稿只须有案由，其余可以以后补充；提交时才检查类别、情况分析、具体建议、联系人和电话是否齐全（一次列出全部缺项）。有联名委员时类型自动为联名提案。", request=s.ProposalWriteSerializer, responses=responses(s.ProposalDetailSerializer, 201)),
    destroy=extend_schema(summary="删除草稿（仅领衔提案人、仅草稿）", description="草稿从未送出，删除后不能恢复（审计日志保留一条删除记录）。已提交的提案不能删除，审查前可以撤回。", parameters=[ID_PARAM], responses={204: None}),
    partial_update=extend_schema(
        summary="修改草稿（仅领衔提案人、仅草稿）", description="只改给出的字段；提交后不能再改。", parameters=[ID_PARAM],
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
        summary="督办：重点提案和逾期提案（本人可见范围内）", description="与 /proposals/supervision/ 页面同一规则：督查人员、牵头领导、提案委和系统管理员可查看，其他角色 403。", request=None,
        responses=responses(s.ProposalSerializer(many=True)),
    )
    @action(detail=False, methods=["get"], url_path="supervision", url_name="supervision-list")
    def supervision_list(self, request):
        if not can_view_supervision(request.user):
            raise PermissionDenied(_("重点与逾期提案仅供督查人员、牵头领导和提案委查看。"))
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

    def destroy(self, request, pk=None):
        services.proposal_delete_draft(actor=request.user, proposal=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="提交提案（有联名委员时先请其确认，全部答复后自动提交）", description="草稿提交给提案委立案审查，提交时检查内容是否齐全（一次列出全部缺项）。有联名委员时先向他们发出确认邀请；最后一位联名委员答复后提案自动提交提案委，无需再次提交（只有自动提交未成功时，状态为“待提交”，才需再次调用）。", parameters=[ID_PARAM], request=None, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        proposal = services.proposal_submit(actor=request.user, proposal=self.get_object())
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="撤回提案（领衔提案人，审查前）", description="待审查的提案可由领衔提案人撤回，须写明理由；提案委的立案审查任务随之结束，办理到此结束。", parameters=[ID_PARAM], request=s.WithdrawSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.WithdrawSerializer)
        proposal = services.proposal_withdraw(actor=request.user, proposal=proposal, reason=data["reason"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="联名确认或拒绝（受邀委员）", description="受邀的委员确认或拒绝联名。拒绝后该委员不再能看到这份草稿时返回 204。", parameters=[ID_PARAM], request=s.CosignSerializer, responses={200: s.ProposalDetailSerializer, 204: None})
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.CosignSerializer)
        services.cosigner_respond(actor=request.user, proposal=proposal, accept=data["accept"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="立案审查：立案 / 不予立案 / 并案 / 转意见建议（提案委）", description="outcome=accept 可给编号（不填自动编号）；reject 须给不予立案理由（id 或代码）；merge 须给并入的提案 id；forward 须给转交单位 id。", parameters=[ID_PARAM], request=s.ReviewSerializer, responses=responses(s.ProposalDetailSerializer))
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

    @extend_schema(summary="交办：单独办理 / 主办+会办 / 分办（提案委）", description="mode=single 给 lead；lead_co 给 lead 和 co_handlers；separate 给 separate（多个单位分别答复）。可同时设为重点提案并指定牵头领导（用户 id，见 /users/?role=key_leader）和督办单位。", parameters=[ID_PARAM], request=s.AssignSerializer, responses=responses(s.ProposalDetailSerializer))
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

    @extend_schema(summary="设为或取消重点提案（牵头领导、督办单位）（提案委）", description="重点提案须指定牵头领导（/users/?role=key_leader 中的用户 id）和督办单位。", parameters=[ID_PARAM], request=s.SupervisionSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def supervision(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.SupervisionSerializer)
        proposal = services.proposal_set_supervision(
            actor=request.user, proposal=proposal, is_key=data["is_key"],
            leading_official=data.get("leading_official"), supervising_unit=data.get("supervising_unit"),
        )
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="信息公开设置（提案委）", description="公开的提案办结后，其答复出现在 /public/proposals/ 和公开页面。", parameters=[ID_PARAM], request=s.PublicSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def public(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.PublicSerializer)
        proposal = services.proposal_set_public(actor=request.user, proposal=proposal, is_public=data["is_public"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="委员评价（提案人、联名委员）", description="对办理过程和结果各给一个评价代码（proposal_rating 量表，见 /proposal-options/）；不满意须写意见。", parameters=[ID_PARAM], request=s.EvaluateSerializer, responses=responses(s.EvaluationSerializer, 201))
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.EvaluateSerializer)
        evaluation = services.proposal_evaluate(actor=request.user, proposal=proposal, **data)
        return Response(s.EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="办结并评定落实情况（提案委）", description="全部评价完成（或记录了逾期未评价）后办结，并给出落实情况代码（implementation_grade 量表）。", parameters=[ID_PARAM], request=s.CloseSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.CloseSerializer)
        proposal = services.proposal_close(actor=request.user, proposal=proposal, **data)
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="委员不满意时退回重办（提案委）", description="委员不满意时，提案委退回承办单位重新办理（新一轮答复）。", parameters=[ID_PARAM], request=s.NoteSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"])
    def rehandle(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.NoteSerializer)
        proposal = services.proposal_rehandle(actor=request.user, proposal=proposal, note=data["note"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="委员逾期未评价：记录情况后可办结（提案委）", description="委员超过评价期限未评价时，提案委记录情况后即可办结。", parameters=[ID_PARAM], request=s.NoteSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"], url_path="waive-evaluation", url_name="waive-evaluation")
    def waive_evaluation(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.NoteSerializer)
        proposal = services.proposal_waive_evaluation(actor=request.user, proposal=proposal, note=data["note"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="撤回未答复的联名邀请（领衔提案人）", description="领衔提案人撤回尚未答复的联名邀请，之后可直接提交。", parameters=[ID_PARAM], request=s.WithdrawCosignerSerializer, responses=responses(s.ProposalDetailSerializer))
    @action(detail=True, methods=["post"], url_path="withdraw-cosigner", url_name="withdraw-cosigner")
    def withdraw_cosigner(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(s.WithdrawCosignerSerializer)
        services.cosigner_withdraw(actor=request.user, proposal=proposal, member=data["member"])
        return _proposal_detail_response(request, proposal)

    @extend_schema(summary="办理过程（事件与修改记录）", description="事件日志与修改记录合并，按时间先后。不分页：一个案件的记录有限。办理单位以外的人看不到工作记录。", parameters=[ID_PARAM], request=None, responses=responses(s.TimelineEntrySerializer(many=True)))
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request, pk=None):
        proposal = self.get_object()
        # The selector leaves the working papers out for people outside the case's office and departments.
        entries = selectors.proposal_detail(user=request.user, proposal=proposal)["timeline"]
        return Response(s.TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(summary="当前用户在本提案的待办", description="当前用户在本案（并案时为并入的提案）未办的任务，带完成任务的接口路径。不分页。", parameters=[ID_PARAM], request=None, responses=responses(s.ProposalTaskSerializer(many=True)))
    @action(detail=True, methods=["get"], pagination_class=None)
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

    @extend_schema(summary="交办详情", description="一个单位承办的部分：签收、调整申请、协商记录、会办意见和延期申请。", parameters=[ID_PARAM], responses=responses(s.AssignmentSerializer))
    def retrieve(self, request, pk=None):
        return self._assignment_response(self.get_object())

    @extend_schema(summary="签收（承办人员）", description="承办单位的承办人员签收交办的提案，开始计算答复期限。", parameters=[ID_PARAM], request=None, responses=responses(s.AssignmentSerializer))
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        assignment = services.assignment_sign(actor=request.user, assignment=self.get_object())
        return self._assignment_response(assignment)

    @extend_schema(summary="申请调整承办单位（承办人员，交办后限期内）", description="交办后的调整期限内，承办人员说明理由申请改由其他单位办理。", parameters=[ID_PARAM], request=s.ReassignRequestSerializer, responses=responses(s.AssignmentSerializer))
    @action(detail=True, methods=["post"], url_path="reassign-request", url_name="reassign-request")
    def reassign_request(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.ReassignRequestSerializer)
        assignment = services.assignment_request_reassign(actor=request.user, assignment=assignment, reason=data["reason"])
        return self._assignment_response(assignment)

    @extend_schema(summary="审批调整申请（提案委）", description="同意时可指定新的承办单位；不同意时原单位继续办理。", parameters=[ID_PARAM], request=s.ReassignDecisionSerializer, responses=responses(s.AssignmentSerializer))
    @action(detail=True, methods=["post"], url_path="reassign-decision", url_name="reassign-decision")
    def reassign_decision(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.ReassignDecisionSerializer)
        assignment = services.assignment_decide_reassign(
            actor=request.user, assignment=assignment, approve=data["approve"], new_department=data.get("new_department"), note=data["note"],
        )
        return self._assignment_response(assignment)

    @extend_schema(summary="记录办理协商（承办人员）", description="记录与委员的沟通协商（日期、方式、参加人员）。", parameters=[ID_PARAM], request=s.ConsultationWriteSerializer, responses=responses(s.ConsultationSerializer, 201))
    @action(detail=True, methods=["post"])
    def consultation(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.ConsultationWriteSerializer)
        consultation = services.consultation_record(actor=request.user, assignment=assignment, **data)
        return Response(s.ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="送会办意见（会办单位承办人员）", description="会办单位把意见送主办单位，由主办单位统一答复。", parameters=[ID_PARAM], request=s.OpinionSerializer, responses=responses(s.AssignmentSerializer))
    @action(detail=True, methods=["post"])
    def opinion(self, request, pk=None):
        assignment = self.get_object()
        data = self._input(s.OpinionSerializer)
        assignment = services.assignment_send_opinion(actor=request.user, assignment=assignment, opinion=data["opinion"])
        return self._assignment_response(assignment)

    @extend_schema(methods=["GET"], summary="本轮答复函", description="本单位本轮的答复函（当前用户有权查看时）。", parameters=[ID_PARAM], request=None, responses=responses(s.ReplySerializer))
    @extend_schema(methods=["PUT", "POST"], summary="撰写或修改本轮答复函（承办人员）", description="保存草稿；答复类别用 reply_class 量表的代码（见 /proposal-options/）。PUT 与 POST 相同。", parameters=[ID_PARAM], request=s.ReplyDraftSerializer, responses=responses(s.ReplySerializer))
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

    @extend_schema(summary="提交答复函待单位领导签发（承办人员）", description="答复函交单位领导签发。", parameters=[ID_PARAM], request=None, responses=responses(s.ReplySerializer))
    @action(detail=True, methods=["post"], url_path="reply/submit", url_name="reply-submit")
    def reply_submit(self, request, pk=None):
        reply = services.reply_submit(actor=request.user, assignment=self.get_object())
        return _reply_response(reply)

    @extend_schema(summary="申请延期答复（承办人员，期限届满前）", description="答复期限届满前申请延期，由提案委审批。", parameters=[ID_PARAM], request=s.ExtensionRequestWriteSerializer, responses=responses(s.ExtensionRequestSerializer, 201))
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

    @extend_schema(summary="答复函详情", description="答复函正文、类别、签发和审核情况（当前用户有权查看时）。", parameters=[ID_PARAM], responses=responses(s.ReplySerializer))
    def retrieve(self, request, pk=None):
        return _reply_response(self.get_object())

    @extend_schema(summary="签发或退回修改（单位领导）", description="单位领导签发（可给发文字号，不填自动编号）或退回承办人员修改。", parameters=[ID_PARAM], request=s.SignOffSerializer, responses=responses(s.ReplySerializer))
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="sign-off")
    def sign_off(self, request, pk=None):
        reply = self.get_object()
        data = self._input(s.SignOffSerializer)
        reply = services.reply_sign_off(actor=request.user, reply=reply, **data)
        return _reply_response(reply)

    @extend_schema(summary="督办审核：通过（可更正答复类别）或退回（提案委）", description="提案委审核答复函：通过（可更正答复类别）或退回修改。", parameters=[ID_PARAM], request=s.ReplyReviewSerializer, responses=responses(s.ReplySerializer))
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

    @extend_schema(summary="延期申请详情", description="延期申请是提案委和承办单位的工作记录，其他人 403。", parameters=[ID_PARAM], responses=responses(s.ExtensionRequestSerializer))
    def retrieve(self, request, pk=None):
        return Response(s.ExtensionRequestSerializer(self.get_object()).data)

    @extend_schema(summary="同意或不同意延期（提案委）", description="同意时答复期限延至申请的日期。", parameters=[ID_PARAM], request=s.ExtensionDecisionSerializer, responses=responses(s.ExtensionRequestSerializer))
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        req = self.get_object()
        data = self._input(s.ExtensionDecisionSerializer)
        req = services.extension_decide(actor=request.user, request=req, approve=data["approve"], note=data["note"])
        return Response(s.ExtensionRequestSerializer(req).data)


# --- the user's tasks and the form options -------------------------------------------------------------
@extend_schema_view(list=extend_schema(summary="当前用户的提案待办（按期限排序）", description="当前用户所有提案待办（个人的和本单位本角色的），每条带完成它的接口路径（action，相对 /api/v1/），分页。"))
class ProposalTaskViewSet(ServiceAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ProposalTaskSerializer

    def get_queryset(self):
        return selectors.open_tasks_for(user=self.request.user)

    def get_serializer(self, *args, **kwargs):
        if args:
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["current_replies"] = s.current_replies_for(args[0])
        return super().get_serializer(*args, **kwargs)


@extend_schema_view(list=extend_schema(summary="届次", description="全部届次，不分页。"))
class SessionViewSet(ServiceAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.SessionSerializer
    pagination_class = None
    queryset = Session.objects.all()


@extend_schema_view(list=extend_schema(summary="提案类别", description="启用的提案类别，不分页。"))
class CategoryViewSet(ServiceAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CategorySerializer
    pagination_class = None
    queryset = Category.objects.filter(is_active=True)


@extend_schema_view(list=extend_schema(summary="可邀请联名的政协委员", description="仅政协委员可查看（其他角色 403），分页。也可用 /users/?role=member。"))
class CosignCandidateViewSet(ServiceAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.MemberSerializer

    def get_queryset(self):
        # The member directory is for members choosing co-signers, not for everyone.
        if Role.MEMBER not in user_roles(user=self.request.user):
            raise PermissionDenied(_("只有政协委员可以邀请联名。"))
        return selectors.members_for_cosign(user=self.request.user)


class ProposalOptionsView(APIView):
    """Options of the proposal forms: reply classes, rating scale, grades, reasons, modes."""

    @extend_schema(summary="提案表单选项", description="答复类别、评价、落实情况（管理员维护的代码表）、不予立案理由和各种方式、类型、状态的代码与文字（当前语言）。", responses=s.ChoicesSerializer)
    def get(self, request):
        data = {
            "reply_class": labels("reply_class"),
            "proposal_rating": labels("proposal_rating"),
            "implementation_grade": labels("implementation_grade"),
            "rejection_reasons": RejectionReason.objects.filter(is_active=True),
            "consultation_modes": choice_options(Consultation.Mode.choices),
            "handling_modes": choice_options(Proposal.HandlingMode.choices),
            "review_outcomes": choice_options([(ReviewOutcome.ACCEPT, _("立案")), (ReviewOutcome.REJECT, _("不予立案")), (ReviewOutcome.MERGE, _("并案")), (ReviewOutcome.FORWARD, _("转意见建议"))]),
            "proposal_kinds": choice_options(Proposal.Kind.choices),
            "proposal_statuses": choice_options(Proposal.Status.choices),
        }
        return Response(s.ChoicesSerializer(data).data)


# --- public (no account) ---------------------------------------------------------------------------------
class PublicProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Public proposals (信息公开) and their published replies: what /proposals/public/ shows, for anyone."""

    authentication_classes: list = []  # anonymous by design: a stale token must not turn this into a 401
    permission_classes = [permissions.AllowAny]
    serializer_class = s.PublicProposalSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.public_proposals()

    def get_object(self) -> Proposal:
        proposal = self.get_queryset().filter(pk=url_pk(self.kwargs.get("pk"))).first()
        if proposal is None:
            raise Http404
        return proposal

    @extend_schema(
        summary="公开的提案答复（无需登录）",
        description="已办结且公开的政协提案及其已公开的答复函，与 /proposals/public/ 页面相同：不含提案人、联系人和电话，"
                    "也不含办理中的工作记录。分页，按届次年份倒序、编号顺序。",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="一件公开的提案及其答复（无需登录）", description="不公开或未办结的提案 404。", parameters=[ID_PARAM])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
