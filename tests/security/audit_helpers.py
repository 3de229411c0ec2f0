"""Tampering with the audit trail the way someone with database access would: raw SQL, with the
PostgreSQL trigger lifted (pgtrigger.ignore; nothing to lift on SQLite)."""
import datetime as dt

import pgtrigger
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from workflow import audit


def raw_sql(sql: str, params=()) -> None:
    with pgtrigger.ignore(audit.PROTECT_TRIGGER), connection.cursor() as cursor:
        cursor.execute(sql, params)


def empty_trail() -> None:
    """Start from an empty trail (the test database's migrate wrote rows at today's real date,
    which a test travelling to the past would otherwise find younger than its own)."""
    raw_sql("DELETE FROM workflow_securityevent")


def verify_command() -> tuple[int, str]:
    """(exit status, message) of `manage.py audit_verify`."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, str(exc) + err.getvalue()
    return 0, out.getvalue()


def trail(n: int, *, start: dt.datetime | None = None) -> list:
    """n rows of the trail (sign-in failures of made-up names)."""
    return [audit.append(kind="login_failed", username=f"nobody{i}", detail={"i": i}) for i in range(n)]
