"""Notifications: the registry of kinds, rendering at read time, and delivery.

A notification is stored as a kind and its params (ids, numbers, codes, dates,
names: data, never words). Each kind is registered once (the engine's own here,
each case app's from its AppConfig.ready()) with lazy-translated templates for
its title and body, a function turning params into display values (a rating
code into its label, a yes/no into 同意/不同意) and one building the case's URL.
It is rendered when read, in the reader's language, so a code is never shown and
an English reader reads English.

Delivery (docs/notifications.md): in-app always; e-mail and SMS as each person
chose per kind (NotificationPreference, else the kind's defaults). E-mails and
text messages go through the outbox (OutboundMessage) and Celery
(workflow.tasks.outbound_send): claimed by a status update, so a task run twice
sends once; a failure is recorded and retried with backoff; after the last
attempt the row stays failed, visible in the admin, where it can be retried.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy as _

logger = logging.getLogger(__name__)

IN_APP, EMAIL, SMS = "in_app", "email", "sms"
OPTIONAL_CHANNELS = (EMAIL, SMS)  # in-app is always on


# --- the registry ------------------------------------------------------------------------
@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: object  # lazy: what the preferences page calls it
    title: object  # lazy template, %(name)s placeholders filled from the display values
    body: object = None  # lazy template; None: the params' free "text" (a reason, a note), if any
    # Templates for one notice standing for several items (params["count"] > 1: the sweep
    # tells each person once per kind and sweep, however many of their tasks changed).
    title_many: object = None
    body_many: object = None
    values: Callable | None = None  # (params, lookup) -> display values added over the params
    url: Callable | None = None  # params -> the case's URL
    channels: frozenset = frozenset({IN_APP})  # default channels
    sample: dict = field(default_factory=dict)  # sample params (tests render every kind with them)
    app: str = ""
    group: object = ""  # a heading on the preferences page


_kinds: dict[str, NotificationKind] = {}


def register_kind(code: str, *, label, title, body=None, values=None, url=None, channels=(IN_APP,), sample=None, app: str = "", group="",
                  title_many=None, body_many=None) -> NotificationKind:
    """Register (or re-register: idempotent) a kind of notification."""
    spec = NotificationKind(
        code=code, label=label, title=title, body=body, values=values, url=url, title_many=title_many, body_many=body_many,
        channels=frozenset({IN_APP, *channels}), sample=dict(sample or {}), app=app, group=group,
    )
    _kinds[code] = spec
    return spec


def kinds() -> list[NotificationKind]:
    return list(_kinds.values())


def get_kind(code: str) -> NotificationKind | None:
    return _kinds.get(code)


# --- rendering ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    url: str


class Lookup:
    """What display values may need from the database, loaded once per batch."""

    def __init__(self):
        self._scales: dict[str, dict[str, str]] = {}
        self._cases: dict[tuple[int, int], object] = {}

    def label(self, scale: str, code: str) -> str:
        """A label scale's label for a code (workflow.rules); an unknown code shows as “—”, never raw."""
        if scale not in self._scales:
            from .rules import label_map_for

            self._scales[scale] = label_map_for(scale)
        label = self._scales[scale].get(code)
        return gettext(label) if label else "—"

    def prefetch_cases(self, notifications) -> None:
        """Load the cases the batch's params name by type and id (the sweep's notices): one query per case type."""
        from django.contrib.contenttypes.models import ContentType

        wanted: dict[int, set[int]] = {}
        for n in notifications:
            params = n.params or {}
            if "case_type" in params and (params["case_type"], params.get("case_id")) not in self._cases:
                wanted.setdefault(params["case_type"], set()).add(params.get("case_id"))
        for ct_id, ids in wanted.items():
            model = ContentType.objects.get_for_id(ct_id).model_class()
            found = model.objects.in_bulk(list(ids)) if model is not None else {}
            for pk in ids:
                self._cases[(ct_id, pk)] = found.get(pk)

    def case(self, ct_id: int, pk: int):
        """The case of that type and id (None once deleted)."""
        if (ct_id, pk) not in self._cases:
            from django.contrib.contenttypes.models import ContentType

            model = ContentType.objects.get_for_id(ct_id).model_class()
            self._cases[(ct_id, pk)] = model.objects.filter(pk=pk).first() if model is not None else None
        return self._cases[(ct_id, pk)]


def step_title(ref: str) -> str:
    """A flow node's title from its reference (the task's flow_task), in the current language."""
    from viewflow.workflow.fields import import_task_by_ref

    try:
        node = import_task_by_ref(ref) if ref else None
    except Exception:  # a renamed node: the notice still reads
        node = None
    return str(getattr(node, "task_title", "") or "") or gettext("办理环节")


def yes_no(value) -> str:
    return gettext("同意") if value else gettext("不同意")


def render(notification, lookup: Lookup | None = None) -> Rendered:
    spec = _kinds.get(notification.kind)
    params = notification.params or {}
    if spec is None or (not params and notification.stored_title):
        # An old row (text stored at send time) or a kind whose app is gone: its stored text.
        return Rendered(notification.stored_title, notification.stored_body, notification.stored_url)
    lookup = lookup or Lookup()
    try:
        values = {k: ("" if v is None else v) for k, v in params.items()}
        if spec.values:
            values.update(spec.values(params, lookup))
        title_t, body_t = spec.title, spec.body
        if spec.title_many is not None and (params.get("count") or 1) > 1:
            title_t, body_t = spec.title_many, spec.body_many
        title = str(title_t) % values
        body = str(body_t) % values if body_t is not None else str(params.get("text") or "")
        url = spec.url(params) if spec.url else str(values.get("url") or "")
    except Exception:  # params that no longer fit the template: show what was stored, never a 500
        logger.exception("notification %s (%s) could not be rendered", notification.pk, notification.kind)
        return Rendered(notification.stored_title or str(spec.label), notification.stored_body, notification.stored_url)
    return Rendered(title, body, url)


def render_many(notifications) -> None:
    lookup = Lookup()
    lookup.prefetch_cases(notifications)
    for n in notifications:
        n._rendered = render(n, lookup)


# --- sending ------------------------------------------------------------------------------
def _rows(*, recipients, kind: str, params: dict | None, dedupe_key: str = "", created_at: dt.datetime | None) -> list:
    """Unsaved notification rows of one registered kind, one per recipient (None skipped)."""
    from .models import Notification

    if kind not in _kinds:
        raise LookupError(f"notification kind {kind!r} is not registered")
    at = created_at or timezone.now()
    return [
        Notification(recipient_id=getattr(r, "pk", r), kind=kind, params=params or {}, dedupe_key=dedupe_key, created_at=at)
        for r in recipients if r is not None
    ]


def send(*, recipients, kind: str, params: dict | None = None, dedupe_key: str = "", created_at: dt.datetime | None = None) -> int:
    """Store the notification for each person and queue its e-mails and text messages.

    With a dedupe_key a person gets that notice once (tasks may run twice).
    Returns how many of the recipients have it.
    """
    rows = _rows(recipients=recipients, kind=kind, params=params, dedupe_key=dedupe_key, created_at=created_at)
    return send_rows(rows, dedupe=bool(dedupe_key)) if rows else 0


def store(*, recipients, kind: str, params: dict | None = None, created_at: dt.datetime | None = None) -> list:
    """Store the notification for each person without delivering it (the caller
    delivers once its transaction commits: workflow.services.notify_in_transaction)."""
    from .models import Notification

    rows = _rows(recipients=recipients, kind=kind, params=params, created_at=created_at)
    return Notification.objects.bulk_create(rows) if rows else []


def send_rows(rows, *, dedupe: bool) -> int:
    """Insert notification rows (ignoring those a dedupe key already stored) and deliver the new ones."""
    from .models import Notification

    if not rows:
        return 0
    if not dedupe:
        created = Notification.objects.bulk_create(rows)
        deliver(created)
        return len(created)
    keys = {r.dedupe_key for r in rows}
    people = {r.recipient_id for r in rows}
    before = set(Notification.objects.filter(dedupe_key__in=keys, recipient_id__in=people).values_list("pk", flat=True))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    stored = list(Notification.objects.filter(dedupe_key__in=keys, recipient_id__in=people))
    deliver([n for n in stored if n.pk not in before])
    return len(stored)


def channels_for(*, user_ids, kinds_: set[str]) -> dict[tuple[int, str], set[str]]:
    """(user, kind) -> channels chosen (a preference row) or the kind's defaults. One query."""
    from .models import NotificationPreference

    chosen = {
        (p.user_id, p.kind): {IN_APP, *p.channels}
        for p in NotificationPreference.objects.filter(user_id__in=user_ids, kind__in=kinds_)
    }
    result = {}
    for uid in user_ids:
        for code in kinds_:
            spec = _kinds.get(code)
            result[(uid, code)] = chosen.get((uid, code), set(spec.channels) if spec else {IN_APP})
    return result


def quiet_hours(user_settings) -> tuple[dt.time, dt.time]:
    if user_settings is not None:
        return user_settings.quiet_start, user_settings.quiet_end
    start, end = getattr(settings, "NOTIFY_SMS_QUIET_HOURS", "22:00-08:00").split("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def quiet_until(moment: dt.datetime, start: dt.time, end: dt.time) -> dt.datetime | None:
    """If `moment` falls in the quiet window [start, end) (which may wrap midnight), when it ends."""
    if start == end:
        return None
    local = timezone.localtime(moment)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if (start < end or t < end) else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, end), local.tzinfo)


def _absolute(url: str) -> str:
    if url.startswith("/"):
        return settings.PUBLIC_BASE_URL.rstrip("/") + url
    return url


def deliver(notifications) -> int:
    """Queue the e-mails and text messages of freshly stored notifications (after commit).

    A notification about an event long past (a demo replay, an import) stays in-app only.
    """
    from .models import NotificationSettings, OutboundMessage, User


    now = timezone.now()
    max_age = dt.timedelta(hours=getattr(settings, "NOTIFY_OUTBOUND_MAX_AGE_HOURS", 24))
    fresh = [n for n in notifications if n.pk and n.created_at >= now - max_age]
    if not fresh:
        return 0
    user_ids = {n.recipient_id for n in fresh}
    chosen = channels_for(user_ids=user_ids, kinds_={n.kind for n in fresh})
    wanted = {uid for (uid, _k), ch in chosen.items() if ch & set(OPTIONAL_CHANNELS)}
    if not wanted:
        return 0
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True).only("pk", "email", "phone")}
    quiet = {s.user_id: s for s in NotificationSettings.objects.filter(user_id__in=wanted)}
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        lookup = Lookup()
        lookup.prefetch_cases(fresh)
        for n in fresh:
            user = users.get(n.recipient_id)
            if user is None:
                continue
            channels = chosen[(n.recipient_id, n.kind)]
            text = render(n, lookup)
            link = _absolute(text.url)
            if EMAIL in channels and user.email:
                body = "\n\n".join(part for part in (text.title, text.body, link) if part)
                rows.append(OutboundMessage(
                    channel=EMAIL, notification=n, recipient_id=user.pk, address=user.email, kind=n.kind,
                    subject=text.title[:255], text=body, created_at=now, send_after=now,
                ))
            if SMS in channels and user.phone:
                start, end = quiet_hours(quiet.get(user.pk))
                sms_text = gettext("【%(site)s】%(title)s") % {"site": settings.PLATFORM_NAME, "title": text.title}
                rows.append(OutboundMessage(
                    channel=SMS, notification=n, recipient_id=user.pk, address=user.phone, kind=n.kind,
                    subject="", text=sms_text, created_at=now, send_after=quiet_until(now, start, end) or now,
                ))
    if not rows:
        return 0
    OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
    due = list(
        OutboundMessage.objects.filter(
            notification_id__in=[n.pk for n in fresh], status=OutboundMessage.Status.QUEUED, send_after__lte=now,
        ).values_list("pk", flat=True)
    )
    queue_on_commit(due)
    return len(rows)


def queue_on_commit(ids) -> None:
    """Hand the messages to Celery once the transaction commits (a rolled-back change sends nothing)."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: queue_now(ids))


def queue_now(ids) -> None:
    from celery.exceptions import Retry

    from .tasks import outbound_send

    for pk in ids:
        try:
            outbound_send.delay(pk)
        except Retry:  # eager mode (tests) runs no retry: the row waits as "retrying" for the flush
            pass
        except Exception:  # the broker is down: the periodic flush sends it later
            logger.exception("could not queue outbound message %s", pk)


class DeliveryFailed(Exception):
    """A send failed and will be retried (the outbox row says so)."""


def max_attempts() -> int:
    return getattr(settings, "NOTIFY_MAX_ATTEMPTS", 5)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _transmit(message) -> None:
    if message.channel == EMAIL:
        from django.core.mail import EmailMessage

        EmailMessage(subject=message.subject, body=message.text, to=[message.address]).send(fail_silently=False)
    elif message.channel == SMS:
        from . import sms

        sms.deliver(phone=message.address, text=message.text)
    else:
        raise ValueError(f"unknown channel {message.channel!r}")


def outbound_send(*, message_id: int, now: dt.datetime | None = None, retrying: bool = False) -> str:
    """Send one outbox message. Claims the row by a status update first, so two workers (or a
    task run twice) send it once. Returns the row's new status ("skipped" when not claimed)."""
    from .models import OutboundMessage

    now = now or timezone.now()
    Status = OutboundMessage.Status
    claimable = OutboundMessage.objects.filter(pk=message_id, status__in=[Status.QUEUED, Status.RETRYING])
    if not retrying:
        claimable = claimable.filter(send_after__lte=now)
    if not claimable.update(status=Status.SENDING, attempts=F("attempts") + 1, updated_at=now):
        return "skipped"
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        _transmit(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= max_attempts():
            OutboundMessage.objects.filter(pk=message.pk).update(status=Status.FAILED, last_error=error, updated_at=timezone.now())
            logger.error("outbound message %s failed for good after %s attempts", message.pk, message.attempts)
            return Status.FAILED
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=Status.RETRYING, last_error=error, send_after=now + backoff(message.attempts), updated_at=timezone.now(),
        )
        raise DeliveryFailed(error) from exc
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.SENT, sent_at=timezone.now(), updated_at=timezone.now())
    return Status.SENT


def outbound_due(*, now: dt.datetime) -> list[int]:
    """The messages to (re)send now: queued ones whose quiet hours are over, retries whose
    Celery retry was lost (a grace period after their time), and sends a dead worker left."""
    from django.db.models import Q

    from .models import OutboundMessage

    Status = OutboundMessage.Status
    grace = dt.timedelta(minutes=5)
    stale = OutboundMessage.objects.filter(status=Status.SENDING, updated_at__lt=now - dt.timedelta(minutes=30))
    stale.update(status=Status.RETRYING, last_error="worker stopped while sending", updated_at=now)
    return list(
        OutboundMessage.objects.filter(
            Q(status=Status.QUEUED, send_after__lte=now) | Q(status=Status.RETRYING, send_after__lte=now - grace)
        ).order_by("send_after").values_list("pk", flat=True)[:1000]
    )


def outbound_retry(*, message_ids) -> int:
    """An administrator's "retry": failed messages are queued again with a fresh set of attempts."""
    from .models import OutboundMessage

    Status = OutboundMessage.Status
    ids = list(OutboundMessage.objects.filter(pk__in=list(message_ids), status=Status.FAILED).values_list("pk", flat=True))
    OutboundMessage.objects.filter(pk__in=ids).update(status=Status.QUEUED, attempts=0, send_after=timezone.now(), updated_at=timezone.now())
    queue_on_commit(ids)
    return len(ids)


# --- the engine's own kinds -------------------------------------------------------------------
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _step(params, lookup, many_url: str = ""):
    """The sweep's notices: the step's title; the case's title and link when the params name
    the case by type and id (set-wise notices), else as stored (older rows); a notice
    standing for several tasks (params["count"]) links to the page listing them."""
    from django.urls import reverse

    values = {"step": step_title(params.get("step", ""))}
    if "days" in params:
        values["n"] = params["days"]
    if "case_type" in params:
        case = lookup.case(params["case_type"], params.get("case_id"))
        values["case"] = str(case) if case is not None else gettext("（案件已删除）")
        values["url"] = case.get_absolute_url() if case is not None and hasattr(case, "get_absolute_url") else ""
    if many_url and (params.get("count") or 1) > 1:
        path, _sep, query = many_url.partition("?")
        values["url"] = reverse(path) + (f"?{query}" if query else "")
    return values


def _urging_url(params) -> str:
    from django.urls import reverse

    return reverse("supervision-urging")


def _notices_url(params) -> str:
    from django.urls import reverse

    return reverse("supervision-notices")


def _report_url(params) -> str:
    from django.urls import reverse

    return reverse("supervision-report", args=[params["report"]])


def register_engine_kinds() -> None:
    group = _("督办")
    sample = {"case": "关于加强社区养老服务的建议", "step": "", "date": "2026-03-02", "url": "/cases/1/"}
    register_kind(
        "supervision_warning", label=_("期限预警"), group=group, app="workflow",
        title=_("即将到期：%(step)s"), body=_("“%(case)s”的“%(step)s”将于%(date)s到期，请及时办理。"),
        title_many=_("即将到期：%(count)d项待办"), body_many=_("“%(case)s”的“%(step)s”等%(count)d项待办即将到期（最早%(date)s），请及时办理。"),
        values=partial(_step, many_url="home?state=warning"), channels=(IN_APP, EMAIL), sample=sample,
    )
    register_kind(
        "urging_notice", label=_("催办单"), group=group, app="workflow",
        title=_("催办单：%(step)s已逾期"), body=_("“%(case)s”的“%(step)s”已于%(date)s到期，请签收催办单并尽快办理。"),
        title_many=_("催办单：%(count)d项办理已逾期"), body_many=_("“%(case)s”的“%(step)s”等%(count)d项已逾期（最早%(date)s到期），请逐项签收催办单并尽快办理。"),
        values=_step, url=_urging_url, channels=(IN_APP, EMAIL, SMS), sample=sample,
    )
    register_kind(
        "supervision_breach", label=_("严重逾期"), group=group, app="workflow",
        title=_("严重逾期：%(step)s"), body=_("“%(case)s”的“%(step)s”（%(dept)s）已逾期%(n)d个工作日，已记录违诺。"),
        title_many=_("严重逾期：%(count)d项"), body_many=_("“%(case)s”的“%(step)s”（%(dept)s）等%(count)d项已严重逾期，最长逾期%(n)d个工作日，均已记录违诺。"),
        values=partial(_step, many_url="supervision-dashboard"), channels=(IN_APP, EMAIL, SMS), sample={**sample, "dept": "区教育局", "days": 6},
    )
    notice_sample = {"notice": 1, "dept": "区教育局", "date": "2026-03-09", "case": "关于加强社区养老服务的建议", "text": "请于期限内书面答复整改情况。"}
    register_kind(
        "supervision_notice", label=_("督办单"), group=group, app="workflow",
        title=_("督办单：请于%(date)s前书面答复"), body=_("“%(case)s”：%(text)s"),
        url=_notices_url, channels=(IN_APP, EMAIL, SMS), sample=notice_sample,
    )
    register_kind(
        "supervision_notice_signed", label=_("督办单已签收"), group=group, app="workflow",
        title=_("%(dept)s已签收督办单"), url=_notices_url, channels=(IN_APP,), sample=notice_sample,
    )
    register_kind(
        "supervision_notice_responded", label=_("督办单已答复"), group=group, app="workflow",
        title=_("%(dept)s已答复督办单"), url=_notices_url, channels=(IN_APP, EMAIL), sample=notice_sample,
    )
    report_sample = {"report": 1, "title": "关于2026年3月提案和投诉办理情况的通报", "number": "朝府督函通报〔2026〕1号", "text": "请补充通报批评名单。"}
    register_kind(
        "report_submitted", label=_("通报待审批"), group=group, app="workflow",
        title=_("通报待审批：%(title)s"), body=_("“%(title)s”已送审，请审批发布或退回修改。"),
        url=_report_url, channels=(IN_APP, EMAIL), sample=report_sample,
    )
    register_kind(
        "report_returned", label=_("通报被退回"), group=group, app="workflow",
        title=_("通报被退回修改：%(title)s"), url=_report_url, channels=(IN_APP, EMAIL), sample=report_sample,
    )
    register_kind(
        "report_published", label=_("通报发布"), group=group, app="workflow",
        title=_("通报已发布：%(title)s"), body=_("%(number)s“%(title)s”已发布，请查阅本单位的指标、排名和通报批评。"),
        url=_report_url, channels=(IN_APP,), sample=report_sample,
    )
    register_kind(
        "calendar_missing", label=_("工作日历缺失"), group=_("系统管理"), app="workflow",
        title=_("%(year)d年工作日历尚未导入"),
        body=_("国务院通常在11月公布%(year)d年的放假安排。导入前，跨入%(year)d年的期限都无法计算。"),
        url=lambda p: "/admin/workflow/calendarday/import/", channels=(IN_APP, EMAIL), sample={"year": 2027},
    )
