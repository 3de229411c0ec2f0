"""The working-day calendar held in memory (workflow.workdays) against the
calendar table, and its refresh after an administrator's change.

`db_*` below are the query implementation workflow.workdays had before the
calendar moved into memory (two queries a call), kept as the reference: the
in-memory answers must be the same dates, counts and refusals (same missing
year, same message). Its ORM querysets are written out as the SQL they ran,
so that some 80,000 comparisons take seconds rather than minutes.
"""
import datetime as dt

import pytest
from django.db import connection, transaction

from tests.factories import DepartmentFactory, UserFactory, sign_in_verified
from workflow import workdays
from workflow.models import CalendarDay, CalendarStamp, CalendarYear
from workflow.roles import EngineRole
from workflow.workdays import CalendarYearMissing

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _check_every_second(monkeypatch):
    """The suite turns the cross-process check off (tests/conftest.py); here it is what is tested."""
    monkeypatch.setattr(workdays.calendar_cache, "check_seconds", 1.0)

COUNTS = (0, 1, 2, 5, 15, 66, -1, -15)


# --- the reference: the calendar table, asked on every call --------------------------
def _rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def db_known_years() -> set[int]:
    # CalendarYear.objects.values_list("year", flat=True)
    return set(_rows("SELECT year FROM workflow_calendaryear"))


def db_require_years(first, last, years=None):
    years = db_known_years() if years is None else years
    for year in range(first, last + 1):
        if year not in years:
            raise CalendarYearMissing(year)


def db_is_working_day(day):
    db_require_years(day.year, day.year)
    # CalendarDay.objects.filter(date=day, is_working_day=True).exists()
    return bool(_rows("SELECT 1 FROM workflow_calendarday WHERE date = %s AND is_working_day LIMIT 1", [day]))


def db_add_working_days(start, n):
    if n == 0:
        return start
    years = db_known_years()
    db_require_years(start.year, start.year, years)
    # CalendarDay.objects.filter(date__gt=start, is_working_day=True).order_by("date")[:n]
    # (date__lt and "-date" when n < 0)
    if n > 0:
        sql = "SELECT date FROM workflow_calendarday WHERE date > %s AND is_working_day ORDER BY date LIMIT %s"
    else:
        sql = "SELECT date FROM workflow_calendarday WHERE date < %s AND is_working_day ORDER BY date DESC LIMIT %s"
    days = [_date(d) for d in _rows(sql, [start, abs(n)])]
    if len(days) == abs(n):
        result = days[-1]
        lo, hi = sorted((start.year, result.year))
        db_require_years(lo, hi, years)
        return result
    step = 1 if n > 0 else -1
    year = start.year
    while year in years:
        year += step
    raise CalendarYearMissing(year)


def db_working_days_between(a, b):
    if a == b:
        return 0
    lo, hi = sorted((a, b))
    db_require_years(lo.year, hi.year)
    # CalendarDay.objects.filter(date__gt=lo, date__lte=hi, is_working_day=True).count()
    count = _rows("SELECT COUNT(*) FROM workflow_calendarday WHERE date > %s AND date <= %s AND is_working_day", [lo, hi])[0]
    return count if b > a else -count


def db_next_working_day_on_or_after(day):
    if db_is_working_day(day):
        return day
    return db_add_working_days(day, 1)


def test_the_reference_is_the_table():
    # The SQL reads what the models say (a guard on the hand-written statements)
    assert db_known_years() == set(CalendarYear.objects.values_list("year", flat=True))
    assert db_add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert db_add_working_days(D(2026, 10, 8), -1) == D(2026, 9, 30)
    assert db_working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert db_is_working_day(D(2026, 10, 10)) and not db_is_working_day(D(2026, 10, 1))


def answer(fn, *args):
    """A result or the refusal (its year and message), to compare both ways."""
    try:
        return fn(*args)
    except CalendarYearMissing as exc:
        return ("refused", exc.year, str(exc))


def days(first, last):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


# --- the same answers ------------------------------------------------------------------
def test_memory_equals_the_table_for_every_day_2004_to_2026(calendar_years):
    # Given every year chinese-calendar knows, 2004 to 2026 (2003 and 2027 unknown)
    calendar_years(*range(2004, 2027))
    assert db_known_years() == set(range(2004, 2027))
    assert workdays.known_years() == set(range(2004, 2027))
    mismatches = []
    # When every date from late 2003 to early 2027 is asked both ways
    for day in days(D(2003, 12, 20), D(2027, 1, 10)):
        for n in COUNTS:
            if answer(workdays.add_working_days, day, n) != answer(db_add_working_days, day, n):
                mismatches.append(("add", day, n))
        for span in (45, -200):
            other = day + dt.timedelta(days=span)
            if answer(workdays.working_days_between, day, other) != answer(db_working_days_between, day, other):
                mismatches.append(("between", day, other))
        if answer(workdays.is_working_day, day) != answer(db_is_working_day, day):
            mismatches.append(("is", day))
        if answer(workdays.next_working_day_on_or_after, day) != answer(db_next_working_day_on_or_after, day):
            mismatches.append(("next", day))
    # Then every answer (a date, a count or a refusal naming the year) is the table's
    assert mismatches == []


def test_memory_equals_the_table_with_holes_in_the_calendar(calendar_years):
    # Given 2017-2021 and 2026 (the test settings' 2019 and 2026 among them), 2022-2025
    # missing, 2018 days present without their year row (an incomplete year), and a
    # stray day of 2023 entered by hand with no year row
    calendar_years(2017, 2018, 2020, 2021)
    CalendarYear.objects.filter(year=2018).delete()
    CalendarDay.objects.create(date=D(2023, 6, 1), is_working_day=True)
    assert db_known_years() == {2017, 2019, 2020, 2021, 2026}
    mismatches = []
    # When counting across the holes both ways
    for day in [*days(D(2016, 12, 1), D(2022, 1, 31)), *days(D(2023, 5, 25), D(2023, 6, 5)), *days(D(2025, 12, 1), D(2026, 2, 28))]:
        if day.day % 3 and day.month not in (1, 12):
            continue  # every third day, every day around the turn of a year
        for n in (*COUNTS, 300, -300, 800, -800):
            if answer(workdays.add_working_days, day, n) != answer(db_add_working_days, day, n):
                mismatches.append(("add", day, n))
        for span in (5, -5, 400, -400):
            other = day + dt.timedelta(days=span)
            if answer(workdays.working_days_between, day, other) != answer(db_working_days_between, day, other):
                mismatches.append(("between", day, other))
    # Then the refusals name the same first missing year
    assert mismatches == []
    assert answer(workdays.add_working_days, D(2019, 6, 3), -300)[1] == 2018  # days, but no year row
    assert answer(workdays.add_working_days, D(2021, 12, 20), 15)[1] == 2022


def test_unknown_years_are_refused_as_before():
    # Given the test settings' calendar (2019 and 2026)
    with pytest.raises(CalendarYearMissing) as exc:
        workdays.add_working_days(D(2026, 12, 20), 15)  # runs off the end
    assert exc.value.year == 2027
    assert str(exc.value) == str(CalendarYearMissing(2027))
    assert "2027年的工作日历尚未导入" in str(exc.value)
    assert answer(workdays.add_working_days, D(2026, 1, 5), -15) == answer(db_add_working_days, D(2026, 1, 5), -15)
    assert answer(workdays.add_working_days, D(2019, 12, 20), 15)[1] == 2020  # across the gap to 2026
    assert answer(workdays.working_days_between, D(2019, 12, 1), D(2026, 1, 5))[1] == 2020  # incomplete range
    assert answer(workdays.is_working_day, D(2027, 3, 1))[1] == 2027
    assert answer(workdays.next_working_day_on_or_after, D(2026, 12, 31)) == D(2026, 12, 31)
    assert answer(workdays.next_working_day_on_or_after, D(2027, 1, 1))[1] == 2027
    assert workdays.add_working_days(D(2030, 1, 1), 0) == D(2030, 1, 1)  # zero days asks nothing, as before
    assert workdays.working_days_between(D(2030, 1, 1), D(2030, 1, 1)) == 0


# --- without the database ----------------------------------------------------------
def test_a_warm_call_asks_the_database_nothing(django_assert_num_queries):
    workdays.add_working_days(D(2026, 3, 2), 1)  # loads
    with django_assert_num_queries(0):
        for day in days(D(2026, 3, 2), D(2026, 3, 20)):
            workdays.add_working_days(day, 15)
            workdays.working_days_between(day, D(2026, 6, 1))
            workdays.is_working_day(day)


def test_one_check_a_second_then_a_reload_only_when_the_stamp_changed(monkeypatch, django_assert_num_queries):
    clock = FakeClock(monkeypatch)
    workdays.add_working_days(D(2026, 3, 2), 1)
    clock.advance(0.5)
    with django_assert_num_queries(0):
        workdays.add_working_days(D(2026, 3, 2), 1)
    clock.advance(0.6)
    with django_assert_num_queries(1):  # the stamp, unchanged: no reload
        workdays.add_working_days(D(2026, 3, 2), 1)
        workdays.add_working_days(D(2026, 3, 2), 2)
    with django_assert_num_queries(0):
        workdays.add_working_days(D(2026, 3, 2), 1)


# --- refreshed after a change ------------------------------------------------------
class FakeClock:
    """workflow.workdays' monotonic clock, moved by hand (time-machine leaves
    time.monotonic alone)."""

    def __init__(self, monkeypatch):
        self.now = 1000.0
        monkeypatch.setattr(workdays.calendar_cache, "clock", lambda: self.now)
        workdays.calendar_reset()

    def advance(self, seconds):
        self.now += seconds


def test_a_change_by_another_process_is_seen_after_the_next_check(monkeypatch):
    clock = FakeClock(monkeypatch)
    # Given a warm calendar: Friday 2026-03-06 is one working day after Thursday
    assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 6)
    # When another process marks the Friday a rest day and bumps the stamp (no signal here)
    CalendarDay.objects.filter(date=D(2026, 3, 6)).update(is_working_day=False)
    CalendarStamp.objects.update_or_create(pk=1, defaults={"token": "0" * 32})
    # Then this process answers from memory until its next check, at most a second later
    clock.advance(0.9)
    assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 6)
    clock.advance(0.2)
    assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 9)
    assert workdays.is_working_day(D(2026, 3, 6)) is False


def test_a_change_through_the_model_bumps_the_stamp_and_is_seen_at_once(monkeypatch):
    FakeClock(monkeypatch)
    assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 6)
    before = CalendarStamp.objects.values_list("token", flat=True).first()
    day = CalendarDay.objects.get(date=D(2026, 3, 6))
    day.is_working_day = False
    day.save()
    after = CalendarStamp.objects.values_list("token", flat=True).first()
    assert after and after != before  # the other processes reload at their next check
    assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 9)  # this one at once
    # deleting a year is a change too
    CalendarYear.objects.get(year=2019).delete()
    assert CalendarStamp.objects.values_list("token", flat=True).first() != after
    assert answer(workdays.add_working_days, D(2019, 3, 1), 1)[1] == 2019


def test_an_administrators_edit_in_the_admin_changes_the_result(client, monkeypatch):
    clock = FakeClock(monkeypatch)
    assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 6)
    stamp = CalendarStamp.objects.values_list("token", flat=True).first()
    # The calendar is the system administrator's (三权分立), who passes the second factor
    sysadmin = UserFactory(username="sysadmin", roles=[(DepartmentFactory(), EngineRole.ADMIN)])
    sign_in_verified(client, sysadmin)
    # When the administrator turns Saturday 2026-03-07 into a make-up working day
    response = client.post(
        "/admin/workflow/calendarday/2026-03-07/change/",
        {"date": "2026-03-07", "is_working_day": "on", "note": "调休上班"},
    )
    assert response.status_code == 302 and response.url == "/admin/workflow/calendarday/"
    assert CalendarDay.objects.get(date=D(2026, 3, 7)).is_working_day
    # Then the stamp has changed for every process, and after the next check the answer is new
    assert CalendarStamp.objects.values_list("token", flat=True).first() != stamp
    clock.advance(1.1)
    assert workdays.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 7)
    assert workdays.working_days_between(D(2026, 3, 5), D(2026, 3, 9)) == 3


def test_an_import_and_a_seed_are_seen(admin_user, monkeypatch, calendar_years):
    from workflow import services

    FakeClock(monkeypatch)
    assert answer(workdays.add_working_days, D(2020, 1, 23), 1)[1] == 2020
    stamp = CalendarStamp.objects.values_list("token", flat=True).first()
    calendar_years(2020)  # calendar_seed's service: bulk writes, no model signals for the days
    assert CalendarStamp.objects.values_list("token", flat=True).first() != stamp
    assert workdays.add_working_days(D(2020, 1, 23), 1) == D(2020, 2, 3)
    rows = [services.CalendarRow(day, day.weekday() < 5) for day in days(D(2027, 1, 1), D(2027, 12, 31))]
    services.calendar_import_rows(actor=admin_user, rows=rows)
    assert workdays.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)


def test_a_rolled_back_change_does_not_stay_in_memory(monkeypatch):
    clock = FakeClock(monkeypatch)
    assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 6)
    # Given a change seen inside its transaction
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            CalendarDay.objects.filter(date=D(2026, 3, 6)).get().delete()
            assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 9)
            raise RuntimeError("rolled back")
    # When the transaction rolls back, the next check reloads the table as it is
    clock.advance(1.1)
    assert workdays.add_working_days(D(2026, 3, 5), 1) == D(2026, 3, 6)


def test_calendar_reset_forces_a_reload(django_assert_num_queries):
    workdays.add_working_days(D(2026, 3, 2), 1)
    CalendarDay.objects.filter(date=D(2026, 3, 3)).update(is_working_day=False)  # behind its back
    assert workdays.add_working_days(D(2026, 3, 2), 1) == D(2026, 3, 3)
    workdays.calendar_reset()
    assert workdays.add_working_days(D(2026, 3, 2), 1) == D(2026, 3, 4)
