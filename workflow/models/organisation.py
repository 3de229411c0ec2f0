"""Organisation: departments, people, and their roles per department.

Roles and department kinds are registered by the engine and the case apps
(workflow.registry): the columns hold codes, their choices are callables.
"""
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import registry


class User(AbstractUser):
    """A person with an account. Citizens need none."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    must_change_password = models.BooleanField(
        _("须修改密码"), default=False,
        help_text=_("管理员创建账号或重设密码后为是：用户登录后须先修改密码才能使用系统。"),
    )
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True, editable=False)

    # Password hashes stay out of the history table (a copy per change would keep
    # every old hash), and a login is not a change of the account (it is a security event).
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        permissions = [
            # The security administrator's part of an account (三权分立): active or not, passwords,
            # the forced change, resetting the second factor. The people fields are change_user's.
            ("manage_account_security", _("管理账号安全（启用停用、密码、强制改密、重置双因素认证）")),
        ]

    def __str__(self):
        return self.full_name or self.get_full_name() or self.username

    def set_password(self, raw_password):
        # When the password was set is what its expiry counts from (PASSWORD_MAX_AGE_DAYS).
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class Department(models.Model):
    class Kind(models.TextChoices):
        """The engine's kinds; case apps register theirs (workflow.registry)."""

        GOVERNMENT = "government", _("政府部门")
        SUPERVISION_OFFICE = "supervision_office", _("督查室")

    name = models.CharField(_("全称"), max_length=128, unique=True)
    short_name = models.CharField(_("简称"), max_length=64)
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    kind = models.CharField(_("类型"), max_length=32, choices=registry.department_kind_choices, default=Kind.GOVERNMENT)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    contact_person = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    doc_number_prefix = models.CharField(
        _("发文字号前缀"), max_length=32, blank=True,
        help_text=_("例如“朝审函”，发文字号为 前缀〔年份〕序号号"),
    )
    seal = models.ImageField(
        _("印章图片"), upload_to="seals/", blank=True,
        help_text=_("由管理员上传的单位印章（透明背景的 PNG），盖在答复函的署名和日期上；未上传则文书不显示印章。文件存放在 MEDIA_ROOT，不进入代码库。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["kind", "code"]

    def __str__(self):
        return self.short_name or self.name


class Membership(models.Model):
    """One role held by one person in one department. A person may hold several."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(
        Department, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=32, choices=registry.role_choices)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="uniq_membership"),
        ]
        indexes = [models.Index(fields=["department", "role"])]

    def __str__(self):
        return f"{self.user} · {self.department} · {registry.role_label(self.role)}"
