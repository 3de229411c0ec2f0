from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("政协提案")

    def ready(self):
        # Import the flow so viewflow registers it (and its permissions) consistently.
        from . import flows  # noqa: F401
        from workflow import selectors as engine_selectors

        from .selectors import scope_task_queue

        engine_selectors.register_task_scope(scope_task_queue)
        engine_selectors.register_task_related("proposaltask__proposal__session")
