"""Lift a login lockout: `manage.py unlock_login <username> [--by <administrator>]`.

The unlock is written to the security event log (with the administrator, when named)."""
from django.core.management.base import BaseCommand, CommandError

from workflow import security
from workflow.models import User


class Command(BaseCommand):
    help = "解除用户名的登录锁定（写入安全事件日志）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--by", dest="by", default=None, help="执行解锁的管理员用户名（记入日志）")

    def handle(self, *args, username, by=None, **options):
        actor = None
        if by:
            actor = User.objects.filter(username=by).first()
            if actor is None:
                raise CommandError(f"no user named {by!r}")
        removed = security.login_unlock(actor=actor, username=username)
        self.stdout.write(f"{username}: {removed} lock record(s) removed")
