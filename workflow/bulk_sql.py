"""Set-wise writes the ORM cannot express: ``INSERT INTO ... SELECT``.

The deadline sweep and the calendar recompute write one row per case (events,
urging notices, breach records, notifications) for up to a million cases at a
time. Building a model instance per row for ``bulk_create`` costs minutes of
Python (docs/performance.md); the database writes the same rows in one pass
when the rows are described as a query. Django has no ``INSERT ... SELECT``
(ticket #28682 is open), so this module compiles an ordinary queryset, whose
every column is an annotation named like the target field, and puts the
``INSERT`` in front of it. Querysets keep the SQL portable (SQLite and
PostgreSQL); the only text written here is the ``INSERT`` itself and the
membership join of `recipients_sql`.
"""
from __future__ import annotations

from django.db import connection
from django.db.models import BigIntegerField, Func, QuerySet


class Epoch(Func):
    """Seconds since 1970 of a datetime column, as an integer (Python's int(dt.timestamp()))."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler, conn, **extra):
        # '%%%%s': the template is %-formatted once here and the statement's %s placeholders once more.
        return self.as_sql(compiler, conn, template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)", **extra)

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)", **extra)


def select_sql(rows: QuerySet, columns: dict) -> tuple[str, list, list[str]]:
    """The SQL of `rows` selecting one expression per entry of `columns`, in order, under
    the aliases it returns (ins_0, ins_1, ...: never a field name of the source model)."""
    aliases = [f"ins_{i}" for i in range(len(columns))]
    query = rows.order_by().annotate(**dict(zip(aliases, columns.values()))).values(*aliases).query
    sql, params = query.sql_with_params()
    return sql, list(params), aliases


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert(model, fields: list[str], select: str, params: list, *, ignore_conflicts: bool) -> int:
    meta = model._meta
    columns = ", ".join(_qn(meta.get_field(f).column) for f in fields)
    verb = "INSERT OR IGNORE INTO" if ignore_conflicts and connection.vendor == "sqlite" else "INSERT INTO"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts and connection.vendor != "sqlite" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"{verb} {_qn(meta.db_table)} ({columns}) {select}{tail}", params)
        return max(cursor.rowcount, 0)


def insert_select(model, rows: QuerySet, columns: dict, *, ignore_conflicts: bool = False) -> int:
    """``INSERT INTO model (columns) SELECT ...``: one row of `model` per row of the
    queryset `rows`, each field of `columns` set to its expression (evaluated on the
    source row: F(), Value(), Case(), JSONObject(), ...). With `ignore_conflicts`, rows
    a unique constraint already holds are skipped (a sweep run twice). Returns the
    rows inserted."""
    sql, params, _aliases = select_sql(rows, columns)
    return _insert(model, list(columns), sql, params, ignore_conflicts=ignore_conflicts)


def insert_select_per_member(model, rows: QuerySet, columns: dict, *, recipient: str, role, department,
                             membership_model, ignore_conflicts: bool = True) -> int:
    """Like `insert_select`, one row per active person (the field `recipient` of `model`)
    holding the role `role` (an expression on `rows`) in the department `department`
    (an expression; NULL: the role in any department). The people are joined in the
    database: one statement however many rows and people; a person holding the role
    twice gets one row."""
    inner, params, aliases = select_sql(rows, {**columns, "member_role": role, "member_department": department})
    *fields, role_col, dept_col = aliases
    meta = membership_model._meta
    user_meta = meta.get_field("user").related_model._meta
    m_user, m_role = _qn(meta.get_field("user").column), _qn(meta.get_field("role").column)
    m_dept, m_active = _qn(meta.get_field("department").column), _qn(meta.get_field("is_active").column)
    u_pk, u_active = _qn(user_meta.pk.column), _qn(user_meta.get_field("is_active").column)
    outer = ", ".join(f"t.{_qn(a)}" for a in fields)
    sql = (
        f"SELECT DISTINCT m.{m_user}, {outer} FROM ({inner}) t "
        f"JOIN {_qn(meta.db_table)} m ON m.{m_role} = t.{_qn(role_col)} AND m.{m_active} = %s "
        f"AND (t.{_qn(dept_col)} IS NULL OR m.{m_dept} = t.{_qn(dept_col)}) "
        f"JOIN {_qn(user_meta.db_table)} u ON u.{u_pk} = m.{m_user} AND u.{u_active} = %s WHERE 1 = 1"
    )
    return _insert(model, [recipient, *columns], sql, [*params, True, True], ignore_conflicts=ignore_conflicts)
