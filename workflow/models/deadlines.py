from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeadlineBasis(models.Model):
    """What a case object's calendar-dependent deadline field was computed from
    (start date, amount, unit: workflow.workdays.compute_deadline), so that the
    sweep can recompute it after an administrator corrects the calendar, as it
    does for the tasks' own deadlines (CaseTask.deadline_from ...).

    One row per (object, field), written by workflow.deadlines.deadlines_remember
    when a service sets the field from the rules; ``computed`` is the value it
    wrote: a field that no longer equals it was set by hand since (an approved
    extension, a suspension's end) and stays."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=40)
    start = models.DateField(_("期限起算日"))
    amount = models.PositiveIntegerField(_("期限数量"))
    unit = models.CharField(_("期限单位"), max_length=8)
    computed = models.DateTimeField(_("按日历计算的期限"))

    class Meta:
        verbose_name = _("期限计算依据")
        verbose_name_plural = _("期限计算依据")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "field", "object_id"], name="deadline_basis_unique"),
        ]
        indexes = [models.Index(fields=["content_type", "field", "start"], name="deadline_basis_start")]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id}.{self.field}"
