from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from complaints.open311 import open311_key_issue, open311_key_revoke


class Command(BaseCommand):
    help = (
        "Issue an Open311 API key for a client (printed once; only its SHA-256 and its "
        "8-character prefix are stored), or switch one off with --revoke <prefix>."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the client's name, e.g. 'City app'")
        parser.add_argument("--revoke", metavar="PREFIX", help="switch off the key with this prefix")

    def handle(self, name, revoke, **options):
        if bool(name) == bool(revoke):
            raise CommandError("Give either a client name (to issue a key) or --revoke <prefix>.")
        try:
            if revoke:
                row = open311_key_revoke(actor=None, prefix=revoke)
                self.stdout.write(self.style.SUCCESS(f"Revoked: {row.name} ({row.prefix}…)"))
                return
            row, key = open311_key_issue(actor=None, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(m for ms in exc.message_dict.values() for m in ms)) from None
        self.stdout.write(self.style.SUCCESS(f"Issued for {row.name} (prefix {row.prefix}). The key is shown only this once:"))
        self.stdout.write(key)
