from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def pending_extension_tasks():
    """Reply tasks of an assignment whose extension request (explained before
    the reply deadline) waits for the proposal office's decision."""
    from django.db.models import F, Q

    from .flows import ProposalFlow
    from .models import ExtensionRequest

    pending = ExtensionRequest.objects.filter(
        status=ExtensionRequest.Status.PENDING, requested_at__lt=F("assignment__deadline"),
    ).values("assignment_id")
    return Q(data__assignment_id__in=pending, flow_task__in=[ProposalFlow.draft_reply, ProposalFlow.revise])


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
        registry.register_supervision(ProposalTask, case_kind="proposal", severe_step="severe_overdue", pending_extension=pending_extension_tasks)
