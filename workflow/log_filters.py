"""Logging filters (settings.LOGGING). Imported while logging is configured, before the apps
are ready: nothing from Django's models here."""
import logging

REFUSALS = frozenset({401, 403, 429})


class DropRefusals(logging.Filter):
    """On django.request: drop the records of refusals (401, 403, 429), which
    workflow.security_middleware.RefusalLogMiddleware logs as one line on the "security" logger."""

    def filter(self, record):
        return getattr(record, "status_code", None) not in REFUSALS
