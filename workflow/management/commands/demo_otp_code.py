"""The current second-factor code of a demo administrator: `manage.py demo_otp_code sysadmin1`.

Only for accounts whose authenticator has the published demo secret (workflow/demo.py,
README): it reveals nothing about a real account's device and prints nothing for one."""
from django.core.management.base import BaseCommand, CommandError

from workflow import second_factor
from workflow.models import User


class Command(BaseCommand):
    help = "显示演示管理员当前的双因素验证码（仅限使用公开演示密钥的账号）"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        code = second_factor.demo_code(user) if user is not None else None
        if code is None:
            raise CommandError(f"{username!r} has no authenticator with the demo secret")
        self.stdout.write(code)
