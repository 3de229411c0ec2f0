from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("办理引擎")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import documents, navigation, notifications, roles, security_events, workdays

        # The engine's own roles and pages; case apps add theirs in their ready()
        # (workflow comes before them in INSTALLED_APPS).
        roles.register_engine_roles()
        navigation.register_engine_navigation()
        notifications.register_engine_kinds()
        documents.register_engine_documents()  # the supervision notice (督办通知单)
        from .export_lists import register_engine_exports

        register_engine_exports()  # urging and supervision notices to Excel (workflow.exports)
        # Creating the role groups, rule defaults and calendar is setup, not
        # business logic: it has to follow every migrate (and every test
        # flush), once every app's permissions exist (see the handler).
        post_migrate.connect(roles.sync_role_groups_after_migrate, dispatch_uid="workflow_defaults")
        # Logins, lockouts, password changes and API tokens are written to the security event log.
        security_events.connect()
        # Each process holds the working-day calendar in memory: a change to it
        # tells every process to reload (a cache, not business logic).
        workdays.connect_signals()
        # The same for the time limits (workflow.rules holds the active ones in memory).
        from . import rules

        rules.connect_signals()
        # simple-history's `history` descriptors build their manager class once (workflow.history).
        from .history import cache_history_managers

        cache_history_managers()
        # A case task's `is_open` follows its status when viewflow saves the task
        # as its own Task class (workflow.models.tasks.task_status_saved).
        from django.db.models.signals import post_save
        from viewflow.workflow.models import Task

        from .models.tasks import task_status_saved

        post_save.connect(task_status_saved, sender=Task, dispatch_uid="workflow_task_is_open")
