"""Document-number series (发文字号): one counter per department, series and year."""
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .organisation import Department

PLACEHOLDERS = ("{prefix}", "{year}", "{number}")


class DocumentSeries(models.Model):
    """A kind of numbered document and how its numbers read (rules as data):
    `{prefix}〔{year}〕{number}号` gives 朝审函〔2019〕28号, the prefix being the
    department's 发文字号前缀. Case apps register their series' defaults;
    administrators edit the format."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    format = models.CharField(
        _("文号格式"), max_length=64, default="{prefix}〔{year}〕{number}号",
        help_text=_("可用 {prefix}（单位发文字号前缀）、{year}（年份）、{number}（序号，必填）"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("文号系列")
        verbose_name_plural = _("文号系列")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        rest = self.format
        for placeholder in PLACEHOLDERS:
            rest = rest.replace(placeholder, "")
        if "{number}" not in self.format or "{" in rest or "}" in rest:
            raise ValidationError({"format": _("文号格式须含 {number}，且只能用 {prefix}、{year}、{number}。")})

    def render(self, *, prefix: str, year: int, number: int) -> str:
        return self.format.replace("{prefix}", prefix).replace("{year}", str(year)).replace("{number}", str(number))

    def pattern(self, *, prefix: str) -> re.Pattern:
        """A typed number of this series: groups `year` (when the format has it) and `number` (no leading zero)."""
        regex = re.escape(self.format)
        for placeholder, group in (("{prefix}", re.escape(prefix)), ("{year}", r"(?P<year>\d{4})"), ("{number}", r"(?P<number>[1-9]\d{0,5})")):
            regex = regex.replace(re.escape(placeholder), group)
        return re.compile(regex)


class DocumentCounter(models.Model):
    """The last number issued in a department's series for a year: 朝审函〔2019〕28号.

    `series` tells apart a department's series (e.g. "letter" for its reply
    letters); every case type numbering documents draws from here."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    series = models.CharField(_("文号系列"), max_length=32, default="letter")
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用到"), default=0)

    class Meta:
        verbose_name = _("发文字号计数")
        verbose_name_plural = _("发文字号计数")
        constraints = [models.UniqueConstraint(fields=["department", "series", "year"], name="uniq_document_counter")]

    def __str__(self):
        return f"{self.department} {self.series} {self.year}: {self.last}"
