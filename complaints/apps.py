from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def suspended_tasks():
    """The supervision sweep leaves a suspended complaint's tasks alone: its clock is stopped.

    An `IN` over the suspended complaints' partial index (a few rows, read once), not a
    join: with a join the sweep's UPDATE becomes `pk IN (SELECT ... JOIN complaint ...)`
    and looks every moved task's complaint up (docs/performance.md)."""
    from django.db.models import Q

    from .models import Complaint

    return Q(complaint_id__in=Complaint.objects.filter(suspended_since__isnull=False).values("pk"))


def pending_extension_tasks():
    """Handling tasks of a complaint whose extension request (asked in time, the
    service checks the lead time) waits for the dispatcher's decision."""
    from django.db.models import F, Q

    from .flows import ComplaintFlow
    from .models import ComplaintExtension

    pending = ComplaintExtension.objects.filter(
        status=ComplaintExtension.Status.PENDING, requested_at__lt=F("complaint__deadline"),
    ).values("complaint_id")
    return Q(complaint_id__in=pending, flow_task__in=[ComplaintFlow.handle, ComplaintFlow.revise, ComplaintFlow.co_opinion])


def register_case_deadlines(registry) -> None:
    """The deadlines the services set from the rules on complaints and dispatches
    (workflow.deadlines), each recomputed after a calendar correction only while
    the step it governs is pending: a deadline of a step done is history."""
    from django.db.models import Q

    from .flows import ComplaintFlow as F
    from .models import Complaint, Dispatch

    S = Complaint.Status
    for field, statuses, nodes in [  # the nodes whose tasks take the field as their deadline (flows.py)
        ("dispatch_due", [S.NEW], [F.triage]),
        ("deadline", [S.DISPATCHED, S.HANDLING, S.REVIEWING], [F.handle, F.revise, F.co_opinion]),
        ("callback_due", [S.REPLIED], []),
        ("rectify_due", [S.RECTIFYING], [F.rectify]),
        ("contact_due", [S.RECTIFYING], []),
    ]:
        registry.register_case_deadline(Complaint, field, pending=lambda statuses=statuses: Q(status__in=statuses), nodes=lambda n=nodes: n)
    pending_dispatch = lambda: Q(status=Dispatch.Status.DISPATCHED, complaint__status__in=Complaint.OPEN_STATUSES)  # noqa: E731
    registry.register_case_deadline(Dispatch, "sign_due", case_path="complaint", pending=pending_dispatch, nodes=lambda: [F.sign])
    registry.register_case_deadline(Dispatch, "return_due", case_path="complaint", pending=pending_dispatch)


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉与工单")

    def ready(self):
        # What complaints bring to the engine: roles and their permissions,
        # department kind, navigation, rule defaults, event types, document
        # kinds and the task model of the inbox.
        from workflow import registry

        from . import defaults, documents, events, metrics, notifications, roles
        from . import flows  # noqa: F401  (viewflow registers the flow and its permissions)
        from .models import ComplaintTask

        roles.register()
        defaults.register()
        events.register()
        notifications.register()
        documents.register()
        metrics.register()
        registry.register_task_model(ComplaintTask)
        from .ledger import register_exports

        register_exports()  # the complaint list and the ledger, to Excel (workflow.exports)
        registry.register_supervision(
            ComplaintTask, case_kind="complaint", severe_step="reprimand", exclude=suspended_tasks,
            pending_extension=pending_extension_tasks,
        )
        register_case_deadlines(registry)
        from .models import Complaint
        from .permissions import may_issue_notice, notice_departments

        registry.register_notice_hooks(Complaint, code="complaint", may_issue=may_issue_notice, departments=notice_departments)
