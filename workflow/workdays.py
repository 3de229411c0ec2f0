"""Working-day arithmetic on the calendar table.

All computations read CalendarDay/CalendarYear; none guesses. Any computation
that needs a date in a year without calendar data raises CalendarYearMissing
naming that year.
"""
from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CalendarDay, CalendarYear, TimeUnit


class CalendarYearMissing(Exception):
    """A deadline needs a year the calendar does not know yet."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            _("%(year)d年的工作日历尚未导入，无法计算期限。请管理员先导入%(year)d年的节假日和调休安排。")
            % {"year": year}
        )


def known_years() -> set[int]:
    return set(CalendarYear.objects.values_list("year", flat=True))


def _require_years(first: int, last: int, years: set[int] | None = None) -> None:
    years = known_years() if years is None else years
    for year in range(first, last + 1):
        if year not in years:
            raise CalendarYearMissing(year)


def is_working_day(day: dt.date) -> bool:
    _require_years(day.year, day.year)
    return CalendarDay.objects.filter(date=day, is_working_day=True).exists()


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The date of the n-th working day after `start` (before it when n < 0).

    n == 0 returns `start` itself. `start` need not be a working day: one
    working day after a Saturday is the next Monday (or make-up Sunday).
    """
    if n == 0:
        return start
    years = known_years()
    _require_years(start.year, start.year, years)
    if n > 0:
        qs = CalendarDay.objects.filter(date__gt=start, is_working_day=True).order_by("date")
    else:
        qs = CalendarDay.objects.filter(date__lt=start, is_working_day=True).order_by("-date")
    days = list(qs.values_list("date", flat=True)[: abs(n)])
    if len(days) == abs(n):
        result = days[-1]
        # Every year from start to the result must be complete, not just present.
        lo, hi = sorted((start.year, result.year))
        _require_years(lo, hi, years)
        return result
    # Ran off the end of the known calendar: name the first missing year.
    step = 1 if n > 0 else -1
    year = start.year
    while year in years:
        year += step
    raise CalendarYearMissing(year)


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days after `a` up to and including `b` (negative when b < a)."""
    if a == b:
        return 0
    lo, hi = sorted((a, b))
    _require_years(lo.year, hi.year)
    count = CalendarDay.objects.filter(date__gt=lo, date__lte=hi, is_working_day=True).count()
    return count if b > a else -count


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of `day` in the installation's time zone."""
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)


def deadline_at_end_of_nth_working_day(start: dt.datetime | dt.date, n: int) -> dt.datetime:
    """Deadline at the end of the n-th working day after `start`."""
    day = timezone.localtime(start).date() if isinstance(start, dt.datetime) else start
    return end_of_day(add_working_days(day, n))


def next_working_day_on_or_after(day: dt.date) -> dt.date:
    if is_working_day(day):
        return day
    return add_working_days(day, 1)


def compute_deadline(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """A deadline `amount` `unit`s after `start`.

    * working days: end of the n-th working day after the start date;
    * hours: exactly that many hours later (urgent complaints run round the clock);
    * natural days / months: end of that calendar date, moved forward to the next
      working day when it falls on a rest day (the usual rule for 期限届满日).
    """
    if unit == TimeUnit.WORKING_DAYS:
        return deadline_at_end_of_nth_working_day(start, amount)
    if unit == TimeUnit.HOURS:
        return start + dt.timedelta(hours=amount)
    local_day = timezone.localtime(start).date()
    if unit == TimeUnit.NATURAL_DAYS:
        target = local_day + dt.timedelta(days=amount)
    elif unit == TimeUnit.MONTHS:
        target = local_day + relativedelta(months=amount)
    else:
        raise ValueError(f"unknown time unit {unit!r}")
    return end_of_day(next_working_day_on_or_after(target))
