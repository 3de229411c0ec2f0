"""Demo organisation from the seed documents (placeholder personal names).

Departments and offices appear in ../shared/seeds/ (朝天区 proposal record,
政务服务中心 reports). Idempotent: runs any number of times without duplicates.

The engine's part is the government departments and the people every case
type routes to (handlers, leaders, the supervision office, the
administrators: one per role of 三权分立, each with the demo authenticator
secret, and the installation superuser). Each case app's demo.py adds its own DEPARTMENTS, PARENTS and
ACCOUNTS (same shapes as here) and its cases in load(users=, departments=).
"""
from __future__ import annotations

from django.db import transaction

from . import second_factor, services
from .models import Department, User
from .roles import ADMIN_ROLES
from .roles import EngineRole as Role

DEMO_PASSWORD = "demo12345"

# code, name, short_name, kind, contact person, phone, doc-number prefix
DEPARTMENTS = [
    ("gov-office", "广元市朝天区人民政府办公室", "区政府办", Department.Kind.GOVERNMENT, "示例联系人", "0839-0000003", "朝府办函"),
    ("supervision", "广元市朝天区人民政府督查室", "政府督查室", Department.Kind.SUPERVISION_OFFICE, "示例联系人", "0839-0000004", "朝府督函"),
    ("approval", "广元市朝天区行政审批和数据局", "区行政审批局", Department.Kind.GOVERNMENT, "示例联系人", "0839-0000000", "朝审函"),
    ("service-centre", "广元市朝天区政务服务中心", "区政务服务中心", Department.Kind.GOVERNMENT, "示例联系人", "0839-0000005", "朝政服函"),
    ("hrss", "广元市朝天区人力资源和社会保障局", "区人社局", Department.Kind.GOVERNMENT, "示例联系人", "0839-0000006", "朝人社函"),
    ("market", "广元市朝天区市场监督管理局", "区市场监管局", Department.Kind.GOVERNMENT, "示例联系人", "0839-0000007", "朝市监函"),
    ("housing", "广元市朝天区住房和城乡建设局", "区住建局", Department.Kind.GOVERNMENT, "示例联系人", "0839-0000008", "朝住建函"),
    ("realestate", "广元市朝天区不动产登记中心", "区不动产登记中心", Department.Kind.GOVERNMENT, "示例联系人", "0839-0000009", "朝不动产函"),
]
PARENTS = {"service-centre": "approval", "realestate": "housing", "supervision": "gov-office"}

# username, full name, [(department code, role)], is_superuser
ACCOUNTS = [
    ("handler1", "示例承办人", [("approval", Role.HANDLER)], False),
    ("leader1", "示例单位领导", [("approval", Role.DEPT_LEADER)], False),
    ("handler2", "示例人社局承办人", [("hrss", Role.HANDLER)], False),
    ("leader2", "示例人社局领导", [("hrss", Role.DEPT_LEADER)], False),
    ("supervisor1", "示例督查人员", [("supervision", Role.SUPERVISOR)], False),
    # 三权分立: one person per administrator role; and the superuser, for installation only.
    # Each signs in with the demo authenticator secret (second_factor.DEMO_SECRET_BASE32, README).
    ("sysadmin1", "示例系统管理员", [("gov-office", Role.ADMIN)], False),
    ("secadmin1", "示例安全管理员", [("gov-office", Role.SECURITY_ADMIN)], False),
    ("auditadmin1", "示例审计管理员", [("gov-office", Role.AUDIT_ADMIN)], False),
    ("admin", "安装用超级管理员", [], True),
]


PROVISIONAL_NOTE = "演示用暂定日历：按周末和公历固定日期的节日（元旦、劳动节、国庆节）推算，不含春节等农历节日和调休，不是国务院公布的放假安排。正式使用前请导入官方安排。"

# Statutory holidays on fixed Gregorian dates (2025 rules: 元旦 1 day, 劳动节 2, 国庆节 3):
# a provisional deadline never lands on them. The lunar ones and 调休 need the official arrangement.
FIXED_HOLIDAYS = {(1, 1): "元旦", (5, 1): "劳动节", (5, 2): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节", (10, 3): "国庆节"}


def provisional_year_rows(year: int) -> list[services.CalendarRow]:
    import datetime as dt

    rows, day = [], dt.date(year, 1, 1)
    while day.year == year:
        holiday = FIXED_HOLIDAYS.get((day.month, day.day))
        if holiday:
            rows.append(services.CalendarRow(day, False, holiday))
        else:
            rows.append(services.CalendarRow(day, day.weekday() < 5, "" if day.weekday() < 5 else "周末"))
        day += dt.timedelta(days=1)
    return rows


def ensure_demo_calendar(*, actor: User | None = None) -> list[int]:
    """The demo must work today, and a 3-month deadline set in late 2026 reaches
    2027, which no library knows yet. For the DEMO database only, enter next
    year as weekends-only, labelled provisional (see docs/decisions/0003)."""
    from django.utils import timezone

    from .models import CalendarYear

    year = timezone.localdate().year + 1
    if CalendarYear.objects.filter(year=year).exists():
        return []
    return services.calendar_import_rows(
        actor=actor, rows=provisional_year_rows(year), source=CalendarYear.Source.MANUAL, note=PROVISIONAL_NOTE,
        provisional=True,
    )


def demo_organisation() -> tuple[list, dict, list]:
    """The engine's departments, parents and accounts plus every case app's."""
    departments, parents, accounts = list(DEPARTMENTS), dict(PARENTS), list(ACCOUNTS)
    for module in services.case_app_modules("demo"):
        departments += getattr(module, "DEPARTMENTS", [])
        parents.update(getattr(module, "PARENTS", {}))
        accounts += getattr(module, "ACCOUNTS", [])
    return departments, parents, accounts


@transaction.atomic
def load_demo_data(*, actor: User | None = None) -> dict:
    services.defaults_ensure(actor=actor)
    ensure_demo_calendar(actor=actor)
    departments, parents, accounts = demo_organisation()
    depts = {}
    for code, name, short, kind, person, phone, prefix in departments:
        dept, _ = Department.objects.update_or_create(
            code=code,
            defaults={"name": name, "short_name": short, "kind": kind, "contact_person": person,
                      "contact_phone": phone, "doc_number_prefix": prefix},
        )
        depts[code] = dept
    for child, parent in parents.items():
        if depts[child].parent_id != depts[parent].pk:
            depts[child].parent = depts[parent]
            depts[child].save(update_fields=["parent"])
    users = {}
    for username, full_name, roles, superuser in accounts:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name, is_superuser=superuser, is_staff=superuser)
            user.set_password(DEMO_PASSWORD)
            user.save()
        for code, role in roles:
            services.membership_grant(actor=actor, user=user, department=depts[code], role=role)
        if superuser or any(role in ADMIN_ROLES for _code, role in roles):
            second_factor.demo_device_ensure(user=user)
        users[username] = user
    return {"departments": depts, "users": users}
