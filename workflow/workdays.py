"""Working-day arithmetic on the calendar, held in memory in each process.

The calendar (CalendarDay/CalendarYear) is loaded once into a sorted array of
working days and the set of known years, and answered with bisect: a warm call
asks the database nothing. Every change to the calendar writes a new token
into CalendarStamp (the model signals below, and calendar_stamp_bump for the
bulk paths); each process compares that token at most once a second
(monotonic clock) and reloads when it changed, and the process making the
change drops its copy at once. See docs/decisions/0006-calendar-in-memory.md.

None of it guesses: any computation that needs a date in a year without
calendar data raises CalendarYearMissing naming that year, as the table did.
"""
from __future__ import annotations

import bisect
import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CalendarDay, CalendarStamp, CalendarYear, TimeUnit
from .stamped import StampedCache


class CalendarYearMissing(Exception):
    """A deadline needs a year the calendar does not know yet."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            _("%(year)d年的工作日历尚未导入，无法计算期限。请管理员先导入%(year)d年的节假日和调休安排。")
            % {"year": year}
        )


# --- the calendar in memory --------------------------------------------------------
class _Calendar:
    """One loaded state of the calendar table; never changed once built."""

    __slots__ = ("days", "working", "years", "provisional", "token")

    def __init__(self, days: list[dt.date], years: frozenset[int], token: str | None, provisional: frozenset[int] = frozenset()):
        self.days = days  # every working day in CalendarDay, sorted (also days of years not marked known)
        self.working = frozenset(days)
        self.years = years  # the years with a CalendarYear row
        self.provisional = provisional  # of those, the years marked provisional (deadlines in them are shown so)
        self.token = token  # CalendarStamp's token when loaded


def _load_calendar(token: str | None) -> _Calendar:
    days = list(CalendarDay.objects.filter(is_working_day=True).order_by("date").values_list("date", flat=True))
    rows = list(CalendarYear.objects.values_list("year", "provisional"))
    years = frozenset(year for year, _provisional in rows)
    return _Calendar(days, years, token, frozenset(year for year, provisional in rows if provisional))


calendar_cache = StampedCache(CalendarStamp, _load_calendar)


def _current() -> _Calendar:
    """The calendar, checked against the stamp at most once a second."""
    return calendar_cache.current()


def calendar_reset() -> None:
    """Forget the calendar held in this process: the next call loads it again."""
    calendar_cache.reset()


def calendar_stamp_bump() -> None:
    """Say the calendar changed: a new token for every process (inside the
    caller's transaction, so a rollback takes it back) and a reload here."""
    calendar_cache.bump()


def _calendar_changed(sender, **kwargs) -> None:
    calendar_stamp_bump()


def connect_signals() -> None:
    """Saving or deleting a day or a year (admin, shell, services) bumps the stamp.
    Bulk writes send no signals: their services call calendar_stamp_bump."""
    from django.db.models.signals import post_delete, post_save

    for model in (CalendarDay, CalendarYear):
        for signal in (post_save, post_delete):
            signal.connect(_calendar_changed, sender=model, dispatch_uid=f"calendar_stamp_{signal is post_save}_{model.__name__}")


# --- working days ----------------------------------------------------------------------
def known_years() -> set[int]:
    return set(_current().years)


def provisional_years() -> frozenset[int]:
    """Years whose calendar is provisional (a deadline in one is marked "暂定日历")."""
    return _current().provisional


def _require_years(first: int, last: int, years: set[int] | frozenset[int] | None = None) -> None:
    years = _current().years if years is None else years
    for year in range(first, last + 1):
        if year not in years:
            raise CalendarYearMissing(year)


def is_working_day(day: dt.date) -> bool:
    cal = _current()
    _require_years(day.year, day.year, cal.years)
    return day in cal.working


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The date of the n-th working day after `start` (before it when n < 0).

    n == 0 returns `start` itself. `start` need not be a working day: one
    working day after a Saturday is the next Monday (or make-up Sunday).
    """
    if n == 0:
        return start
    cal = _current()
    years = cal.years
    if start.year not in years:
        raise CalendarYearMissing(start.year)
    days = cal.days
    i = bisect.bisect_right(days, start) + n - 1 if n > 0 else bisect.bisect_left(days, start) + n
    if 0 <= i < len(days):
        result = days[i]
        # Every year from start to the result must be complete, not just present.
        if result.year != start.year:
            lo, hi = (start.year, result.year) if n > 0 else (result.year, start.year)
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
    lo, hi = (a, b) if a < b else (b, a)
    cal = _current()
    _require_years(lo.year, hi.year, cal.years)
    count = bisect.bisect_right(cal.days, hi) - bisect.bisect_right(cal.days, lo)
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


class ComputedDeadline(dt.datetime):
    """A deadline that depends on the calendar, carrying what it was computed from
    (``basis``: start date, amount, unit), so that a service storing it in a case's
    field can remember that basis (workflow.deadlines.deadlines_remember) and the
    sweep can recompute it after a calendar correction. It is an ordinary aware
    datetime everywhere else (the database stores the value only); arithmetic on
    it gives values without a basis, which is right: they were not computed."""

    basis: tuple[dt.date, int, str] | None = None

    @classmethod
    def of(cls, value: dt.datetime, basis: tuple[dt.date, int, str]) -> ComputedDeadline:
        made = cls(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond,
                   tzinfo=value.tzinfo, fold=value.fold)
        made.basis = basis
        return made


def compute_deadline(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """A deadline `amount` `unit`s after `start`.

    * working days: end of the n-th working day after the start date;
    * hours: exactly that many hours later (urgent complaints run round the clock);
    * natural days / months: end of that calendar date, moved forward to the next
      working day when it falls on a rest day (the usual rule for 期限届满日).

    Calendar-dependent results are ComputedDeadline values carrying their basis
    (the local start date, amount and unit); hours do not depend on the calendar.
    """
    if unit == TimeUnit.HOURS:
        return start + dt.timedelta(hours=amount)
    local_day = timezone.localtime(start).date() if isinstance(start, dt.datetime) else start
    if unit == TimeUnit.WORKING_DAYS:
        value = deadline_at_end_of_nth_working_day(local_day, amount)
    elif unit == TimeUnit.NATURAL_DAYS:
        value = end_of_day(next_working_day_on_or_after(local_day + dt.timedelta(days=amount)))
    elif unit == TimeUnit.MONTHS:
        value = end_of_day(next_working_day_on_or_after(local_day + relativedelta(months=amount)))
    else:
        raise ValueError(f"unknown time unit {unit!r}")
    return ComputedDeadline.of(value, (local_day, amount, str(unit)))
