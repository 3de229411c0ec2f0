"""Demo organisation and complaints for the hotline (placeholder personal names).

The complaints are the problems the seed documents found at service halls
(../shared/seeds/000_…: people sent back repeatedly, self-service PCs out of
order, staff absent at 9:30, rude staff, staff chatting off post at the
real-estate window, pre-reform department names still displayed), each from
a different channel and left in a different state. They are replayed
relative to today (the last few working days), so that the inbox shows
tasks on time, due soon and overdue as they would be in real use.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .roles import ComplaintDepartmentKind, ComplaintRole

DEPARTMENTS = [
    ("hotline", "广元市朝天区12345政务服务便民热线中心", "12345热线中心", ComplaintDepartmentKind.HOTLINE_CENTRE, "示例联系人", "12345", ""),
]
ACCOUNTS = [
    ("dispatcher1", "示例派单员", [("hotline", ComplaintRole.DISPATCHER)], False),
    ("operator1", "示例热线受理员", [("hotline", ComplaintRole.OPERATOR)], False),
    ("re_handler1", "示例不动产登记中心承办人", [("realestate", "handler")], False),
    ("re_leader1", "示例不动产登记中心领导", [("realestate", "dept_leader")], False),
    ("sc_handler1", "示例政务服务中心承办人", [("service-centre", "handler")], False),
]

# name, priority, category code, keywords, area, department code
ROUTING_RULES = [
    ("不动产登记窗口", 10, "", "不动产 过户 房产证", "", "realestate"),
    ("大厅自助设备", 20, "self_service", "", "", "service-centre"),
    ("大厅标识标牌", 30, "signage", "", "", "service-centre"),
    ("工作纪律", 40, "staff_conduct", "", "政务服务中心", "service-centre"),
    ("窗口服务（默认）", 90, "window_service", "", "", "service-centre"),
]

HALL = "朝天区政务服务中心"


def _when(days_ago: int, hour: int = 10) -> dt.datetime:
    """`days_ago` working days before today, at `hour` (local time)."""
    from workflow.workdays import add_working_days

    today = timezone.localdate()
    day = add_working_days(today, -days_ago) if days_ago else today
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def _at(moment: dt.datetime):
    import time_machine  # a dev dependency (requirements-dev.txt), used only to replay demo history

    return time_machine.travel(moment, tick=False)


def load(*, users: dict, departments: dict) -> None:
    from .models import Category, Complaint, DepartmentSetting, RoutingRule

    for name, priority, category, keywords, area, dept in ROUTING_RULES:
        RoutingRule.objects.get_or_create(name=name, defaults={
            "priority": priority, "category": Category.objects.filter(code=category).first() if category else None,
            "keywords": keywords, "area": area, "department": departments[dept],
        })
    DepartmentSetting.objects.get_or_create(department=departments["realestate"], defaults={"requires_sign_off": True})
    if not Complaint.objects.exists():
        _complaints(users, departments)


@transaction.atomic
def _complaints(users: dict, departments: dict) -> None:
    from . import services
    from .models import Category, Channel, Complaint, Kind

    dispatcher, operator = users["dispatcher1"], users["operator1"]
    re_handler, re_leader, sc_handler = users["re_handler1"], users["re_leader1"], users["sc_handler1"]
    realestate, centre = departments["realestate"], departments["service-centre"]

    def submit(moment, channel, category, title, description, actor=None, **extra):
        with _at(moment):
            complaint, _code = services.complaint_submit(
                actor=actor, channel=channel, kind=extra.pop("kind", Kind.COMPLAINT), category=Category.objects.get(code=category),
                title=title, description=description, hall=extra.pop("hall", HALL), citizen_name="示例群众", citizen_phone=extra.pop("phone", "13800000000"),
                **extra,
            )
        return complaint

    def refresh(c):
        return Complaint.objects.get(pk=c.pk)

    # 1. Sent back repeatedly (public web form): handled, replied, rated satisfied, closed.
    c1 = submit(_when(9), Channel.WEB, "window_service", "办理过户跑了三次，窗口不一次性告知材料",
                "在不动产登记窗口办理二手房过户，工作人员每次只告知一部分材料，前后跑了三次还没办成。", window="不动产登记3号窗口",
                answers={"window_number": "3", "visit_count": "3"}, phone="13800000001")
    with _at(_when(9, 11)):
        services.complaint_dispatch(actor=dispatcher, complaint=c1, department=realestate, suggested_rule="不动产登记窗口")
    with _at(_when(8, 9)):
        services.dispatch_sign(actor=re_handler, dispatch=refresh(c1).dispatches.get())
    contacted = _when(6, 14)  # computed before travelling: _when counts back from today
    with _at(_when(6, 15)):
        services.complaint_add_note(actor=re_handler, complaint=refresh(c1), kind="contact", text="电话联系群众，了解具体经过，约定次日现场办理。", mode="phone", contacted_at=contacted)
        services.complaint_reply(actor=re_handler, complaint=refresh(c1), body="经核实，窗口工作人员未落实一次性告知制度。已对其批评教育，并在各窗口放置材料清单；您的过户已于今日办结。",
                                 findings="窗口工作人员未一次性告知所需材料。")
    with _at(_when(5, 10)):
        services.complaint_reply_sign_off(actor=re_leader, reply=refresh(c1).replies.get(), approve=True)
    with _at(_when(5, 15)):
        services.complaint_review_reply(actor=dispatcher, complaint=refresh(c1), approve=True)
    with _at(_when(4, 10)):
        services.complaint_callback(actor=dispatcher, complaint=refresh(c1), rating="satisfied", comment="问题已解决。")

    # 2. Self-service PCs out of order (hotline call): dispatched, signed, being handled.
    c2 = submit(_when(3), Channel.HOTLINE, "self_service", "政务服务大厅自助办理区电脑大部分无法使用",
                "来电反映：大厅自助办理区的电脑大部分开不了机，想自助打印社保证明只能排队到窗口。", actor=operator,
                answers={"device": "自助办理区1-6号终端"}, phone="13800000002")
    with _at(_when(3, 11)):
        services.complaint_dispatch(actor=dispatcher, complaint=c2, department=centre, suggested_rule="大厅自助设备")
    with _at(_when(2, 9)):
        services.dispatch_sign(actor=sc_handler, dispatch=refresh(c2).dispatches.get())

    # 3. Nobody at the window at 9:30 (service window, in person): waiting to be dispatched.
    submit(_when(0, 9), Channel.WINDOW, "staff_conduct", "上午9点半窗口仍无工作人员",
           "上午9点半到残联窗口办事，窗口没有工作人员，也没有摆放去向牌，等了二十分钟。", actor=operator,
           window="残联窗口", answers={"window_number": "12"}, phone="13800000003")

    # 4. Rude staff (好差评 bad review turned into a case): replied and rated 不满意 → rectification.
    c4 = submit(_when(8), Channel.REVIEW, "staff_conduct", "窗口工作人员态度生硬、解释政策不耐烦",
                "差评转办：群众评价“非常不满意”，反映窗口工作人员对政策解释不耐烦、态度生硬。", actor=dispatcher,
                window="残联窗口", phone="13800000004")
    with _at(_when(8, 11)):
        services.complaint_dispatch(actor=dispatcher, complaint=c4, department=centre)
    with _at(_when(7, 9)):
        services.dispatch_sign(actor=sc_handler, dispatch=refresh(c4).dispatches.get())
    with _at(_when(5, 16)):
        services.complaint_reply(actor=sc_handler, complaint=refresh(c4), body="已对相关工作人员进行批评教育，并组织窗口人员开展服务礼仪培训。")
    with _at(_when(4, 10)):
        services.complaint_review_reply(actor=dispatcher, complaint=refresh(c4), approve=True)
    with _at(_when(3, 10)):
        services.complaint_callback(actor=dispatcher, complaint=refresh(c4), rating="dissatisfied", comment="只说批评教育，没有向我道歉，政策也还是没讲清楚。")

    # 5. Staff chatting off post at the real-estate window (Open311 client): dispatched, awaiting sign-in.
    c5 = submit(_when(1), Channel.OPEN311, "staff_conduct", "不动产登记窗口工作人员串岗聊天",
                "不动产登记窗口两名工作人员上班时间串岗聊天，群众排队无人受理。", window="不动产登记窗口", phone="")
    with _at(_when(1, 11)):
        services.complaint_dispatch(actor=dispatcher, complaint=c5, department=realestate)

    # 6. Pre-reform department names still on the wall (consultation via the web): resolved on the spot at intake? No:
    #    a consultation answered by the hotline centre on the spot (现场办结).
    submit(_when(2), Channel.HOTLINE, "signage", "大厅公示的事项清单还是机构改革前的单位名称",
           "来电咨询：大厅公示栏里的行政许可事项清单写的还是机构改革前的单位名称，不知道该去哪个窗口。", actor=operator,
           kind=Kind.CONSULTATION, phone="13800000006",
           resolve_on_spot={"reply": "已告知群众现负责单位及窗口位置，并转告大厅管理处更新公示清单。", "rating": "very_satisfied", "comment": ""})
