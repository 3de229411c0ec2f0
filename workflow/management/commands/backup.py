"""Back up the database and MEDIA_ROOT into one archive: `manage.py backup [--output PATH]`.

SQLite through its online backup API, PostgreSQL with pg_dump; the archive
(mode 0600) holds a manifest with row counts and every file's SHA-256.
See workflow/backup.py and docs/operations.md."""
from django.core.management.base import BaseCommand, CommandError

from workflow import backup, events

# The engine's own tables; the case tables are those the case apps registered (workflow.events).
ENGINE_SUMMARY = (("events", "workflow.caseevent"), ("documents", "workflow.generateddocument"), ("users", "workflow.user"))


def summary(counts: dict) -> str:
    cases = [(label.split(".", 1)[1] + "s", label) for label in events.registered_case_models()]
    return ", ".join(f"{counts[label]['rows']} {name}" for name, label in [*cases, *ENGINE_SUMMARY] if label in counts)


class Command(BaseCommand):
    help = "Back up the database and the uploaded and generated files (MEDIA_ROOT) into one .tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output",
            help="archive file to write, or a directory for cases-backup-<time>.tar.gz (default: BACKUP_DIR)",
        )

    def handle(self, *args, output=None, **options):
        try:
            result = backup.backup_create(output=output)
        except backup.BackupError as exc:
            raise CommandError(str(exc))
        manifest = result.manifest
        for name in manifest["missing_files"]:
            self.stderr.write(f"warning: named by a row but not under MEDIA_ROOT: {name}")
        if options["verbosity"] < 1:
            return
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        size = result.path.stat().st_size
        self.stdout.write(f"{result.path}: {size} bytes, {manifest['database']['engine']} database, {media} media files")
        self.stdout.write(f"rows: {summary(manifest['row_counts'])}")
        self.stdout.write(self.style.SUCCESS(f"backup written in {result.seconds:.1f}s"))
