from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉与工单")

    def ready(self):
        # Roles, department kinds, home-page entry and rule defaults; the
        # complaint flow itself is built on the engine in issue 8.
        from . import defaults, roles

        roles.register()
        defaults.register()
