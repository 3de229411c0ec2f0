from django.core.management.base import BaseCommand

from workflow import services


class Command(BaseCommand):
    help = "Seed the calendar from the chinese-calendar library for the years it knows."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
        parser.add_argument("--force", action="store_true", help="overwrite years already in the table")

    def handle(self, year, force, **options):
        years = services.calendar_seed_from_library(actor=None, years=year, force=force)
        self.stdout.write(self.style.SUCCESS(f"Seeded years: {', '.join(map(str, years)) or 'none (already present)'}"))
