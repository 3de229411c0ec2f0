import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import sign_in_verified
from workflow import services
from workflow.models import CalendarDay, CalendarYear
from workflow.workdays import (
    CalendarYearMissing,
    add_working_days,
    compute_deadline,
    deadline_at_end_of_nth_working_day,
    working_days_between,
)

D = dt.date
pytestmark = pytest.mark.django_db


def test_calendar_is_seeded_from_chinese_calendar_for_known_years():
    assert CalendarYear.objects.filter(year=2026, source="chinese_calendar").exists()
    assert CalendarDay.objects.filter(date__year=2026).count() == 365
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_tests_seed_only_the_configured_years_and_more_on_request(settings, calendar_years):
    # Given the test settings, which seed only the years the tests use
    assert sorted(CalendarYear.objects.values_list("year", flat=True)) == sorted(settings.CALENDAR_SEED_YEARS)
    with pytest.raises(CalendarYearMissing):
        add_working_days(D(2020, 1, 23), 1)
    # When a test asks for 2020 (the Spring Festival holiday extended to 2 February)
    assert calendar_years(2020, 2026) == [2020]
    # Then its days are there, from the library, with their holiday names
    assert CalendarYear.objects.get(year=2020).source == "chinese_calendar"
    assert add_working_days(D(2020, 1, 23), 1) == D(2020, 2, 3)
    assert CalendarDay.objects.get(date=D(2020, 1, 19)).note == "春节调休上班"


def test_defaults_seed_the_years_the_setting_names(settings, monkeypatch):
    # Given a setting naming one more year
    settings.CALENDAR_SEED_YEARS = [2018, *settings.CALENDAR_SEED_YEARS]
    # When the defaults are ensured (as after every migrate), then only that year is added
    services.defaults_ensure(actor=None)
    assert sorted(CalendarYear.objects.values_list("year", flat=True)) == sorted(settings.CALENDAR_SEED_YEARS)
    # and None (the default outside the tests) means every year the library knows (here three, to be quick)
    assert services.library_calendar_years()[0] == 2004 and 2026 in services.library_calendar_years()
    monkeypatch.setattr(services, "library_calendar_years", lambda: [2017, 2018, 2019])
    settings.CALENDAR_SEED_YEARS = None
    services.defaults_ensure(actor=None)
    assert sorted(CalendarYear.objects.values_list("year", flat=True)) == [2017, 2018, 2019, 2026]


def test_national_day_2026_holidays_and_make_up_days():
    # Given the 2026 National Day + Mid-autumn arrangement (10-01..10-07 off, 09-20 and 10-10 worked)
    assert CalendarDay.objects.get(date=D(2026, 9, 20)).is_working_day  # Sunday make-up day
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).is_working_day  # Saturday make-up day
    assert "调休" in CalendarDay.objects.get(date=D(2026, 10, 10)).note
    # When counting one working day from the last day before the holiday
    # Then the holiday week is skipped
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 10, 9), 1) == D(2026, 10, 10)  # the make-up Saturday counts
    assert add_working_days(D(2026, 10, 10), 1) == D(2026, 10, 12)
    assert add_working_days(D(2026, 9, 18), 1) == D(2026, 9, 20)  # the make-up Sunday counts
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4  # 10-08, 10-09, 10-10, 10-12


def test_spring_festival_2026():
    # 02-15..02-23 off; Saturdays 02-14 and 02-28 worked
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert add_working_days(D(2026, 2, 27), 1) == D(2026, 2, 28)
    assert add_working_days(D(2026, 2, 24), -1) == D(2026, 2, 14)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6  # 14, 24, 25, 26, 27, 28
    assert working_days_between(D(2026, 2, 28), D(2026, 2, 13)) == -6


def test_fifteen_working_days_across_national_day():
    # 09-28..30 (3), 10-08..10 (6), 10-12..16 (11), 10-19..22 (15)
    assert add_working_days(D(2026, 9, 25), 15) == D(2026, 10, 22)


def test_deadline_at_end_of_nth_working_day_is_end_of_day_local_time():
    deadline = deadline_at_end_of_nth_working_day(D(2026, 9, 30), 1)
    assert deadline.date() == D(2026, 10, 8)
    assert (deadline.hour, deadline.minute) == (23, 59)
    assert str(deadline.tzinfo) == "Asia/Shanghai"


def test_months_deadline_rolls_forward_from_a_rest_day():
    start = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.timezone.utc)
    # 2026-10-01 is a holiday: the deadline moves to the next working day
    assert compute_deadline(start, 3, "months").date() == D(2026, 10, 8)


def test_hours_deadline_is_exact():
    start = dt.datetime(2026, 10, 1, 10, 0, tzinfo=dt.timezone.utc)
    assert compute_deadline(start, 2, "hours") == start + dt.timedelta(hours=2)


def test_2027_is_refused_with_the_year_named():
    with pytest.raises(CalendarYearMissing) as exc:
        add_working_days(D(2026, 12, 20), 15)
    assert exc.value.year == 2027
    assert "2027" in str(exc.value)
    with pytest.raises(CalendarYearMissing):
        working_days_between(D(2026, 12, 1), D(2027, 1, 5))
    with pytest.raises(CalendarYearMissing):
        add_working_days(D(2027, 3, 1), 1)


def _csv_2027(skip_last=False, bad_line=False):
    lines = ["date,is_working_day,note"]
    day = D(2027, 1, 1)
    while day.year == 2027:
        working = day.weekday() < 5 and day != D(2027, 1, 1)
        lines.append(f"{day.isoformat()},{1 if working else 0},{'元旦' if day == D(2027, 1, 1) else ''}")
        day += dt.timedelta(days=1)
    if skip_last:
        lines.pop()
    if bad_line:
        lines.insert(3, "2027-02-30,1,")
    return "\n".join(lines) + "\n"


def test_importing_2027_makes_deadlines_computable(admin_user):
    years = services.calendar_import_csv(actor=admin_user, text=_csv_2027(), note="测试")
    assert years == [2027]
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    # history is kept set-wise
    assert CalendarDay.history.filter(date=D(2027, 1, 1), history_user=admin_user).exists()


def test_import_refuses_a_partial_year_and_saves_nothing(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.calendar_import_csv(actor=admin_user, text=_csv_2027(skip_last=True))
    assert "2027年应有365天" in exc.value.messages[0]
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_import_names_the_bad_line(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.calendar_import_csv(actor=admin_user, text=_csv_2027(bad_line=True))
    assert "第4行" in exc.value.messages[0]


def test_import_command(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(_csv_2027(), encoding="utf-8")
    call_command("calendar_import", str(path), note="国务院办公厅通知")
    assert CalendarYear.objects.get(year=2027).note == "国务院办公厅通知"
    bad = tmp_path / "bad.csv"
    bad.write_text(_csv_2027(skip_last=True), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("calendar_import", str(bad))


def test_reimport_updates_changed_days_only(admin_user):
    services.calendar_import_csv(actor=admin_user, text=_csv_2027())
    text = _csv_2027().replace("2027-02-06,0,", "2027-02-06,1,春节调休上班")
    services.calendar_import_csv(actor=admin_user, text=text)
    assert CalendarDay.objects.get(date=D(2027, 2, 6)).is_working_day
    assert CalendarDay.history.filter(date=D(2027, 2, 6)).count() == 2


def test_admin_import_page(client, admin_user):
    sign_in_verified(client, admin_user)
    url = "/admin/workflow/calendarday/import/"
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("2027.csv", _csv_2027(skip_last=True).encode())
    response = client.post(url, {"file": bad})
    assert response.status_code == 200
    assert "必须导入完整的一年" in response.content.decode()
    good = SimpleUploadedFile("2027.csv", _csv_2027().encode("gb18030"))
    response = client.post(url, {"file": good, "note": "通知"})
    assert response.status_code == 302
    assert CalendarYear.objects.filter(year=2027).exists()


def test_admin_import_page_refused_for_non_staff(client, handler):
    client.force_login(handler)
    response = client.get("/admin/workflow/calendarday/import/")
    assert response.status_code == 302  # to the admin login
    assert "/admin/login/" in response["Location"]


def test_deadline_api(client, handler):
    client.force_login(handler)
    r = client.get("/api/v1/calendar/deadline/", {"start": "2026-09-30", "amount": 1, "unit": "wd"})
    assert r.status_code == 200
    assert r.json()["deadline"].startswith("2026-10-08T23:59:59")
    r = client.get("/api/v1/calendar/deadline/", {"start": "2026-12-20", "amount": 15, "unit": "wd"})
    assert r.status_code == 400
    assert r.json()["missing_year"] == 2027
    assert "2027" in str(r.json()["detail"])
    r = client.get("/api/v1/calendar/deadline/", {"start": "not-a-date", "amount": 1})
    assert r.status_code == 400


@pytest.mark.parametrize("start,amount,unit", [("9999-12-20", 3650, "days"), ("9999-12-01", 3, "months"), ("9999-12-31", 48, "hours")])
def test_deadline_api_far_dates_are_a_400(client, handler, start, amount, unit):
    client.force_login(handler)
    r = client.get("/api/v1/calendar/deadline/", {"start": start, "amount": amount, "unit": unit})
    assert r.status_code == 400
