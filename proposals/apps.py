from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def pending_extension_tasks():
    """Reply tasks of an assignment whose extension request (explained before
    the reply deadline) waits for the proposal office's decision."""
    from django.db.models import F, Q

    from .flows import ProposalFlow
    from .models import ExtensionRequest

    # The ids as a list (one query: few requests wait at a time): a key of the JSON
    # `data` compared with a subquery needs a cast PostgreSQL and SQLite spell apart.
    pending = list(ExtensionRequest.objects.filter(
        status=ExtensionRequest.Status.PENDING, requested_at__lt=F("assignment__deadline"),
    ).values_list("assignment_id", flat=True).distinct())
    if not pending:
        return Q(pk__in=[])
    return Q(data__assignment_id__in=pending, flow_task__in=[ProposalFlow.draft_reply, ProposalFlow.revise])


def register_case_deadlines(registry) -> None:
    """The assignments' deadlines the services set from the rules (workflow.deadlines),
    recomputed after a calendar correction while their step is pending; the
    proposal's reply deadline (the latest of its answering departments') follows."""
    from django.db.models import Q

    from .flows import ProposalFlow as F
    from .models import Assignment
    from .services._common import proposals_reply_deadline_refresh

    S = Assignment.Status
    registry.register_case_deadline(
        Assignment, "deadline", case_path="proposal", after=proposals_reply_deadline_refresh,
        nodes=lambda: [F.co_opinion, F.draft_reply, F.revise],  # flows.py: deadline=this.assignment_deadline
        pending=lambda: Q(status__in=[S.ASSIGNED, S.REASSIGN_REQUESTED, S.SIGNED, S.REPLY_SUBMITTED, S.REPLY_SIGNED]),
    )
    registry.register_case_deadline(
        Assignment, "reassign_deadline", case_path="proposal", pending=lambda: Q(status__in=[S.ASSIGNED, S.SIGNED]),
    )


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("政协提案")

    def ready(self):
        # What proposals bring to the engine: roles and their permissions,
        # department kinds, home-page entries, rule defaults, event types, document
        # kinds and the task model of the inbox.
        from workflow import registry

        from . import defaults, documents, events, metrics, navigation, notifications, roles
        from . import flows  # noqa: F401  (viewflow registers the flow and its permissions)
        from .models import ProposalTask

        roles.register()
        navigation.register()
        defaults.register()
        events.register()
        notifications.register()
        documents.register()
        metrics.register()
        registry.register_task_model(ProposalTask)
        from . import exports

        exports.register()  # the proposal list and the supervision list, to Excel (workflow.exports)
        registry.register_supervision(ProposalTask, case_kind="proposal", severe_step="severe_overdue", pending_extension=pending_extension_tasks)
        register_case_deadlines(registry)
        from .models import Proposal
        from .permissions import may_issue_notice, notice_departments
        from .roles import Role

        registry.register_notice_hooks(
            Proposal, code="proposal", may_issue=may_issue_notice, departments=notice_departments, issuer_roles=[Role.KEY_LEADER],
        )
