"""Complaints in each state, driven through the real services.

`submit(...)` files one from the public form (or another channel);
`dispatched`, `handling`, `replied` take it further. Each returns the
complaint (refreshed) and, for submit, the query code."""
from __future__ import annotations

from workflow import sms

from complaints import services
from complaints.models import Category, Channel, Complaint, Kind

SEED_PROBLEM = {
    "title": "窗口工作人员不一次性告知所需材料",
    "description": "到区政务服务中心不动产登记窗口办理过户，工作人员每次只说一部分材料，前后跑了三次还没办成。",
    "hall": "区政务服务中心",
    "window": "不动产登记3号窗口",
}


def category(code: str = "window_service") -> Category:
    return Category.objects.get(code=code)


def submit(*, actor=None, channel: str = Channel.WEB, kind: str = Kind.COMPLAINT, category_code: str = "window_service", answers=None, phone: str = "13800001234", **fields) -> tuple[Complaint, str]:
    data = {**SEED_PROBLEM, **fields}
    if answers is None:
        answers = {"window_number": "3"} if category_code == "window_service" else {}
    complaint, code = services.complaint_submit(
        actor=actor, channel=channel, kind=kind, category=category(category_code), citizen_name="示例群众", citizen_phone=phone,
        answers=answers, **data,
    )
    return complaint, code


def dispatched(dispatcher, department, co=(), **kwargs) -> Complaint:
    complaint, _code = submit(**kwargs)
    services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=department, co_departments=list(co))
    return Complaint.objects.get(pk=complaint.pk)


def handling(dispatcher, handler, department, **kwargs) -> Complaint:
    complaint = dispatched(dispatcher, department, **kwargs)
    services.dispatch_sign(actor=handler, dispatch=complaint.dispatches.get(department=department))
    return Complaint.objects.get(pk=complaint.pk)


def replied(dispatcher, handler, department, body: str = "经核实，已对窗口工作人员批评教育，实行一次性告知制度。", **kwargs) -> Complaint:
    complaint = handling(dispatcher, handler, department, **kwargs)
    services.complaint_reply(actor=handler, complaint=complaint, body=body)
    services.complaint_review_reply(actor=dispatcher, complaint=Complaint.objects.get(pk=complaint.pk), approve=True)
    return Complaint.objects.get(pk=complaint.pk)


def last_link_token(complaint: Complaint) -> str:
    """The token in the last text message with a rating link to this complaint's citizen."""
    for message in reversed(sms.outbox):
        if "/rate/" in message.text and complaint.number in message.text:
            return message.text.rsplit("/rate/", 1)[1].strip("/").split("/")[0]
    raise AssertionError("no rating link sent")
