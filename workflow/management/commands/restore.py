"""Restore an archive of `manage.py backup`: `manage.py restore PATH [--force]`.

Checks every file of the archive against its manifest first, refuses a
database that has tables unless --force, restores the files under MEDIA_ROOT
and the database (same engine only), then compares the row counts with the
manifest. See workflow/backup.py and docs/operations.md."""
from django.core.management.base import BaseCommand, CommandError

from workflow import backup

from .backup import summary


class Command(BaseCommand):
    help = "Restore a backup archive into the configured database and MEDIA_ROOT (stop the app first)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="archive written by manage.py backup")
        parser.add_argument("--force", action="store_true",
                            help="replace the contents of a database that is not empty (and media files that differ)")

    def handle(self, *args, path, force=False, **options):
        try:
            report = backup.backup_restore(path=path, force=force)
        except backup.BackupError as exc:
            raise CommandError(str(exc))
        manifest = report.manifest
        self.stdout.write(f"{path}: made {manifest['created_at']} (commit {manifest.get('git_commit') or 'unknown'})")
        self.stdout.write(f"database {report.database} restored: {summary(manifest['row_counts'])}")
        self.stdout.write(f"media files: {report.media_written} written, {report.media_unchanged} already there")
        if report.media_extra:
            self.stdout.write(f"media files not in the backup, left in place: {report.media_extra}")
        for name in report.missing_files:
            self.stderr.write(f"missing after the restore: {name}")
        if report.unknown_migrations:
            self.stderr.write("warning: the backup has migrations this code does not know (made by newer code?): "
                              + ", ".join(report.unknown_migrations))
        if report.migrate_needed:
            self.stdout.write(self.style.WARNING("the backup predates this code's migrations: run manage.py migrate"))
        mismatches = report.mismatches
        if mismatches:
            lines = [f"{label}: {expected} in the manifest, {found} restored" for label, (expected, found) in sorted(mismatches.items())]
            raise CommandError("row counts differ from the manifest:\n" + "\n".join(lines))
        if report.missing_files:
            raise CommandError(f"{len(report.missing_files)} file(s) named by restored rows are missing under MEDIA_ROOT")
        self.stdout.write(self.style.SUCCESS(
            f"row counts match the manifest ({len(report.row_counts)} tables); restored in {report.seconds:.1f}s"))
