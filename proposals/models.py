"""CPPCC proposals (政协提案): the case, its co-signers, assignments, replies, evaluations."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from viewflow.workflow.models import Process

from workflow.models import CaseTask, Department, EvaluationBase, ExtensionRequestBase

TITLE_MAX = 120
TEXT_MAX = 5000  # 情况分析 / 具体建议 each; guidance is ~800 characters, normally at most 1500 in all


class Session(models.Model):
    """A plenary session (e.g. 六届四次会议); proposals are numbered per session."""

    committee = models.CharField(_("政协组织"), max_length=128)
    name = models.CharField(_("届次"), max_length=64, help_text=_("例如：六届四次会议"))
    year = models.PositiveSmallIntegerField(_("年度"))
    plenary_start = models.DateField(_("大会开幕"), null=True, blank=True)
    plenary_end = models.DateField(_("大会闭幕"), null=True, blank=True)
    cutoff = models.DateField(
        _("截止日期"), null=True, blank=True, help_text=_("此日期后提交的提案计入下一次全会（默认12月5日）")
    )
    is_current = models.BooleanField(_("当前届次"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("届次")
        verbose_name_plural = _("届次")
        ordering = ["-year", "-pk"]
        constraints = [models.UniqueConstraint(fields=["committee", "name"], name="uniq_session_name")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The proposals' copy of the year (Proposal.session_year) follows a correction.
        self.proposals.exclude(session_year=self.year).update(session_year=self.year)


class Category(models.Model):
    name = models.CharField(_("名称"), max_length=64, unique=True)
    ordering = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("提案类别")
        verbose_name_plural = _("提案类别")
        ordering = ["ordering", "name"]

    def __str__(self):
        return self.name


class RejectionReason(models.Model):
    """The national list of reasons for 不予立案 (rules as data)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    text = models.CharField(_("理由"), max_length=128)
    ordering = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("不予立案理由")
        verbose_name_plural = _("不予立案理由")
        ordering = ["ordering"]

    def __str__(self):
        return self.text


class Proposal(models.Model):
    class Kind(models.TextChoices):
        MEMBER = "member", _("委员提案")
        JOINT = "joint", _("联名提案")
        ORGANISATION = "organisation", _("党派团体提案")
        COMMITTEE = "committee", _("专委会提案")
        GROUP = "group", _("界别/小组提案")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        COSIGNING = "cosigning", _("待联名确认")
        READY = "ready", _("待提交")
        SUBMITTED = "submitted", _("待审查")
        REJECTED = "rejected", _("不予立案")
        MERGED = "merged", _("已并案")
        FORWARDED = "forwarded", _("转意见建议")
        ACCEPTED = "accepted", _("已立案待交办")
        HANDLING = "handling", _("办理中")
        REVIEWING = "reviewing", _("督办审核中")
        REPLIED = "replied", _("已答复待评价")
        EVALUATED = "evaluated", _("已评价待办结")
        REHANDLING = "rehandling", _("重办中")
        CLOSED = "closed", _("已办结")
        WITHDRAWN = "withdrawn", _("已撤回")

    class HandlingMode(models.TextChoices):
        SINGLE = "single", _("单独办理")
        LEAD_CO = "lead_co", _("主办+会办")
        SEPARATE = "separate", _("分办")

    OPEN_STATUSES = (Status.HANDLING, Status.REVIEWING, Status.REHANDLING)

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("届次"))
    # The session's year, copied here so every list's order (newest session
    # first, then by number) is one index on this table, not a sort across a
    # join (issue 11). Kept by save() and by Session.save().
    session_year = models.PositiveSmallIntegerField(_("年度"), default=0, editable=False)
    between_sessions = models.BooleanField(_("闭会期间提出"), default=False)
    number = models.PositiveIntegerField(_("编号"), null=True, blank=True)
    kind = models.CharField(_("提案类型"), max_length=16, choices=Kind.choices, default=Kind.MEMBER)
    organisation_name = models.CharField(_("提案单位"), max_length=128, blank=True)
    title = models.CharField(_("案由"), max_length=TITLE_MAX)
    analysis = models.TextField(_("情况分析"))
    suggestions = models.TextField(_("具体建议"))
    # Empty only on a draft: a draft keeps whatever was filled in, submission checks completeness.
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("类别"))
    contact_name = models.CharField(_("联系人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("领衔提案人")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    # review (立案审查)
    reviewed_at = models.DateTimeField(_("审查时间"), null=True, blank=True)
    review_note = models.TextField(_("审查意见"), blank=True)
    rejection_reason = models.ForeignKey(
        RejectionReason, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("不予立案理由")
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged", verbose_name=_("并入提案"),
        db_index=False,  # proposal_merged_into_idx below: only the few merged rows
    )
    forwarded_to = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("转交单位")
    )

    # assignment (交办) and supervision
    handling_mode = models.CharField(_("办理方式"), max_length=16, choices=HandlingMode.choices, blank=True)
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True, db_index=True)
    reply_deadline = models.DateTimeField(_("答复期限"), null=True, blank=True, db_index=True)
    is_key = models.BooleanField(_("重点提案"), default=False, db_index=True)
    leading_official = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="led_proposals",
        verbose_name=_("牵头领导"),
    )
    supervising_unit = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="supervised_proposals",
        verbose_name=_("督办单位"),
    )
    is_public = models.BooleanField(_("信息公开"), default=True)
    handling_round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)

    # closure
    implementation_grade = models.CharField(_("落实情况"), max_length=8, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    close_note = models.TextField(_("办结说明"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("提案")
        verbose_name_plural = _("提案")
        ordering = ["-created_at"]
        permissions = [
            ("review_proposal", _("审查、交办、办结提案")),
            ("handle_proposal", _("承办提案")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="uniq_proposal_number_per_session"),
        ]
        indexes = [
            models.Index(fields=["session", "status"]),
            models.Index(fields=["status", "reply_deadline"]),
            # The lists' order (selectors.LIST_ORDER).
            models.Index(fields=["-session_year", "number", "-created_at"], name="proposal_list_order_idx"),
            # Nearly every proposal has no merge target: a full index's statistics make the
            # planner avoid it (a detail page then read every proposal); this one holds the few.
            models.Index(fields=["merged_into"], condition=models.Q(merged_into__isnull=False), name="proposal_merged_into_idx"),
        ]

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.session_id and (update_fields is None or "session" in update_fields):
            self.session_year = self.session.year
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "session_year"}
        super().save(*args, **kwargs)

    def __str__(self):
        return self.display_number + " " + self.title if self.number else self.title

    def get_absolute_url(self) -> str:
        return f"/proposals/{self.pk}/"

    @property
    def display_number(self) -> str:
        return f"第{self.number}号" if self.number else ""

    @property
    def waiting_party(self) -> str:
        """Who waits for the handling (the inbox's "who is waiting"): the organisation or the lead proposer."""
        return self.organisation_name or str(self.proposer)

    @property
    def year_number(self) -> str:
        return f"{self.session.year}年度第{self.number}号" if self.number else ""


class Cosigner(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        DECLINED = "declined", _("已拒绝")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="cosigners")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cosigned", verbose_name=_("联名委员"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.INVITED)
    responded_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("联名委员")
        verbose_name_plural = _("联名委员")
        constraints = [models.UniqueConstraint(fields=["proposal", "member"], name="uniq_cosigner")]

    def __str__(self):
        return str(self.member)


class Assignment(models.Model):
    """One department's part in handling a proposal (交办)."""

    class Role(models.TextChoices):
        SINGLE = "single", _("单独办理")
        LEAD = "lead", _("主办")
        CO = "co", _("会办")
        SEPARATE = "separate", _("分办")

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("待签收")
        REASSIGN_REQUESTED = "reassign_requested", _("申请调整中")
        SIGNED = "signed", _("办理中")
        OPINION_SENT = "opinion_sent", _("已送会办意见")
        REPLY_SUBMITTED = "reply_submitted", _("答复待签发")
        REPLY_SIGNED = "reply_signed", _("答复已签发")
        DONE = "done", _("已答复")
        REASSIGNED_AWAY = "reassigned_away", _("已调整")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="proposal_assignments", verbose_name=_("承办单位"))
    role = models.CharField(_("承办方式"), max_length=16, choices=Role.choices)
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.ASSIGNED, db_index=True)
    assigned_at = models.DateTimeField(_("交办时间"))
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reassign_deadline = models.DateTimeField(_("申请调整截止"))
    deadline = models.DateTimeField(_("办理期限"), db_index=True, help_text=_("答复期限（会办单位为送会办意见期限）"))
    extended = models.BooleanField(_("已延期"), default=False)
    reassign_reason = models.TextField(_("申请调整理由"), blank=True)
    reassign_requested_at = models.DateTimeField(_("申请调整时间"), null=True, blank=True)
    opinion = models.TextField(_("会办意见"), blank=True)
    opinion_sent_at = models.DateTimeField(_("会办意见送达时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("交办")
        verbose_name_plural = _("交办")
        ordering = ["proposal", "role", "pk"]
        indexes = [
            models.Index(fields=["department", "status"]),
            # The dashboard's live days (proposals.metrics: the days the daily figures do not cover).
            models.Index(fields=["assigned_at"], name="assignment_assigned_at_idx"),
        ]

    def __str__(self):
        return f"{self.proposal.display_number} {self.department} {self.get_role_display()}"

    @property
    def answers(self) -> bool:
        """Lead, single and separate handlers write a reply; co-handlers send an opinion."""
        return self.role != self.Role.CO


class Consultation(models.Model):
    """办理协商 / 面商 with the member."""

    class Mode(models.TextChoices):
        FACE = "face", _("当面协商")
        PHONE = "phone", _("电话沟通")
        MEETING = "meeting", _("座谈会")
        VISIT = "visit", _("实地调研")
        WRITTEN = "written", _("书面沟通")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="consultations")
    date = models.DateField(_("协商日期"))
    mode = models.CharField(_("方式"), max_length=16, choices=Mode.choices)
    participants = models.CharField(_("参加人员"), max_length=255)
    note = models.TextField(_("协商情况"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("办理协商")
        verbose_name_plural = _("办理协商")
        ordering = ["date", "pk"]


class ExtensionRequest(ExtensionRequestBase):
    """An answering department asks the proposal office for a later reply date."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extension_requests")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")


class Reply(models.Model):
    """A reply letter (答复函) from an answering department, per handling round."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待签发")
        SIGNED = "signed", _("已签发待审核")
        RETURNED = "returned", _("退回修改")
        PASSED = "passed", _("审核通过")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="replies")
    round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    reply_class = models.CharField(_("答复类别"), max_length=8)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    contact_person = models.CharField(_("联系人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    doc_number = models.CharField(_("发文字号"), max_length=64, blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    return_note = models.TextField(_("退回意见"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    original_class = models.CharField(_("原答复类别"), max_length=8, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("答复函")
        verbose_name_plural = _("答复函")
        ordering = ["round", "pk"]
        constraints = [models.UniqueConstraint(fields=["assignment", "round"], name="uniq_reply_per_round")]


class Evaluation(EvaluationBase):
    """A proposer's (or co-signer's) rating of a reply, on the proposal_rating
    scale: the handling process and the result."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="evaluations", help_text=_("被评价的提案（并案提案各自评价）"))
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposal_evaluations", verbose_name=_("评价人"))
    process_rating = models.CharField(_("办理过程"), max_length=32)
    result_rating = models.CharField(_("办理结果"), max_length=32)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("委员评价")
        verbose_name_plural = _("委员评价")
        ordering = ["round", "created_at"]
        constraints = [models.UniqueConstraint(fields=["proposal", "rater", "round"], name="uniq_evaluation")]


class ProposalProcess(Process):
    """The viewflow process of a proposal."""

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="process", null=True)

    class Meta:
        verbose_name = _("提案流程")
        verbose_name_plural = _("提案流程")


class ProposalTask(CaseTask):
    """A proposal's task: the engine's case task with its proposal."""

    proposal = models.ForeignKey(Proposal, null=True, on_delete=models.CASCADE, related_name="tasks")

    case_field = "proposal"
    inbox_related = ("proposal__proposer",)  # what waiting_party reads (workflow.inbox)

    class Meta(CaseTask.Meta):
        verbose_name = _("提案任务")
        verbose_name_plural = _("提案任务")
