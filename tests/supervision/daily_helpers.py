"""Shared by the daily-figure tests: the periods compared, what the dashboard shows of one
case type's section, and the same dashboard computed live (no stored day used)."""
import datetime as dt

import pytest

from workflow import dashboard
from workflow.models import DailyFigureStamp

PERIODS = [
    {"kind": "day", "day": dt.date(2026, 3, 2)},
    {"kind": "day", "day": dt.date(2026, 3, 20)},  # today: live either way
    {"kind": "month", "day": dt.date(2026, 3, 10)},
    {"kind": "month", "day": dt.date(2026, 2, 10)},
    {"kind": "quarter", "day": dt.date(2026, 3, 10)},
    {"kind": "year", "day": dt.date(2026, 3, 10)},
    {"kind": "custom", "day": dt.date(2026, 3, 10), "start": dt.date(2026, 2, 20), "end": dt.date(2026, 3, 25)},
    {"kind": "custom", "day": dt.date(2026, 3, 10), "start": dt.date(2025, 12, 1), "end": dt.date(2026, 3, 19)},  # by month
]


def snapshot(board, code: str) -> list:
    """Everything the page shows of one case type's figures, comparable."""
    def fig(f):
        return (f.code, round(f.num, 6), f.den, f.value, f.link)

    out = []
    for s in board.sections:
        if s.code != code:
            continue
        out.append((
            s.cases, s.cases_link, [fig(f) for f in s.totals], s.open_states,
            [(r.department.pk, r.cases, [fig(f) for f in r.figures], r.open_states, r.cases_link) for r in s.departments],
            s.trend, s.trend_rows,
            [(e.rank, e.row.department.pk, fig(e.figure)) for e in s.ranking.ranked] if s.ranking else None,
            [r.department.pk for r in s.ranking.insufficient] if s.ranking else None,
        ))
    return out


def live(user, params):
    """The same dashboard computed live: without a watermark no stored day is used."""
    stamps = list(DailyFigureStamp.objects.all())
    DailyFigureStamp.objects.all().delete()
    try:
        return dashboard.dashboard_build(user=user, **params)
    finally:
        DailyFigureStamp.objects.bulk_create(stamps)


def assert_same(users, code: str, filters=({},)) -> int:
    """The stored dashboard equals the live one for each user, period and filter (a filter
    refused to the user is refused both ways); returns how many non-empty sections were compared."""
    compared = 0
    for user in users:
        for period in PERIODS:
            for extra in filters:
                params = {**period, **extra}
                try:
                    stored = dashboard.dashboard_build(user=user, **params)
                except dashboard.PermissionDenied:  # another department's filter: refused either way
                    with pytest.raises(dashboard.PermissionDenied):
                        live(user, params)
                    continue
                got = snapshot(stored, code)
                assert got == snapshot(live(user, params), code), (user.username, params)
                compared += bool(got)
    return compared
