"""The abstract case task: a viewflow task with what the engine needs to
route, scope and supervise it (department, role, deadline).

A case app subclasses it once (ProposalTask, ComplaintTask) with a foreign
key to its case and names that field in `case_field`. The home page's inbox,
the task scope in workflow.selectors and templates/workflow/_task_item.html
rely only on what is defined here.
"""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task

from .organisation import Department


class SupervisionState(models.TextChoices):
    """Where an open task stands against its deadline (set by the supervision sweep)."""

    ON_TIME = "on_time", _("按时")
    WARNING = "warning", _("即将到期")
    OVERDUE = "overdue", _("已逾期")
    SEVERELY_OVERDUE = "severely_overdue", _("严重逾期")


class CaseTask(Task):
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=32, blank=True, help_text=_("可办理此任务的角色"))
    deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    # Kept by workflow.supervision.supervision_sweep; lists filter on it.
    supervision_state = models.CharField(
        _("督办状态"), max_length=20, choices=SupervisionState.choices, default=SupervisionState.ON_TIME, db_index=True
    )
    state_changed_at = models.DateTimeField(_("督办状态变化时间"), null=True, blank=True)
    # The deadline's basis when it was computed from a time-limit rule on the calendar
    # (working days, natural days, months: hours do not depend on the calendar): the
    # start date, the amount and unit, and the deadline so computed. The sweep
    # recomputes it when the calendar changed, as long as `deadline` still equals
    # `deadline_computed` (a date set by hand, e.g. an approved extension, stays).
    deadline_from = models.DateField(_("期限起算日"), null=True, blank=True)
    deadline_amount = models.PositiveIntegerField(_("期限数量"), null=True, blank=True)
    deadline_unit = models.CharField(_("期限单位"), max_length=8, blank=True)
    deadline_computed = models.DateTimeField(_("按日历计算的期限"), null=True, blank=True)

    case_field = ""  # the concrete model's foreign key to its case

    class Meta:
        abstract = True
        # The task scope's department branch (workflow.selectors.task_scope_q).
        indexes = [models.Index(fields=["department", "role"], name="%(class)s_dept_role_idx")]

    @property
    def case(self):
        return getattr(self, self.case_field) if self.case_field else None

    def get_absolute_url(self) -> str:
        case = self.case
        return case.get_absolute_url() if case is not None and hasattr(case, "get_absolute_url") else "/"

    @property
    def action_url(self) -> str:
        """The page that completes this task (its node's page, for the case or
        the task's object), else the case page."""
        from django.urls import NoReverseMatch, reverse

        step = getattr(self.flow_task, "step", None)
        if step is not None:
            object_id = self.case.pk if step.action_object == "case" and self.case is not None else (self.data or {}).get(step.action_object)
            if object_id:
                try:
                    return reverse(step.page_action, args=[object_id])
                except NoReverseMatch:
                    pass
        return self.get_absolute_url()

    @property
    def waiting_party(self) -> str:
        """Who waits for this task to be done (the case's `waiting_party`: the proposer, the citizen)."""
        case = self.case
        return str(getattr(case, "waiting_party", "") or "") if case is not None else ""

    @property
    def case_title(self) -> str:
        case = self.case
        return str(case) if case is not None else ""

    @property
    def step_title(self) -> str:
        """The node's title (Chinese by default, translated when English is chosen)."""
        return str(self.flow_task.task_title) if self.flow_task else ""

    @property
    def is_overdue(self) -> bool:
        return bool(self.deadline and self.deadline < timezone.now())
