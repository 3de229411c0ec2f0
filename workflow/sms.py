"""Text messages to phones, through a pluggable backend (settings.SMS_BACKEND).

The engine notifies people with an account in the app (workflow.services.
notification_send); citizens without an account are told by SMS at the
phone they left. A real gateway is a class with `send_messages(messages)`
named in SMS_BACKEND (see docs/operations.md). The defaults:

- ConsoleBackend (embedded default): writes each message to the log with
  the number masked (a phone number is personal data and never logged whole)
  and its secrets (query codes, link tokens) replaced by ***;
- LocmemBackend (tests): keeps messages in `workflow.sms.outbox`;
- NullBackend: drops them.

Sending happens after the service's transaction commits (send_on_commit).
Notifications to people with an account go through the outbox instead
(workflow.notifications: deliver() here raises on failure, and the outbox
records the error and retries).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

outbox: list["TextMessage"] = []


@dataclass(frozen=True)
class TextMessage:
    phone: str
    text: str
    secrets: tuple = ()  # parts of the text (query codes, link tokens) never written to a log

    @property
    def loggable(self) -> str:
        text = self.text
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def mask_phone(phone: str) -> str:
    """138****5678: enough to tell numbers apart, not enough to call."""
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


class ConsoleBackend:
    def send_messages(self, messages: list[TextMessage]) -> int:
        for message in messages:
            logger.info("SMS to %s: %s", mask_phone(message.phone), message.loggable)
        return len(messages)


class LocmemBackend:
    def send_messages(self, messages: list[TextMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


class NullBackend:
    def send_messages(self, messages: list[TextMessage]) -> int:
        return 0


def get_backend():
    return import_string(getattr(settings, "SMS_BACKEND", "workflow.sms.ConsoleBackend"))()


def deliver(*, phone: str, text: str, secrets=()) -> None:
    """Send one message and raise when the gateway fails (the notification outbox records
    the error and retries: workflow.notifications.outbound_send)."""
    backend = get_backend()
    sent = backend.send_messages([TextMessage(phone=phone, text=text, secrets=tuple(secrets))])
    if sent == 0 and not isinstance(backend, NullBackend):
        raise RuntimeError("the SMS backend sent nothing")


def send(*, phone: str, text: str, secrets=()) -> int:
    if not phone:
        return 0
    try:
        return get_backend().send_messages([TextMessage(phone=phone, text=text, secrets=tuple(secrets))])
    except Exception:  # a gateway failure must not undo the case's change
        logger.exception("SMS sending failed (%s)", mask_phone(phone))
        return 0


def send_on_commit(*, phone: str, text: str, secrets=()) -> None:
    if phone:
        transaction.on_commit(lambda: send(phone=phone, text=text, secrets=secrets))
