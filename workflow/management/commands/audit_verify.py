"""Check the audit trail's hash chain: `manage.py audit_verify`.

Exit 0 and print the number of rows and the head (sequence and SM3 hash: keep it somewhere
else, it proves later that nothing after it was rewritten); otherwise exit 1 naming the first
bad sequence number (an edited, deleted or inserted row). docs/security.md, "Audit trail"."""
from django.core.management.base import BaseCommand, CommandError

from workflow import audit


class Command(BaseCommand):
    help = "校验审计记录的哈希链（SM3）：有被修改、删除或插入的记录时以非零状态退出，并指出第一条有问题的序号"

    def add_arguments(self, parser):
        parser.add_argument("--max-problems", type=int, default=20, help="最多列出多少个问题（默认 20）")

    def handle(self, *args, max_problems=20, **options):
        result = audit.audit_verify(max_problems=max(1, max_problems))
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(f"audit_verify: {problem}")
            raise CommandError(f"audit chain broken at #{result.problems[0].sequence}: {result.problems[0].reason}", returncode=1)
        if result.rows == 0:
            self.stdout.write("audit chain OK: no rows")
            return
        self.stdout.write(
            f"audit chain OK: {result.rows} rows, #{result.first}–#{result.last}, head #{result.last} {result.head_hash}"
        )
