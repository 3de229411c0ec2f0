"""Reading the rule tables (time limits and labelled scales)."""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from .models import LabelChoice, TimeLimitRule
from .workdays import compute_deadline


class RuleMissing(Exception):
    pass


def time_limit(*, case_kind: str, step: str, category: str = "") -> TimeLimitRule:
    """The active rule for a step; a category-specific rule wins over the default."""
    rules = {
        r.category: r
        for r in TimeLimitRule.objects.filter(
            case_kind=case_kind, step=step, category__in={category, ""}, is_active=True
        )
    }
    rule = rules.get(category) or rules.get("")
    if rule is None:
        raise RuleMissing(
            _("未配置办理时限：%(kind)s / %(step)s。请管理员在“办理时限”中添加。")
            % {"kind": case_kind, "step": step}
        )
    return rule


def time_limit_text(*, case_kind: str, step: str, category: str = "") -> str:
    """The limit as people say it, e.g. "6月" / "15工作日", for messages and help texts."""
    rule = time_limit(case_kind=case_kind, step=step, category=category)
    return f"{rule.amount}{rule.get_unit_display()}"


def rule_deadline(*, case_kind: str, step: str, start: dt.datetime, category: str = "") -> dt.datetime:
    rule = time_limit(case_kind=case_kind, step=step, category=category)
    return compute_deadline(start, rule.amount, rule.unit)


def label_choices(scale_code: str) -> list[LabelChoice]:
    return list(
        LabelChoice.objects.filter(scale__code=scale_code, is_active=True).order_by("ordering")
    )


def label_codes(scale_code: str) -> set[str]:
    """Codes a user may choose now (active choices)."""
    return {c.code for c in label_choices(scale_code)}


def negative_codes(scale_code: str) -> set[str]:
    """Codes that count as negative (不满意, 差评), including choices since switched off,
    so that ratings given with them still count."""
    return set(LabelChoice.objects.filter(scale__code=scale_code, is_negative=True).values_list("code", flat=True))


def label_for(scale_code: str, code: str) -> str:
    choice = LabelChoice.objects.filter(scale__code=scale_code, code=code).first()
    return choice.label if choice else code


def label_map_for(scale_code: str) -> dict[str, str]:
    """Code -> label of every choice of a scale, including switched-off ones (for
    showing ratings given earlier): one query."""
    return dict(LabelChoice.objects.filter(scale__code=scale_code).values_list("code", "label"))
