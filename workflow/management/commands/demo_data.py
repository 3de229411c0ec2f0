from django.core.management.base import BaseCommand

from workflow import registry
from workflow.demo import DEMO_PASSWORD, demo_organisation, load_demo_data
from workflow.services import case_app_modules


class Command(BaseCommand):
    help = "Load the demo organisation, accounts, rules and calendar (idempotent)."

    def handle(self, *args, **options):
        result = load_demo_data()
        # Each case app adds its own demo cases through its demo.py: load(users=..., departments=...).
        for module in case_app_modules("demo"):
            module.load(users=result["users"], departments=result["departments"])
        # One sweep now, as beat would within 15 minutes: the demo's late tasks carry their
        # urging notices and breach records from the start (safe to run again).
        from django.utils import timezone

        from workflow.supervision import supervision_sweep

        supervision_sweep(now=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(result['departments'])} departments, {len(result['users'])} accounts."))
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for username, full_name, roles, _superuser in demo_organisation()[2]:
            self.stdout.write(f"  {username:<12} {full_name} ({', '.join(registry.role_label(r) for _c, r in roles)})")
