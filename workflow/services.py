"""State changes of the shared engine: organisation, calendar, event log.

Every function is a service in the sense of DESIGN section 4: keyword-only,
taking the acting user, one transaction, writing history and events.
"""
from __future__ import annotations

import calendar as _calendar
import csv
import datetime as dt
import io
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import audit, registry, workdays
from .events import event_record  # one place writes events; services call engine.event_record
from .models import CalendarDay, CalendarYear, Department, Membership, SecurityEvent, User
from .roles import ADMIN_ROLES, EngineRole

# --- event log and case state ----------------------------------------------------
# event_record (imported above) is workflow.events': one place writes events.


def require_status(obj, allowed, message: str) -> None:
    """Refuse (ValidationError) unless obj.status is one of `allowed`."""
    if obj.status not in set(allowed):
        raise ValidationError(message + _("（当前状态：%(status)s）") % {"status": obj.get_status_display()})


def check_lengths(*, model, values: dict, keys: dict | None = None) -> None:
    """Refuse text longer than its column (PostgreSQL would raise DataError, a 500;
    SQLite would store it): one message per field, naming its limit. `keys` names
    the error key of a field when the form calls it something else (body -> report)."""
    errors = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        if value and field.max_length and len(value) > field.max_length:
            errors[(keys or {}).get(name, name)] = _("“%(label)s”不能超过%(max)d个字（现有%(n)d个）。") % {
                "label": field.verbose_name, "max": field.max_length, "n": len(value),
            }
    if errors:
        raise ValidationError(errors)


def case_set_status(*, case: models.Model, status: str, actor: User | None, event: str, extra_fields=(), **payload) -> None:
    """Move a (locked) case to `status`, saving with update_fields and writing the event."""
    old = case.status
    case.status = status
    case.save(update_fields=["status", *extra_fields])
    event_record(case=case, type=event, actor=actor, from_state=old, to_state=status, payload=payload)


def role_people(*, role: str, department: Department | None = None) -> list[User]:
    """The active people holding `role` (in `department`, when given): whom to notify."""
    memberships = {"memberships__role": role, "memberships__is_active": True}
    if department is not None:
        memberships["memberships__department"] = department
    return list(User.objects.filter(is_active=True, **memberships).distinct())


def notify_on_commit(*, users, kind: str, params: dict | None = None) -> None:
    """Notify people once the service's transaction commits (never for a rolled-back change).

    The notice is dated now (the event's time: a demo replayed under time travel
    commits later, and its notices keep the replayed time)."""
    users = [u for u in users if u is not None]
    if users:
        at = timezone.now()
        params = dict(params or {})
        transaction.on_commit(lambda: notification_send(recipients=users, kind=kind, params=params, created_at=at))


def notify_in_transaction(*, users, kind: str, params: dict | None = None) -> None:
    """Like notify_on_commit, but the notices are stored now, in the caller's
    transaction (a rollback takes them back: never a notice for a change that
    did not happen), and only their e-mails and text messages wait for the
    commit. The change and its notices are one transaction (issue 11: the
    intake); delivery stays after the commit, as external effects must."""
    from . import notifications

    users = [u for u in users if u is not None]
    if users:
        rows = notifications.store(recipients=users, kind=kind, params=params, created_at=timezone.now())
        transaction.on_commit(lambda: notifications.deliver(rows))


# --- organisation -------------------------------------------------------------
def user_forget_roles(*, user: User) -> None:
    """Drop the memberships cached on this user object (workflow.selectors.user_membership_pairs)."""
    user.__dict__.pop("_membership_cache", None)


def user_sync_groups(*, user: User) -> None:
    """Make the user's role groups match their active memberships, and their staff flag
    (reaching /admin/) whether they hold an administrator role (superusers keep theirs)."""
    user_forget_roles(user=user)
    role_names = {spec.code for spec in registry.roles()}
    wanted = set(
        Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True).distinct()
    )
    current = set(user.groups.filter(name__in=role_names).values_list("name", flat=True))
    if wanted - current:
        user.groups.add(*Group.objects.filter(name__in=wanted - current))
    if current - wanted:
        user.groups.remove(*Group.objects.filter(name__in=current - wanted))
    staff = bool(wanted & ADMIN_ROLES)
    if not user.is_superuser and user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


def can_manage_memberships(user: User | None) -> bool:
    """Granting and revoking roles is the security administrator's duty (三权分立);
    None is the system itself (the demo loader, fixtures)."""
    return user is None or (user.is_active and user.has_perm("workflow.change_membership"))


def membership_check(*, actor: User | None, user: User, roles: set[str]) -> None:
    """Refuse (ValidationError) a change of `user`'s memberships by `actor` that would leave
    them with the active `roles`: nobody changes their own roles, and nobody holds two of the
    three administrator roles (workflow.roles.ADMIN_ROLES). Used by the services and, with the
    roles a form would leave, by the admin's forms."""
    if not can_manage_memberships(actor):
        raise ValidationError(_("只有安全管理员可以分配或撤销角色。"))
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(_("不能修改自己的角色：请由另一位安全管理员办理。"))
    admin_roles = sorted(set(roles) & ADMIN_ROLES)
    if len(admin_roles) > 1:
        raise ValidationError(
            _("三权分立：系统管理员、安全管理员、审计管理员不能由同一人兼任（“%(user)s”将同时担任%(roles)s）。")
            % {"user": user, "roles": "、".join(registry.role_label(r) for r in admin_roles)}
        )
    if admin_roles and user.is_superuser:
        raise ValidationError(_("超级管理员账号只用于系统安装，不能担任管理员角色：请为管理员另建普通账号。"))


def user_active_roles(*, user: User) -> set[str]:
    return set(Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True))


@transaction.atomic
def membership_grant(*, actor: User | None, user: User, department: Department, role: str) -> Membership:
    if registry.role(role) is None:
        raise ValidationError(_("未知角色：%(role)s") % {"role": role})
    if not department.is_active:
        raise ValidationError(_("单位“%(dept)s”已停用，不能分配角色。") % {"dept": department})
    User.objects.select_for_update().filter(pk=user.pk).first()  # one grant at a time per person
    membership_check(actor=actor, user=user, roles=user_active_roles(user=user) | {role})
    membership, created = Membership.objects.get_or_create(user=user, department=department, role=role)
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
        created = True
    if created:
        _audit_membership(kind=SecurityEvent.Kind.MEMBERSHIP_GRANTED, actor=actor, membership=membership)
    user_sync_groups(user=user)
    return membership


@transaction.atomic
def membership_revoke(*, actor: User | None, membership: Membership) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not can_manage_memberships(actor):
        raise ValidationError(_("只有安全管理员可以分配或撤销角色。"))
    if actor is not None and actor.pk == membership.user_id:
        raise ValidationError(_("不能修改自己的角色：请由另一位安全管理员办理。"))
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        _audit_membership(kind=SecurityEvent.Kind.MEMBERSHIP_REVOKED, actor=actor, membership=membership)
    user_sync_groups(user=membership.user)


def _audit_membership(*, kind: str, actor: User | None, membership: Membership) -> None:
    """A role granted or ended is a permission change: a row of the audit trail."""
    audit.append(
        kind=kind, actor=actor, obj=membership.user, object_repr=membership.user.get_username(),
        detail={"role": membership.role, "department": membership.department_id, "department_name": str(membership.department), "membership": membership.pk},
    )


# --- calendar -----------------------------------------------------------------
TRUE_WORDS = {"1", "true", "yes", "y", "t", "是", "工作日", "上班", "班"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "休息日", "休", "假", "节假日"}


@dataclass(frozen=True)
class CalendarRow:
    date: dt.date
    is_working_day: bool
    note: str = ""


def parse_calendar_csv(text: str) -> list[CalendarRow]:
    """Parse `date,is_working_day,note` rows; errors name the line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[CalendarRow] = []
    errors: list[str] = []
    for lineno, record in enumerate(reader, start=1):
        if not record or not any(cell.strip() for cell in record):
            continue
        first = record[0].strip()
        if lineno == 1 and first.lower() in {"date", "日期"}:
            continue  # header
        if len(record) < 2:
            errors.append(_("第%(line)d行：至少需要“日期,是否工作日”两列。") % {"line": lineno})
            continue
        try:
            day = dt.date.fromisoformat(first)
        except ValueError:
            errors.append(_("第%(line)d行：日期“%(value)s”格式不对，应为 YYYY-MM-DD。") % {"line": lineno, "value": first})
            continue
        flag = record[1].strip().lower()
        if flag in TRUE_WORDS:
            working = True
        elif flag in FALSE_WORDS:
            working = False
        else:
            errors.append(_("第%(line)d行：“%(value)s”不是有效的工作日标记（用 1/0、是/否）。") % {"line": lineno, "value": record[1]})
            continue
        rows.append(CalendarRow(day, working, (record[2].strip() if len(record) > 2 else "")[:64]))
    if errors:
        raise ValidationError(errors)
    return rows


def _validate_full_years(rows: list[CalendarRow]) -> list[int]:
    if not rows:
        raise ValidationError(_("文件中没有日期。"))
    by_year: dict[int, set[dt.date]] = {}
    seen: set[dt.date] = set()
    errors = []
    for row in rows:
        if row.date in seen:
            errors.append(_("日期 %(date)s 重复出现。") % {"date": row.date})
        seen.add(row.date)
        by_year.setdefault(row.date.year, set()).add(row.date)
    for year, dates in sorted(by_year.items()):
        expected = 366 if _calendar.isleap(year) else 365
        if len(dates) != expected:
            errors.append(
                _("%(year)d年应有%(expected)d天，文件中只有%(count)d天：必须导入完整的一年。")
                % {"year": year, "expected": expected, "count": len(dates)}
            )
    if errors:
        raise ValidationError(errors)
    return sorted(by_year)


@transaction.atomic
def calendar_import_rows(
    *, actor: User | None, rows: list[CalendarRow], source: str = CalendarYear.Source.IMPORT, note: str = "",
    provisional: bool = False,
) -> list[int]:
    """Replace whole years of the calendar. Keeps history, set-wise."""
    years = _validate_full_years(rows)
    existing = {d.date: d for d in CalendarDay.objects.select_for_update().filter(date__year__in=years)}
    to_create, to_update = [], []
    for row in rows:
        day = existing.get(row.date)
        if day is None:
            to_create.append(CalendarDay(date=row.date, is_working_day=row.is_working_day, note=row.note))
        elif day.is_working_day != row.is_working_day or day.note != row.note:
            day.is_working_day, day.note = row.is_working_day, row.note
            to_update.append(day)
    reason = _("导入工作日历")
    if to_create:
        bulk_create_with_history(to_create, CalendarDay, batch_size=500, default_user=actor, default_change_reason=reason)
    if to_update:
        bulk_update_with_history(
            to_update, CalendarDay, ["is_working_day", "note"], batch_size=500,
            default_user=actor, default_change_reason=reason,
        )
    for year in years:
        obj, _created = CalendarYear.objects.update_or_create(year=year, defaults={"source": source, "note": note, "provisional": provisional})
    # The bulk writes above send no model signals: tell every process's calendar here.
    workdays.calendar_stamp_bump()
    # Deadlines of open tasks computed on the old calendar move with it (also done by
    # every supervision sweep, which catches a day changed in the admin).
    if to_update:
        from .supervision import calendar_deadlines_recompute

        transaction.on_commit(calendar_deadlines_recompute)
    return years


def calendar_import_csv(*, actor: User | None, text: str, note: str = "") -> list[int]:
    return calendar_import_rows(actor=actor, rows=parse_calendar_csv(text), note=note)


NOTE_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def library_calendar_years() -> list[int]:
    import chinese_calendar

    return list(range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1))


def library_calendar_rows(year: int) -> list[CalendarRow]:
    """One year's rows from the chinese-calendar library."""
    import chinese_calendar

    rows = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        working = chinese_calendar.is_workday(day)
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        note = ""
        if name:
            note = NOTE_ZH.get(name, name)
            if working:
                note = _("%(name)s调休上班") % {"name": note}
        rows.append(CalendarRow(day, working, note))
        day += dt.timedelta(days=1)
    return rows


def calendar_seed_from_library(*, actor: User | None, years: list[int] | None = None, force: bool = False) -> list[int]:
    """Seed every year chinese-calendar knows (years=None) or only `years`. Known years are kept unless force."""
    known = set(CalendarYear.objects.values_list("year", flat=True))
    wanted = [y for y in (library_calendar_years() if years is None else years) if force or y not in known]
    rows = [row for y in wanted for row in library_calendar_rows(y)]
    if not rows:
        return []
    return calendar_import_rows(
        actor=actor, rows=rows, source=CalendarYear.Source.CHINESE_CALENDAR, note="chinese-calendar"
    )


# --- rule defaults ------------------------------------------------------------
def time_limits_ensure(*, rows) -> int:
    """Create the time-limit rows that are missing: (case_kind, step, category,
    name, amount, unit, warn_before, note). Never overwrites an administrator's edit."""
    from .models import TimeLimitRule

    created = 0
    for kind, step, category, name, amount, unit, warn, note in rows:
        _obj, was_created = TimeLimitRule.objects.get_or_create(
            case_kind=kind, step=step, category=category,
            defaults={"name": name, "amount": amount, "unit": unit, "warn_before": warn, "note": note},
        )
        created += was_created
    return created


@transaction.atomic
def rules_seed_defaults(*, actor: User | None = None) -> int:
    """Create the default rules the case apps registered (RULES.md) that are missing. Never overwrites."""
    from .models import DocumentSeries, LabelChoice, LabelScale

    created = time_limits_ensure(rows=registry.time_limit_defaults())
    for code, name, note, choices in registry.label_scale_defaults():
        scale, was_created = LabelScale.objects.get_or_create(code=code, defaults={"name": name, "note": note})
        created += was_created
        for order, (ccode, label, negative) in enumerate(choices, start=1):
            _obj, was_created = LabelChoice.objects.get_or_create(
                scale=scale, code=ccode, defaults={"label": label, "ordering": order, "is_negative": negative}
            )
            created += was_created
    for code, name, number_format in registry.document_series_defaults():
        _obj, was_created = DocumentSeries.objects.get_or_create(code=code, defaults={"name": name, "format": number_format})
        created += was_created
    from .dashboard import ranking_minimum_ensure

    created += ranking_minimum_ensure()
    from .reports import daily_auto_ensure

    created += daily_auto_ensure()
    return created


def defaults_ensure(*, actor: User | None = None) -> None:
    """Everything a fresh database needs: role groups, rule defaults, calendar, beat schedules."""
    from django.conf import settings

    from .roles import ensure_role_groups
    from .schedules import ensure_default_schedules

    ensure_role_groups()
    rules_seed_defaults(actor=actor)
    # settings.CALENDAR_SEED_YEARS: None (the default) seeds every year the library knows;
    # the test settings name the few years the tests use (each test flush seeds them again).
    calendar_seed_from_library(actor=actor, years=settings.CALENDAR_SEED_YEARS)
    ensure_default_schedules(settings.TIME_ZONE)
    for module in case_app_modules("defaults"):
        if hasattr(module, "ensure"):
            module.ensure()


def case_app_modules(name: str) -> list:
    """`<app>.<name>` of every case app in settings.CASE_APPS that has one
    (defaults.py: ensure(); demo.py: load(users=..., departments=...))."""
    import importlib

    from django.conf import settings

    modules = []
    for app in settings.CASE_APPS:
        try:
            modules.append(importlib.import_module(f"{app}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.{name}":
                raise  # a missing import inside the module is a bug, not an absent module
    return modules


# --- notifications --------------------------------------------------------------
def notification_send(
    *, recipients, kind: str, params: dict | None = None, dedupe_key: str = "", created_at: dt.datetime | None = None
) -> int:
    """Notify people (a registered kind and its params, workflow.notifications), and queue the
    e-mails and text messages they chose. With a dedupe_key, a person gets that notice once
    (tasks may run twice). Returns how many of the recipients have it."""
    from . import notifications

    return notifications.send(recipients=recipients, kind=kind, params=params, dedupe_key=dedupe_key, created_at=created_at)


def calendar_check_next_year(*, today: dt.date) -> int | None:
    """From 1 November on, tell administrators when next year's calendar is missing.

    Returns the missing year (or None). Safe to run twice: one notice per
    administrator per year.
    """
    next_year = today.year + 1
    if today.month < 11 or CalendarYear.objects.filter(year=next_year).exists():
        return None
    admins = list(
        User.objects.filter(models.Q(is_superuser=True) | models.Q(memberships__role=EngineRole.ADMIN, memberships__is_active=True))
        .filter(is_active=True).distinct()
    )
    notification_send(
        recipients=admins,
        kind="calendar_missing",
        params={"year": next_year},
        dedupe_key=f"calendar_missing:{next_year}",
    )
    return next_year


def notification_mark_read(*, actor: User, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's own notifications read (all of them when no ids are given)."""
    from .models import Notification

    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    # No history on notifications: they are messages, not domain records.
    return qs.update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, actor: User, channels: dict[str, set[str]], quiet_start: dt.time, quiet_end: dt.time) -> None:
    """Save the actor's own channel choices per kind (in-app is always on) and SMS quiet hours."""
    from . import notifications
    from .models import NotificationPreference, NotificationSettings

    known = {k.code for k in notifications.kinds()}
    unknown = set(channels) - known
    if unknown:
        raise ValidationError(_("未知的通知类别：%(kinds)s") % {"kinds": "、".join(sorted(unknown))})
    rows = [
        NotificationPreference(user=actor, kind=kind, channels=sorted(set(chosen) & set(notifications.OPTIONAL_CHANNELS)))
        for kind, chosen in channels.items()
    ]
    with transaction.atomic():
        # One save at a time per person (a double click, two tabs): the rows are replaced whole.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        NotificationPreference.objects.filter(user=actor, kind__in=list(channels)).delete()
        NotificationPreference.objects.bulk_create(rows)
        NotificationSettings.objects.update_or_create(user=actor, defaults={"quiet_start": quiet_start, "quiet_end": quiet_end})


# --- document numbers -------------------------------------------------------------
def document_number_prefix(*, department: Department) -> str:
    return department.doc_number_prefix or department.short_name


def document_number_issue(*, department: Department, year: int, is_used, typed: str = "", series: str = "letter") -> str:
    """The next number of a department's series (朝审函〔2019〕28号, in the
    series' format: workflow.models.DocumentSeries), or a typed one checked
    against it: right prefix and year, no leading zero, unused. `is_used(number)`
    tells whether a case already carries a number. Call inside the service's
    transaction: the counter row stays locked."""
    from .models import DocumentCounter, DocumentSeries

    rule = DocumentSeries.objects.filter(code=series).first()
    if rule is None:
        raise ValidationError(_("未配置文号系列：%(series)s。请管理员在“文号系列”中添加。") % {"series": series})
    counter, _c = DocumentCounter.objects.select_for_update().get_or_create(department=department, series=series, year=year)
    prefix = document_number_prefix(department=department)
    if typed:
        match = rule.pattern(prefix=prefix).fullmatch(typed)
        if not match or ("year" in match.groupdict() and int(match.group("year")) != year):
            raise ValidationError({"doc_number": _("发文字号格式应为“%(example)s”（本单位前缀、%(year)d年、序号不加“第”和前导零）。") % {
                "example": rule.render(prefix=prefix, year=year, number=1), "year": year,
            }})
        if is_used(typed):
            raise ValidationError({"doc_number": _("发文字号%(n)s已被使用。") % {"n": typed}})
        counter.last = max(counter.last, int(match.group("number")))
        counter.save(update_fields=["last"])
        return typed
    while True:
        counter.last += 1
        number = rule.render(prefix=prefix, year=year, number=counter.last)
        if not is_used(number):
            break
    counter.save(update_fields=["last"])
    return number


# --- the inbox: claiming a shared task ----------------------------------------------------
EVENT_TASK_CLAIMED, EVENT_TASK_RELEASED = "task_claimed", "task_released"


def register_claim_events(task_model) -> None:
    """The claim events, declared on the case model of a registered task model."""
    from django.utils.translation import gettext_lazy

    from .events import EventType, register_events

    case_model = task_model._meta.get_field(task_model.case_field).related_model
    register_events(case_model, [
        EventType(EVENT_TASK_CLAIMED, gettext_lazy("领取任务")),
        EventType(EVENT_TASK_RELEASED, gettext_lazy("退回任务到待领取")),
    ])


def _claimable_task(*, actor: User, task_model, task_id: int):
    """The task, locked with its process, if the actor may act on it (403 otherwise)."""
    from django.core.exceptions import PermissionDenied

    from .selectors import task_scope_q

    if not task_model.objects.filter(pk=task_id).filter(task_scope_q(user=actor)).exists():
        raise PermissionDenied(_("这不是您（或您所在单位、角色）的任务。"))
    return task_model.objects.select_related(task_model.case_field).get(pk=task_id)


@contextmanager
def _task_locked(task, actor: User):
    """The task's activation under its process lock, in one transaction; a case kept
    busy by someone else is a clear refusal (as in flow_step), never a server error;
    the actor's navigation counts are forgotten once it commits."""
    from viewflow.workflow.exceptions import FlowLockFailed

    from .inbox import nav_counts_forget

    try:
        with transaction.atomic(), task.activation() as activation:
            yield activation
            transaction.on_commit(lambda: nav_counts_forget(user=actor))
    except FlowLockFailed:
        raise ValidationError(_("该案件正由他人同时办理，请稍后刷新重试。"))


def task_claim(*, actor: User, task_model, task_id: int):
    """Take an unclaimed task of a shared queue, so colleagues see who is on it.
    Acting on a task takes it anyway (workflow.flow.runtime.flow_step): claiming
    is a signal, never a lock on colleagues of the same department."""
    from viewflow.workflow.status import STATUS

    from .flow.runtime import node_title

    task = _claimable_task(actor=actor, task_model=task_model, task_id=task_id)
    with _task_locked(task, actor) as activation:
        current = activation.task
        if current.status == STATUS.ASSIGNED and current.owner_id == actor.pk:
            raise ValidationError(_("您已领取该任务。"))
        if current.status != STATUS.NEW:
            if current.status == STATUS.ASSIGNED:
                raise ValidationError(_("该任务已由%(name)s领取。") % {"name": current.owner})
            raise ValidationError(_("该任务已办理或已取消，请刷新页面。"))
        activation.assign(actor)
        event_record(case=current.case, type=EVENT_TASK_CLAIMED, actor=actor, payload={"task_id": current.pk, "step": str(node_title(current.flow_task))})
    return current


def task_release(*, actor: User, task_model, task_id: int):
    """Give a task one has claimed back to the shared queue."""
    from django.core.exceptions import PermissionDenied
    from viewflow.workflow.status import STATUS

    from .flow.runtime import node_title

    task = _claimable_task(actor=actor, task_model=task_model, task_id=task_id)
    with _task_locked(task, actor) as activation:
        current = activation.task
        if current.status != STATUS.ASSIGNED or current.owner_id != actor.pk:
            raise ValidationError(_("只能退回自己领取、尚未办理的任务。"))
        from .inbox import has_shared_queue

        if not has_shared_queue(current):
            raise PermissionDenied(_("该任务是指派给您本人的，不能退回。"))
        activation.unassign()
        event_record(case=current.case, type=EVENT_TASK_RELEASED, actor=actor, payload={"task_id": current.pk, "step": str(node_title(current.flow_task))})
    return current
