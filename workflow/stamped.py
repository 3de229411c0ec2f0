"""A table held in memory per process, refreshed when its stamp changes.

The working-day calendar (workflow.workdays) and the time limits
(workflow.rules) are read on every deadline computed, and change a few times a
year. Each is held per process, loaded with the token of its stamp row (a model
with `id=1`, `token`, `changed_at` and `new_token()`, e.g. CalendarStamp). Every
write bumps the token (`bump()`, inside the writer's transaction, so a rollback
takes it back); each process compares the token at most once every
`check_seconds` (monotonic clock) and reloads when it changed, and the process
making the change drops its copy at once (docs/decisions/0006-calendar-in-memory.md).
"""
from __future__ import annotations

import time
from typing import Any, Callable

from django.utils import timezone


class StampedCache:
    def __init__(self, stamp_model, load: Callable[[str | None], Any], *, check_seconds: float = 1.0):
        self.stamp_model = stamp_model
        self._load = load  # token -> the value held (the token is read first, see load())
        self.check_seconds = check_seconds  # how stale another process's change may be here (tests change it)
        self.clock = time.monotonic  # tests replace it
        self.value: Any = None
        self.token: str | None = None
        self.next_check = 0.0

    def stamp_token(self) -> str | None:
        return self.stamp_model.objects.filter(pk=1).values_list("token", flat=True).first()

    def load(self) -> Any:
        # The token first: a change committed between the two reads leaves new data
        # under the old token, which the next check reloads (never the other way round).
        token = self.stamp_token()
        self.value = self._load(token)
        self.token = token
        self.next_check = self.clock() + self.check_seconds
        return self.value

    def current(self) -> Any:
        """The value, checked against the stamp at most once every `check_seconds`."""
        if self.value is None:
            return self.load()
        now = self.clock()
        if now >= self.next_check:
            self.next_check = now + self.check_seconds
            if self.stamp_token() != self.token:
                return self.load()
        return self.value

    def reset(self) -> None:
        """Forget the value held in this process: the next call loads it again."""
        self.value = None

    def bump(self) -> None:
        """Say the table changed: a new token for every process (inside the caller's
        transaction, so a rollback takes it back) and a reload here."""
        token = self.stamp_model.new_token()
        if not self.stamp_model.objects.filter(pk=1).update(token=token, changed_at=timezone.now()):
            self.stamp_model.objects.update_or_create(pk=1, defaults={"token": token})
        self.reset()
