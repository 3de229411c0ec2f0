"""Working-day arithmetic on the calendar held in memory (workflow.workdays).

Warm figures are per call, in microseconds: each sample times a batch of calls
(a single call is too short for the clock), the median sample is reported.
The cold figures are what a process pays after a change to the calendar: the
reload, and the once-a-second check of the stamp.
"""
import datetime as dt
import statistics
import time

from workflow import workdays
from workflow.models import CalendarDay, CalendarYear

BATCH, SAMPLES = 1000, 50


def _per_call_us(fn):
    """Median and p95 over SAMPLES batches of BATCH calls, in µs per call."""
    samples = []
    for s in range(SAMPLES):
        t0 = time.perf_counter()
        for i in range(BATCH):
            fn(i + s)
        samples.append((time.perf_counter() - t0) * 1e6 / BATCH)
    samples.sort()
    return statistics.median(samples), samples[int(SAMPLES * 0.95) - 1]


def _once_ms(fn, repeat=20):
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def run():
    start = dt.date(2026, 1, 5)
    years = sorted(CalendarYear.objects.values_list("year", flat=True))
    working = CalendarDay.objects.filter(is_working_day=True).count()
    calendar = f"{len(years)} calendar years {years[0]}-{years[-1]}, {working:,} working days" if years else "empty calendar"

    workdays.add_working_days(start, 1)  # warm
    add15, add15_p95 = _per_call_us(lambda i: workdays.add_working_days(start + dt.timedelta(days=i % 300), 15))
    add66, add66_p95 = _per_call_us(lambda i: workdays.add_working_days(start + dt.timedelta(days=i % 200), 66))
    between, between_p95 = _per_call_us(lambda i: workdays.working_days_between(start, start + dt.timedelta(days=30 + i % 300)))
    is_wd, is_wd_p95 = _per_call_us(lambda i: workdays.is_working_day(start + dt.timedelta(days=i % 300)))

    def cold():
        workdays.calendar_reset()
        workdays.add_working_days(start, 15)

    load = _once_ms(cold)

    def check():
        workdays.calendar_cache.next_check = 0.0  # the once-a-second check falls due: one query, no reload
        workdays.add_working_days(start, 15)

    check_ms = _once_ms(check, repeat=200)
    notes = "warm, median of {samples} batches of {batch} calls; p95 {p95:.2f} µs; no query"
    return [
        {"name": "workday_add_us", "value": round(add15, 2), "unit": "µs", "scale": f"add_working_days(d, 15), one call; {calendar}",
         "notes": notes.format(samples=SAMPLES, batch=BATCH, p95=add15_p95) + "; was 0.44 ms (2 queries) before the calendar moved into memory"},
        {"name": "workday_add_66_us", "value": round(add66, 2), "unit": "µs", "scale": f"add_working_days(d, 66) (~3 months), one call; {calendar}",
         "notes": notes.format(samples=SAMPLES, batch=BATCH, p95=add66_p95)},
        {"name": "workday_between_us", "value": round(between, 2), "unit": "µs", "scale": f"working_days_between, 30-330 day span, one call; {calendar}",
         "notes": notes.format(samples=SAMPLES, batch=BATCH, p95=between_p95)},
        {"name": "workday_is_working_day_us", "value": round(is_wd, 2), "unit": "µs", "scale": f"is_working_day, one call; {calendar}",
         "notes": notes.format(samples=SAMPLES, batch=BATCH, p95=is_wd_p95)},
        {"name": "workday_calendar_load_ms", "value": round(load, 2), "unit": "ms", "scale": f"reload of the whole calendar in one process; {calendar}",
         "notes": "after a change to the calendar (stamp token changed), once per process; median of 20"},
        {"name": "workday_stamp_check_ms", "value": round(check_ms, 3), "unit": "ms", "scale": "the call on which the once-a-second stamp check falls due",
         "notes": "one query (CalendarStamp), no reload; at most once a second per process; median of 200"},
    ]
