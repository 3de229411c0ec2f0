"""Citizen complaints (投诉, 12345 work orders, 好差评 bad reviews).

The case (Complaint), the departments it is dispatched to (Dispatch), the
reply (ComplaintReply), the citizen's ratings (ComplaintRating), the
department's appeals against a bad review (Appeal), extension and suspension
requests, handling notes, attachments, the one-time links a citizen rates
through, and the rules as data: categories with their extra questions,
routing rules, reasons for not accepting, per-department settings, answer
templates and Open311 API keys. The process runs on the shared engine
(complaints/flows.py); every change goes through complaints/services.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from viewflow.workflow.models import Process

from workflow.fields import BlindIndexField, EncryptedCharField
from workflow.models import CaseTask, Department, ExtensionRequestBase

TITLE_MAX = 120
# The citizen's details stored encrypted (Complaint): masked everywhere, revealed only when audited.
PERSONAL_FIELDS = ("citizen_phone", "citizen_id_number", "citizen_email", "citizen_address")
TEXT_MAX = 5000


class Kind(models.TextChoices):
    """What the citizen asks for; each kind has its own handling limit (rules table, category = kind)."""

    COMPLAINT = "complaint", _("投诉")
    CONSULTATION = "consultation", _("咨询/求助")
    SUGGESTION = "suggestion", _("建议")
    URGENT = "urgent", _("紧急诉求")


class Channel(models.TextChoices):
    WEB = "web", _("网上提交")
    HOTLINE = "hotline", _("12345热线")
    WINDOW = "window", _("服务窗口")
    OPEN311 = "open311", _("接口（Open311）")
    REVIEW = "review", _("差评转办")


class Category(models.Model):
    """A complaint category. `questions` are the extra questions it asks, as data:
    a list of {"code", "label", "required", "type" ("text"|"number"|"choice"), "choices"}."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    questions = models.JSONField(_("补充问题"), default=list, blank=True)
    answer_template = models.TextField(
        _("答复模板"), blank=True,
        help_text=_("可用占位符：{number} 编号，{citizen} 称呼，{department} 承办单位，{date} 日期"),
    )
    ordering = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("投诉类别")
        verbose_name_plural = _("投诉类别")
        ordering = ["ordering", "code"]

    def __str__(self):
        return self.name


class NotAcceptedReason(models.Model):
    """Why a complaint is not accepted, and where the citizen should go instead (rules as data)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    text = models.CharField(_("理由"), max_length=128)
    redirect_to = models.CharField(_("告知去向"), max_length=200, blank=True)
    ordering = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("不予受理理由")
        verbose_name_plural = _("不予受理理由")
        ordering = ["ordering", "code"]

    def __str__(self):
        return self.text


class RoutingRule(models.Model):
    """Suggests the department for a new complaint. Rules are tried by
    priority (lowest first); every condition given must match: category,
    any of the keywords in the text, the area in the place fields."""

    name = models.CharField(_("规则名称"), max_length=64)
    priority = models.PositiveSmallIntegerField(_("优先级"), default=100, help_text=_("数字小的先匹配"))
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("类别"))
    keywords = models.CharField(_("关键词"), max_length=200, blank=True, help_text=_("用空格或逗号分隔，任一出现即匹配"))
    area = models.CharField(_("地点/区域"), max_length=64, blank=True, help_text=_("出现在服务大厅、窗口或地址中即匹配"))
    department = models.ForeignKey(Department, on_delete=models.CASCADE, verbose_name=_("建议承办单位"), related_name="+")
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        ordering = ["priority", "pk"]

    def __str__(self):
        return self.name

    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.replace("，", " ").replace(",", " ").split() if k]


class DepartmentSetting(models.Model):
    """Per-department complaint settings."""

    department = models.OneToOneField(Department, on_delete=models.CASCADE, related_name="complaint_setting", verbose_name=_("单位"))
    requires_sign_off = models.BooleanField(_("答复须领导签发"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位投诉设置")
        verbose_name_plural = _("单位投诉设置")

    def __str__(self):
        return str(self.department)


class Complaint(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("待派单")
        NOT_ACCEPTED = "not_accepted", _("不予受理")
        MERGED = "merged", _("已并案")
        SPLIT = "split", _("已拆分")
        DISPATCHED = "dispatched", _("已派单待签收")
        HANDLING = "handling", _("办理中")
        REVIEWING = "reviewing", _("答复待审核")
        REPLIED = "replied", _("已答复待回访")
        RECTIFYING = "rectifying", _("差评整改中")
        CLOSED = "closed", _("已办结")

    OPEN_STATUSES = (Status.NEW, Status.DISPATCHED, Status.HANDLING, Status.REVIEWING, Status.REPLIED, Status.RECTIFYING)
    ENDED_STATUSES = (Status.NOT_ACCEPTED, Status.MERGED, Status.SPLIT, Status.CLOSED)

    number = models.CharField(_("编号"), max_length=20, unique=True)
    query_code_hash = models.CharField(max_length=64, editable=False)
    kind = models.CharField(_("诉求类型"), max_length=16, choices=Kind.choices, default=Kind.COMPLAINT, db_index=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("类别"), related_name="complaints")
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices, default=Channel.WEB, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True)

    title = models.CharField(_("标题"), max_length=TITLE_MAX)
    description = models.TextField(_("事情经过"), max_length=TEXT_MAX)
    hall = models.CharField(_("服务大厅"), max_length=64, blank=True)
    window = models.CharField(_("窗口"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"), null=True, blank=True)
    answers = models.JSONField(_("补充信息"), default=dict, blank=True)

    # The citizen (personal data: never public; masked for every member of staff, shown whole
    # only through the audited reveal). Phone, ID number, e-mail and contact address are stored
    # SM4-encrypted (workflow/crypto.py); the phone is compared through its blind index.
    citizen_name = models.CharField(_("姓名"), max_length=64, blank=True)
    citizen_phone = EncryptedCharField(_("电话"), max_length=32, blank=True)
    citizen_phone_index = BlindIndexField(source="citizen_phone", kind="phone")
    citizen_id_number = EncryptedCharField(_("身份证号"), max_length=18, blank=True)
    citizen_email = EncryptedCharField(_("电子邮箱"), max_length=254, blank=True)
    citizen_address = EncryptedCharField(_("联系地址"), max_length=200, blank=True)

    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("受理人"))
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now, db_index=True)
    dispatch_due = models.DateTimeField(_("派单期限"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("承办单位"))
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    deadline = models.DateTimeField(_("办理期限"), null=True, blank=True, db_index=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    callback_due = models.DateTimeField(_("回访期限"), null=True, blank=True)
    called_back_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    contact_due = models.DateTimeField(_("差评后联系群众期限"), null=True, blank=True)
    contacted_after_bad_at = models.DateTimeField(_("差评后联系群众时间"), null=True, blank=True)
    rectify_due = models.DateTimeField(_("整改期限"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("整改反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True, db_index=True)
    rating = models.CharField(_("评价"), max_length=32, blank=True, db_index=True, help_text=_("最近一次计入统计的评价"))
    handling_round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)

    suspended_since = models.DateTimeField(_("挂起时间"), null=True, blank=True)
    suspended_seconds = models.PositiveIntegerField(_("累计挂起秒数"), default=0)
    resolved_on_spot = models.BooleanField(_("现场办结"), default=False)
    not_accepted_reason = models.ForeignKey(NotAcceptedReason, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("不予受理理由"))
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged", verbose_name=_("并入"), db_index=False)
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="parts", verbose_name=_("拆分自"), db_index=False)
    follows = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followers", verbose_name=_("关注的已有投诉"), db_index=False)
    open311_token = models.CharField(max_length=40, blank=True, db_index=True)
    followers_count = models.PositiveIntegerField(_("附议人数"), default=0)

    # History keeps no personal data: the encrypted fields (never changed after intake) stay out of it.
    history = HistoricalRecords(excluded_fields=["query_code_hash", *PERSONAL_FIELDS, "citizen_phone_index"])

    class Meta:
        verbose_name = _("投诉工单")
        verbose_name_plural = _("投诉工单")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-received_at"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["category", "-received_at"]),
            models.Index(fields=["citizen_phone_index", "received_at"], name="complaint_phone_recv_idx"),
            # Nearly every complaint has none of these links: a full index is one value (NULL)
            # to SQLite's statistics, which then walks the whole table in list order for
            # "the parts / merged cases / followers of X" (the detail page). Partial indexes
            # hold only the links (docs/scale.md, complaint pages).
            models.Index(fields=["merged_into"], condition=models.Q(merged_into__isnull=False), name="complaint_merged_into_idx"),
            models.Index(fields=["split_from"], condition=models.Q(split_from__isnull=False), name="complaint_split_from_idx"),
            models.Index(fields=["follows"], condition=models.Q(follows__isnull=False), name="complaint_follows_idx"),
            # The overdue filter (selectors.overdue_q): each branch is a status and a date
            # before now; closed cases keep their dates, so the status comes first.
            models.Index(fields=["status", "deadline"], name="complaint_status_deadline_idx"),
            models.Index(fields=["status", "dispatch_due"], name="complaint_status_dispdue_idx"),
            models.Index(fields=["status", "rectify_due"], name="complaint_status_rectdue_idx"),
            # The suspended complaints (few): the dashboard leaves their open tasks out of the
            # open-task counts without joining every open task to its complaint (metrics.py).
            models.Index(fields=["suspended_since"], condition=models.Q(suspended_since__isnull=False), name="complaint_suspended_idx"),
        ]
        permissions = [
            ("dispatch_complaint", _("可派单、审核投诉")),
            ("handle_complaint", _("可办理投诉")),
        ]

    def __str__(self):
        return f"{self.number} {self.safe_title}"

    @property
    def safe_title(self) -> str:
        """The title with any personal data the citizen wrote into it masked: what
        inboxes, notifications and task lists show (they do not know who reads them)."""
        from .redaction import redact

        return redact(self.title, self)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("complaints:detail", args=[self.pk])

    @property
    def waiting_party(self) -> str:
        """Who waits for the handling (the inbox's "who is waiting"), masked: inboxes do not know who reads them."""
        from .redaction import mask_name

        return mask_name(self.citizen_name) or str(_("市民（未留姓名）"))

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_suspended(self) -> bool:
        return self.suspended_since is not None

    def contact_details(self) -> dict:
        """The citizen's contact details, whole (selectors mask them for whoever may not see them)."""
        return {
            "citizen_name": self.citizen_name, "citizen_phone": self.citizen_phone,
            "citizen_id_number": self.citizen_id_number, "citizen_email": self.citizen_email,
            "citizen_address": self.citizen_address,
        }

    def current_reply(self, status: str):
        """The latest reply of the current handling round in `status`, or None."""
        return self.replies.filter(round=self.handling_round, status=status).select_related("written_by").order_by("-pk").first()

    @property
    def place(self) -> str:
        return " ".join(p for p in (self.hall, self.window, self.address) if p)


class Dispatch(models.Model):
    """The complaint as sent to one department (派单): lead or co-handling."""

    class Role(models.TextChoices):
        LEAD = "lead", _("主办")
        CO = "co", _("协办")

    class Status(models.TextChoices):
        DISPATCHED = "dispatched", _("待签收")
        SIGNED = "signed", _("已签收")
        RETURNED = "returned", _("已退单")
        REDIRECTED = "redirected", _("已改派")
        DONE = "done", _("已完成")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="dispatches")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    role = models.CharField(_("承办方式"), max_length=8, choices=Role.choices, default=Role.LEAD)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DISPATCHED)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    dispatched_at = models.DateTimeField(_("派单时间"))
    sign_due = models.DateTimeField(_("签收期限"))
    return_due = models.DateTimeField(_("退单期限"))
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退单时间"), null=True, blank=True)
    return_reason = models.TextField(_("退单理由"), blank=True)
    return_improper = models.BooleanField(_("退单不当"), default=False, help_text=_("派单员认定退单理由不成立，计入该单位"))
    opinion = models.TextField(_("协办意见"), blank=True)
    suggested_rule = models.CharField(_("命中的派单规则"), max_length=64, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("派单")
        verbose_name_plural = _("派单")
        ordering = ["pk"]
        # A department's complaints (complaints.selectors._scope: its dispatches not redirected
        # away) read from the index alone, the complaint included: at 1M complaints the count
        # of a department's 24,000 took 73 ms with the table reads, 49 ms without.
        indexes = [models.Index(fields=["department", "status", "complaint"], name="dispatch_dept_scope_idx")]

    def __str__(self):
        return f"{self.complaint.number} → {self.department}"


class ComplaintReply(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("待签发")
        SIGNED = "signed", _("待审核")
        RETURNED = "returned", _("已退回")
        PASSED = "passed", _("已通过")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="replies")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    body = models.TextField(_("答复内容"), max_length=TEXT_MAX)
    findings = models.TextField(_("核实情况"), max_length=TEXT_MAX, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SIGNED)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("撰写时间"))
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    sign_off_note = models.TextField(_("签发意见"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("投诉答复")
        verbose_name_plural = _("投诉答复")
        ordering = ["round", "pk"]


class ComplaintRating(models.Model):
    """A 好差评 rating on the haocha_rating scale; `excluded` when an appeal was upheld."""

    class Source(models.TextChoices):
        LINK = "link", _("群众通过链接评价")
        CALLBACK = "callback", _("热线回访录入")
        ON_SPOT = "on_spot", _("现场评价")
        OPEN311 = "open311", _("接口评价")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)
    is_followup = models.BooleanField(_("整改后评价"), default=False)
    rating = models.CharField(_("评价"), max_length=32)
    indicators = models.JSONField(_("分项评价"), default=dict, blank=True)
    comment = models.TextField(_("意见"), blank=True, max_length=TEXT_MAX)
    source = models.CharField(_("评价方式"), max_length=16, choices=Source.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人"))
    is_bad = models.BooleanField(_("差评"), default=False)
    excluded = models.BooleanField(_("申诉成立，不计入统计"), default=False)
    created_at = models.DateTimeField(_("评价时间"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["complaint", "round", "is_followup"], name="uniq_complaint_rating")]


class Appeal(models.Model):
    """申诉复核: a department appeals a bad review it thinks mistaken or malicious; a supervisor decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("申诉不成立")

    rating = models.ForeignKey(ComplaintRating, on_delete=models.CASCADE, related_name="appeals")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="appeals")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("申诉理由"), max_length=TEXT_MAX)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    facts_true = models.BooleanField(_("差评反映情况属实"), null=True)
    review_reasonable = models.BooleanField(_("差评合理"), null=True)
    malicious = models.BooleanField(_("恶意差评"), null=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("复核意见"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("差评申诉")
        verbose_name_plural = _("差评申诉")
        ordering = ["-filed_at"]


class ComplaintExtension(ExtensionRequestBase):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="extension_requests")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("投诉延期申请")
        verbose_name_plural = _("投诉延期申请")
        ordering = ["-requested_at"]
        indexes = [
            # The sweep's pending requests (complaints.apps.pending_extension_tasks), every
            # sweep: a few rows, not a walk over every complaint's deadline.
            models.Index(fields=["complaint"], condition=models.Q(status="pending"), name="complaint_ext_pending_idx"),
        ]


class Suspension(models.Model):
    """挂起: the clock stops while the case waits on the citizen or a third party."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        ACTIVE = "active", _("挂起中")
        REFUSED = "refused", _("不同意")
        ENDED = "ended", _("已恢复")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="suspensions")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("挂起理由"), max_length=TEXT_MAX)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("挂起申请")
        verbose_name_plural = _("挂起申请")
        ordering = ["-requested_at"]


class HandlingNote(models.Model):
    """A handling record: a note, a contact with the citizen (time and mode), findings, or a leader's instruction."""

    class Kind(models.TextChoices):
        NOTE = "note", _("办理记录")
        CONTACT = "contact", _("联系群众")
        FINDING = "finding", _("核实情况")
        INSTRUCTION = "instruction", _("领导批示")

    class Mode(models.TextChoices):
        PHONE = "phone", _("电话")
        VISIT = "visit", _("上门")
        ON_SITE = "on_site", _("现场")
        SMS = "sms", _("短信")
        OTHER = "other", _("其他")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notes")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.NOTE)
    mode = models.CharField(_("联系方式"), max_length=16, choices=Mode.choices, blank=True)
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    text = models.TextField(_("内容"), max_length=TEXT_MAX)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["created_at", "pk"]


def attachment_path(instance, filename):
    # Never the citizen's own file name in the path (it may hold personal data).
    return f"complaints/{timezone.now():%Y/%m}/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    note = models.ForeignKey("HandlingNote", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments", help_text=_("承办单位办理记录的附件"))
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(_("文件名"), max_length=128)
    content_type = models.CharField(max_length=64)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_public = models.BooleanField(_("群众提交"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["pk"]


class CitizenLink(models.Model):
    """A one-time link sent to the citizen (to rate, or to rate again after rectification)."""

    class Purpose(models.TextChoices):
        RATE = "rate", _("评价")
        FOLLOWUP = "followup", _("整改后评价")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="links")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    round = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("群众评价链接")
        verbose_name_plural = _("群众评价链接")


class ComplaintCounter(models.Model):
    """The last number issued in a year (TS2026000123)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)


class Open311Key(models.Model):
    """An API key of an Open311 client. Only its SHA-256 is stored; the key is shown once when issued."""

    name = models.CharField(_("客户端名称"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Open311 接口密钥")
        verbose_name_plural = _("Open311 接口密钥")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class ComplaintProcess(Process):
    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="process", null=True)

    class Meta:
        verbose_name = _("投诉流程")
        verbose_name_plural = _("投诉流程")


class ComplaintTask(CaseTask):
    complaint = models.ForeignKey(Complaint, null=True, on_delete=models.CASCADE, related_name="tasks")

    case_field = "complaint"

    class Meta(CaseTask.Meta):
        verbose_name = _("投诉任务")
        verbose_name_plural = _("投诉任务")
        # The engine's indexes, the dashboard's covering one with the complaint too: its open
        # count leaves suspended complaints' tasks out by their complaint (complaints.metrics).
        indexes = [i for i in CaseTask.Meta.indexes if i.name != "%(class)s_open_dept_idx"] + [
            models.Index(fields=["department", "deadline", "is_open", "task_ptr", "complaint"], condition=models.Q(is_open=True),
                         name="complainttask_open_case_idx"),
        ]
