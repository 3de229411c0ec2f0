"""Serializers of the complaints API.

Input serializers check the shape of a request (ids → objects the user may
refer to, choices, types, column lengths); the services do every domain
check and refuse with their own messages. Output serializers only read what
the selectors loaded, so a list costs a fixed number of queries.

The citizen's personal data (name, phone, ID number, e-mail, address) is
only ever written from `selectors.complaint_contact` (masked for everyone
but the hotline), never from the model's fields directly.
"""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workflow import registry
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
    queryable_text,
)
from workflow.models import Department

from . import selectors
from .models import (
    TEXT_MAX,
    Appeal,
    Attachment,
    Category,
    Channel,
    Complaint,
    ComplaintExtension,
    ComplaintRating,
    ComplaintReply,
    ComplaintTask,
    Dispatch,
    HandlingNote,
    Kind,
    NotAcceptedReason,
    Suspension,
)
from .services import INDICATOR_SCALE, RATING_SCALE

def indicators() -> dict[str, str]:
    """The 好差评 indicators (分项评价): code -> label, rows of the haocha_indicator scale."""
    from workflow.web import label_map

    return label_map(INDICATOR_SCALE)

STAFF_CHANNELS = [(c.value, c.label) for c in (Channel.HOTLINE, Channel.WINDOW, Channel.REVIEW)]


class TriageOutcome:
    DISPATCH, NOT_ACCEPT, MERGE, SPLIT = "dispatch", "not_accept", "merge", "split"
    CHOICES = [(DISPATCH, _("派单")), (NOT_ACCEPT, _("不予受理")), (MERGE, _("并案")), (SPLIT, _("拆分"))]


# --- small references ------------------------------------------------------------------------------
class ComplaintRefSerializer(Serializer):
    """{id, name} of a related object (a department, a person, a complaint)."""

    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return str(obj)


class ComplaintCategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "description", "questions", "answer_template"]


class NotAcceptedReasonSerializer(ModelSerializer):
    class Meta:
        model = NotAcceptedReason
        fields = ["id", "code", "text", "redirect_to"]


class ComplaintOptionsSerializer(Serializer):
    """The options of the complaint forms (the scales and reasons are rules as data)."""

    kinds = LabelSerializer(many=True)
    channels = LabelSerializer(many=True)
    staff_channels = LabelSerializer(many=True, help_text=_("工作人员登记时可选的渠道"))
    statuses = LabelSerializer(many=True)
    triage_outcomes = LabelSerializer(many=True)
    haocha_rating = LabelSerializer(many=True, help_text=_("好差评五级评价（后两级为差评）"))
    indicators = LabelSerializer(many=True, help_text=_("分项评价的项目"))
    note_kinds = LabelSerializer(many=True)
    contact_modes = LabelSerializer(many=True)
    not_accepted_reasons = NotAcceptedReasonSerializer(many=True)
    departments = ComplaintRefSerializer(many=True, help_text=_("可派单的单位（启用且有承办人员）"))


# --- output: the parts of a complaint -----------------------------------------------------------------
class ComplaintDispatchSerializer(ModelSerializer):
    complaint = ComplaintRefSerializer()
    department = ComplaintRefSerializer()
    dispatched_by = ComplaintRefSerializer(allow_null=True)
    role_display = ChoiceLabel("role")
    status_display = ChoiceLabel("status")

    class Meta:
        model = Dispatch
        fields = [
            "id", "complaint", "department", "role", "role_display", "status", "status_display", "dispatched_by", "dispatched_at",
            "sign_due", "return_due", "signed_at", "returned_at", "return_reason", "return_improper", "opinion", "suggested_rule",
        ]


class ComplaintReplySerializer(ModelSerializer):
    written_by = ComplaintRefSerializer()
    signed_by = ComplaintRefSerializer(allow_null=True)
    reviewed_by = ComplaintRefSerializer(allow_null=True)
    status_display = ChoiceLabel("status")

    class Meta:
        model = ComplaintReply
        fields = [
            "id", "round", "body", "findings", "status", "status_display", "written_by", "written_at", "signed_by", "signed_at",
            "sign_off_note", "reviewed_by", "reviewed_at", "review_note",
        ]


class ComplaintAppealSerializer(ModelSerializer):
    complaint = ComplaintRefSerializer()
    department = ComplaintRefSerializer()
    filed_by = ComplaintRefSerializer()
    decided_by = ComplaintRefSerializer(allow_null=True)
    status_display = ChoiceLabel("status")

    class Meta:
        model = Appeal
        fields = [
            "id", "complaint", "rating", "department", "reason", "filed_by", "filed_at", "status", "status_display", "facts_true",
            "review_reasonable", "malicious", "decided_by", "decided_at", "decision_note",
        ]


class ComplaintRatingSerializer(ModelSerializer):
    rating = LabelCodeField(RATING_SCALE, read_only=True, help_text=_("评价代码"))
    indicators = serializers.DictField(child=serializers.CharField(), help_text=_("分项评价 {项目: 评价代码}"))
    source_display = ChoiceLabel("source")
    recorded_by = ComplaintRefSerializer(allow_null=True)
    appeals = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintRating
        fields = [
            "id", "complaint", "round", "is_followup", "rating", "indicators", "comment", "source", "source_display", "recorded_by",
            "is_bad", "excluded", "created_at", "appeals",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), help_text="对此评价的申诉 id"))
    def get_appeals(self, rating) -> list[int]:
        # prefetched by selectors.complaint_detail
        return [a.pk for a in rating.appeals.all()]


class HandlingNoteSerializer(ModelSerializer):
    department = ComplaintRefSerializer(allow_null=True)
    author = ComplaintRefSerializer()
    kind_display = ChoiceLabel("kind")
    mode_display = ChoiceLabel("mode")

    class Meta:
        model = HandlingNote
        fields = ["id", "kind", "kind_display", "mode", "mode_display", "contacted_at", "text", "department", "author", "created_at"]


class ComplaintAttachmentSerializer(ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("下载地址（工作人员页面，需登录）"))

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "is_public", "created_at", "url"]

    def get_url(self, attachment) -> str:
        return reverse("complaints:attachment", args=[attachment.pk])


class ComplaintExtensionSerializer(ModelSerializer):
    complaint = ComplaintRefSerializer()
    department = ComplaintRefSerializer()
    requested_by = ComplaintRefSerializer()
    decided_by = ComplaintRefSerializer(allow_null=True)
    status_display = ChoiceLabel("status")

    class Meta:
        model = ComplaintExtension
        fields = [
            "id", "complaint", "department", "requested_until", "reason", "status", "status_display", "requested_by",
            "requested_at", "decided_by", "decided_at", "decision_note",
        ]


class SuspensionSerializer(ModelSerializer):
    complaint = ComplaintRefSerializer()
    department = ComplaintRefSerializer()
    requested_by = ComplaintRefSerializer()
    decided_by = ComplaintRefSerializer(allow_null=True)
    ended_by = ComplaintRefSerializer(allow_null=True)
    status_display = ChoiceLabel("status")

    class Meta:
        model = Suspension
        fields = [
            "id", "complaint", "department", "reason", "status", "status_display", "requested_by", "requested_at", "decided_by",
            "decided_at", "decision_note", "started_at", "ended_at", "ended_by",
        ]


class ContactSerializer(Serializer):
    """The citizen's details as the requesting user may see them (selectors.complaint_contact)."""

    citizen_name = serializers.CharField()
    citizen_phone = serializers.CharField()
    citizen_id_number = serializers.CharField()
    citizen_email = serializers.CharField()
    citizen_address = serializers.CharField()
    masked = serializers.BooleanField(help_text=_("true：已遮挡（所有工作人员均如此），完整信息须调用 reveal-contact（留痕）"))


class RevealedContactSerializer(Serializer):
    citizen_name = serializers.CharField()
    citizen_phone = serializers.CharField()
    citizen_id_number = serializers.CharField()
    citizen_email = serializers.CharField()
    citizen_address = serializers.CharField()


class ComplaintTaskSerializer(ModelSerializer):
    """An open complaint task of the requesting user, with the API path that completes it."""

    complaint = serializers.IntegerField(source="complaint_id")
    complaint_number = serializers.CharField(source="complaint.number")
    complaint_title = serializers.CharField(source="complaint.safe_title", help_text=_("工单标题（其中的个人信息已脱敏）"))
    node = serializers.SerializerMethodField(help_text=_("流程节点的代码（如 triage、sign），不随语言变化"))
    title = serializers.SerializerMethodField(help_text=_("环节名称（当前语言），取自流程节点的标题"))
    role = serializers.ChoiceField(choices=registry.role_choices(), allow_blank=True, read_only=True, help_text=_("可办理此任务的角色（指派给个人时为空）"))
    department = ComplaintRefSerializer(allow_null=True)
    dispatch = serializers.SerializerMethodField(help_text=_("任务所涉及的派单 id（签收、退单审核、协办意见）"))
    action = serializers.SerializerMethodField(help_text=_("完成此任务的接口（相对 /api/v1/）"))

    class Meta:
        model = ComplaintTask
        fields = ["id", "complaint", "complaint_number", "complaint_title", "node", "title", "status", "role", "department", "deadline", "created", "dispatch", "action"]

    def get_node(self, task) -> str:
        return task.flow_task.name

    def get_title(self, task) -> str:
        return str(task.flow_task.task_title or task.flow_task)

    def get_dispatch(self, task) -> int | None:
        return (task.data or {}).get("dispatch_id")

    def get_action(self, task) -> str | None:
        """The API action the flow node declares (complaints/flows.py), for this task's object."""
        step = getattr(task.flow_task, "step", None)
        if step is None:
            return None
        obj = task.complaint_id if step.action_object == "case" else (task.data or {}).get(step.action_object)
        if obj is None:
            return None
        try:
            return reverse(step.api_action, args=[obj]).removeprefix("/api/v1/")
        except NoReverseMatch:
            return None


class TimelineEventSerializer(Serializer):
    at = serializers.DateTimeField()
    type = serializers.CharField(help_text=_("事件代码，不随语言变化"))
    text = serializers.CharField(help_text=_("事件名称（当前语言）"))
    actor = serializers.CharField()
    details = serializers.CharField()
    note = serializers.CharField()
    to_state = serializers.CharField(help_text=_("变更后的状态（当前语言），无状态变化时为空"))


class HistoryChangeSerializer(Serializer):
    field = serializers.CharField()
    old = serializers.JSONField()
    new = serializers.JSONField()


class HistoryEntrySerializer(Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    title = serializers.CharField()
    changes = HistoryChangeSerializer(many=True)


# --- output: the complaint ----------------------------------------------------------------------
class ComplaintSerializer(ModelSerializer):
    """A complaint as a list row shows it. The citizen's name and phone come
    from selectors.complaint_contact (masked for department users)."""

    category = ComplaintRefSerializer()
    department = ComplaintRefSerializer(allow_null=True)
    kind_display = ChoiceLabel("kind")
    channel_display = ChoiceLabel("channel")
    status_display = ChoiceLabel("status")
    rating = LabelCodeField(RATING_SCALE, read_only=True, help_text=_("最近一次计入统计的评价（未评价为空）"))
    is_suspended = serializers.BooleanField()
    overdue = serializers.SerializerMethodField(help_text=_("已超过派单、办理或整改期限（挂起期间不计）"))
    citizen_name = serializers.SerializerMethodField(help_text=_("群众称呼（热线工作人员看到完整的，其他人看到遮挡后的）"))
    citizen_phone = serializers.SerializerMethodField(help_text=_("群众电话（已遮挡，完整号码须调用 reveal-contact，留痕）"))

    class Meta:
        model = Complaint
        fields = [
            "id", "number", "title", "kind", "kind_display", "channel", "channel_display", "status", "status_display", "category",
            "department", "received_at", "dispatch_due", "dispatched_at", "deadline", "replied_at", "closed_at", "rating",
            "is_suspended", "resolved_on_spot", "handling_round", "followers_count", "overdue", "citizen_name", "citizen_phone",
        ]

    def _contact(self, complaint) -> dict:
        cache = self.context.setdefault("_contacts", {})
        if complaint.pk not in cache:
            cache[complaint.pk] = selectors.complaint_contact(user=self.context["request"].user, complaint=complaint)
        return cache[complaint.pk]

    def get_overdue(self, complaint) -> bool | None:
        return getattr(complaint, "is_overdue", None)

    def get_citizen_name(self, complaint) -> str:
        return self._contact(complaint)["citizen_name"]

    def get_citizen_phone(self, complaint) -> str:
        return self._contact(complaint)["citizen_phone"]


class ComplaintDetailSerializer(ComplaintSerializer):
    """A complaint with everything its case page shows this user (selectors.complaint_detail)."""

    received_by = ComplaintRefSerializer(allow_null=True)
    not_accepted_reason = NotAcceptedReasonSerializer(allow_null=True)
    merged_into = ComplaintRefSerializer(allow_null=True)
    split_from = ComplaintRefSerializer(allow_null=True)
    contact = serializers.SerializerMethodField()
    merged = serializers.SerializerMethodField(help_text=_("并入本件的工单"))
    parts = serializers.SerializerMethodField(help_text=_("本件拆分出的工单"))
    dispatches = serializers.SerializerMethodField()
    replies = serializers.SerializerMethodField()
    ratings = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField(help_text=_("办理记录、联系群众、核实情况、领导批示"))
    attachments = serializers.SerializerMethodField(help_text=_("附件（只有元数据）"))
    extensions = serializers.SerializerMethodField()
    suspensions = serializers.SerializerMethodField()
    my_tasks = serializers.SerializerMethodField(help_text=_("当前用户在本件的待办"))
    timeline = serializers.SerializerMethodField(help_text=_("办理过程（事件），按时间先后"))
    history = serializers.SerializerMethodField(help_text=_("字段修改记录（只给热线工作人员）"))

    class Meta(ComplaintSerializer.Meta):
        fields = ComplaintSerializer.Meta.fields + [
            "description", "hall", "window", "address", "latitude", "longitude", "occurred_at", "answers", "received_by",
            "signed_at", "called_back_at", "rated_at", "rectify_due", "rectified_at", "suspended_since", "suspended_seconds",
            "not_accepted_reason", "merged_into", "split_from", "contact", "merged", "parts", "dispatches", "replies", "ratings",
            "notes", "attachments", "extensions", "suspensions", "my_tasks", "timeline", "history",
        ]

    def _detail(self) -> dict:
        return self.context["detail"]

    def _contact(self, complaint) -> dict:
        return self._detail()["contact"]

    @extend_schema_field(ContactSerializer)
    def get_contact(self, complaint):
        return ContactSerializer(self._detail()["contact"]).data

    @extend_schema_field(ComplaintRefSerializer(many=True))
    def get_merged(self, complaint):
        return ComplaintRefSerializer(self._detail()["merged"], many=True).data

    @extend_schema_field(ComplaintRefSerializer(many=True))
    def get_parts(self, complaint):
        return ComplaintRefSerializer(self._detail()["parts"], many=True).data

    @extend_schema_field(ComplaintDispatchSerializer(many=True))
    def get_dispatches(self, complaint):
        dispatches = self._detail()["dispatches"]
        for d in dispatches:
            d.complaint = complaint
        return ComplaintDispatchSerializer(dispatches, many=True).data

    @extend_schema_field(ComplaintReplySerializer(many=True))
    def get_replies(self, complaint):
        return ComplaintReplySerializer(self._detail()["replies"], many=True).data

    @extend_schema_field(ComplaintRatingSerializer(many=True))
    def get_ratings(self, complaint):
        return ComplaintRatingSerializer(self._detail()["ratings"], many=True).data

    @extend_schema_field(HandlingNoteSerializer(many=True))
    def get_notes(self, complaint):
        return HandlingNoteSerializer(self._detail()["notes"], many=True).data

    @extend_schema_field(ComplaintAttachmentSerializer(many=True))
    def get_attachments(self, complaint):
        return ComplaintAttachmentSerializer(self._detail()["attachments"], many=True).data

    @extend_schema_field(ComplaintExtensionSerializer(many=True))
    def get_extensions(self, complaint):
        items = self._detail()["extensions"]
        for e in items:
            e.complaint = complaint
        return ComplaintExtensionSerializer(items, many=True).data

    @extend_schema_field(SuspensionSerializer(many=True))
    def get_suspensions(self, complaint):
        items = self._detail()["suspensions"]
        for s in items:
            s.complaint = complaint
        return SuspensionSerializer(items, many=True).data

    @extend_schema_field(ComplaintTaskSerializer(many=True))
    def get_my_tasks(self, complaint):
        return ComplaintTaskSerializer(self._detail()["my_tasks"], many=True).data

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, complaint):
        return TimelineEventSerializer(self.context["timeline"][0], many=True).data

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, complaint):
        return HistoryEntrySerializer(self.context["timeline"][1], many=True).data


class StaffIntakeResultSerializer(ComplaintDetailSerializer):
    """The new complaint, with its query code (shown this once; only its hash is stored)."""

    query_code = serializers.SerializerMethodField(help_text=_("查询码（只在此返回一次，请告知群众）"))

    class Meta(ComplaintDetailSerializer.Meta):
        fields = ["query_code"] + ComplaintDetailSerializer.Meta.fields

    def get_query_code(self, complaint) -> str:
        return self.context["query_code"]


class DuplicateSerializer(Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Complaint.Status.choices)
    status_display = serializers.CharField()
    received_at = serializers.DateTimeField()
    reason = serializers.CharField(help_text=_("same_phone（同一电话）或 similar:<相似度>（同一地点且内容相似）"))


class SuggestionsSerializer(Serializer):
    department = ComplaintRefSerializer(allow_null=True, help_text=_("派单规则建议的承办单位（没有规则命中时为空）"))
    rule = serializers.CharField(allow_blank=True, help_text=_("命中的派单规则名称"))
    duplicates = DuplicateSerializer(many=True)


# --- output: the citizen's side (no account) ----------------------------------------------------------
class PublicSubmitResultSerializer(Serializer):
    number = serializers.CharField(help_text=_("工单编号"))
    query_code = serializers.CharField(help_text=_("查询码（只在此返回一次，凭编号和查询码查询进度）"))
    status = serializers.ChoiceField(choices=Complaint.Status.choices)
    expected_dispatch = serializers.DateTimeField(allow_null=True, help_text=_("预计派单时间（派单期限）"))


class PublicComplaintStepSerializer(Serializer):
    at = serializers.DateTimeField()
    type = serializers.CharField(help_text=_("事件代码，不随语言变化"))
    text = serializers.CharField(help_text=_("事件名称（当前语言）"))
    details = serializers.CharField()
    note = serializers.CharField()


class PublicComplaintReplySerializer(Serializer):
    body = serializers.CharField()
    written_at = serializers.DateTimeField()
    round = serializers.IntegerField()


class PublicProgressSerializer(Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = serializers.CharField()
    status = serializers.ChoiceField(choices=Complaint.Status.choices)
    status_display = serializers.CharField()
    received_at = serializers.DateTimeField()
    department = serializers.CharField(allow_blank=True, help_text=_("承办单位（派单后）"))
    merged_into = serializers.CharField(allow_blank=True, help_text=_("并入的工单编号（并案时）"))
    not_accepted_reason = serializers.CharField(allow_blank=True)
    redirect_to = serializers.CharField(allow_blank=True, help_text=_("不予受理时告知的去向"))
    expected = serializers.DateTimeField(allow_null=True, help_text=_("预计答复时间（办理中）"))
    steps = PublicComplaintStepSerializer(many=True)
    reply = PublicComplaintReplySerializer(allow_null=True)


class PublicRateInfoSerializer(Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    purpose = serializers.ChoiceField(choices=[("rate", _("评价")), ("followup", _("整改后评价"))])
    department = serializers.CharField(allow_blank=True)
    reply = PublicComplaintReplySerializer(allow_null=True)
    can_say_not_resolved = serializers.BooleanField(help_text=_("是否还可以反馈“未解决”（答复后规定期限内、评价前）"))
    haocha_rating = LabelSerializer(many=True)
    indicators = LabelSerializer(many=True)


class PublicRateResultSerializer(Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Complaint.Status.choices)
    status_display = serializers.CharField()


# --- input -------------------------------------------------------------------------------------------
def _departments():
    return Department.objects.filter(is_active=True)


class ScopedComplaintField(IdField):
    """A complaint id the requesting user may see (others do not exist for them)."""

    def get_queryset(self):
        return selectors.complaint_list(user=self.context["request"].user)


class NotAcceptedReasonField(RuleRowField):
    """A reason for not accepting, by id or by code."""

    model = NotAcceptedReason
    default_error_messages = {"unknown": _("不予受理理由“%(value)s”不存在。")}


extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "不予受理理由的 id 或代码（见 /complaint-options/）"})(NotAcceptedReasonField)


class IndicatorsField(serializers.DictField):
    """{indicator: rating code}; indicators from the haocha_indicator scale, codes from the haocha_rating scale."""

    def __init__(self, **kwargs):
        super().__init__(child=LabelCodeField(RATING_SCALE, allow_blank=True), **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        allowed = indicators()
        unknown = [k for k in value if k not in allowed]
        if unknown:
            raise serializers.ValidationError(_("未知的分项评价：%(keys)s；可选：%(allowed)s。") % {
                "keys": "、".join(str(k)[:32] for k in unknown), "allowed": "、".join(allowed),
            })
        return value


def _text(model, field, **kwargs):
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("required", False)
    kwargs.setdefault("default", "")
    return serializers.CharField(max_length=model_max_length(model, field), **kwargs)


class ProblemSerializer(Serializer):
    """What the citizen reports (the public form, the hotline, the window). Blank
    required text and the category's extra questions are checked by the service."""

    kind = serializers.ChoiceField(choices=Kind.choices, required=False, default=Kind.COMPLAINT)
    category = IdField(queryset=Category.objects.filter(is_active=True), help_text=_("类别 id（见 /complaint-categories/）"))
    title = serializers.CharField(allow_blank=True, max_length=model_max_length(Complaint, "title"), help_text=_("一句话概括诉求"))
    description = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, help_text=_("事情经过"))
    hall = _text(Complaint, "hall", help_text=_("服务大厅"))
    window = _text(Complaint, "window", help_text=_("窗口"))
    address = _text(Complaint, "address", help_text=_("地址"))
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True, default=None)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True, default=None)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text=_("发生时间"))
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200), required=False, default=dict,
        help_text=_("类别的补充问题的回答 {代码: 回答}（问题见 /complaint-categories/；表单提交时写作 answers.<代码>）"),
    )
    citizen_name = _text(Complaint, "citizen_name", help_text=_("称呼"))
    citizen_phone = _text(Complaint, "citizen_phone", help_text=_("电话（用于短信告知和回访）"))
    citizen_id_number = _text(Complaint, "citizen_id_number", help_text=_("身份证号"))
    citizen_email = _text(Complaint, "citizen_email", help_text=_("电子邮箱"))
    citizen_address = _text(Complaint, "citizen_address", help_text=_("联系地址"))


class OnSpotSerializer(Serializer):
    reply = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, help_text=_("现场处理结果"))
    findings = serializers.CharField(allow_blank=True, required=False, default="", max_length=TEXT_MAX)
    rating = LabelCodeField(RATING_SCALE, help_text=_("群众的现场评价"))
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=TEXT_MAX)


class StaffIntakeSerializer(ProblemSerializer):
    channel = serializers.ChoiceField(choices=STAFF_CHANNELS, help_text=_("hotline 来电、window 窗口、review 差评转办"))
    resolve_on_spot = OnSpotSerializer(required=False, allow_null=True, default=None, help_text=_("现场办结（受理即办结，并录入群众的现场评价）"))


class PublicSubmitSerializer(ProblemSerializer):
    pass


class ComplaintListQuerySerializer(Serializer):
    status = serializers.ChoiceField(choices=Complaint.Status.choices, required=False)
    department = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT, help_text=_("承办单位 id"))
    category = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    overdue = Bool(required=False, allow_null=True, default=None, help_text=_("true：只看已逾期的"))
    rating = serializers.CharField(required=False, allow_blank=True, max_length=32, help_text=_("评价代码（haocha_rating）"))
    suspended = Bool(required=False, allow_null=True, default=None, help_text=_("true：只看挂起中的"))
    bad = Bool(required=False, allow_null=True, default=None, help_text=_("true：只看有计入统计的差评的"))
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=_("编号或标题关键词"))
    received_from = serializers.DateField(required=False, help_text=_("受理日期起（含）"))
    received_to = serializers.DateField(required=False, help_text=_("受理日期止（含）"))

    def _queryable(self, value):
        if value and not queryable_text(value):
            raise serializers.ValidationError(_("包含无法查询的字符。"))
        return value

    validate_q = _queryable
    validate_rating = _queryable


class SplitPartSerializer(Serializer):
    title = serializers.CharField(allow_blank=True, max_length=model_max_length(Complaint, "title"))
    description = serializers.CharField(allow_blank=True, max_length=TEXT_MAX)
    category = IdField(queryset=Category.objects.filter(is_active=True), required=False, allow_null=True, help_text=_("不填则沿用原工单的类别"))


class TriageSerializer(Serializer):
    outcome = serializers.ChoiceField(choices=TriageOutcome.CHOICES)
    department = IdField(queryset=_departments(), required=False, allow_null=True, help_text=_("派单：主办单位 id"))
    co_departments = IdField(queryset=_departments(), many=True, required=False, help_text=_("派单：协办单位 id"))
    reason = NotAcceptedReasonField(required=False, allow_null=True)
    target = ScopedComplaintField(required=False, allow_null=True, help_text=_("并案：并入的工单 id"))
    parts = SplitPartSerializer(many=True, required=False, help_text=_("拆分：至少两件，每件写明标题和内容"))
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=TEXT_MAX)


class ReplyWriteSerializer(Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text=_("答复内容（不超过5000字）"))
    findings = serializers.CharField(allow_blank=True, required=False, default="", help_text=_("核实情况"))


class ApproveSerializer(Serializer):
    approve = Bool(help_text=_("true 同意/通过，false 退回/不同意"))
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=TEXT_MAX, help_text=_("意见（退回或不同意时必填）"))


class CallbackSerializer(Serializer):
    rating = LabelCodeField(RATING_SCALE, required=False, allow_blank=True, default="", help_text=_("群众的评价（代码或文字，如 satisfied / 满意）"))
    indicators = IndicatorsField(required=False, default=dict, help_text=_("分项评价 {项目: 评价代码}，项目见 /complaint-options/"))
    comment = serializers.CharField(allow_blank=True, required=False, default="", help_text=_("群众的意见；差评、未解决时必填"))
    unreachable = Bool(required=False, default=False, help_text=_("true：未能联系上群众（不评价办结）"))
    not_resolved = Bool(required=False, default=False, help_text=_("true：群众反映未解决（退回承办单位重办，comment 写明原因）"))

    def validate(self, data):
        if data["unreachable"] and data["not_resolved"]:
            raise serializers.ValidationError(_("“未能联系上”和“未解决”只能选一个。"))
        return data


class RectifySerializer(Serializer):
    report = serializers.CharField(allow_blank=True, help_text=_("整改情况"))


class NoteWriteSerializer(Serializer):
    kind = serializers.ChoiceField(
        choices=[(k.value, k.label) for k in (HandlingNote.Kind.NOTE, HandlingNote.Kind.CONTACT, HandlingNote.Kind.FINDING)],
        required=False, default=HandlingNote.Kind.NOTE,
    )
    text = serializers.CharField(allow_blank=True, max_length=TEXT_MAX)
    mode = serializers.ChoiceField(choices=HandlingNote.Mode.choices, required=False, allow_blank=True, default="", help_text=_("联系群众时：联系方式"))
    contacted_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text=_("联系群众时：联系时间"))


class InstructSerializer(Serializer):
    text = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, help_text=_("批示内容"))


class RevealSerializer(Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=500, help_text=_("查看理由（记入办理过程）"))


class ExtensionWriteSerializer(Serializer):
    requested_until = serializers.DateField(help_text=_("申请延至（YYYY-MM-DD）"))
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_MAX)


class ReasonSerializer(Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=TEXT_MAX)


class ResumeSerializer(Serializer):
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=TEXT_MAX)


class ReturnDecisionSerializer(Serializer):
    accept = Bool(help_text=_("true 退单理由成立、改派给 department；false 退单不当，原单位继续办理（note 必填）"))
    department = IdField(queryset=_departments(), required=False, allow_null=True, help_text=_("改派的单位 id"))
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=TEXT_MAX)


class OpinionWriteSerializer(Serializer):
    opinion = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, help_text=_("协办意见"))


class AppealDecisionSerializer(Serializer):
    facts_true = Bool(help_text=_("差评反映的情况是否属实"))
    reasonable = Bool(help_text=_("差评是否合理"))
    malicious = Bool(help_text=_("是否恶意差评"))
    note = serializers.CharField(allow_blank=True, max_length=TEXT_MAX, help_text=_("复核意见"))


class StatusQuerySerializer(Serializer):
    status = serializers.CharField(required=False, allow_blank=True, max_length=16, help_text=_("按状态筛选（如 pending）"))

    def validate_status(self, value):
        if value and not queryable_text(value):
            raise serializers.ValidationError(_("包含无法查询的字符。"))
        return value


class TrackSerializer(Serializer):
    number = serializers.CharField(max_length=64, help_text=_("工单编号，如 TS2026000123"))
    code = serializers.CharField(max_length=64, help_text=_("查询码"))

    def validate(self, data):
        if not (queryable_text(data["number"]) and queryable_text(data["code"])):
            raise serializers.ValidationError(_("包含无法查询的字符。"))
        return data


class PublicRateSerializer(Serializer):
    rating = LabelCodeField(RATING_SCALE, required=False, allow_blank=True, default="", help_text=_("评价（代码或文字，如 satisfied / 满意）"))
    indicators = IndicatorsField(required=False, default=dict)
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=TEXT_MAX, help_text=_("意见；不满意时必填"))
    not_resolved = Bool(required=False, default=False, help_text=_("true：反馈“未解决”（不评价，退回重办；reason 必填）"))
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=TEXT_MAX, help_text=_("哪些问题没有解决"))
