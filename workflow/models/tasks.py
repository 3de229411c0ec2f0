"""The abstract case task: a viewflow task with what the engine needs to
route, scope and supervise it (department, role, deadline).

A case app subclasses it once (its own task model) with a foreign
key to its case and names that field in `case_field`. The home page's inbox,
the task scope in workflow.selectors and templates/workflow/_task_item.html
rely only on what is defined here.
"""
from functools import cached_property

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .organisation import Department


# The statuses of a task waiting for someone to act (the inbox's "open"): a task
# is started and finished inside one service's transaction (flow_step).
OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


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
    # A copy of "viewflow's status is new or assigned" (someone must act on it),
    # kept by save() and, for saves of viewflow's own Task class, by
    # workflow.models.tasks.task_status_saved (issue 11). The inbox and its counts
    # read the open tasks through the partial index below instead of viewflow's
    # status index over every flow's open tasks. Code that changes a task's status
    # with QuerySet.update() must set it too (nothing does).
    is_open = models.BooleanField(_("待办理"), default=False, editable=False)

    case_field = ""  # the concrete model's foreign key to its case

    class Meta:
        abstract = True
        indexes = [
            # The task scope's department branch (workflow.selectors.task_scope_q).
            models.Index(fields=["department", "role"], name="%(class)s_dept_role_idx"),
            # The inbox (workflow.inbox): a role's open tasks (office roles), a
            # department's role's open tasks, with their deadlines (covering: the
            # page's ids and the counts are read from the index alone).
            models.Index(fields=["role", "department", "deadline"], condition=Q(is_open=True), name="%(class)s_open_idx"),
            # The supervision sweep: the open tasks whose deadline is in a state's range
            # (closed tasks keep their deadlines: a full index on deadline holds them all).
            models.Index(fields=["deadline"], condition=Q(is_open=True), name="%(class)s_open_due_idx"),
            # The tasks one state change of the sweep just moved (its side effects are
            # INSERT ... SELECT over them: `supervision_state = ? AND state_changed_at = now`).
            models.Index(fields=["supervision_state", "state_changed_at"], condition=Q(is_open=True), name="%(class)s_open_moved_idx"),
            # The dashboard's open tasks by department and state (workflow.dashboard.open_task_states):
            # covering, counted from the index alone (the node is looked up only for the few
            # tasks due inside a warning window, workflow.inbox.StateRanges.open_q). `is_open` and
            # the key are columns too: SQLite (3.40) reads the table for a WHERE term on a column
            # the index lacks, even the partial index's own condition, and the bigint key is not
            # the rowid the index carries.
            models.Index(fields=["department", "deadline", "is_open", "task_ptr"], condition=Q(is_open=True), name="%(class)s_open_dept_idx"),
        ]

    def save(self, *args, **kwargs):
        """Keep `is_open` with the status (every save viewflow makes of a case task)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "status" in update_fields:
            self.is_open = self.status in OPEN_STATUSES
            if update_fields is not None and "is_open" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "is_open"]
        super().save(*args, **kwargs)

    @property
    def case(self):
        return getattr(self, self.case_field) if self.case_field else None

    def get_absolute_url(self) -> str:
        case = self.case
        return case.get_absolute_url() if case is not None and hasattr(case, "get_absolute_url") else "/"

    @cached_property
    def action_url(self) -> str:
        """The page that completes this task (its node's page, for the case or
        the task's object), else the case page. Worked out once per instance:
        an inbox row links to it twice."""
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


def task_status_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """post_save of viewflow's own Task class (e.g. viewflow cancelling a process's
    tasks through `process.task_set`): the case task row's `is_open` follows."""
    if update_fields is not None and "status" not in update_fields:
        return
    from .. import registry

    is_open = instance.status in OPEN_STATUSES
    for model in registry.task_models():
        model.objects.filter(pk=instance.pk).exclude(is_open=is_open).update(is_open=is_open)
