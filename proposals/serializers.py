"""Serializers of the proposals API.

Input serializers check the shape of a request (ids → objects the user may
refer to, choices, types); the services then do every domain check and
refuse with Chinese messages. Output serializers only read what the
selectors loaded, so a list costs a fixed number of queries.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from django.urls import reverse
from rest_framework import serializers

from workflow.api_support import (
    MAX_INT,
    Bool,
    ChoiceLabel,
    IdField,
    LabelCodeField,
    LabelSerializer,
    ModelSerializer,
    RuleRowField,
    Serializer,
    model_max_length,
)
from workflow import registry
from workflow.models import Department, User


from . import selectors
from .models import (
    Assignment,
    Category,
    Consultation,
    Cosigner,
    Evaluation,
    ExtensionRequest,
    Proposal,
    ProposalTask,
    RejectionReason,
    Reply,
    Session,
)
from .services import ReviewOutcome
from .services.review import MAX_PROPOSAL_NUMBER


# --- small references ------------------------------------------------------------------------
class RefSerializer(Serializer):
    """{id, name} of a related object."""

    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return str(obj)


class SessionSerializer(ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "committee", "name", "year", "plenary_start", "plenary_end", "cutoff", "is_current"]


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name"]


class RejectionReasonSerializer(ModelSerializer):
    class Meta:
        model = RejectionReason
        fields = ["id", "code", "text"]


class ChoicesSerializer(Serializer):
    """The options of the proposal forms (rules as data: edited by administrators)."""

    reply_class = LabelSerializer(many=True)
    proposal_rating = LabelSerializer(many=True)
    implementation_grade = LabelSerializer(many=True)
    rejection_reasons = RejectionReasonSerializer(many=True)
    consultation_modes = LabelSerializer(many=True)
    handling_modes = LabelSerializer(many=True)
    review_outcomes = LabelSerializer(many=True)
    proposal_kinds = LabelSerializer(many=True)
    proposal_statuses = LabelSerializer(many=True)


class MemberSerializer(ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, user) -> str:
        return str(user)


# --- output: proposal ------------------------------------------------------------------------
class AssignmentSummarySerializer(ModelSerializer):
    department = RefSerializer()
    role_display = ChoiceLabel("role")
    status_display = ChoiceLabel("status")

    class Meta:
        model = Assignment
        fields = ["id", "department", "role", "role_display", "status", "status_display", "assigned_at", "deadline", "extended"]


class ProposalSerializer(ModelSerializer):
    """A proposal as a list row shows it."""

    session = RefSerializer()
    category = RefSerializer()
    proposer = RefSerializer()
    leading_official = RefSerializer(allow_null=True)
    supervising_unit = RefSerializer(allow_null=True)
    status_display = ChoiceLabel("status")
    kind_display = ChoiceLabel("kind")
    handling_mode_display = ChoiceLabel("handling_mode")
    overdue = serializers.SerializerMethodField(help_text=_("有逾期未办的环节（列表查询时给出）"))
    implementation_grade = LabelCodeField("implementation_grade", read_only=True, help_text=_("落实情况（办结时评定，之前为空）"))
    assignments = AssignmentSummarySerializer(many=True)

    class Meta:
        model = Proposal
        fields = [
            "id", "session", "number", "display_number", "year_number", "title", "analysis", "suggestions", "category",
            "kind", "kind_display", "organisation_name", "status", "status_display", "proposer", "is_key", "leading_official",
            "supervising_unit", "is_public", "handling_mode", "handling_mode_display", "handling_round", "reply_deadline",
            "implementation_grade", "overdue", "created_at", "submitted_at", "assigned_at", "closed_at", "assignments",
        ]

    def get_overdue(self, proposal) -> bool | None:
        return getattr(proposal, "overdue", None)


class ConsultationSerializer(ModelSerializer):
    mode_display = ChoiceLabel("mode")

    class Meta:
        model = Consultation
        fields = ["id", "assignment", "date", "mode", "mode_display", "participants", "note", "created_at"]


class ExtensionRequestSerializer(ModelSerializer):
    status_display = ChoiceLabel("status")

    class Meta:
        model = ExtensionRequest
        fields = [
            "id", "assignment", "reason", "requested_until", "status", "status_display", "requested_at",
            "decided_at", "decision_note",
        ]


class AssignmentSerializer(AssignmentSummarySerializer):
    proposal = serializers.PrimaryKeyRelatedField(read_only=True)
    consultations = ConsultationSerializer(many=True)
    extension_requests = ExtensionRequestSerializer(many=True)

    class Meta:
        model = Assignment
        fields = AssignmentSummarySerializer.Meta.fields + [
            "proposal", "signed_at", "reassign_deadline", "reassign_reason", "reassign_requested_at", "opinion",
            "opinion_sent_at", "consultations", "extension_requests",
        ]


class ReplySerializer(ModelSerializer):
    department = RefSerializer(source="assignment.department")
    status_display = ChoiceLabel("status")
    signed_by = RefSerializer(allow_null=True)
    reply_class = LabelCodeField("reply_class", read_only=True, help_text=_("答复类别"))
    original_class = LabelCodeField("reply_class", read_only=True, help_text=_("督办审核更正前的答复类别（未更正为空）"))

    class Meta:
        model = Reply
        fields = [
            "id", "assignment", "department", "round", "status", "status_display", "reply_class", "original_class", "title",
            "body", "contact_person", "contact_phone", "doc_number", "signed_by", "signed_at", "return_note", "reviewed_at",
            "replied_at", "updated_at",
        ]


class EvaluationSerializer(ModelSerializer):
    rater = RefSerializer()
    process_rating = LabelCodeField("proposal_rating", read_only=True)
    result_rating = LabelCodeField("proposal_rating", read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "proposal", "rater", "round", "process_rating", "result_rating", "comment", "created_at"]


class CosignerSerializer(ModelSerializer):
    member = RefSerializer()
    status_display = ChoiceLabel("status")

    class Meta:
        model = Cosigner
        fields = ["id", "member", "status", "status_display", "responded_at"]


class ProposalTaskSerializer(ModelSerializer):
    """An open task of the requesting user, with the API path that completes it."""

    node = serializers.SerializerMethodField(help_text=_("流程节点的代码（如 sign、review），不随语言变化"))
    title = serializers.SerializerMethodField(help_text=_("环节名称（当前语言），取自流程节点的标题"))
    role = serializers.ChoiceField(choices=registry.role_choices(), allow_blank=True, read_only=True, help_text=_("可办理此任务的角色（指派给个人时为空）"))
    department = RefSerializer(allow_null=True)
    assignment = serializers.SerializerMethodField()
    reply = serializers.SerializerMethodField()
    rated_proposal = serializers.SerializerMethodField()
    action = serializers.SerializerMethodField(help_text=_("完成此任务的接口（相对 /api/v1/）"))

    class Meta:
        model = ProposalTask
        fields = ["id", "proposal", "node", "title", "status", "role", "department", "deadline", "created", "assignment", "reply", "rated_proposal", "action"]

    def get_node(self, task) -> str:
        return task.flow_task.name

    def get_title(self, task) -> str:
        # The node's title (flow.View(...).Annotation(title=_("签收"))), translated now; not the node's name.
        return str(task.flow_task.task_title or task.flow_task)

    def get_assignment(self, task) -> int | None:
        return (task.data or {}).get("assignment_id")

    def get_reply(self, task) -> int | None:
        data = task.data or {}
        if data.get("reply_id"):
            return data["reply_id"]
        current = self.context.get("current_replies", {})
        return current.get((data.get("assignment_id"), task.proposal.handling_round if task.proposal_id else None))

    def get_rated_proposal(self, task) -> int | None:
        return (task.data or {}).get("rated_proposal_id")

    def get_action(self, task) -> str | None:
        """The API action the flow node declares (workflow.flow.runtime.human), for this task's object."""
        step = getattr(task.flow_task, "step", None)
        if step is None:
            return None
        objects = {
            "case": task.proposal_id, "assignment_id": self.get_assignment(task), "reply_id": self.get_reply(task),
            "rated_proposal_id": self.get_rated_proposal(task),
        }
        obj = objects.get(step.action_object)
        if obj is None:
            return None
        return reverse(step.api_action, args=[obj]).removeprefix("/api/v1/")


def current_replies_for(tasks) -> dict:
    """(assignment id, round) → reply id for the tasks' assignments, in one query."""
    ids = {(t.data or {}).get("assignment_id") for t in tasks} - {None}
    if not ids:
        return {}
    return {(a, r): pk for pk, a, r in Reply.objects.filter(assignment_id__in=ids).values_list("pk", "assignment_id", "round")}


class ProposalDetailSerializer(ProposalSerializer):
    """A proposal with everything its detail page shows (replies only those the user may see)."""

    rejection_reason = RejectionReasonSerializer(allow_null=True)
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    forwarded_to = RefSerializer(allow_null=True)
    case = serializers.SerializerMethodField(help_text=_("实际办理的提案（并案时为并入的提案）"))
    assignments = serializers.SerializerMethodField()
    replies = serializers.SerializerMethodField()
    cosigners = serializers.SerializerMethodField()
    evaluations = serializers.SerializerMethodField()
    merged = serializers.SerializerMethodField(help_text=_("并入本案的提案"))
    my_tasks = serializers.SerializerMethodField(help_text=_("当前用户在本案的待办"))

    class Meta(ProposalSerializer.Meta):
        fields = ProposalSerializer.Meta.fields + [
            "contact_name", "contact_phone", "between_sessions", "reviewed_at", "review_note", "rejection_reason",
            "merged_into", "forwarded_to", "close_note", "case", "cosigners", "replies", "evaluations", "merged", "my_tasks",
        ]

    def _detail(self) -> dict:
        return self.context["detail"]

    def to_representation(self, proposal):
        data = super().to_representation(proposal)
        if not self._detail().get("private", True):
            # The member's phone is for the people working the case (see selectors.proposal_detail).
            data["contact_name"] = ""
            data["contact_phone"] = ""
        return data

    def get_case(self, proposal) -> int:
        return self._detail()["case"].pk

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, proposal):
        return AssignmentSerializer(self._detail()["assignments"], many=True).data

    @extend_schema_field(ReplySerializer(many=True))
    def get_replies(self, proposal):
        return ReplySerializer(self._detail()["replies"], many=True).data

    @extend_schema_field(CosignerSerializer(many=True))
    def get_cosigners(self, proposal):
        return CosignerSerializer(self._detail()["cosigners"], many=True).data

    @extend_schema_field(EvaluationSerializer(many=True))
    def get_evaluations(self, proposal):
        return EvaluationSerializer(self._detail()["evaluations"], many=True).data

    @extend_schema_field(RefSerializer(many=True))
    def get_merged(self, proposal):
        return [{"id": p.pk, "name": str(p)} for p in self._detail()["merged"]]

    @extend_schema_field(ProposalTaskSerializer(many=True))
    def get_my_tasks(self, proposal):
        tasks = self._detail()["my_tasks"]
        return ProposalTaskSerializer(tasks, many=True, context={"current_replies": current_replies_for(tasks)}).data


class PublicReplySerializer(Serializer):
    """A published reply, as the public page shows it."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    department = serializers.SerializerMethodField(help_text=_("承办单位"))
    doc_number = serializers.CharField(help_text=_("发文字号"))
    reply_class = LabelCodeField("reply_class", read_only=True, help_text=_("答复类别"))
    replied_at = serializers.DateTimeField()
    body = serializers.CharField(help_text=_("答复正文"))

    def get_department(self, reply) -> str:
        return str(reply.assignment.department)


class PublicProposalSerializer(Serializer):
    """A public proposal (信息公开) as /proposals/public/ shows it: no proposer, no contact, no working papers."""

    id = serializers.IntegerField()
    session = serializers.CharField(source="session.name", help_text=_("届次"))
    year = serializers.IntegerField(source="session.year")
    number = serializers.IntegerField()
    display_number = serializers.CharField()
    title = serializers.CharField(help_text=_("案由"))
    category = serializers.CharField(source="category.name")
    status = serializers.ChoiceField(choices=Proposal.Status.choices, read_only=True)
    status_display = ChoiceLabel("status")
    replies = serializers.SerializerMethodField(help_text=_("已公开的答复（按办理轮次）"))

    @extend_schema_field(PublicReplySerializer(many=True))
    def get_replies(self, proposal):
        # The selector prefetched assignments, their departments and only the published replies.
        replies = []
        for assignment in proposal.assignments.all():
            for reply in assignment.replies.all():
                reply.assignment = assignment
                replies.append(reply)
        return PublicReplySerializer(replies, many=True).data


class TimelineEntrySerializer(Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=[("event", "event"), ("history", "history")])
    title = serializers.CharField()
    actor = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    details = serializers.DictField(child=serializers.JSONField())


# --- input -----------------------------------------------------------------------------------------
@extend_schema_field(OpenApiTypes.INT)
class UserScopedPrimaryKeyField(IdField):
    """A proposal id the requesting user may see (others do not exist for them)."""

    def get_queryset(self):
        return selectors.proposal_queryset(user=self.context["request"].user)


class RejectionReasonField(RuleRowField):
    """A rejection reason by id or by code."""

    model = RejectionReason
    default_error_messages = {"unknown": _("不予立案理由“%(value)s”不存在。")}


extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "不予立案理由的 id 或代码"})(RejectionReasonField)


def _departments():
    return Department.objects.filter(is_active=True)


def _users():
    return User.objects.filter(is_active=True)


class ProposalWriteSerializer(Serializer):
    """A draft proposal (草稿): whatever is filled in, the title at least. Submission checks
    completeness; over-long text is refused by the service with its own messages."""

    session = IdField(queryset=Session.objects.all())
    # title, analysis and suggestions: the service refuses a blank title or over-long text with its own
    # messages ("案由不能超过120个字（现有121个）"), before anything is saved.
    title = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text=_("案由"))
    analysis = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False, help_text=_("情况分析"))
    suggestions = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False, help_text=_("具体建议"))
    category = IdField(queryset=Category.objects.filter(is_active=True), required=False, allow_null=True)
    contact_name = serializers.CharField(allow_blank=True, required=False, max_length=model_max_length(Proposal, "contact_name"))
    contact_phone = serializers.CharField(allow_blank=True, required=False, max_length=model_max_length(Proposal, "contact_phone"))
    kind = serializers.ChoiceField(choices=Proposal.Kind.choices, required=False)
    organisation_name = serializers.CharField(allow_blank=True, required=False, max_length=model_max_length(Proposal, "organisation_name"))
    between_sessions = Bool(required=False)
    cosigners = IdField(queryset=User.objects.all(), many=True, required=False, help_text=_("联名委员的用户 id"))


class CosignSerializer(Serializer):
    accept = Bool(help_text=_("true 确认联名，false 拒绝"))


class ReviewSerializer(Serializer):
    outcome = serializers.ChoiceField(choices=[
        (ReviewOutcome.ACCEPT, _("立案")), (ReviewOutcome.REJECT, _("不予立案")),
        (ReviewOutcome.MERGE, _("并案")), (ReviewOutcome.FORWARD, _("转意见建议")),
    ])
    rejection_reason = RejectionReasonField(required=False, allow_null=True)
    merge_into = UserScopedPrimaryKeyField(required=False, allow_null=True, help_text=_("并入的提案 id"))
    forward_to = IdField(queryset=_departments(), required=False, allow_null=True, help_text=_("转交单位 id"))
    number = serializers.IntegerField(min_value=1, max_value=MAX_PROPOSAL_NUMBER, required=False, allow_null=True, help_text=_("提案编号，不填则自动编号"))
    note = serializers.CharField(allow_blank=True, required=False, default="")


class SupervisionSerializer(Serializer):
    is_key = Bool()
    leading_official = IdField(queryset=_users(), required=False, allow_null=True)
    supervising_unit = IdField(queryset=_departments(), required=False, allow_null=True)


class AssignSerializer(SupervisionSerializer):
    mode = serializers.ChoiceField(choices=Proposal.HandlingMode.choices)
    lead = IdField(queryset=_departments(), required=False, allow_null=True, help_text=_("单独办理或主办单位"))
    co_handlers = IdField(queryset=_departments(), many=True, required=False)
    separate = IdField(queryset=_departments(), many=True, required=False)
    is_key = Bool(required=False, default=False)
    is_public = Bool(required=False, default=True)
    note = serializers.CharField(allow_blank=True, required=False, default="")


class PublicSerializer(Serializer):
    is_public = Bool()


class EvaluateSerializer(Serializer):
    process_rating = LabelCodeField("proposal_rating", help_text=_("对办理过程的评价（代码或文字，如 satisfied / 满意）"))
    result_rating = LabelCodeField("proposal_rating", help_text=_("对办理结果的评价"))
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class CloseSerializer(Serializer):
    implementation_grade = LabelCodeField("implementation_grade", help_text=_("落实情况（A/B/C）"))
    note = serializers.CharField(allow_blank=True, required=False, default="")


class NoteSerializer(Serializer):
    note = serializers.CharField(allow_blank=True, required=False, default="")


class WithdrawSerializer(Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", help_text=_("撤回理由（必填，提案委可见）"))


class WithdrawCosignerSerializer(Serializer):
    member = IdField(queryset=User.objects.all(), help_text=_("尚未答复的联名委员"))


class ReassignRequestSerializer(Serializer):
    reason = serializers.CharField(allow_blank=True, help_text=_("申请调整的理由"))


class ReassignDecisionSerializer(Serializer):
    approve = Bool()
    new_department = IdField(queryset=_departments(), required=False, allow_null=True)
    note = serializers.CharField(allow_blank=True, required=False, default="")


class ConsultationWriteSerializer(Serializer):
    date = serializers.DateField()
    mode = serializers.ChoiceField(choices=Consultation.Mode.choices)
    participants = serializers.CharField(allow_blank=True, max_length=model_max_length(Consultation, "participants"))
    note = serializers.CharField(allow_blank=True, required=False, default="")


class OpinionSerializer(Serializer):
    opinion = serializers.CharField(allow_blank=True, help_text=_("会办意见"))


class ReplyDraftSerializer(Serializer):
    reply_class = LabelCodeField("reply_class", help_text=_("答复类别（A/B/C）"))
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    contact_person = serializers.CharField(allow_blank=True, max_length=model_max_length(Reply, "contact_person"))
    contact_phone = serializers.CharField(allow_blank=True, max_length=model_max_length(Reply, "contact_phone"))
    title = serializers.CharField(allow_blank=True, required=False, default="", max_length=model_max_length(Reply, "title"), help_text=_("不填则用“关于政协…第X号提案的答复”"))


class ExtensionRequestWriteSerializer(Serializer):
    requested_until = serializers.DateField(help_text=_("申请延至（YYYY-MM-DD）"))
    reason = serializers.CharField(allow_blank=True)


class SignOffSerializer(Serializer):
    approve = Bool(help_text=_("true 签发，false 退回修改"))
    note = serializers.CharField(allow_blank=True, required=False, default="")
    doc_number = serializers.CharField(allow_blank=True, required=False, default="", max_length=model_max_length(Reply, "doc_number"), help_text=_("发文字号，不填则按本单位序列自动编号"))


class ReplyReviewSerializer(Serializer):
    passed = Bool()
    note = serializers.CharField(allow_blank=True, required=False, default="")
    reply_class = LabelCodeField("reply_class", allow_blank=True, required=False, default="", help_text=_("更正答复类别（可选）"))


class ExtensionDecisionSerializer(Serializer):
    approve = Bool()
    note = serializers.CharField(allow_blank=True, required=False, default="")


class ProposalListQuerySerializer(Serializer):
    session = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT)
    category = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT)
    status = serializers.ChoiceField(choices=Proposal.Status.choices, required=False)
    department = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT, help_text=_("承办单位 id"))
    is_key = Bool(required=False, allow_null=True, default=None)
    overdue = Bool(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=_("案由关键词或编号"))

