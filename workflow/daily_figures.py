"""Pre-aggregated daily figures for the supervision dashboard (workflow.dashboard).

A case type whose metric provider has a ``daily`` spec (DailySpec) keeps, for each
finished day, the numerators and denominators its live aggregate queries give for that
day's cases, per department, category, channel and subtype (DailyFigure). The dashboard
then sums the stored rows of the period's covered days (one query) and computes live
only the days that are not covered: today, days never filled, and days whose figures
may have moved since they were filled. The live computation stays the definition; the
stored rows are exactly what it gives for the covered days (tests/supervision/
test_daily_figures.py compares both for every figure, scope and period kind).

A stored day is used only when all of these hold:

* it is before today (the current day is always computed live);
* it was filled at or before the dashboard's `now`, and `now` is not after its
  `valid_until`: the earliest pending deadline (an unanswered case's handling
  deadline, an unsigned dispatch's sign-for deadline) at or after the fill. Until
  then no clock has moved a figure ("answered, or past the deadline");
* none of its cases changed since the last refresh (DailySpec.changed_days: the
  case app's history rows and case events since the watermark, less a margin for
  transactions committed late);
* the calendar is the one the working-day averages were computed on
  (CalendarStamp's token; any correction refills every day).

``daily_figures_refresh()`` fills the missing, expired and changed days set-wise
(INSERT ... SELECT ... GROUP BY per figure, one statement per figure per run of days;
the working-day averages read once per run and written by bulk_create) and is
idempotent: run twice, the second run finds nothing to do. Celery beat runs it
(workflow.daily_figures_refresh, every 15 minutes and after midnight); the sweep may call it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from . import registry

ALL = "*"  # category, channel and subtype of the roll-up rows (every value summed)
MARGIN = dt.timedelta(minutes=10)  # changes saved this long before a refresh are looked at again (late commits)
RUN_DAYS = 31  # days per INSERT ... SELECT when filling


@dataclass(frozen=True)
class DailySpec:
    """What a case type tells the engine to keep its figures per day.

    * ``grouped(query) -> [(values queryset, [metric codes])]``: aggregate querysets
      (workflow.dashboard.ratio_queryset with `dims=daily_dims(...)`) over the query's
      period, with the keys dash_bucket (the period's day: the bucket field must be the
      period field), dash_dept, dash_category, dash_channel, dash_subtype and
      ``<code>__num`` / ``<code>__den`` per code;
    * ``python_rows(query) -> [(day, bucket, dept, category, channel, subtype, code, num, den)]``:
      figures computed in Python (working-day averages), read in a fixed number of queries;
    * ``expiry(query) -> {day: datetime}``: per day, the earliest pending deadline at or
      after query.now whose passing changes a figure;
    * ``changed_days(since) -> set of days``: the days whose cases changed since then;
    * ``first_day() -> date | None``: the earliest day with a case;
    * ``scope(query) -> Q | None`` (optional): the stored rows the query's user may see, as a
      filter on DailyFigure.scope_flag / scope_unit (the grouped querysets' dash_flag and
      dash_unit keys, the python rows' last two values), or None when the user's scope cannot
      be said so: then the provider computes everything live. Without it: the departments only.
    """

    grouped: Callable[[Any], list]
    python_rows: Callable[[Any], list]
    expiry: Callable[[Any], dict]
    changed_days: Callable[[dt.datetime], set]
    first_day: Callable[[], dt.date | None]
    scope: Callable[[Any], Any] | None = None


def daily_dims(query, *, category: str = "", channel: str = "", subtype: str = "", flag=None, unit=None) -> dict:
    """The group-by keys of a daily aggregate besides department and bucket (which, at the
    fill's granularity "day", is the period's local day): the case's category, channel and
    subtype columns, as text ("" when the case type has no such filter); its scope flag and
    unit (expressions or field names; False and NULL when the case type has none)."""
    from django.db.models import BigIntegerField, BooleanField, CharField, F, Value
    from django.db.models.functions import Cast, Coalesce

    def expr(value, default):
        if value is None:
            return default
        return F(value) if isinstance(value, str) else value

    def text(field_name):
        if not field_name:
            return Value("", output_field=CharField())
        return Coalesce(Cast(field_name, output_field=CharField(max_length=40)), Value(""), output_field=CharField())

    return {"dash_category": text(category), "dash_channel": text(channel), "dash_subtype": text(subtype),
            "dash_flag": expr(flag, Value(False, output_field=BooleanField())),
            # Typed NULL: PostgreSQL's CREATE TABLE AS would make a bare NULL a text column.
            "dash_unit": expr(unit, Cast(Value(None), output_field=BigIntegerField()))}


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _runs(days, limit: int | None = None) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as (first, last) runs of consecutive days (at most `limit` days each)."""
    result: list[list[dt.date]] = []
    for day in sorted(days):
        if result and day == result[-1][1] + dt.timedelta(days=1) and (limit is None or (day - result[-1][0]).days < limit):
            result[-1][1] = day
        else:
            result.append([day, day])
    return [(a, b) for a, b in result]


def _calendar_token() -> str:
    from .models import CalendarStamp

    return CalendarStamp.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def daily_providers() -> list:
    return [p for p in registry.metric_providers() if p.daily is not None]


# --- reading ---------------------------------------------------------------------------------
def covered_days(provider, *, first: dt.date, last: dt.date, now: dt.datetime) -> set[dt.date]:
    """The days of first..last whose stored figures hold at `now` (see the module's docstring)."""
    from .models import DailyFigureDay, DailyFigureStamp

    stamp = DailyFigureStamp.objects.filter(provider=provider.code).first()
    today = timezone.localtime(now).date()
    last = min(last, today - dt.timedelta(days=1))
    if stamp is None or last < first or stamp.calendar_token != _calendar_token():
        return set()
    days = {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}
    if stamp.first_day is None:
        covered = set(days)  # no case at all when last checked
    else:
        covered = {d for d in days if d < stamp.first_day}
        covered |= set(
            DailyFigureDay.objects.filter(provider=provider.code, day__gte=max(first, stamp.first_day), day__lte=last, computed_at__lte=now)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=now)).values_list("day", flat=True)
        )
    return covered - provider.daily.changed_days(stamp.checked_at - MARGIN)


def stored_rows(provider, query, days: set[dt.date]) -> list[tuple]:
    """The stored figures of `days`, in the query's departments, filters and trend granularity,
    as ProviderFigures rows: (department, None, code, num, den) per department (the period's
    totals) and (None, bucket, code, num, den) per trend bucket (all departments). Two queries,
    each returning departments x figures or buckets x figures rows, whatever the period's length.
    Without a category, channel or subtype filter they read the roll-up rows (ALL) only."""
    from .models import DailyFigure

    if not days:
        return []
    first, last = min(days), max(days)
    qs = DailyFigure.objects.filter(provider=provider.code, day__gte=first, day__lte=last)
    missing = [first + dt.timedelta(days=i) for i in range((last - first).days + 1) if first + dt.timedelta(days=i) not in days]
    if missing:
        qs = qs.exclude(day__in=missing)
    qs = qs.filter(query.department_q("department_id"))
    if provider.daily.scope is not None:
        qs = qs.filter(provider.daily.scope(query))
    filters = {name: str(getattr(query, name)) for name in ("category", "channel", "subtype") if getattr(query, name)}
    if filters:
        qs = qs.exclude(category=ALL).filter(**filters)
    else:
        qs = qs.filter(category=ALL)
    qs = qs.order_by()
    result = [(r["department_id"], None, r["metric"], r["n"], r["d"])
              for r in qs.values("department_id", "metric").annotate(n=Sum("num"), d=Sum("den"))]
    bucket = "bucket_month" if query.granularity == "month" else "bucket"
    for r in qs.values("metric", bucket).annotate(n=Sum("num"), d=Sum("den")):
        b = r[bucket]
        if isinstance(b, str):
            b = dt.date.fromisoformat(b[:10])
        result.append((None, b, r["metric"], r["n"], r["d"]))
    return result


def provider_figures(provider, query):
    """The provider's ProviderFigures for the query: stored rows for the covered days, the
    provider's own (live) computation for the rest and for everything not per day."""
    if provider.daily.scope is not None and provider.daily.scope(query) is None:
        return provider.compute(query)  # a scope the stored rows cannot express: everything live
    first, last = query.first_day, query.last_day
    covered = covered_days(provider, first=first, last=last, now=query.now or timezone.now())
    live_days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    live_days = [d for d in live_days if d not in covered]
    ranges = tuple((_start_of(a), _start_of(b + dt.timedelta(days=1))) for a, b in _runs(live_days))
    figures = provider.compute(dataclasses.replace(query, ranges=ranges))
    figures.rows = list(figures.rows) + stored_rows(provider, query, covered)
    return figures


# --- filling ---------------------------------------------------------------------------------
_COLUMNS = "provider, day, bucket, bucket_month, department_id, category, channel, subtype, scope_flag, scope_unit, metric, num, den"


def _fill(provider, first: dt.date, last: dt.date, now: dt.datetime) -> int:
    """Replace the stored figures of first..last (one transaction): one INSERT ... SELECT per
    figure, the Python figures by bulk_create, one DailyFigureDay per day."""
    from .dashboard import DashboardQuery
    from .models import DailyFigure, DailyFigureDay

    spec = provider.daily
    query = DashboardQuery(user=None, start=_start_of(first), end=_start_of(last + dt.timedelta(days=1)), granularity="day",
                           departments=None, now=now)
    table = DailyFigure._meta.db_table
    rows = 0
    with transaction.atomic():
        DailyFigure.objects.filter(provider=provider.code, day__gte=first, day__lte=last).delete()
        DailyFigureDay.objects.filter(provider=provider.code, day__gte=first, day__lte=last).delete()
        month = ("CAST(date_trunc('month', g.dash_bucket) AS date)" if connection.vendor == "postgresql"
                 else "substr(g.dash_bucket, 1, 8) || '01'")
        with connection.cursor() as cursor:
            for qs, codes in spec.grouped(query):
                # The grouped rows once into a temporary table (one pass over the cases),
                # then one INSERT ... SELECT per figure from it.
                sql, params = qs.query.sql_with_params()
                cursor.execute("DROP TABLE IF EXISTS dash_daily_fill")
                cursor.execute(f"CREATE TEMPORARY TABLE dash_daily_fill AS {sql}", params)
                for code in codes:
                    cursor.execute(
                        f"INSERT INTO {table} ({_COLUMNS}) SELECT %s, g.dash_bucket, g.dash_bucket, {month}, g.dash_dept, g.dash_category, "
                        f"g.dash_channel, g.dash_subtype, g.dash_flag, g.dash_unit, %s, g.\"{code}__num\", g.\"{code}__den\" FROM dash_daily_fill g "
                        f"WHERE g.dash_dept IS NOT NULL",
                        [provider.code, code],
                    )
                    rows += max(cursor.rowcount, 0)
                    # The roll-up: every category, channel and subtype summed (a case has one of each).
                    cursor.execute(
                        f"INSERT INTO {table} ({_COLUMNS}) SELECT %s, g.dash_bucket, g.dash_bucket, {month}, g.dash_dept, %s, %s, %s, "
                        f"g.dash_flag, g.dash_unit, %s, "
                        f"SUM(g.\"{code}__num\"), SUM(g.\"{code}__den\") FROM dash_daily_fill g WHERE g.dash_dept IS NOT NULL "
                        f"GROUP BY g.dash_bucket, g.dash_dept, g.dash_flag, g.dash_unit",
                        [provider.code, ALL, ALL, ALL, code],
                    )
                    rows += max(cursor.rowcount, 0)
                cursor.execute("DROP TABLE dash_daily_fill")
        extra, rollup = [], {}
        for row in spec.python_rows(query):
            day, bucket, dept, category, channel, subtype, code, num, den = row[:9]
            flag, unit = row[9:11] if len(row) > 9 else (False, None)
            if dept is None:
                continue
            extra.append(DailyFigure(provider=provider.code, day=day, bucket=bucket, bucket_month=bucket.replace(day=1), department_id=dept,
                                     category=str(category or ""), channel=str(channel or ""), subtype=str(subtype or ""),
                                     scope_flag=bool(flag), scope_unit=unit, metric=code, num=num, den=den))
            acc = rollup.setdefault((day, bucket, dept, bool(flag), unit, code), [0.0, 0])
            acc[0] += num
            acc[1] += den
        extra += [
            DailyFigure(provider=provider.code, day=day, bucket=bucket, bucket_month=bucket.replace(day=1), department_id=dept,
                        category=ALL, channel=ALL, subtype=ALL, scope_flag=flag, scope_unit=unit, metric=code, num=num, den=den)
            for (day, bucket, dept, flag, unit, code), (num, den) in rollup.items()
        ]
        DailyFigure.objects.bulk_create(extra, batch_size=2000)
        rows += len(extra)
        expiry = spec.expiry(query)
        DailyFigureDay.objects.bulk_create([
            DailyFigureDay(provider=provider.code, day=first + dt.timedelta(days=i), computed_at=now,
                           valid_until=expiry.get(first + dt.timedelta(days=i)))
            for i in range((last - first).days + 1)
        ], batch_size=2000)
    return rows


def daily_figures_refresh(*, now: dt.datetime | None = None) -> dict:
    """Fill the finished days that are missing, expired (a pending deadline has passed) or
    changed (their cases changed since the last refresh), for every case type with a daily
    spec; everything after a calendar correction. Idempotent: {provider: days filled}."""
    from .models import DailyFigure, DailyFigureDay, DailyFigureStamp

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    yesterday = today - dt.timedelta(days=1)
    result = {}
    for provider in daily_providers():
        spec = provider.daily
        token = _calendar_token()
        stamp = DailyFigureStamp.objects.filter(provider=provider.code).first()
        first_day = spec.first_day()
        todo: set[dt.date] = set()
        if stamp is None or stamp.calendar_token != token:
            DailyFigure.objects.filter(provider=provider.code).delete()
            DailyFigureDay.objects.filter(provider=provider.code).delete()
        else:
            todo |= spec.changed_days(stamp.checked_at - MARGIN)
            todo |= set(DailyFigureDay.objects.filter(provider=provider.code).filter(
                Q(valid_until__lt=now) | Q(computed_at__gt=now)).values_list("day", flat=True))
        if first_day is not None and first_day <= yesterday:
            have = set(DailyFigureDay.objects.filter(provider=provider.code, day__gte=first_day, day__lte=yesterday).values_list("day", flat=True))
            todo |= {first_day + dt.timedelta(days=i) for i in range((yesterday - first_day).days + 1)} - have
        todo = {d for d in todo if d <= yesterday}
        for a, b in _runs(todo, RUN_DAYS):
            try:
                _fill(provider, a, b, now)
            except IntegrityError:
                # Another refresh filled these days at the same time (DailyFigureDay is unique
                # per day): its transaction won, this one rolled back; nothing is counted twice.
                continue
        DailyFigureStamp.objects.update_or_create(
            provider=provider.code, defaults={"checked_at": now, "calendar_token": token, "first_day": first_day},
        )
        result[provider.code] = len(todo)
    return result
