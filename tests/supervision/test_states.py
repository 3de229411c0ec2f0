"""The supervision state of a task at the boundaries (working days, time travel)."""
import datetime as dt

import pytest

from tests.factories import TZ
from workflow import workdays
from workflow.models import SupervisionState as S
from workflow.supervision import Thresholds, WorkdayIndex


def moment(*args):
    return dt.datetime(*args, tzinfo=TZ)


def state(deadline, now, warn=1, severe=5):
    return Thresholds.at(now=now, warn_before_wd=warn, severe_wd=severe).state(deadline)


# Thursday 5 March 2026, end of day (a deadline is the end of a working day).
THURSDAY = moment(2026, 3, 5, 23, 59, 59)


@pytest.mark.django_db
@pytest.mark.parametrize("now, expected", [
    (moment(2026, 3, 3, 23, 59), S.ON_TIME),  # two working days before
    (moment(2026, 3, 4, 0, 0), S.WARNING),  # 1 WD before: the warn-before window opens
    (moment(2026, 3, 5, 23, 59, 58), S.WARNING),
    (moment(2026, 3, 6, 0, 0), S.OVERDUE),  # the day after the deadline: urging
    (moment(2026, 3, 12, 23, 59), S.OVERDUE),  # the 5th working day past it, not yet over
    (moment(2026, 3, 13, 0, 0), S.SEVERELY_OVERDUE),  # 5 working days past the deadline have ended
])
def test_state_at_the_boundaries(now, expected):
    assert state(THURSDAY, now) == expected


@pytest.mark.django_db
def test_the_warning_window_counts_working_days_across_weekends_and_holidays():
    monday = moment(2026, 3, 9, 23, 59, 59)
    assert state(monday, moment(2026, 3, 5, 18)) == S.ON_TIME
    assert state(monday, moment(2026, 3, 6, 9)) == S.WARNING  # Friday: Monday is the next working day
    # 1-5 May 2026 are holidays: on 30 April, 6 May is one working day away.
    after_holiday = moment(2026, 5, 6, 23, 59, 59)
    assert state(after_holiday, moment(2026, 4, 29, 18)) == S.ON_TIME
    assert state(after_holiday, moment(2026, 4, 30, 9)) == S.WARNING
    # ... and the severe window skips them too: the 5 WD after 30 April are 6, 7, 8,
    # 9 May (a make-up working Saturday) and 11 May.
    april_30 = moment(2026, 4, 30, 23, 59, 59)
    assert state(april_30, moment(2026, 5, 10, 23)) == S.OVERDUE
    assert state(april_30, moment(2026, 5, 11, 23, 59)) == S.OVERDUE
    assert state(april_30, moment(2026, 5, 12, 0, 0)) == S.SEVERELY_OVERDUE


@pytest.mark.django_db
def test_no_warn_window_and_no_deadline():
    assert state(THURSDAY, moment(2026, 3, 5, 9), warn=0) == S.ON_TIME
    assert state(None, moment(2026, 3, 5, 9)) == S.ON_TIME
    # An hours deadline (urgent complaint) is overdue the moment it passes.
    assert state(moment(2026, 3, 5, 11), moment(2026, 3, 5, 11, 1), warn=0) == S.OVERDUE


@pytest.mark.django_db
def test_the_in_memory_working_days_agree_with_the_calendar_table():
    index = WorkdayIndex(dt.date(2026, 5, 1))
    start = dt.date(2026, 4, 20)
    for offset in range(30):
        day = start + dt.timedelta(days=offset)
        for n in (-6, -1, 1, 3, 7):
            assert index.add(day, n) == workdays.add_working_days(day, n), (day, n)
        assert index.between(start, day) == workdays.working_days_between(start, day)


@pytest.mark.django_db
def test_a_missing_calendar_year_does_not_stop_supervision(caplog):
    """Late December, next year's calendar not imported yet: the warn-before window
    counts Monday to Friday in the missing year, and the log says so."""
    with pytest.raises(workdays.CalendarYearMissing):
        workdays.add_working_days(dt.date(2026, 12, 30), 3)
    thresholds = Thresholds.at(now=moment(2026, 12, 30, 9), warn_before_wd=3, severe_wd=5)
    # 31 December (known), then Friday 1 and Monday 4 January 2027 (estimated).
    assert thresholds.warn_until == moment(2027, 1, 5)
    assert "2027" in caplog.text
