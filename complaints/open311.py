"""Open311 GeoReport v2 for complaints (mounted at /open311/v2/, see docs/open311.md).

Civic-reporting clients list the categories as services, read a category's
extra questions as its service definition, file complaints (with an API key
issued by `manage.py open311_key`) and follow them: requests, a single
request, tokens, and the widely used `servicerequestupdates` extension
(the case's PUBLIC events, as declared in complaints/events.py).

Everything is in JSON and XML, in the spec's shapes:

* services:       <services><service>…           / [{…}]
* definition:     <service_definition>…<attributes><attribute>… / {…}
* requests:       <service_requests><request>…   / [{…}]
* updates:        <service_request_updates><request_update>… / [{…}]
* errors:         <errors><error><code/><description/> / [{"code", "description"}]

A complaint filed here goes through `complaint_submit` with channel
"open311", exactly as one from the public form. What is read here is what
anyone may read without a key, so nothing personal is ever answered: no
name, phone, e-mail or ID number; the description is the one-line title
(the platform already shows titles publicly) and every free text that goes
out (title, reply, reasons) is passed through `redact`.
"""
from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import re
import secrets
from decimal import Decimal, InvalidOperation
from functools import wraps
from xml.etree import ElementTree as ET

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from workflow import events as engine_events
from workflow.models import CaseEvent, LabelChoice

from .redaction import redact
from .models import Category, Complaint, ComplaintReply, Kind, Open311Key, RoutingRule
from .services import RATING_SCALE, complaint_submit
from .services._common import _deadline, handle_category

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000  # the spec's default cap on a list (tests patch it)
DEFAULT_WINDOW = dt.timedelta(days=90)  # the spec's recommended default date window
TITLE_LENGTH = 60
NOTES_LENGTH = 500
KEY_PREFIX_LENGTH = 8
LAST_USED_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most once a minute per key

# The spec's list elements: the element each item of a list is wrapped in.
LIST_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

OPEN, CLOSED = "open", "closed"
STATUS_MAP = {**{s: OPEN for s in Complaint.OPEN_STATUSES}, **{s: CLOSED for s in Complaint.ENDED_STATUSES}}
DATATYPES = {"text": "string", "number": "number", "choice": "singlevaluelist"}


class Open311Error(Exception):
    """Answered in the spec's error format with this HTTP status."""

    def __init__(self, status: int, *descriptions: str):
        self.status = status
        self.descriptions = [str(d) for d in descriptions if d] or [_("请求无效。")]
        super().__init__("; ".join(self.descriptions))


# --- API keys ------------------------------------------------------------------------------
def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


@transaction.atomic
def open311_key_issue(*, actor=None, name: str) -> tuple[Open311Key, str]:
    """Issue a key for a client; returns the row and the key (shown once, only its SHA-256 is kept).
    Its first 8 characters (the prefix) name it in the admin and for revoking."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写客户端名称。")})
    if len(name) > Open311Key._meta.get_field("name").max_length:
        raise ValidationError({"name": _("客户端名称过长。")})
    while True:
        key = secrets.token_urlsafe(32)
        prefix = key[:KEY_PREFIX_LENGTH]
        # A prefix starting with "-" would read as an option to `open311_key --revoke`.
        if not key.startswith("-") and not Open311Key.objects.filter(prefix=prefix).exists():
            break
    row = Open311Key.objects.create(name=name, prefix=prefix, key_hash=key_hash(key))
    return row, key


@transaction.atomic
def open311_key_revoke(*, actor=None, prefix: str) -> Open311Key:
    """Switch a key off (it stays listed, with its history)."""
    rows = list(Open311Key.objects.select_for_update().filter(prefix=(prefix or "").strip()))
    if len(rows) != 1:
        raise ValidationError({"prefix": _("没有前缀为%(prefix)s的密钥。") % {"prefix": prefix} if not rows else _("前缀%(prefix)s对应多个密钥，请在管理后台停用。") % {"prefix": prefix}})
    row = rows[0]
    if row.is_active:
        row.is_active = False
        row.save(update_fields=["is_active"])
    return row


def open311_key_check(key: str) -> Open311Key:
    """The active key this is, else 403. Notes its use (a usage time, not a change: no history row)."""
    key = (key or "").strip()
    if not key:
        raise Open311Error(403, _("缺少 api_key。"))
    row = Open311Key.objects.filter(key_hash=key_hash(key), is_active=True).first()
    if row is None:
        raise Open311Error(403, _("api_key 无效或已停用。"))
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        Open311Key.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


# --- output ------------------------------------------------------------------------------------
def _fill(element: ET.Element, value, tag: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item, key)
    elif isinstance(value, (list, tuple)):
        child = LIST_TAGS[tag]
        for item in value:
            _fill(ET.SubElement(element, child), item, child)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = CONTROL_CHARS.sub("", str(value))  # text from other channels may hold them; XML cannot


def _xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, data, root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode").encode()


def respond(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = _xml(root, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, status: int, descriptions) -> HttpResponse:
    return respond(fmt, "errors", [{"code": status, "description": d} for d in descriptions], status=status)


def w3c(value: dt.datetime | None) -> str | None:
    """2026-03-02T09:00:00+08:00 (the installation's time zone, whole seconds)."""
    return timezone.localtime(value).replace(microsecond=0).isoformat() if value else None


def endpoint(*methods):
    """An Open311 view: the format from the URL, the methods it answers, errors in the spec's format."""

    allowed = (*methods, "HEAD") if "GET" in methods else methods

    def wrap(view):
        @wraps(view)
        def inner(request, *args, fmt: str = "json", **kwargs):
            try:
                if request.method not in allowed:
                    raise Open311Error(405, _("不支持的请求方法：%(method)s。") % {"method": request.method})
                response = view(request, fmt, *args, **kwargs)
            except Open311Error as exc:
                response = error_response(fmt, exc.status, exc.descriptions)
            if request.method in ("GET", "HEAD"):
                response["Access-Control-Allow-Origin"] = "*"
            if response.status_code == 405:
                response["Allow"] = ", ".join(allowed)
            return response

        return inner

    return wrap


# --- personal data: complaints/redaction.py -----------------------------------------------------
def _cut(text: str, length: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= length else text[: length - 1] + "…"


# --- parameters ------------------------------------------------------------------------------
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _param(request, name: str) -> str:
    """A parameter from the body (POST) or the query string; control characters
    (NUL, which PostgreSQL refuses, and others XML cannot carry) are dropped."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    return CONTROL_CHARS.sub("", value or "").strip()


def _list_param(request, name: str) -> list[str]:
    return [v.strip() for v in _param(request, name).split(",") if v.strip()]


def parse_w3c(value: str, name: str) -> dt.datetime:
    """A W3C/ISO 8601 date-time (or a date: its start, local time); naive means local time.
    A '+' of an offset that arrived as a space (not URL-encoded) is put back."""
    raw = value.strip()
    raw = re.sub(r" (\d{2}:?\d{2})$", r"+\1", raw)
    try:
        parsed = parse_datetime(raw)
        if parsed is None:
            day = parse_date(raw)
            if day is not None:
                parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise Open311Error(400, _("%(name)s 不是有效的 W3C 日期时间（例如 2026-03-02T09:00:00+08:00）。") % {"name": name})
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
        parsed.astimezone(dt.timezone.utc)  # out of range at the edges of the calendar (year 1, year 9999)
        if not (dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc) <= parsed <= dt.datetime(2999, 12, 31, tzinfo=dt.timezone.utc)):
            raise OverflowError
    except (OverflowError, ValueError):
        raise Open311Error(400, _("%(name)s 超出可用的日期范围。") % {"name": name})
    return parsed


def _date_window(request) -> tuple[dt.datetime, dt.datetime]:
    """start_date/end_date; without them the last 90 days (or 90 days before end_date)."""
    start = _param(request, "start_date")
    end = _param(request, "end_date")
    end_at = parse_w3c(end, "end_date") if end else timezone.now()
    try:
        start_at = parse_w3c(start, "start_date") if start else end_at - DEFAULT_WINDOW
    except OverflowError:
        raise Open311Error(400, _("%(name)s 超出可用的日期范围。") % {"name": "end_date"})
    if start_at > end_at:
        raise Open311Error(400, _("start_date 不能晚于 end_date。"))
    return start_at, end_at


# --- services ----------------------------------------------------------------------------------
def _active_categories():
    return Category.objects.filter(is_active=True).order_by("ordering", "code")


def _category_keywords() -> dict[int, list[str]]:
    keywords: dict[int, list[str]] = {}
    for rule in RoutingRule.objects.filter(is_active=True, category__isnull=False).only("category_id", "keywords"):
        bucket = keywords.setdefault(rule.category_id, [])
        bucket.extend(k for k in rule.keyword_list() if k not in bucket)
    return keywords


def service_item(category: Category, keywords: list[str]) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": ",".join(keywords),
        "group": None,
    }


def attribute_item(order: int, question: dict) -> dict:
    kind = question.get("type") or "text"
    values = [{"key": str(c), "name": str(c)} for c in question.get("choices") or []] if kind == "choice" else []
    return {
        "variable": True,
        "code": question.get("code"),
        "datatype": DATATYPES.get(kind, "string"),
        "required": bool(question.get("required")),
        "datatype_description": {"number": _("请填写整数"), "text": _("不超过200个字")}.get(kind),
        "order": order,
        "description": question.get("label") or question.get("code"),
        "values": values,
    }


# --- requests ----------------------------------------------------------------------------------
def _complaint_type() -> ContentType:
    return ContentType.objects.get_for_model(Complaint, for_concrete_model=True)


def public_event_types() -> list[str]:
    return [code for code, t in engine_events.case_events(Complaint).types.items() if t.visible_to(engine_events.PUBLIC)]


class _Estimates:
    """The handling deadline a not yet dispatched case would get if dispatched at
    the last moment allowed (its dispatch limit): an upper bound, memoised per
    (limit category, dispatch limit) so a list costs a few queries per day, not per case."""

    def __init__(self):
        self.memo: dict = {}

    def __call__(self, complaint: Complaint) -> dt.datetime | None:
        if not complaint.dispatch_due:
            return None
        key = (handle_category(complaint), complaint.dispatch_due)
        if key not in self.memo:
            try:
                self.memo[key] = _deadline("handle", complaint.dispatch_due, category=key[0])
            except ValidationError:  # the calendar of that year is not entered yet
                self.memo[key] = None
        return self.memo[key]


def expected_datetime(complaint: Complaint, estimate) -> dt.datetime | None:
    status = complaint.status
    if status not in Complaint.OPEN_STATUSES:
        return None
    if status == Complaint.Status.NEW:
        return estimate(complaint)
    if status == Complaint.Status.RECTIFYING:
        return complaint.rectify_due
    if status == Complaint.Status.REPLIED:
        return None  # answered; what remains is the call-back and the citizen's rating
    return complaint.deadline


def status_notes(complaint: Complaint, reply: ComplaintReply | None, parts: list[str]) -> str | None:
    status = complaint.status
    if status == Complaint.Status.NOT_ACCEPTED:
        reason = complaint.not_accepted_reason
        if reason is None:
            return _("不予受理。")
        note = _("不予受理：%(reason)s。") % {"reason": reason.text}
        return note + (reason.redirect_to + "。" if reason.redirect_to else "")
    if status == Complaint.Status.MERGED:
        return _("已并入%(number)s办理，答复一并告知。") % {"number": complaint.merged_into.number if complaint.merged_into else ""}
    if status == Complaint.Status.SPLIT:
        return _("已拆分为%(numbers)s分别办理。") % {"numbers": "、".join(parts)}
    if status in (Complaint.Status.REPLIED, Complaint.Status.RECTIFYING, Complaint.Status.CLOSED) and reply is not None:
        return _cut(redact(reply.body, complaint), NOTES_LENGTH)
    return None


def service_notice(complaint: Complaint, expected: dt.datetime | None) -> str:
    notice = complaint.get_status_display()
    if complaint.is_suspended:
        notice += _("（挂起，等待群众或第三方）")
    if complaint.status == Complaint.Status.NEW and complaint.dispatch_due:
        notice += _("，%(date)s前派至承办单位") % {"date": timezone.localtime(complaint.dispatch_due).strftime("%Y-%m-%d %H:%M")}
    if expected is not None:
        notice += _("，预计%(date)s前答复") % {"date": timezone.localtime(expected).strftime("%Y-%m-%d %H:%M")}
    return notice


def _coordinate(value) -> float | None:
    return float(value) if value is not None else None


def request_items(complaints: list[Complaint]) -> list[dict]:
    """The spec's request elements for these complaints, in a fixed number of queries."""
    if not complaints:
        return []
    ids = [c.pk for c in complaints]
    updated = dict(
        CaseEvent.objects.filter(case_type=_complaint_type(), case_id__in=ids, type__in=public_event_types())
        .values("case_id").annotate(last=Max("created_at")).values_list("case_id", "last")
    )
    replied = [c.pk for c in complaints if c.status in (Complaint.Status.REPLIED, Complaint.Status.RECTIFYING, Complaint.Status.CLOSED)]
    replies: dict[int, ComplaintReply] = {}
    if replied:
        for reply in ComplaintReply.objects.filter(complaint_id__in=replied, status=ComplaintReply.Status.PASSED).order_by("round", "pk"):
            replies[reply.complaint_id] = reply  # the last one wins
    parts: dict[int, list[str]] = {}
    split = [c.pk for c in complaints if c.status == Complaint.Status.SPLIT]
    if split:
        for parent, number in Complaint.objects.filter(split_from_id__in=split).order_by("pk").values_list("split_from_id", "number"):
            parts.setdefault(parent, []).append(number)
    estimate = _Estimates()
    items = []
    for c in complaints:
        expected = expected_datetime(c, estimate)
        answers = c.answers or {}
        items.append({
            "service_request_id": c.number,
            "status": STATUS_MAP.get(c.status, OPEN),
            "status_notes": status_notes(c, replies.get(c.pk), parts.get(c.pk, [])),
            "service_name": c.category.name,
            "service_code": c.category.code,
            "description": redact(c.title, c),
            "agency_responsible": c.department.name if c.department_id else None,
            "service_notice": service_notice(c, expected),
            "requested_datetime": w3c(c.received_at),
            "updated_datetime": w3c(max(filter(None, [updated.get(c.pk), c.received_at]))),
            "expected_datetime": w3c(expected),
            "address": redact(c.place, c) or None,
            "address_id": answers.get("address_id") or None,
            "zipcode": None,
            "lat": _coordinate(c.latitude),
            "long": _coordinate(c.longitude),
            "media_url": answers.get("media_url") or None,
        })
    return items


def _complaints():
    return Complaint.objects.select_related("category", "department", "not_accepted_reason", "merged_into")


# --- updates -----------------------------------------------------------------------------------
def _rating_labels() -> dict:
    return {RATING_SCALE: dict(LabelChoice.objects.filter(scale__code=RATING_SCALE).values_list("code", "label"))}


def update_description(event: CaseEvent, complaint: Complaint, labels: dict, replies: dict) -> str:
    """The event as the citizen's page says it: its label and its public details."""
    declared = engine_events.event_type(Complaint, event.type)
    payload = {k: v for k, v in (event.payload or {}).items() if k in declared.public_payload}
    parts = [str(declared.label)]
    details = list(declared.describe(payload, labels)) if declared.describe else []
    if payload.get("department_name"):  # the department's name when the event happened
        details.insert(0, payload["department_name"])
    if event.type == "not_accepted":
        details += [payload.get("reason", ""), payload.get("redirect_to", "")]
    elif event.type == "merged" and payload.get("target"):
        details.append(_("并入%(number)s") % {"number": payload["target"]})
    elif event.type == "split" and payload.get("parts"):
        details.append(_("拆分为%(numbers)s") % {"numbers": "、".join(payload["parts"])})
    elif event.type == "suspended" and payload.get("reason"):
        details.append(payload["reason"])
    elif event.type == "replied":
        reply = replies.get((complaint.pk, payload.get("round", 1)))
        if reply is not None:
            details.append(_cut(reply.body, NOTES_LENGTH))
    text = "：".join([parts[0], "；".join(str(d) for d in details if d)]) if any(details) else parts[0]
    return redact(text, complaint)


def update_items(events: list[CaseEvent]) -> list[dict]:
    if not events:
        return []
    case_ids = {e.case_id for e in events}
    complaints = Complaint.objects.only(
        "pk", "number", "citizen_name", "citizen_phone", "citizen_email", "citizen_id_number",
    ).in_bulk(case_ids)
    # The status after each update: the last state change at or before it.
    changes: dict[int, tuple[list, list]] = {}
    last = max(e.created_at for e in events)
    for case_id, at, pk, state in (
        CaseEvent.objects.filter(case_type=_complaint_type(), case_id__in=case_ids, created_at__lte=last)
        .exclude(to_state="").order_by("created_at", "pk").values_list("case_id", "created_at", "pk", "to_state")
    ):
        keys, states = changes.setdefault(case_id, ([], []))
        keys.append((at, pk))
        states.append(state)
    replies = {}
    if any(e.type == "replied" for e in events):
        for reply in ComplaintReply.objects.filter(complaint_id__in=case_ids, status=ComplaintReply.Status.PASSED).only("complaint_id", "round", "body"):
            replies[(reply.complaint_id, reply.round)] = reply
    labels = _rating_labels() if any(e.type in ("rated", "rectification") for e in events) else {}
    items = []
    for e in events:
        complaint = complaints.get(e.case_id)
        if complaint is None:
            continue
        keys, states = changes.get(e.case_id, ([], []))
        i = bisect.bisect_right(keys, (e.created_at, e.pk))
        state = states[i - 1] if i else Complaint.Status.NEW
        items.append({
            "update_id": str(e.pk),
            "service_request_id": complaint.number,
            "status": STATUS_MAP.get(state, OPEN),
            "updated_datetime": w3c(e.created_at),
            "description": update_description(e, complaint, labels, replies),
            "media_url": None,
        })
    return items


# --- filing ------------------------------------------------------------------------------------
# Which Open311 parameter a service's field error is about.
FIELD_PARAMS = {
    "title": "description", "description": "description", "category": "service_code", "kind": "service_code",
    "address": "address_string", "hall": "address_string", "latitude": "lat", "longitude": "long",
    "citizen_phone": "phone", "citizen_email": "email", "citizen_name": "first_name",
}


def _errors_of(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(dict.fromkeys(exc.messages))
    found = []
    for field, messages in exc.message_dict.items():
        if field.startswith("answer_"):
            param = f"attribute[{field[len('answer_'):]}]"
        else:
            param = FIELD_PARAMS.get(field, field)
        for message in messages:
            text = message if field == "__all__" else f"{param}: {message}"
            if text not in found:
                found.append(text)
    return found


def _decimal(value: str, name: str) -> Decimal:
    try:
        number = Decimal(value)
        if not number.is_finite():
            raise InvalidOperation
        return number.quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise Open311Error(400, _("%(name)s 须为数字（WGS84 坐标）。") % {"name": name}) from None


def _citizen_name(first: str, last: str) -> str:
    """Chinese names are family name first, with no space."""
    if re.search(r"[\u3400-\u9fff]", first + last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def _title(description: str) -> str:
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    return first_line[:TITLE_LENGTH]


def file_request(request) -> dict:
    """POST requests: check the key, read the spec's parameters, file through complaint_submit."""
    open311_key_check(_param(request, "api_key"))
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise Open311Error(400, _("未知的 service_code：%(code)s。") % {"code": code})
    lat, lon = _param(request, "lat"), _param(request, "long")
    address, address_id = _param(request, "address_string"), _param(request, "address_id")
    if not ((lat and lon) or address or address_id):
        raise Open311Error(400, _("须提供位置：lat 和 long，或 address_string，或 address_id。"))
    latitude = _decimal(lat, "lat") if lat else None
    longitude = _decimal(lon, "long") if lon else None
    media_url = _param(request, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, _("media_url 不是有效的网址。")) from None
    extra = {"media_url": media_url, "device_id": _param(request, "device_id")[:64], "account_id": _param(request, "account_id")[:64], "address_id": address_id[:64]}
    answers = {}
    for key, value in (request.POST.items() if request.method == "POST" else []):
        match = re.fullmatch(r"attribute\[([^\]]+)\](?:\[\])?", key)
        if match:
            answers[match.group(1)] = value.strip()
    description = _param(request, "description")
    if not address and address_id:
        address = _("地址编码：%(id)s") % {"id": address_id[:64]}
    token = secrets.token_urlsafe(18)
    try:
        complaint, _code = complaint_submit(
            actor=None, channel="open311", kind=Kind.COMPLAINT, category=category,
            title=_title(description), description=description, address=address[:200],
            latitude=latitude, longitude=longitude, answers=answers,
            citizen_name=_citizen_name(_param(request, "first_name"), _param(request, "last_name")),
            citizen_phone=_param(request, "phone"), citizen_email=_param(request, "email"),
            open311_token=token, extra_answers=extra,
        )
    except ValidationError as exc:
        raise Open311Error(400, *_errors_of(exc)) from None
    except PermissionDenied as exc:
        raise Open311Error(403, str(exc)) from None
    expected = expected_datetime(complaint, _Estimates())
    return {
        "service_request_id": complaint.number,
        "token": token,
        "service_notice": _("已受理，编号%(number)s。") % {"number": complaint.number} + service_notice(complaint, expected),
        "account_id": None,
    }


# --- views -------------------------------------------------------------------------------------
def _base_url(request) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("open311:discovery", kwargs={"fmt": "json"}).rsplit("/", 1)[0]


def _changeset() -> str:
    last = Category.history.aggregate(last=Max("history_date"))["last"]
    return w3c(last or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))


@endpoint("GET")
def discovery(request, fmt):
    changeset = _changeset()
    data = {
        "changeset": changeset,
        "contact": _("%(platform)s，12345政务服务便民热线。") % {"platform": settings.PLATFORM_NAME},
        "key_service": _("接口密钥由平台管理员签发，请向12345热线中心申请。"),
        "max_requests": MAX_RESULTS,
        "endpoints": [{
            "specification": SPEC_URL,
            "url": _base_url(request),
            "changeset": changeset,
            "type": "test" if settings.DEBUG else "production",
            "formats": ["text/xml", "application/json"],
        }],
    }
    return respond(fmt, "discovery", data)


@endpoint("GET")
def services(request, fmt):
    keywords = _category_keywords()
    items = [service_item(c, keywords.get(c.pk, [])) for c in _active_categories()]
    return respond(fmt, "services", items)


@endpoint("GET")
def service_definition(request, fmt, service_code):
    category = _active_categories().filter(code=service_code).first()
    if category is None:
        raise Open311Error(404, _("未知的 service_code：%(code)s。") % {"code": service_code})
    data = {
        "service_code": category.code,
        "attributes": [attribute_item(i, q) for i, q in enumerate(category.questions or [], start=1)],
    }
    return respond(fmt, "service_definition", data)


@csrf_exempt  # API-key authentication, no cookies
@endpoint("GET", "POST")
def requests(request, fmt):
    if request.method == "POST":
        return respond(fmt, "service_requests", [file_request(request)])
    qs = _complaints()
    ids = _list_param(request, "service_request_id")
    if ids:  # the spec: service_request_id overrides every other parameter
        qs = qs.filter(number__in=[i.upper() for i in ids])
    else:
        codes = _list_param(request, "service_code")
        if codes:
            qs = qs.filter(category__code__in=codes)
        wanted = {s.lower() for s in _list_param(request, "status")}
        if wanted - {OPEN, CLOSED}:
            raise Open311Error(400, _("status 只能是 open 或 closed。"))
        if wanted == {OPEN}:
            qs = qs.filter(status__in=Complaint.OPEN_STATUSES)
        elif wanted == {CLOSED}:
            qs = qs.filter(status__in=Complaint.ENDED_STATUSES)
        start, end = _date_window(request)
        qs = qs.filter(received_at__gte=start, received_at__lte=end)
    complaints = list(qs.order_by("-received_at", "-pk")[:MAX_RESULTS])
    return respond(fmt, "service_requests", request_items(complaints))


@endpoint("GET")
def request_detail(request, fmt, request_id):
    complaint = _complaints().filter(number=request_id.strip().upper()).first()
    if complaint is None:
        raise Open311Error(404, _("没有编号为%(id)s的诉求。") % {"id": request_id})
    return respond(fmt, "service_requests", request_items([complaint]))


@endpoint("GET")
def token(request, fmt, token):
    number = Complaint.objects.filter(open311_token=token.strip()).exclude(open311_token="").values_list("number", flat=True).first()
    if number is None:
        raise Open311Error(404, _("未知的 token。"))
    return respond(fmt, "service_requests", [{"service_request_id": number, "token": token.strip()}])


@endpoint("GET")
def updates(request, fmt):
    start, end = _date_window(request)
    qs = CaseEvent.objects.filter(case_type=_complaint_type(), type__in=public_event_types(), created_at__gte=start, created_at__lte=end)
    ids = _list_param(request, "service_request_id")
    if ids:
        qs = qs.filter(case_id__in=Complaint.objects.filter(number__in=[i.upper() for i in ids]).values("pk"))
    events = list(qs.order_by("created_at", "pk")[:MAX_RESULTS])
    return respond(fmt, "service_request_updates", update_items(events))
