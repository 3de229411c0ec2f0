"""Delete old rows of the audit trail: `manage.py audit_purge --before YYYY-MM-DD [--by <user>]`.

Only rows older than AUDIT_RETENTION_DAYS (at least 180) can go: an earlier --before is
refused, and so is a chain that does not verify. The purge is itself a row of the trail,
stating the last purged row's sequence and hash (audit_verify anchors there)."""
import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workflow import audit
from workflow.models import User


class Command(BaseCommand):
    help = "清理早于指定日期的审计记录（至少保留 AUDIT_RETENTION_DAYS 天，默认 180 天），清理本身记入审计记录"

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="删除此日期（YYYY-MM-DD，本地时间零点）之前的记录")
        parser.add_argument("--by", dest="by", default=None, help="执行清理的管理员用户名（记入审计记录）")

    def handle(self, *args, before, by=None, **options):
        try:
            day = dt.date.fromisoformat(before)
        except ValueError:
            raise CommandError(f"--before {before!r}: expected a date YYYY-MM-DD")
        actor = None
        if by:
            actor = User.objects.filter(username=by).first()
            if actor is None:
                raise CommandError(f"no user named {by!r}")
        cutoff = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        try:
            result = audit.audit_purge(actor=actor, before=cutoff)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(
            f"audit_purge: {result.deleted} rows deleted (through #{result.through_sequence}); recorded as #{result.event.sequence}"
        )
