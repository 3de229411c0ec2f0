"""Documents: number series (发文字号, one counter per department, series and year)
and the generated PDFs (GeneratedDocument)."""
import re

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .organisation import Department

PLACEHOLDERS = ("{prefix}", "{year}", "{number}")


class DocumentSeries(models.Model):
    """A kind of numbered document and how its numbers read (rules as data):
    `{prefix}〔{year}〕{number}号` gives 朝审函〔2019〕28号, the prefix being the
    department's 发文字号前缀. Case apps register their series' defaults;
    administrators edit the format."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    format = models.CharField(
        _("文号格式"), max_length=64, default="{prefix}〔{year}〕{number}号",
        help_text=_("可用 {prefix}（单位发文字号前缀）、{year}（年份）、{number}（序号，必填）"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("文号系列")
        verbose_name_plural = _("文号系列")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        rest = self.format
        for placeholder in PLACEHOLDERS:
            rest = rest.replace(placeholder, "")
        if "{number}" not in self.format or "{" in rest or "}" in rest:
            raise ValidationError({"format": _("文号格式须含 {number}，且只能用 {prefix}、{year}、{number}。")})

    def render(self, *, prefix: str, year: int, number: int) -> str:
        return self.format.replace("{prefix}", prefix).replace("{year}", str(year)).replace("{number}", str(number))

    def pattern(self, *, prefix: str) -> re.Pattern:
        """A typed number of this series: groups `year` (when the format has it) and `number` (no leading zero)."""
        regex = re.escape(self.format)
        for placeholder, group in (("{prefix}", re.escape(prefix)), ("{year}", r"(?P<year>\d{4})"), ("{number}", r"(?P<number>[1-9]\d{0,5})")):
            regex = regex.replace(re.escape(placeholder), group)
        return re.compile(regex)


class DocumentCounter(models.Model):
    """The last number issued in a department's series for a year: 朝审函〔2019〕28号.

    `series` tells apart a department's series (e.g. "letter" for its reply
    letters); every case type numbering documents draws from here."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    series = models.CharField(_("文号系列"), max_length=32, default="letter")
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用到"), default=0)

    class Meta:
        verbose_name = _("发文字号计数")
        verbose_name_plural = _("发文字号计数")
        constraints = [models.UniqueConstraint(fields=["department", "series", "year"], name="uniq_document_counter")]

    def __str__(self):
        return f"{self.department} {self.series} {self.year}: {self.last}"


def generated_document_path(instance: "GeneratedDocument", filename: str) -> str:
    """documents/<kind>/<year>/<model>-<id>-v<version>-<sha8>.pdf under MEDIA_ROOT (never in the repository)."""
    return (
        f"documents/{instance.kind}/{instance.generated_at:%Y}/"
        f"{instance.content_type.model}-{instance.object_id}-v{instance.version}-{instance.sha256[:8]}.pdf"
    )


class GeneratedDocument(models.Model):
    """One rendered version of an official document (a reply letter, a closure
    record, a notice) about a case or one of its records (e.g. a reply).

    A document once issued is never overwritten: a render is a new row with
    the next version number and a file of its own. `source_sha256` is the
    digest of the final HTML the PDF was made from, so "did the data change
    since the last version?" is one comparison; `case_version` and
    `case_changed_at` say which state of the case it came from (the kind's
    registered `version` function, e.g. the reply's history row)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("对象类型"))
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    case = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("文书种类"), max_length=48)
    version = models.PositiveIntegerField(_("版本"))
    file = models.FileField(_("文件"), upload_to=generated_document_path, max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    pages = models.PositiveSmallIntegerField(_("页数"), default=0)
    pdf_variant = models.CharField(_("PDF 版本"), max_length=16, blank=True, help_text=_("pdf/a-3b：归档版（PDF/A-3b）；空：普通 PDF"))
    source_sha256 = models.CharField(_("来源数据摘要"), max_length=64, help_text=_("生成时所用 HTML 的 SHA-256"))
    case_version = models.CharField(_("案件版本"), max_length=64, blank=True)
    case_changed_at = models.DateTimeField(_("案件数据时间"), null=True, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("生成人"),
    )
    generated_at = models.DateTimeField(_("生成时间"), db_index=True)

    class Meta:
        verbose_name = _("已生成文书")
        verbose_name_plural = _("已生成文书")
        ordering = ["content_type", "object_id", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "kind", "version"], name="uniq_generated_document_version"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "kind", "-version"], name="generated_document_latest")]

    def __str__(self):
        return f"{self.kind} {self.content_type.model}#{self.object_id} v{self.version}"


class DocumentNumber(models.Model):
    """The number (发文字号) a document about an object carries when the object
    has no number field of its own (a supervision notice): drawn from the
    issuer's series at the first render, then the same in every version."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("对象类型"))
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    kind = models.CharField(_("文书种类"), max_length=48)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("发文单位"))
    number = models.CharField(_("发文字号"), max_length=64)
    issued_at = models.DateTimeField(_("编号时间"))

    class Meta:
        verbose_name = _("文书编号")
        verbose_name_plural = _("文书编号")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "kind"], name="uniq_document_number_object_kind"),
        ]

    def __str__(self):
        return self.number


def document_batch_path(instance: "DocumentBatch", filename: str) -> str:
    return f"documents/batches/{instance.created_at:%Y}/batch-{instance.pk}-{instance.kind}.zip"


class DocumentBatch(models.Model):
    """Many documents of one kind generated in the background (Celery) and
    packed into one ZIP: e.g. every reply letter of a session. `object_ids`
    are fixed when the batch is made and split into chunks (DocumentBatchChunk),
    each rendered by its own Celery task; `done` counts the documents handled
    so far by all chunks (the progress bar), `failed` those that could not be
    generated (listed in `error`, left out of the ZIP)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    source = models.CharField(_("批量来源"), max_length=48)
    kind = models.CharField(_("文书种类"), max_length=48)
    label = models.CharField(_("名称"), max_length=200)
    object_ids = models.JSONField(_("对象"), default=list)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已生成"), default=0)
    failed = models.PositiveIntegerField(_("生成失败"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(_("错误"), blank=True)
    file = models.FileField(_("压缩包"), upload_to=document_batch_path, max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人"))
    created_at = models.DateTimeField(_("创建时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Set by the one task that packs the ZIP (the last chunk to finish); a packer that
    # died is replaced after workflow.documents.BATCH_STALE_SECONDS.
    packing_at = models.DateTimeField(_("打包开始"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量生成")
        verbose_name_plural = _("批量生成")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.label

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 100


class DocumentBatchChunk(models.Model):
    """A slice of a DocumentBatch (10 documents by default) rendered by one Celery
    task (workflow.document_batch_chunk), so that every worker process works on
    the batch. `done` counts its documents handled so far: a chunk taken over
    after its worker died resumes after them. `results` lists, in order,
    {"id", "doc", "name"} for each document made and {"id", "error"} for each
    that failed ({"id", "skipped": true} for an object gone or not available)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")

    batch = models.ForeignKey(DocumentBatch, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("批量生成"))
    index = models.PositiveIntegerField(_("序号"))
    object_ids = models.JSONField(_("对象"), default=list)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    results = models.JSONField(_("结果"), default=list)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("批量生成分片")
        verbose_name_plural = _("批量生成分片")
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="uniq_document_batch_chunk_index")]

    def __str__(self):
        return f"{self.batch_id}#{self.index}"
