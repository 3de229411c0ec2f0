"""Demo proposals (`manage.py demo_data`), idempotent.

The reference case, 第28号 of 六届四次会议 (seed 004, personal names replaced
by placeholders), is replayed through the real services at its real dates
(time-machine moves the clock for the replay), so its events, history and
deadlines are what the system would have recorded: assigned 2019-05-05,
extension approved, reply 朝审函〔2019〕1号 dated 2019-10-28, class A, 满意,
graded A. The current session's proposals are dated relative to the day the
demo is loaded (working days back from today), so every deadline state exists.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.db import transaction

from . import services
from .models import Category, Proposal, Session
from .roles import ProposalDepartmentKind, Role

# The committee, its proposal office and the proposal roles' demo accounts
# (workflow/demo.py has the shapes and the engine's departments and people).
DEPARTMENTS = [
    ("cppcc", "政协广元市朝天区委员会", "区政协", ProposalDepartmentKind.COMMITTEE, "示例联系人", "0839-0000001", "朝政协函"),
    ("proposal-office", "政协广元市朝天区委员会提案委员会", "区政协提案委", ProposalDepartmentKind.PROPOSAL_OFFICE, "示例联系人", "0839-0000002", "朝政协提函"),
]
PARENTS = {"proposal-office": "cppcc"}
ACCOUNTS = [
    ("member1", "示例委员", [("cppcc", Role.MEMBER)], False),
    ("member2", "示例委员二", [("cppcc", Role.MEMBER)], False),
    ("office1", "示例提案委工作人员", [("proposal-office", Role.PROPOSAL_OFFICE)], False),
    ("keyleader1", "示例牵头领导", [("gov-office", Role.KEY_LEADER)], False),
]

SEED = Path(__file__).parent / "fixtures" / "seed_proposal_28.json"
TZ = dt.timezone(dt.timedelta(hours=8))


def _travel(moment: dt.datetime):
    import time_machine  # a dev dependency (requirements-dev.txt), used only to replay demo history

    return time_machine.travel(moment, tick=False)


def _at(*args):
    return _travel(dt.datetime(*args, tzinfo=TZ))


def load(*, users: dict, departments: dict) -> None:
    committee = departments["cppcc"].name
    s2019, _ = Session.objects.get_or_create(committee=committee, name="六届四次会议", defaults={"year": 2019})
    s2026, _ = Session.objects.get_or_create(
        committee=committee, name="七届五次会议", defaults={"year": 2026, "is_current": True, "cutoff": dt.date(2026, 12, 5)}
    )
    if not Proposal.objects.filter(session=s2019, number=28).exists():
        _seed_case(s2019, users, departments)
    if not Proposal.objects.filter(session=s2026).exists():
        _current_session(s2026, users, departments)


@transaction.atomic
def _seed_case(session: Session, users: dict, departments: dict) -> Proposal:
    data = json.loads(SEED.read_text(encoding="utf-8"))
    member, office, handler, leader = users["member1"], users["office1"], users["handler1"], users["leader1"]
    with _at(2019, 3, 1, 9):
        p = services.proposal_create(
            actor=member, session=session, title=data["title"], analysis=data["analysis"],
            suggestions=data["suggestions"], category=Category.objects.get(name="政务服务"),
            contact_name=member.full_name, contact_phone="0839-0000000",
        )
        services.proposal_submit(actor=member, proposal=p)
    with _at(2019, 3, 8, 10):
        p = services.proposal_review(actor=office, proposal=p, outcome="accept", number=28)
    with _at(2019, 5, 5, 9):
        p = services.proposal_assign(
            actor=office, proposal=p, mode="single", lead=departments["approval"],
            supervising_unit=departments["supervision"], leading_official=users["keyleader1"], is_public=True,
        )
    assignment = p.assignments.get()
    with _at(2019, 5, 7, 10):
        services.assignment_sign(actor=handler, assignment=assignment)
    with _at(2019, 7, 26, 10):
        services.extension_request(
            actor=handler, assignment=assignment, requested_until=dt.date(2019, 10, 31),
            reason="涉及机构改革后职能整合和平台建设，需统筹推进后一并答复。",
        )
    with _at(2019, 7, 29, 10):
        services.extension_decide(actor=office, request=assignment.extension_requests.get(), approve=True, note="同意延期，最迟10月底答复。")
    with _at(2019, 10, 22, 15):
        services.consultation_record(
            actor=handler, assignment=assignment, date=dt.date(2019, 10, 22), mode="face",
            participants="示例委员、示例承办人、示例联系人", note="当面沟通改革推进情况和下一步计划。",
        )
    with _at(2019, 10, 25, 10):
        services.reply_save_draft(
            actor=handler, assignment=assignment, reply_class="A", body=data["reply_body"],
            contact_person=data["contact_person"], contact_phone=data["contact_phone"],
        )
        services.reply_submit(actor=handler, assignment=assignment)
    reply = assignment.replies.get()
    with _at(2019, 10, 28, 9):
        services.reply_sign_off(actor=leader, reply=reply, approve=True)
    with _at(2019, 10, 30, 9):
        services.reply_review(actor=office, reply=reply, passed=True)
    with _at(2019, 11, 6, 9):
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="satisfied", comment="")
    with _at(2019, 11, 20, 9):
        services.proposal_close(actor=office, proposal=p, implementation_grade="A", note="")
    return p


def _wd_ago(n: int, hour: int = 10) -> dt.datetime:
    """`n` working days before today, at `hour` (China time): the current
    session is dated relative to the day the demo is loaded, so on-time,
    warning, overdue and severely overdue tasks all exist that day."""
    from workflow.workdays import add_working_days

    today = dt.datetime.now(TZ).date()
    day = add_working_days(today, -n) if n else today
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


@transaction.atomic
def _current_session(session: Session, users: dict, departments: dict) -> None:
    member1, member2, office = users["member1"], users["member2"], users["office1"]
    cat = Category.objects.get(name="政务服务")

    def propose(member, when, title, analysis, suggestions, phone, **extra):
        with _travel(when):
            p = services.proposal_create(
                actor=member, session=session, title=title, analysis=analysis, suggestions=suggestions,
                category=cat, contact_name=member.full_name, contact_phone=phone, **extra,
            )
            services.proposal_submit(actor=member, proposal=p)
        return p

    def accept_and_assign(p, accepted, assigned, **assignment):
        with _travel(accepted):
            p = services.proposal_review(actor=office, proposal=p, outcome="accept")
        with _travel(assigned):
            return services.proposal_assign(actor=office, proposal=p, **assignment)

    # Awaiting review, on time: self-service terminals often broken (seed 000).
    propose(
        member1, _wd_ago(2, 9), "关于解决政务服务大厅自助终端经常故障问题的建议",
        "部分政务服务大厅自助服务区的电脑、自助终端长期故障无人维护，群众只能排队到窗口办理。",
        "一、建立自助设备巡检和报修制度；二、在显著位置公布故障报修电话；三、将设备完好率纳入考核。", "0839-0000011",
    )
    # A key proposal with a lead and a co-handler, both signed; the co-handler's
    # opinion (one month) is overdue, the reply (three months) on time (seed 000: one-time notification).
    p2 = propose(
        member2, _wd_ago(32, 9), "关于落实窗口一次性告知制度的建议",
        "群众反映部分窗口工作人员未一次性告知所需材料，导致群众多次往返，且有工作人员离岗闲聊。",
        "一、统一编印办事指南并线上线下同步；二、落实首问负责和一次性告知；三、加强窗口纪律督查。", "0839-0000012",
    )
    p2 = accept_and_assign(
        p2, _wd_ago(30), _wd_ago(26, 9), mode="lead_co", lead=departments["approval"],
        co_handlers=[departments["hrss"]], is_key=True, leading_official=users["keyleader1"],
        supervising_unit=departments["supervision"], is_public=True,
    )
    with _travel(_wd_ago(25, 11)):
        for assignment in p2.assignments.all():
            handler = users["handler1"] if assignment.department == departments["approval"] else users["handler2"]
            services.assignment_sign(actor=handler, assignment=assignment)
    # Assigned, not yet signed for: due tomorrow (warning), 2 working days late
    # (overdue) and 9 working days late (severely overdue: urged, a breach recorded by the sweep).
    for ago, title, department, phone in (
        (2, "关于在政务服务大厅增设帮办代办窗口的建议", "approval", "0839-0000013"),
        (5, "关于规范窗口工作人员服务行为的建议", "hrss", "0839-0000014"),
        (12, "关于推进不动产登记资料网上查询的建议", "approval", "0839-0000015"),
    ):
        p = propose(
            member2 if ago == 5 else member1, _wd_ago(ago + 8, 9), title,
            "群众反映办事过程中存在等候时间长、往返次数多等问题，影响营商环境和群众满意度。",
            "一、梳理高频事项并优化流程；二、明确责任科室和办理时限；三、定期公开办理情况接受监督。", phone,
        )
        accept_and_assign(p, _wd_ago(ago + 5), _wd_ago(ago, 9), mode="single", lead=departments[department], is_public=True)
    # A joint draft waiting for a co-signer.
    propose(
        member1, _wd_ago(1, 9), "关于推进不动产登记“一窗受理”的建议",
        "不动产登记涉及住建、税务、不动产登记中心多个窗口，群众需分别排队。",
        "推行“前台综合受理、后台分类审批、统一窗口出件”，实现一窗办结。", "0839-0000011", cosigners=[member2],
    )
