"""Set-wise writes the ORM cannot express: ``INSERT INTO ... SELECT``, and a count per person.

The deadline sweep and the calendar recompute write one row per task or case
(events, urging notices, breach records) for up to a million of them at a
time. Building a model instance per row for ``bulk_create`` costs minutes of
Python (docs/performance.md); the database writes the same rows in one pass
when they are described as a query. Django has no ``INSERT ... SELECT``, so
`insert_select` compiles an ordinary queryset, annotated with one expression
per target field, and puts the ``INSERT`` in front of it. Querysets keep the
SQL portable (SQLite and PostgreSQL); the only text written here is the
``INSERT`` itself and the membership join of `per_person`.
"""
from __future__ import annotations

from django.db import connection
from django.db.models import BigIntegerField, F, QuerySet, Value
from django.db.models.functions import Cast


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
    # ON CONFLICT DO NOTHING skips rows a unique constraint holds and nothing else (SQLite's
    # INSERT OR IGNORE would also drop rows breaking NOT NULL or CHECK, silently). After an
    # INSERT ... SELECT, SQLite parses it unambiguously only when the SELECT ends in a WHERE:
    # an outer SELECT with one (SQLite flattens it away).
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if tail and connection.vendor == "sqlite":
        select = f"SELECT * FROM ({select}) WHERE 1"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_qn(meta.db_table)} ({columns}) {select}{tail}", params)
        return max(cursor.rowcount, 0)


def insert_select(model, rows: QuerySet, columns: dict, *, ignore_conflicts: bool = False) -> int:
    """``INSERT INTO model (columns) SELECT ...``: one row of `model` per row of the
    queryset `rows`, each field of `columns` set to its expression (evaluated on the
    source row: F(), Value(), Case(), JSONObject(), ...). With `ignore_conflicts`, rows
    a unique constraint already holds are skipped (a sweep run twice); any other
    failure raises. Returns the rows inserted."""
    sql, params, _aliases = select_sql(rows, columns)
    return _insert(model, list(columns), sql, params, ignore_conflicts=ignore_conflicts)


def per_person(rows: QuerySet, *, role, department, membership_model, owner=None, least: dict, most: dict | None = None) -> list[dict]:
    """Who owes the rows, counted per person: for each active person, how many rows they owe
    and, for each entry of `least` (`most`), the least (greatest) value of its expression
    over those rows.

    A row is owed by its `owner` (an expression; NULL: nobody in particular), else by the
    people holding the role `role` (an expression) in the department `department` (an
    expression; NULL: the role in any department). One statement, grouped in the database:
    one result row per person however many rows; a person holding the role in several
    departments counts each row once.

    The rows are first grouped by who owes them (owner, role, department: a few dozen
    groups for tens of thousands of rows), and only the groups meet the memberships: joining
    every row to every member of its department and counting distinct rows per person took
    0.3 s for 30,000 rows (docs/performance.md). A person meets a group once per membership
    row that matches it (several departments for a group of any department): the DISTINCT
    over (person, group) keeps one, so each group's count is added once per person."""
    columns = {"member_role": role, "member_department": department,
               "owner": owner if owner is not None else Cast(Value(None), BigIntegerField()), **least, **(most or {})}
    inner, params, aliases = select_sql(rows, columns)
    role_a, dept_a, owner_a, *value_as = (_qn(a) for a in aliases)
    n_least = len(least)
    group_aggregates = [f"MIN({c}) AS v{i}" for i, c in enumerate(value_as[:n_least])] + \
                       [f"MAX({c}) AS v{i + n_least}" for i, c in enumerate(value_as[n_least:])]
    group_values = "".join(f", {a}" for a in group_aggregates)
    grouped = (f"SELECT {owner_a} AS g_owner, {role_a} AS g_role, {dept_a} AS g_dept, COUNT(*) AS g_n{group_values} "
               f"FROM ({inner}) t GROUP BY {owner_a}, {role_a}, {dept_a}")
    values = "".join(f", g.v{i}" for i in range(len(value_as)))
    meta = membership_model._meta
    user_meta = meta.get_field("user").related_model._meta
    m_user, m_role = _qn(meta.get_field("user").column), _qn(meta.get_field("role").column)
    m_dept, m_active = _qn(meta.get_field("department").column), _qn(meta.get_field("is_active").column)
    u_pk, u_active = _qn(user_meta.pk.column), _qn(user_meta.get_field("is_active").column)
    person = f"COALESCE(g.g_owner, m.{m_user})"
    met = (
        f"SELECT DISTINCT {person} AS p, g.g_owner, g.g_role, g.g_dept, g.g_n{values} FROM ({grouped}) g "
        f"LEFT JOIN {_qn(meta.db_table)} m ON g.g_owner IS NULL AND m.{m_role} = g.g_role AND m.{m_active} = %s "
        f"AND (g.g_dept IS NULL OR m.{m_dept} = g.g_dept) "
        f"JOIN {_qn(user_meta.db_table)} u ON u.{u_pk} = {person} AND u.{u_active} = %s"
    )
    aggregates = "".join([f", MIN(x.v{i})" for i in range(n_least)] + [f", MAX(x.v{i})" for i in range(n_least, len(value_as))])
    # SUM of a count is numeric on PostgreSQL: cast back to an integer.
    sql = f"SELECT x.p, CAST(SUM(x.g_n) AS bigint){aggregates} FROM ({met}) x GROUP BY x.p"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, True, True])
        names = [*least, *(most or {})]
        return [{"person": row[0], "count": row[1], **dict(zip(names, row[2:]))} for row in cursor.fetchall()]


HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "history_type", "history_user")


def insert_history(model, rows: QuerySet, *, now, reason: str = "") -> int:
    """django-simple-history's rows for objects changed by ``QuerySet.update()`` (which
    records none): one ``INSERT ... SELECT`` copying each object of `rows` as it is now
    into `model`'s historical table, as a change ("~") at `now`, by nobody (the system),
    with `reason`. The columns the history excludes (personal data) are not copied."""
    history = getattr(model, model._meta.simple_history_manager_attribute).model
    columns = {f.name: F(f.attname) for f in history._meta.concrete_fields if f.name not in HISTORY_FIELDS}
    columns.update(
        history_date=Value(now), history_type=Value("~"), history_change_reason=Value(reason),
        history_user=Cast(Value(None), BigIntegerField()),
    )
    return insert_select(history, rows, columns)
