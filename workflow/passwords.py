"""Password rules beyond Django's four (settings.AUTH_PASSWORD_VALIDATORS).

They apply wherever Django validates a password: the password change page,
the admin's add-user and set-password forms, `manage.py changepassword`.
A direct `set_password()` (the demo loader, test factories) is not
validated, but its hash still enters the history.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CLASSES = (
    ("upper", lambda c: c.isascii() and c.isupper()),
    ("lower", lambda c: c.isascii() and c.islower()),
    ("digit", lambda c: c.isascii() and c.isdigit()),
    ("symbol", lambda c: not (c.isascii() and c.isalnum())),  # punctuation, spaces, and non-Latin letters
)


def character_classes(password: str) -> set[str]:
    return {name for name, test in CLASSES if any(test(c) for c in password)}


class CharacterClassValidator:
    """At least `min_classes` of the four classes: upper case, lower case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_few_classes")

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.min_classes}


class PasswordHistoryValidator:
    """Not one of the user's last `count` passwords (the current one included).

    `password_changed` (called by Django after every save of a new password,
    however it was set) keeps the hash in workflow.PasswordHistory."""

    def __init__(self, count: int = 5):
        self.count = count

    def _recent_hashes(self, user) -> list[str]:
        from .models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id").values_list("password", flat=True)[: self.count]
        )
        if user.password and user.password not in hashes:
            hashes = [user.password, *hashes][: self.count]
        return hashes

    def validate(self, password, user=None):
        if user is None or user.pk is None or self.count <= 0:
            return
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user)):
            raise ValidationError(
                ngettext("不能使用最近用过的密码。", "不能使用最近 %(n)d 次用过的密码。", self.count) % {"n": self.count},
                code="password_reused",
            )

    def password_changed(self, password, user=None):
        from .models import PasswordHistory

        if user is None or user.pk is None or not user.password:
            return
        PasswordHistory.objects.create(user=user, password=user.password, created_at=timezone.now())
        # Keep what the rule reads, not every password ever.
        stale = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id").values_list("pk", flat=True)[self.count:]
        stale = list(stale)
        if stale:
            PasswordHistory.objects.filter(pk__in=stale).delete()

    def get_help_text(self):
        return _("不能与最近 %(n)d 次用过的密码相同。") % {"n": self.count}


def password_expired(user, *, now=None) -> bool:
    """The password is older than settings.PASSWORD_MAX_AGE_DAYS (0: never expires)."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days or user.password_changed_at is None:
        return False
    return (now or timezone.now()) - user.password_changed_at > timezone.timedelta(days=days)
