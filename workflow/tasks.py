"""Periodic and background jobs of the engine. Tasks take ids, load, call a service."""
import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="workflow.calendar_check_next_year")
def calendar_check_next_year(today: str | None = None) -> int | None:
    """`today` (ISO date) is for replays and tests; beat sends none."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return services.calendar_check_next_year(today=day)
