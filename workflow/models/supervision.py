"""Supervision records written by the deadline sweep (workflow.supervision).

* UrgingNotice (催办单): issued when a task passes its deadline; the
  department signs for it (签收).
* BreachRecord (违诺记录): written when a task is severely overdue; names the
  department and the step, kept for the figures.
* SupervisionNotice (督办单): issued by hand by a supervisor with its own
  deadline; the department signs for it and answers in writing (workflow.notices).

UrgingNotice and BreachRecord are about one task and one deadline: running the sweep twice (or two
at once) cannot write a second row for the same missed deadline; a deadline
moved later (extension) and missed again is a new one.
"""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .organisation import Department


class UrgingNotice(models.Model):
    task_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("任务类型"))
    task_id = models.PositiveBigIntegerField(_("任务"))
    task = GenericForeignKey("task_type", "task_id")
    case_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("案件类型"))
    case_id = models.PositiveBigIntegerField(_("案件"))
    case = GenericForeignKey("case_type", "case_id")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位")
    )
    step = models.CharField(_("环节"), max_length=128)
    deadline = models.DateTimeField(_("办理期限"))
    issued_at = models.DateTimeField(_("催办时间"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("签收人")
    )
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("催办单")
        verbose_name_plural = _("催办单")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task_type", "task_id", "deadline"], name="uniq_urging_notice_task_deadline"),
        ]
        indexes = [models.Index(fields=["department", "signed_at"], name="urging_dept_signed_idx")]

    def __str__(self):
        return f"{self.step} {self.deadline:%Y-%m-%d}"


class BreachRecord(models.Model):
    task_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("任务类型"))
    task_id = models.PositiveBigIntegerField(_("任务"))
    case_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("案件类型"))
    case_id = models.PositiveBigIntegerField(_("案件"))
    case = GenericForeignKey("case_type", "case_id")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位")
    )
    step = models.CharField(_("环节"), max_length=128)
    deadline = models.DateTimeField(_("办理期限"))
    working_days_late = models.PositiveIntegerField(_("逾期工作日数"))
    created_at = models.DateTimeField(_("记录时间"), db_index=True)

    class Meta:
        verbose_name = _("违诺记录")
        verbose_name_plural = _("违诺记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task_type", "task_id", "deadline"], name="uniq_breach_record_task_deadline"),
        ]
        indexes = [models.Index(fields=["department", "created_at"], name="breach_dept_created_idx")]

    def __str__(self):
        return f"{self.department} {self.step} +{self.working_days_late}"


class SupervisionNotice(models.Model):
    """督办单: a supervisor (or a key proposal's leading official) asks one
    department, by hand, for something to be done by a deadline of their
    choosing; the department signs for it (签收) and answers in writing (答复).
    The status is derived (workflow.notices.notice_status)."""

    case_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("案件类型"))
    case_id = models.PositiveBigIntegerField(_("案件"))
    case = GenericForeignKey("case_type", "case_id")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("督办人"))
    issued_at = models.DateTimeField(_("下发时间"))
    requirement = models.TextField(_("督办要求"))
    deadline = models.DateTimeField(_("答复期限"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("签收人")
    )
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    response = models.TextField(_("书面答复"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("答复人")
    )
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["department", "responded_at"], name="notice_dept_responded_idx"),
            models.Index(fields=["issued_by", "issued_at"], name="notice_issuer_idx"),
            models.Index(fields=["case_type", "case_id"], name="notice_case_idx"),
        ]

    def __str__(self):
        return f"{self.department} {self.deadline:%Y-%m-%d}"
