"""Throttling wrong guesses at the public lookup (number + query code) and the
rating links, per client address, in Django's cache (Redis in production,
so that every worker counts together).

Only failures count: a citizen who looks up their own case is never slowed
down. A success does not clear the count either: otherwise one valid code
would let anyone reset the counter before every wrong guess. After COMPLAINT_LOOKUP_MAX_FAILURES failures within
COMPLAINT_LOOKUP_WINDOW_SECONDS the address is refused (HTTP 429 with
Retry-After) until the window has passed.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    """REMOTE_ADDR (set by the proxy in front of gunicorn); X-Forwarded-For is not trusted here."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, address: str) -> str:
    return f"complaints:throttle:{scope}:{address}"


def retry_after(request, scope: str = "lookup") -> int:
    """Seconds until this client may try again (0 when it may now)."""
    entry = cache.get(_key(scope, client_address(request)))
    if not entry:
        return 0
    count, first = entry
    window = settings.COMPLAINT_LOOKUP_WINDOW_SECONDS
    remaining = int(first + window - time.time())
    if count >= settings.COMPLAINT_LOOKUP_MAX_FAILURES and remaining > 0:
        return remaining
    return 0


def record_failure(request, scope: str = "lookup") -> None:
    key = _key(scope, client_address(request))
    window = settings.COMPLAINT_LOOKUP_WINDOW_SECONDS
    now = time.time()
    entry = cache.get(key)
    if not entry or entry[1] + window <= now:
        entry = (0, now)
    cache.set(key, (entry[0] + 1, entry[1]), timeout=window)


def reset(request, scope: str = "lookup") -> None:
    cache.delete(_key(scope, client_address(request)))
