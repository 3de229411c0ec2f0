"""Working-day arithmetic on the calendar table (SQLite, embedded defaults)."""
import datetime as dt
import statistics
import time

from workflow.workdays import add_working_days, working_days_between


def _time(fn, repeat=200):
    samples = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), sorted(samples)[int(repeat * 0.95) - 1]


def run():
    start = dt.date(2026, 1, 5)
    med15, p95_15 = _time(lambda i: add_working_days(start + dt.timedelta(days=i % 300), 15))
    med66, p95_66 = _time(lambda i: add_working_days(start + dt.timedelta(days=i % 200), 66))
    medb, p95b = _time(lambda i: working_days_between(start, start + dt.timedelta(days=30 + i % 300)))
    return [
        {"name": "add_working_days_15_median", "value": round(med15, 3), "unit": "ms", "scale": "one call, 2026 calendar", "notes": f"p95 {p95_15:.3f} ms over 200 calls"},
        {"name": "add_working_days_66_median", "value": round(med66, 3), "unit": "ms", "scale": "one call (~3 months), 2026 calendar", "notes": f"p95 {p95_66:.3f} ms over 200 calls"},
        {"name": "working_days_between_median", "value": round(medb, 3), "unit": "ms", "scale": "one call, 30-330 day span", "notes": f"p95 {p95b:.3f} ms over 200 calls"},
    ]
