from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from workflow import services


class Command(BaseCommand):
    help = (
        "Import whole years of the working-day calendar from a CSV file with rows "
        "date,is_working_day,note (e.g. 2027-01-01,0,元旦). Replaces those years."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_path")
        parser.add_argument("--note", default="", help="where the data came from")

    def handle(self, csv_path, note, **options):
        raw = Path(csv_path).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        try:
            years = services.calendar_import_csv(actor=None, text=text, note=note)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages))
        self.stdout.write(self.style.SUCCESS(f"Imported calendar years: {', '.join(map(str, years))}"))
