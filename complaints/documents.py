"""The complaint's official documents (workflow.documents renders them):

* 答复告知书 (complaint_reply_notice): a passed reply, in the letter format,
  addressed to the citizen by name (no phone, ID number or address): it is
  the citizen's own notice, so only the hotline roles (who send notices and
  see the name unmasked) may download it;
* 办理记录 (complaint_closure): channel, the dates of each step, departments,
  findings, replies, call-back ratings, rectification and appeal results,
  with the citizen's personal data masked; for every staff member who may
  view the case (complaints.permissions.can_view).
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow import registry
from workflow.documents import CaseDocuments, chinese_date, issuer_size_pt, letter_paragraphs, register_case_documents, seal_url
from workflow.rules import label_map_for

from . import permissions
from .models import Complaint, ComplaintReply, HandlingNote
from .selectors import mask_name


PUBLIC_NOTICE = "complaint_reply_notice_public"


def _staff(user) -> bool:
    return bool(user and user.is_authenticated)


def notice_can_download(user, reply: ComplaintReply) -> bool:
    return _staff(user) and permissions.is_hotline(user) and bool(permissions.can_view(user, reply.complaint))


def closure_can_download(user, complaint: Complaint) -> bool:
    return _staff(user) and bool(permissions.can_view(user, complaint))


def _datetime(value) -> str:
    if value is None:
        return "—"
    from django.utils import timezone

    local = timezone.localtime(value)
    return f"{chinese_date(local)} {local:%H:%M}"


def notice_context(reply: ComplaintReply, *, public: bool = False) -> dict:
    """The reply notice; ``public``: the citizen's own download from the progress page,
    redacted as that page is (the name masked, no internal handling notes, no staff
    name: the department and its phone only)."""
    complaint = reply.complaint
    department = complaint.department
    issuer = department.name if department else _("12345政务服务便民热线")
    findings = [] if public else complaint.notes.filter(kind=HandlingNote.Kind.FINDING).order_by("created_at").values_list("text", flat=True)
    body = [
        _("您于%(date)s通过%(channel)s反映的“%(title)s”（工单编号：%(number)s）已收悉。经办理，现将有关情况告知如下：") % {
            "date": chinese_date(complaint.received_at), "channel": complaint.get_channel_display(), "title": complaint.title,
            "number": complaint.number,
        },
    ]
    if reply.findings or findings:
        body.append(_("一、核实情况"))
        body += [reply.findings] if reply.findings else list(findings)
        body.append(_("二、处理结果"))
    body.append(reply.body)
    body.append(_("如对办理结果有异议，可在收到本告知书后5个工作日内通过12345热线反映。感谢您对我们工作的理解和支持。"))
    return {
        "title": _("答复告知书"),
        "issuer": issuer,
        "issuer_size_pt": issuer_size_pt(issuer),
        "doc_number": _("工单编号：%(number)s") % {"number": complaint.number},
        "class_mark": "",
        "salutation": f"{mask_name(complaint.citizen_name) if public else complaint.citizen_name}：" if complaint.citizen_name else _("您好："),
        "paragraphs": letter_paragraphs("\n".join(body)),
        "signer": issuer,
        "date": chinese_date(reply.reviewed_at or reply.signed_at or reply.written_at),
        "seal_url": seal_url(department) if department else "",
        "public": False,
        "contact_note": (
            (_("（联系电话：%(phone)s）") % {"phone": department.contact_phone} if department and department.contact_phone else "")
            if public else
            _("（联系人：%(person)s，电话：%(phone)s）") % {"person": department.contact_person, "phone": department.contact_phone}
            if department and department.contact_person else ""
        ),
        "copy_to": "",
    }


def closure_context(complaint: Complaint) -> dict:
    ratings_scale = label_map_for("haocha_rating")
    dispatches = list(complaint.dispatches.select_related("department").order_by("pk"))
    replies = list(complaint.replies.order_by("round", "pk"))
    ratings = list(complaint.ratings.prefetch_related("appeals").order_by("created_at", "pk"))
    findings = list(complaint.notes.filter(kind=HandlingNote.Kind.FINDING).order_by("created_at").values_list("text", flat=True))
    fields = [
        (_("工单编号"), complaint.number),
        (_("诉求类型"), complaint.get_kind_display()),
        (_("类别"), str(complaint.category)),
        (_("来源渠道"), complaint.get_channel_display()),
        (_("标题"), complaint.title),
        (_("事情经过"), complaint.description),
        (_("地点"), "　".join(x for x in (complaint.hall, complaint.window, complaint.address) if x) or "—"),
        (_("诉求人"), mask_name(complaint.citizen_name) or _("匿名")),
        (_("承办单位"), complaint.department.name if complaint.department_id else "—"),
        (_("状态"), complaint.get_status_display()),
    ]
    steps = [
        (_("受理"), _datetime(complaint.received_at)),
        (_("派单"), _datetime(complaint.dispatched_at)),
        (_("签收"), _datetime(complaint.signed_at)),
        (_("办理期限"), _datetime(complaint.deadline)),
        (_("答复"), _datetime(complaint.replied_at)),
        (_("回访"), _datetime(complaint.called_back_at)),
        (_("评价"), _datetime(complaint.rated_at)),
        (_("整改期限"), _datetime(complaint.rectify_due)),
        (_("整改反馈"), _datetime(complaint.rectified_at)),
        (_("办结"), _datetime(complaint.closed_at)),
    ]
    dispatch_rows = [
        (d.department.name, d.get_role_display(), d.get_status_display(), _datetime(d.dispatched_at), _datetime(d.signed_at),
         d.return_reason or "—")
        for d in dispatches
    ]
    reply_rows = [(str(r.round), r.body, r.get_status_display(), _datetime(r.written_at)) for r in replies]
    rating_rows = []
    for r in ratings:
        appeal = next(iter(r.appeals.all()), None)
        appeal_text = "—"
        if appeal is not None:
            appeal_text = appeal.get_status_display() + (f"：{appeal.decision_note}" if appeal.decision_note else "")
        rating_rows.append((
            ratings_scale.get(r.rating, r.rating) + (_("（差评）") if r.is_bad else "") + (_("（不计入统计）") if r.excluded else ""),
            r.get_source_display() + (_("·整改后") if r.is_followup else ""), r.comment or _("无"), _datetime(r.created_at), appeal_text,
        ))
    return {
        "title": _("诉求办理记录"),
        "subtitle": _("工单编号：%(number)s") % {"number": complaint.number},
        "sections": [
            {"heading": _("一、诉求"), "fields": fields},
            {"heading": _("二、办理时间"), "fields": steps},
            {"heading": _("三、派单与承办"), "columns": [_("单位"), _("方式"), _("状态"), _("派单"), _("签收"), _("退单理由")],
             "rows": dispatch_rows, "widths": [24, 10, 14, 18, 18, 16]},
            {"heading": _("四、核实情况"), "fields": [(_("核实情况"), "\n".join(findings) or (replies[0].findings if replies and replies[0].findings else _("无")))]},
            {"heading": _("五、答复与整改"), "columns": [_("轮次"), _("内容"), _("状态"), _("时间")], "rows": reply_rows,
             "widths": [8, 58, 14, 20]},
            {"heading": _("六、回访评价与申诉复核"), "columns": [_("评价"), _("方式"), _("意见"), _("时间"), _("申诉复核")],
             "rows": rating_rows, "empty": _("尚无评价"), "widths": [20, 16, 30, 18, 16]},
        ],
        "footnote": _("注：诉求人个人信息已按规定脱敏。"),
    }


def _history_version(obj, label: str):
    row = obj.history.order_by("-history_id").values_list("history_id", "history_date").first()
    return (f"{label}:{obj.pk}@h{row[0]}", row[1]) if row else (f"{label}:{obj.pk}", None)


def _supervision_issuer(complaint: Complaint):
    """督办通知单 come from the dispatch centre (the hotline centre)."""
    from workflow.models import Department

    from .roles import ComplaintDepartmentKind

    return Department.objects.filter(kind=ComplaintDepartmentKind.HOTLINE_CENTRE, is_active=True).order_by("pk").first()


def _supervises(user, complaint: Complaint) -> bool:
    from .roles import Role

    return (permissions.is_dispatcher(user) or permissions.user_has_role(user=user, role=Role.SUPERVISOR)) and bool(permissions.can_view(user, complaint))


def register() -> None:
    register_case_documents(CaseDocuments(
        model="complaints.Complaint", noun=gettext_lazy("诉求"), number=lambda c: c.number, title=lambda c: c.safe_title,
        issuer=_supervision_issuer, supervises=_supervises,
    ))
    registry.register_document_kind(registry.DocumentKind(
        code="complaint_reply_notice", label=gettext_lazy("答复告知书（PDF）"), model="complaints.ComplaintReply",
        template="documents/letter.html", context=notice_context, can_download=notice_can_download,
        available=lambda r: r.status == ComplaintReply.Status.PASSED,
        version=lambda r: _history_version(r, "complaint_reply"),
        filename=lambda r: f"答复告知书-{r.complaint.number}-{r.round}",
        load=lambda pk: ComplaintReply.objects.select_related("complaint__department", "complaint__category").get(pk=pk),
        app="complaints", order=50,
    ))
    registry.register_document_kind(registry.DocumentKind(
        # The citizen's own copy: served only by the public progress page (complaints.public_views), never by /documents/.
        code=PUBLIC_NOTICE, label=gettext_lazy("答复告知书（群众下载）"), model="complaints.ComplaintReply",
        template="documents/letter.html", context=lambda r: notice_context(r, public=True), can_download=lambda user, r: False,
        available=lambda r: r.status == ComplaintReply.Status.PASSED,
        version=lambda r: _history_version(r, "complaint_reply"),
        filename=lambda r: f"答复告知书-{r.complaint.number}",
        load=lambda pk: ComplaintReply.objects.select_related("complaint__department", "complaint__category").get(pk=pk),
        app="complaints", order=55,
    ))
    registry.register_document_kind(registry.DocumentKind(
        code="complaint_closure", label=gettext_lazy("办理记录（PDF）"), model="complaints.Complaint",
        template="documents/record.html", context=closure_context, can_download=closure_can_download,
        available=lambda c: c.status in (Complaint.Status.REPLIED, Complaint.Status.RECTIFYING, Complaint.Status.CLOSED),
        version=lambda c: _history_version(c, "complaint"),
        filename=lambda c: f"诉求办理记录-{c.number}",
        load=lambda pk: Complaint.objects.select_related("department", "category").get(pk=pk),
        app="complaints", order=60,
    ))
