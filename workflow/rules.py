"""Reading the rule tables (time limits and labelled scales)."""
from __future__ import annotations

import copy
import datetime as dt

from django.utils.translation import gettext as _

from .models import LabelChoice, TimeLimitRule, TimeLimitStamp
from .stamped import StampedCache
from .workdays import compute_deadline


class RuleMissing(Exception):
    pass


# --- the time limits in memory (issue 11) -------------------------------------------
# Every task created looks its time limit up: the active rules (a few dozen rows)
# are held per process, keyed by (case kind, step, category), with the token of
# TimeLimitStamp they were loaded under, checked at most once a second, as
# workflow.workdays holds the calendar (workflow.stamped.StampedCache). Every write bumps the
# token: saves and deletes through the signals (connect_signals: the admin,
# get_or_create), bulk writes through TimeLimitRuleQuerySet; the process making
# the change drops its copy at once.
def _load_time_limits(token: str | None) -> dict:
    return {(r.case_kind, r.step, r.category): r for r in TimeLimitRule.objects.filter(is_active=True)}


time_limits_cache = StampedCache(TimeLimitStamp, _load_time_limits)


def time_limits_reset() -> None:
    """Forget the time limits held in this process: the next lookup loads them again."""
    time_limits_cache.reset()


def time_limits_stamp_bump() -> None:
    """Say the time limits changed: a new token for every process (inside the
    caller's transaction, so a rollback takes it back) and a reload here."""
    time_limits_cache.bump()


def _time_limits_changed(sender, **kwargs) -> None:
    time_limits_stamp_bump()


def connect_signals() -> None:
    """Saving or deleting a time limit (admin, shell, services) bumps the stamp."""
    from django.db.models.signals import post_delete, post_save

    for signal in (post_save, post_delete):
        signal.connect(_time_limits_changed, sender=TimeLimitRule, dispatch_uid=f"time_limit_stamp_{signal is post_save}")


def time_limit(*, case_kind: str, step: str, category: str = "") -> TimeLimitRule:
    """The active rule for a step; a category-specific rule wins over the default.
    A copy of the rule held in memory: the caller may change it freely."""
    rules = time_limits_cache.current()
    rule = rules.get((case_kind, step, category)) or rules.get((case_kind, step, ""))
    if rule is not None:
        rule = copy.copy(rule)
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
