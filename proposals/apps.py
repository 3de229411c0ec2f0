from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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
        registry.register_supervision(ProposalTask, case_kind="proposal", severe_step="severe_overdue")
        from .models import Proposal
        from .permissions import may_issue_notice, notice_departments
        from .roles import Role

        registry.register_notice_hooks(
            Proposal, code="proposal", may_issue=may_issue_notice, departments=notice_departments, issuer_roles=[Role.KEY_LEADER],
        )
