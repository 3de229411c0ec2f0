from django.core.management.base import BaseCommand

from workflow.demo import ACCOUNTS, DEMO_PASSWORD, load_demo_data


class Command(BaseCommand):
    help = "Load the demo organisation, accounts, rules and calendar (idempotent)."

    def handle(self, *args, **options):
        from django.apps import apps

        result = load_demo_data()
        # Later apps add their own demo cases through a `demo` module with load(users=...).
        for app_config in apps.get_app_configs():
            if app_config.name in {"proposals", "complaints"}:
                try:
                    module = __import__(f"{app_config.name}.demo", fromlist=["load"])
                except ModuleNotFoundError:
                    continue
                module.load(users=result["users"], departments=result["departments"])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(result['departments'])} departments, {len(result['users'])} accounts."))
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for username, full_name, roles, _superuser in ACCOUNTS:
            self.stdout.write(f"  {username:<12} {full_name} ({', '.join(str(r.label) for _c, r in roles)})")
