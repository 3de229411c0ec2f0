"""Intake from every channel: the public form, the hotline and the service
window (with on-the-spot resolution), Open311, and the citizen who follows
an existing complaint instead of filing a new one."""
from __future__ import annotations

import datetime as dt
import re
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.handling import evaluation_check_codes, evaluation_is_negative
from workflow.models import User
from workflow.selectors import user_has_role
from workflow.services import check_lengths

from ..attachments import CheckedUpload, check_uploads
from ..models import Category, Channel, Complaint, ComplaintCounter, ComplaintRating, Kind
from ..roles import Role
from ._common import RATING_SCALE, _deadline, _event, _remember, _tell_citizen, secret_hash, store_attachment

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,19}$")
ID_RE = re.compile(r"^[0-9]{17}[0-9Xx]$")
# Query codes: no 0/O, 1/I/L, so that they can be read out over the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
STAFF_CHANNELS = (Channel.HOTLINE, Channel.WINDOW, Channel.REVIEW)


def _query_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _next_number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    counter, _created = ComplaintCounter.objects.get_or_create(year=year)
    counter = ComplaintCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"TS{year}{counter.last:06d}"


def clean_answers(category: Category, answers: dict | None) -> dict:
    """The category's extra questions (data): required ones answered, numbers numeric, choices known."""
    answers = answers or {}
    cleaned, errors = {}, {}
    for q in category.questions or []:
        code, label = q.get("code"), q.get("label", q.get("code"))
        value = str(answers.get(code, "") or "").strip()
        if not value:
            if q.get("required"):
                errors[f"answer_{code}"] = _("请填写“%(label)s”。") % {"label": label}
            continue
        if len(value) > 200:
            errors[f"answer_{code}"] = _("“%(label)s”不能超过200个字。") % {"label": label}
        elif q.get("type") == "number" and not value.isdigit():
            errors[f"answer_{code}"] = _("“%(label)s”须填数字。") % {"label": label}
        elif q.get("type") == "choice" and value not in (q.get("choices") or []):
            errors[f"answer_{code}"] = _("“%(label)s”的选项无效。") % {"label": label}
        cleaned[code] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _validate(*, kind, category, title, description, hall, address, latitude, longitude, citizen_phone, citizen_id_number, citizen_email, channel, values, occurred_at=None) -> None:
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = _("请选择诉求类型。")
    if category is None or not category.is_active:
        errors["category"] = _("请选择类别。")
    if not (title or "").strip():
        errors["title"] = _("请用一句话概括您的诉求。")
    if not (description or "").strip():
        errors["description"] = _("请写明事情经过。")
    if kind not in (Kind.CONSULTATION, Kind.SUGGESTION) and not (hall or address or (latitude is not None and longitude is not None)):
        errors["address"] = _("请填写发生地点（服务大厅、地址或地图位置）。")
    if (latitude is None) != (longitude is None):
        errors["latitude"] = _("地图位置须同时有纬度和经度。")
    elif latitude is not None and not (-90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180):
        errors["latitude"] = _("地图位置无效。")
    if citizen_phone and not PHONE_RE.match(citizen_phone):
        errors["citizen_phone"] = _("电话号码格式不正确。")
    if citizen_id_number and not ID_RE.match(citizen_id_number):
        errors["citizen_id_number"] = _("身份证号应为18位。")
    if citizen_email:
        try:
            validate_email(citizen_email)
        except ValidationError:
            errors["citizen_email"] = _("电子邮箱格式不正确。")
    if channel not in Channel.values:
        errors["channel"] = _("来源渠道无效。")
    if occurred_at is not None and (occurred_at.year < 1900 or occurred_at > timezone.now() + dt.timedelta(minutes=5)):
        errors["occurred_at"] = _("发生时间不能早于1900年，也不能晚于现在。")
    if errors:
        raise ValidationError(errors)
    check_lengths(model=Complaint, values=values)


@transaction.atomic
def complaint_submit(
    *, actor: User | None, channel: str, kind: str, category: Category | None, title: str, description: str,
    hall: str = "", window: str = "", address: str = "", latitude=None, longitude=None, occurred_at: dt.datetime | None = None,
    answers: dict | None = None, citizen_name: str = "", citizen_phone: str = "", citizen_id_number: str = "",
    citizen_email: str = "", citizen_address: str = "", attachments=(), open311_token: str = "",
    resolve_on_spot: dict | None = None, extra_answers: dict | None = None,
) -> tuple[Complaint, str]:
    """Receive a complaint; returns it and its query code (shown once, stored hashed).

    `actor` is None for the public form and Open311 (no account); hotline,
    window and 差评 entries are made by an operator or dispatcher. With
    `resolve_on_spot={"reply": ..., "rating": ..., "comment": ...}` window or
    hotline staff close it there (现场办结), with the citizen's rating taken there.
    `extra_answers` are kept with the answers under their own keys when no
    question of the category has that code (Open311's media_url, device_id).
    """
    from ..flows import ComplaintFlow

    if channel in STAFF_CHANNELS or resolve_on_spot:
        if actor is None or not (user_has_role(user=actor, role=Role.OPERATOR) or user_has_role(user=actor, role=Role.DISPATCHER)):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(_("只有热线或窗口受理员、派单员可以登记来电来访。"))
    title, description = (title or "").strip(), (description or "").strip()
    citizen_phone = (citizen_phone or "").strip()
    values = {
        "title": title, "description": description, "hall": hall, "window": window, "address": address,
        "citizen_name": citizen_name, "citizen_phone": citizen_phone, "citizen_address": citizen_address,
        "citizen_email": citizen_email,
    }
    errors = {}
    for step in (
        lambda: _validate(kind=kind, category=category, title=title, description=description, hall=hall, address=address,
                          latitude=latitude, longitude=longitude, citizen_phone=citizen_phone, citizen_id_number=citizen_id_number,
                          citizen_email=citizen_email, channel=channel, values=values, occurred_at=occurred_at),
        lambda: clean_answers(category, answers) if category is not None else None,
        lambda: check_uploads(attachments),
    ):
        try:
            step()
        except ValidationError as exc:
            errors.update(exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})
    if resolve_on_spot:
        if not (resolve_on_spot.get("reply") or "").strip():
            errors["reply"] = _("现场办结须填写处理结果。")
        try:
            evaluation_check_codes(scale=RATING_SCALE, ratings={"rating": resolve_on_spot.get("rating", "")}, messages={"rating": _("请选择群众的现场评价。")})
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    checked: list[CheckedUpload] = check_uploads(attachments)
    cleaned_answers = clean_answers(category, answers)
    question_codes = {q.get("code") for q in category.questions or []}
    for key, value in (extra_answers or {}).items():
        if value and key not in question_codes:
            cleaned_answers[key] = str(value)[:500]

    now = timezone.now()
    code = _query_code()
    complaint = Complaint.objects.create(
        number=_next_number(now), query_code_hash=secret_hash(code), kind=kind, category=category, channel=channel,
        title=title, description=description, hall=hall, window=window, address=address, latitude=latitude, longitude=longitude,
        occurred_at=occurred_at, answers=cleaned_answers, citizen_name=citizen_name.strip(), citizen_phone=citizen_phone,
        citizen_id_number=citizen_id_number.upper(), citizen_email=citizen_email, citizen_address=citizen_address,
        received_by=actor if actor is not None and actor.is_authenticated else None, received_at=now,
        dispatch_due=None if resolve_on_spot else _deadline("dispatch", now), open311_token=open311_token,
    )
    if complaint.dispatch_due is not None:
        _remember([complaint], "dispatch_due")
    for upload in checked:
        store_attachment(complaint=complaint, upload=upload, uploaded_by=complaint.received_by, now=now)
    _event(complaint, "received", actor, to_state=Complaint.Status.NEW, channel=channel)
    if resolve_on_spot:
        _resolve_on_spot(complaint, actor, now, resolve_on_spot)
        _tell_citizen(complaint, _("已现场办结，感谢您的评价。"))
    else:
        _tell_citizen(complaint, _("已受理。"), own=_("查询码%(code)s（请妥善保存），可凭编号和查询码查询办理进度。") % {"code": code}, secret=code, to_merged=False)
    ComplaintFlow.start.run(complaint=complaint)
    return complaint, code


def _resolve_on_spot(complaint: Complaint, actor: User, now: dt.datetime, outcome: dict) -> None:
    from ..models import ComplaintReply

    rating = outcome["rating"]
    bad = evaluation_is_negative(scale=RATING_SCALE, codes=[rating])
    ComplaintReply.objects.create(
        complaint=complaint, body=outcome["reply"].strip(), findings=(outcome.get("findings") or "").strip(),
        status=ComplaintReply.Status.PASSED, written_by=actor, written_at=now, reviewed_by=actor, reviewed_at=now,
    )
    ComplaintRating.objects.create(
        complaint=complaint, rating=rating, comment=(outcome.get("comment") or "").strip(), source=ComplaintRating.Source.ON_SPOT,
        recorded_by=actor, is_bad=bad, created_at=now,
    )
    complaint.status = Complaint.Status.CLOSED
    complaint.resolved_on_spot = True
    complaint.replied_at = complaint.rated_at = complaint.closed_at = now
    complaint.rating = rating
    complaint.save(update_fields=["status", "resolved_on_spot", "replied_at", "rated_at", "closed_at", "rating"])
    _event(complaint, "resolved_on_spot", actor, from_state=Complaint.Status.NEW, to_state=Complaint.Status.CLOSED, rating=rating)


@transaction.atomic
def complaint_follow(*, complaint: Complaint, citizen_phone: str = "") -> Complaint:
    """A citizen with the same problem follows an open complaint instead of filing a new one (附议)."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status not in Complaint.OPEN_STATUSES:
        raise ValidationError(_("该诉求已办结，不能再关注，请提交新的诉求。"))
    complaint.followers_count += 1
    complaint.save(update_fields=["followers_count"])
    _event(complaint, "followed", None)
    return complaint
