"""What every case type's handling has: extension requests and evaluations.

Abstract: each case type keeps its own table (with its foreign key to the
case or assignment), the engine gives the fields, statuses and the checks
(workflow.services.extension_* and evaluation_check).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExtensionRequestBase(models.Model):
    """延期申请: a later deadline, asked for in advance with a reason and decided by someone else."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        REFUSED = "refused", _("不同意")

    reason = models.TextField(_("延期理由"))
    requested_until = models.DateField(_("申请延至"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class EvaluationBase(models.Model):
    """A rating on a label scale (workflow.models.LabelScale) by the person the case is for."""

    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("评价人"))
    round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("评价时间"))

    class Meta:
        abstract = True
