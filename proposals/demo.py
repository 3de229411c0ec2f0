"""Demo proposals (`manage.py demo_data`), idempotent.

The reference case, 第28号 of 六届四次会议 (seed 004, personal names replaced
by placeholders), is replayed through the real services at its real dates
(time-machine moves the clock for the replay), so its events, history and
deadlines are what the system would have recorded: assigned 2019-05-05,
extension approved, reply 朝审函〔2019〕1号 dated 2019-10-28, class A, 满意,
graded A. A few 2026 proposals show the other states.
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


def _at(*args):
    import time_machine  # a dev dependency (requirements-dev.txt), used only to replay demo history

    return time_machine.travel(dt.datetime(*args, tzinfo=TZ), tick=False)


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


@transaction.atomic
def _current_session(session: Session, users: dict, departments: dict) -> None:
    member1, member2, office = users["member1"], users["member2"], users["office1"]
    cat = Category.objects.get(name="政务服务")
    # Awaiting review: self-service terminals often broken (seed 000).
    with _at(2026, 3, 2, 9):
        p1 = services.proposal_create(
            actor=member1, session=session, title="关于解决政务服务大厅自助终端经常故障问题的建议",
            analysis="部分政务服务大厅自助服务区的电脑、自助终端长期故障无人维护，群众只能排队到窗口办理。",
            suggestions="一、建立自助设备巡检和报修制度；二、在显著位置公布故障报修电话；三、将设备完好率纳入考核。",
            category=cat, contact_name=member1.full_name, contact_phone="0839-0000011",
        )
        services.proposal_submit(actor=member1, proposal=p1)
    # Assigned to a lead and a co-handler in June 2026; overdue by now (seed 000: one-time notification).
    with _at(2026, 3, 3, 9):
        p2 = services.proposal_create(
            actor=member2, session=session, title="关于落实窗口一次性告知制度的建议",
            analysis="群众反映部分窗口工作人员未一次性告知所需材料，导致群众多次往返，且有工作人员离岗闲聊。",
            suggestions="一、统一编印办事指南并线上线下同步；二、落实首问负责和一次性告知；三、加强窗口纪律督查。",
            category=cat, contact_name=member2.full_name, contact_phone="0839-0000012",
        )
        services.proposal_submit(actor=member2, proposal=p2)
    with _at(2026, 3, 10, 9):
        services.proposal_review(actor=office, proposal=p2, outcome="accept")
    with _at(2026, 6, 1, 9):
        services.proposal_assign(
            actor=office, proposal=p2, mode="lead_co", lead=departments["approval"],
            co_handlers=[departments["hrss"]], is_key=True, leading_official=users["keyleader1"],
            supervising_unit=departments["supervision"], is_public=True,
        )
    # A joint draft waiting for a co-signer.
    with _at(2026, 11, 2, 9):
        p3 = services.proposal_create(
            actor=member1, session=session, title="关于推进不动产登记“一窗受理”的建议",
            analysis="不动产登记涉及住建、税务、不动产登记中心多个窗口，群众需分别排队。",
            suggestions="推行“前台综合受理、后台分类审批、统一窗口出件”，实现一窗办结。",
            category=cat, contact_name=member1.full_name, contact_phone="0839-0000011", cosigners=[member2],
        )
        services.proposal_submit(actor=member1, proposal=p3)
