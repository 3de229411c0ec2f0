"""Throttling the public endpoints, per client address and per subject (a case
number, a phone), in Django's cache (Redis in production, so that every
worker counts together).

- lookup / rate: wrong guesses at the lookup (number + query code) and at
  rating links. Only failures count, and a success does not clear the count:
  otherwise one valid code would let anyone reset the counter before every
  wrong guess. A case number also has its own, higher, limit, so that guesses
  spread over many addresses still stop.
- submit / follow / similar: every public filing (per address and per phone:
  each filing sends an SMS), follow and similar-complaints request counts.

After the limit within COMPLAINT_LOOKUP_WINDOW_SECONDS the client is refused
(HTTP 429 with Retry-After) until the window that started with its first
counted request has passed. Counting is atomic (cache.add + cache.incr).
"""
from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from workflow import crypto
from workflow.security import client_ip

# How many more hits a subject (a case number) may take than one address.
SUBJECT_FACTOR = {"lookup": 4, "rate": 4}
# Scopes whose subject is a phone number.
PHONE_SCOPES = ("submit",)


def client_address(request) -> str:
    """The client's address as the security layer sees it (TRUSTED_PROXY_COUNT honoured)."""
    return client_ip(request) or "unknown"


def _limit(scope: str) -> int:
    if scope in ("submit", "similar"):
        return getattr(settings, f"COMPLAINT_{scope.upper()}_MAX_PER_WINDOW")
    return settings.COMPLAINT_LOOKUP_MAX_FAILURES


def _keys(request, scope: str, subject: str) -> list[tuple[str, int]]:
    limit = _limit(scope)
    keys = [(f"complaints:throttle:{scope}:ip:{client_address(request)}", limit)]
    if subject:
        # A keyed hash of the subject: a phone number never lands in the cache (Redis) in clear.
        # Filings are counted per phone (their subject), by its blind index: +86 138… is 138….
        if scope in PHONE_SCOPES:
            digest = crypto.blind_index(subject, kind="phone") or "none"
        else:
            digest = crypto.keyed_digest(subject.strip().upper()[:40], purpose=f"throttle:{scope}")
        keys.append((f"complaints:throttle:{scope}:subject:{digest}", limit * SUBJECT_FACTOR.get(scope, 1)))
    return keys


def retry_after(request, scope: str = "lookup", subject: str = "") -> int:
    """Seconds until this client (or this subject) may try again (0 when it may now)."""
    window = settings.COMPLAINT_LOOKUP_WINDOW_SECONDS
    wait = 0
    for key, limit in _keys(request, scope, subject):
        count = cache.get(key) or 0
        if count >= limit:
            started = cache.get(f"{key}:start") or time.time()
            wait = max(wait, int(started + window - time.time()) + 1)
    return max(wait, 0)


def record_failure(request, scope: str = "lookup", subject: str = "") -> None:
    """Count one failure (or one request, for the scopes that count every request)."""
    window = settings.COMPLAINT_LOOKUP_WINDOW_SECONDS
    for key, _limit_ in _keys(request, scope, subject):
        if cache.add(key, 1, timeout=window):
            cache.set(f"{key}:start", time.time(), timeout=window)
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)


hit = record_failure  # the scopes that count every request read better with this name
