"""Service-level tests of the proposal engine (proposals/services.py + flows.py).

Every test is given / when / then, with time frozen in 2019 (or in 2026 where
the deadlines stay inside the known calendar).
"""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.status import STATUS

from proposals import services
from proposals.flows import ProposalFlow
from proposals.models import (
    Assignment,
    Consultation,
    Cosigner,
    Evaluation,
    ExtensionRequest,
    Proposal,
    ProposalTask,
    RejectionReason,
    Reply,
)
from tests.factories import TZ, DepartmentFactory, UserFactory, at
from tests.proposals import factories
from workflow.models import CaseEvent, Notification
from proposals.roles import Role
from workflow.selectors import inbox_tasks

pytestmark = pytest.mark.django_db(transaction=False)

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def local_date(value: dt.datetime) -> dt.date:
    return value.astimezone(TZ).date()


def tasks(proposal, node, *statuses):
    return ProposalTask.objects.filter(
        proposal=proposal, flow_task=getattr(ProposalFlow, node), status__in=statuses or OPEN
    ).order_by("pk")


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def snapshot():
    """What a refused service must leave untouched."""
    return {
        "counts": {
            m.__name__: m.objects.count()
            for m in (Proposal, Assignment, Reply, CaseEvent, Evaluation, ExtensionRequest, Consultation, Cosigner, ProposalTask, Notification)
        },
        "history": {
            m.__name__: m.history.count() for m in (Proposal, Assignment, Reply, Evaluation, ExtensionRequest, Cosigner)
        },
        "proposals": list(Proposal.objects.order_by("pk").values_list("pk", "status", "number", "handling_round", "reply_deadline")),
        "assignments": list(Assignment.objects.order_by("pk").values_list("pk", "status", "department_id", "deadline")),
        "replies": list(Reply.objects.order_by("pk").values_list("pk", "status", "reply_class", "doc_number")),
        "tasks": list(ProposalTask.objects.order_by("pk").values_list("pk", "status", "owner_id", "deadline")),
    }


def assert_refused(exc_type, func, match=None, **kwargs):
    before = snapshot()
    with pytest.raises(exc_type) as info:
        func(**kwargs)
    if match:
        assert match in " ".join(info.value.messages if isinstance(info.value, ValidationError) else [str(info.value)])
    assert snapshot() == before
    return info.value


@pytest.fixture
def env_dept(db):
    return DepartmentFactory(code="env", name="广元市朝天区生态环境局", short_name="区生态环境局", doc_number_prefix="朝环函")


@pytest.fixture
def env_handler(env_dept):
    return UserFactory(username="handler_env", roles=[(env_dept, Role.HANDLER)])


@pytest.fixture
def env_leader(env_dept):
    return UserFactory(username="leader_env", roles=[(env_dept, Role.DEPT_LEADER)])


@pytest.fixture
def handling(session, category, member, office_user, approval_dept):
    """A single-department proposal accepted on 2019-03-01, assigned on Monday 2019-03-11."""
    with at(2019, 3, 1, 9):
        return factories.assigned(proposer=member, lead=approval_dept, assign_at=(2019, 3, 11, 9))


@pytest.fixture
def signed(handling, handler):
    """Its assignment, signed on 2019-03-12."""
    return factories.signed(handling, sign_at=(2019, 3, 12, 9)).assignments.get()


@pytest.fixture
def replied(signed, handler, dept_leader, office_user):
    """The single department's reply has passed supervision review (2019-04-10)."""
    return factories.replied(
        signed.proposal, draft_reply_at=(2019, 4, 8, 9), submit_reply_at=(2019, 4, 8, 9), sign_off_at=(2019, 4, 9, 9), pass_review_at=(2019, 4, 10, 9),
    )


# --- review outcomes ----------------------------------------------------------------------------
def test_accept_numbers_per_session_consecutively_and_refuses_a_clash(session, category, member, member2, office_user):
    # given three submitted proposals
    with at(2019, 3, 1, 9):
        ps = [factories.submitted(proposer=member, title=f"提案{i}") for i in range(3)]
    # when the office accepts the first two without a number
    with at(2019, 3, 5, 9):
        a = services.proposal_review(actor=office_user, proposal=ps[0], outcome="accept")
        b = services.proposal_review(actor=office_user, proposal=ps[1], outcome="accept")
    # then they are numbered 第1号 and 第2号 of the session
    assert (a.number, b.number) == (1, 2)
    assert a.display_number == "第1号" and a.year_number == "2019年度第1号"
    assert a.status == Proposal.Status.ACCEPTED and a.reviewed_at is not None
    # and the process waits at assignment (交办) by the office
    assign = tasks(a, "assign").get()
    assert assign.role == Role.PROPOSAL_OFFICE and assign.deadline is not None
    # when the third is given an explicit number already used, it is refused and nothing changes
    with at(2019, 3, 5, 10):
        assert_refused(ValidationError, services.proposal_review, match="第2号", actor=office_user, proposal=ps[2], outcome="accept", number=2)
    assert fresh(ps[2]).status == Proposal.Status.SUBMITTED and tasks(ps[2], "review").exists()
    # and a free explicit number is taken as given; the next automatic one follows it
    with at(2019, 3, 5, 11):
        c = services.proposal_review(actor=office_user, proposal=ps[2], outcome="accept", number=28)
    assert c.number == 28
    with at(2019, 3, 6, 9):
        d = factories.accepted(proposer=member2, title="提案四")
    assert d.number == 29
    # the accepted event and the history record the change
    assert CaseEvent.objects.filter(case_id=a.pk, type="accepted", to_state="accepted", actor=office_user).exists()
    assert fresh(a).history.filter(number=1, status="accepted").exists()


def test_reject_needs_a_reason_from_the_table(session, category, member, office_user, django_capture_on_commit_callbacks):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member)
    # when the reason is missing: refused, nothing saved
    with at(2019, 3, 5, 9):
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=p, outcome="reject")
    # when given a reason from the table
    reason = RejectionReason.objects.get(code="vague")
    with at(2019, 3, 5, 9), django_capture_on_commit_callbacks(execute=True):
        p = services.proposal_review(actor=office_user, proposal=p, outcome="reject", rejection_reason=reason, note="请补充具体建议")
    # then the proposal is rejected, without a number, the process ended, the proposer told with the reason
    p = fresh(p)
    assert p.status == Proposal.Status.REJECTED and p.rejection_reason == reason and p.number is None
    assert p.process.status == STATUS.DONE
    assert not ProposalTask.objects.filter(proposal=p, status__in=OPEN).exists()
    assert any(reason.text in n.title for n in Notification.objects.filter(recipient=member))
    assert CaseEvent.objects.filter(case_id=p.pk, type="rejected").exists()


def test_merge_into_accepted_proposal_each_proposer_rates_and_both_close(
    session, category, member, member2, office_user, approval_dept, handler, dept_leader, django_capture_on_commit_callbacks
):
    # given an accepted target (member's) and a similar proposal (member2's)
    with at(2019, 3, 1, 9):
        target = factories.accepted(proposer=member)
        similar = factories.submitted(proposer=member2, title="关于推进政务服务改革的建议")
    # when the office merges the similar one into the target
    with at(2019, 3, 5, 9):
        similar = services.proposal_review(actor=office_user, proposal=similar, outcome="merge", merge_into=target)
    # then it is merged, unnumbered, and its own process has ended
    similar = fresh(similar)
    assert similar.status == Proposal.Status.MERGED and similar.merged_into == target and similar.number is None
    assert similar.process.status == STATUS.DONE
    assert CaseEvent.objects.filter(case_id=target.pk, type="merged_in").exists()
    # when the target is handled (assigned 2019-03-11) and replied
    with at(2019, 3, 12, 9):
        factories.replied(target, lead=approval_dept, assign_at=(2019, 3, 11, 9))
    # then each proposer has their own evaluate task in the target's flow
    evaluate = tasks(target, "evaluate")
    assert sorted((t.owner_id, t.data["rated_proposal_id"]) for t in evaluate) == sorted([(member.pk, target.pk), (member2.pk, similar.pk)])
    assert all(t.process_id == target.process.pk and t.role == Role.MEMBER and t.deadline for t in evaluate)
    assert {t.pk for t in inbox_tasks(user=member2)} == {tasks(target, "evaluate").get(owner=member2).pk}
    # when the merged proposer rates first, the target is not yet evaluated
    with at(2019, 3, 20, 9):
        services.proposal_evaluate(actor=member2, proposal=similar, process_rating="satisfied", result_rating="basically_satisfied")
    assert fresh(target).status == Proposal.Status.REPLIED and not tasks(target, "close").exists()
    with at(2019, 3, 20, 10):
        services.proposal_evaluate(actor=member, proposal=target, process_rating="satisfied", result_rating="satisfied")
    assert fresh(target).status == Proposal.Status.EVALUATED
    assert Evaluation.objects.get(proposal=similar).rater == member2
    # when the office closes the target, both close together and both proposers are told
    with at(2019, 3, 25, 9), django_capture_on_commit_callbacks(execute=True):
        services.proposal_close(actor=office_user, proposal=target, implementation_grade="A")
    assert any("已办结" in n.title for n in Notification.objects.filter(recipient=member2))
    assert any("已办结" in n.title for n in Notification.objects.filter(recipient=member))
    target, similar = fresh(target), fresh(similar)
    assert target.status == Proposal.Status.CLOSED and target.process.status == STATUS.DONE
    assert similar.closed_at == target.closed_at and similar.implementation_grade == "A"
    assert CaseEvent.objects.filter(case_id=similar.pk, type="closed").exists()


def test_merge_refusals(session, category, member, member2, office_user):
    from proposals.models import Session

    other_session = Session.objects.create(committee="政协广元市朝天区委员会", name="六届五次会议", year=2020)
    with at(2019, 3, 1, 9):
        target = factories.accepted(proposer=member)
        not_accepted = factories.submitted(proposer=member2, title="尚未审查的提案")
        candidate = factories.submitted(proposer=member2, title="相似提案")
        elsewhere = factories.submitted(proposer=member, session=other_session, title="另一届次的提案")
    with at(2019, 3, 5, 9):
        elsewhere = services.proposal_review(actor=office_user, proposal=elsewhere, outcome="accept")
        # into itself
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=candidate, outcome="merge", merge_into=candidate)
        # into another session's proposal
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=candidate, outcome="merge", merge_into=elsewhere)
        # into a proposal not accepted
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=candidate, outcome="merge", merge_into=not_accepted)
        # without a target
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=candidate, outcome="merge")
    assert fresh(candidate).status == Proposal.Status.SUBMITTED and fresh(target).status == Proposal.Status.ACCEPTED


def test_forward_as_opinion_notifies_the_department_and_ends(
    session, category, member, office_user, approval_dept, handler, other_handler, django_capture_on_commit_callbacks
):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member)
    with at(2019, 3, 5, 9), django_capture_on_commit_callbacks(execute=True):
        p = services.proposal_review(actor=office_user, proposal=p, outcome="forward", forward_to=approval_dept, note="供参考")
    p = fresh(p)
    assert p.status == Proposal.Status.FORWARDED and p.forwarded_to == approval_dept and p.number is None
    assert any(p.title in n.title for n in Notification.objects.filter(recipient=handler))
    assert not Notification.objects.filter(recipient=other_handler).exists()
    assert Notification.objects.filter(recipient=member).exists()
    assert p.process.status == STATUS.DONE and p.process.finished is not None
    assert not Assignment.objects.filter(proposal=p).exists()
    # forwarding needs a department
    with at(2019, 3, 5, 9):
        q = factories.submitted(proposer=member, title="另一提案")
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=q, outcome="forward")


# --- joint proposals ------------------------------------------------------------------------------
def test_joint_proposal_cosigning(session, category, member, member2, committee_dept, office_user):
    member3 = UserFactory(username="member3", roles=[(committee_dept, Role.MEMBER)])
    # given a draft with two co-signers
    with at(2019, 3, 1, 9):
        p = factories.draft(proposer=member, cosigners=[member2, member3])
    assert p.kind == Proposal.Kind.JOINT and p.cosigners.count() == 2
    # when the proposer submits it
    with at(2019, 3, 1, 10):
        p = services.proposal_submit(actor=member, proposal=p)
    # then each co-signer has a cosign task assigned to them, in their inbox, with a deadline
    assert fresh(p).status == Proposal.Status.COSIGNING
    cosign = tasks(p, "cosign")
    assert sorted(t.owner_id for t in cosign) == sorted([member2.pk, member3.pk])
    assert all(t.status == STATUS.ASSIGNED and t.role == Role.MEMBER and t.deadline for t in cosign)
    assert [t.pk for t in inbox_tasks(user=member2)] == [cosign.get(owner=member2).pk]
    assert not inbox_tasks(user=member).exists()
    # and the office cannot review it yet
    assert not tasks(p, "review").exists()
    with at(2019, 3, 2, 9):
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=p, outcome="accept")
    # when one co-signer confirms
    with at(2019, 3, 4, 9):
        services.cosigner_respond(actor=member2, proposal=p, accept=True)
    assert fresh(p).status == Proposal.Status.COSIGNING and not tasks(p, "submit").exists()
    # answering twice is refused
    with at(2019, 3, 4, 10):
        assert_refused(ValidationError, services.cosigner_respond, actor=member2, proposal=p, accept=False)
    # when the other declines
    with at(2019, 3, 4, 11):
        services.cosigner_respond(actor=member3, proposal=p, accept=False)
    # then the proposal goes to the office by itself (the proposer chose to submit when inviting),
    # still a joint proposal; the proposer's 提交 task is done in their name, nothing left in an inbox
    p = fresh(p)
    assert p.status == Proposal.Status.SUBMITTED and p.kind == Proposal.Kind.JOINT
    submit = tasks(p, "submit", STATUS.DONE).get()
    assert submit.owner == member and not tasks(p, "submit").exists()
    assert Cosigner.objects.get(proposal=p, member=member3).status == Cosigner.Status.DECLINED
    assert tasks(p, "review").get().role == Role.PROPOSAL_OFFICE
    assert not inbox_tasks(user=member).exists()
    # submitting again is refused
    with at(2019, 3, 5, 9):
        assert_refused(ValidationError, services.proposal_submit, actor=member, proposal=p)
    assert [e.type for e in CaseEvent.objects.filter(case_id=p.pk).order_by("pk")] == [
        "drafted", "submitted_for_cosign", "cosign_confirmed", "cosign_declined", "cosign_complete", "submitted_after_cosign",
    ]


def test_all_cosigners_declining_makes_it_a_member_proposal(session, category, member, member2):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member, cosigners=[member2])
        services.cosigner_respond(actor=member2, proposal=p, accept=False)
    assert fresh(p).kind == Proposal.Kind.MEMBER and fresh(p).status == Proposal.Status.SUBMITTED


def test_cosigner_must_be_a_member(session, category, member, handler):
    with at(2019, 3, 1, 9):
        assert_refused(ValidationError, factories.draft, proposer=member, cosigners=[handler])
        assert_refused(ValidationError, factories.draft, proposer=member, cosigners=[member])


def test_uninvited_member_cannot_respond(session, category, member, member2, committee_dept):
    stranger = UserFactory(username="member9", roles=[(committee_dept, Role.MEMBER)])
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member, cosigners=[member2])
        assert_refused(PermissionDenied, services.cosigner_respond, actor=stranger, proposal=p, accept=True)


# --- handling modes -------------------------------------------------------------------------------
def test_single_department_handling(handling, handler, dept_leader, office_user, approval_dept, member):
    p = fresh(handling)
    a = p.assignments.get()
    # then: one single assignment, reply due 3 months after assignment, a sign task for the department
    assert p.status == Proposal.Status.HANDLING and p.handling_mode == "single"
    assert a.role == Assignment.Role.SINGLE and local_date(a.deadline) == dt.date(2019, 6, 11)
    assert local_date(a.reassign_deadline) == dt.date(2019, 3, 18)
    sign = tasks(p, "sign").get()
    assert sign.status == STATUS.NEW and sign.department == approval_dept and sign.role == Role.HANDLER
    assert local_date(sign.deadline) == dt.date(2019, 3, 14)  # 3 working days
    # when the handler signs, drafts and submits
    with at(2019, 3, 12, 9):
        services.assignment_sign(actor=handler, assignment=a)
    draft_task = tasks(p, "draft_reply").get()
    assert draft_task.deadline == fresh(a).deadline and draft_task.department == approval_dept
    with at(2019, 4, 1, 9):
        reply = factories.write_reply(a, "B")
    assert reply.title == "关于政协六届四次会议第1号提案的答复"
    sign_off = tasks(p, "sign_off").get()
    assert sign_off.role == Role.DEPT_LEADER and sign_off.department == approval_dept and sign_off.deadline
    with at(2019, 4, 2, 9):
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
    reply = fresh(reply)
    assert reply.status == Reply.Status.SIGNED and reply.doc_number == "朝审函〔2019〕1号" and reply.signed_by == dept_leader
    assert fresh(p).status == Proposal.Status.REVIEWING
    review = tasks(p, "supervision_review").get()
    assert review.role == Role.PROPOSAL_OFFICE and review.deadline and review.data["reply_id"] == reply.pk
    with at(2019, 4, 3, 9):
        services.reply_review(actor=office_user, reply=reply, passed=True)
    # then the reply is delivered and the proposer asked to rate
    p = fresh(p)
    assert p.status == Proposal.Status.REPLIED and fresh(reply).replied_at is not None
    assert fresh(a).status == Assignment.Status.DONE
    assert tasks(p, "evaluate").get().owner == member


def test_lead_and_two_co_handlers_run_in_parallel_and_join_before_review(
    session, category, member, office_user, approval_dept, hrss_dept, env_dept, handler, other_handler, env_handler, dept_leader
):
    with at(2019, 3, 1, 9):
        p = factories.accepted(proposer=member)
    # when assigned with a lead and two co-handlers
    with at(2019, 3, 11, 9):
        p = services.proposal_assign(actor=office_user, proposal=p, mode="lead_co", lead=approval_dept, co_handlers=[hrss_dept, env_dept])
    lead = p.assignments.get(role=Assignment.Role.LEAD)
    co1 = p.assignments.get(department=hrss_dept)
    co2 = p.assignments.get(department=env_dept)
    assert co1.role == co2.role == Assignment.Role.CO
    assert local_date(co1.deadline) == dt.date(2019, 4, 11) and local_date(lead.deadline) == dt.date(2019, 6, 11)
    # then three sign tasks in three parallel branches
    signs = tasks(p, "sign")
    assert {t.department_id for t in signs} == {approval_dept.pk, hrss_dept.pk, env_dept.pk}
    assert len({str(t.token) for t in signs}) == 3
    with at(2019, 3, 12, 9):
        for user, a in ((handler, lead), (other_handler, co1), (env_handler, co2)):
            services.assignment_sign(actor=user, assignment=a)
    assert {t.department_id for t in tasks(p, "co_opinion")} == {hrss_dept.pk, env_dept.pk}
    assert tasks(p, "co_opinion").first().deadline == fresh(co1).deadline
    assert tasks(p, "draft_reply").get().department == approval_dept
    # the lead cannot submit before every co-handler has sent its opinion
    with at(2019, 3, 20, 9):
        services.reply_save_draft(actor=handler, assignment=lead, reply_class="A", body="综合会办意见……", contact_person="张三", contact_phone="1")
        assert_refused(ValidationError, services.reply_submit, match="区人社局", actor=handler, assignment=lead)
        services.assignment_send_opinion(actor=other_handler, assignment=co1, opinion="人社局意见")
        assert_refused(ValidationError, services.reply_submit, match="区生态环境局", actor=handler, assignment=lead)
        # a co-handler may not write a reply of its own
        assert_refused(ValidationError, services.reply_save_draft, actor=env_handler, assignment=co2, reply_class="A", body="x", contact_person="x", contact_phone="1")
        services.assignment_send_opinion(actor=env_handler, assignment=co2, opinion="生态环境局意见")
    # the co-handler branches have arrived at the join; nothing to review yet
    join = ProposalTask.objects.get(process=p.process, flow_task=ProposalFlow.join_departments)
    assert join.status == STATUS.STARTED
    assert not tasks(p, "supervision_review").exists()
    with at(2019, 3, 21, 9):
        reply = services.reply_submit(actor=handler, assignment=lead)
    assert not tasks(p, "supervision_review").exists()
    with at(2019, 3, 22, 9):
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
    # then the branches have joined and there is exactly one supervision review, of the lead's reply
    assert fresh(join).status == STATUS.DONE
    assert ProposalTask.objects.filter(process=p.process, flow_task=ProposalFlow.join_departments).count() == 1
    review = ProposalTask.objects.filter(proposal=p, flow_task=ProposalFlow.supervision_review)
    assert review.count() == 1 and review.get().data["reply_id"] == reply.pk
    assert review.get().created >= max(t.finished for t in ProposalTask.objects.filter(proposal=p, flow_task__in=[ProposalFlow.co_opinion, ProposalFlow.sign_off]))
    with at(2019, 3, 25, 9):
        services.reply_review(actor=office_user, reply=reply, passed=True)
    assert fresh(p).status == Proposal.Status.REPLIED


def test_separate_handlers_each_reply_reviewed_separately(
    session, category, member, office_user, approval_dept, hrss_dept, handler, other_handler, dept_leader, other_leader
):
    with at(2019, 3, 1, 9):
        p = factories.accepted(proposer=member)
    with at(2019, 3, 11, 9):
        p = services.proposal_assign(actor=office_user, proposal=p, mode="separate", separate=[approval_dept, hrss_dept])
    a1, a2 = p.assignments.get(department=approval_dept), p.assignments.get(department=hrss_dept)
    assert a1.role == a2.role == Assignment.Role.SEPARATE
    with at(2019, 3, 12, 9):
        services.assignment_sign(actor=handler, assignment=a1)
        services.assignment_sign(actor=other_handler, assignment=a2)
        r1 = factories.write_reply(a1, "A")
        r2 = factories.write_reply(a2, "B")
        # the other department's leader cannot sign this one
        assert_refused(PermissionDenied, services.reply_sign_off, actor=other_leader, reply=r1, approve=True)
        services.reply_sign_off(actor=dept_leader, reply=r1, approve=True)
        services.reply_sign_off(actor=other_leader, reply=r2, approve=True)
    assert fresh(r1).doc_number == "朝审函〔2019〕1号" and fresh(r2).doc_number == "朝人社函〔2019〕1号"
    # then one supervision review per reply
    reviews = tasks(p, "supervision_review")
    assert sorted(t.data["reply_id"] for t in reviews) == sorted([r1.pk, r2.pk])
    # when the first passes, the proposal waits for the second
    with at(2019, 3, 13, 9):
        services.reply_review(actor=office_user, reply=r1, passed=True)
    assert fresh(r1).status == Reply.Status.PASSED and fresh(p).status == Proposal.Status.REVIEWING
    assert not tasks(p, "evaluate").exists()
    with at(2019, 3, 13, 10):
        services.reply_review(actor=office_user, reply=r2, passed=True)
    assert fresh(p).status == Proposal.Status.REPLIED
    assert tasks(p, "evaluate").count() == 1


def test_reply_returned_by_leader_then_revised_and_signed(signed, handler, dept_leader):
    a = signed
    with at(2019, 4, 1, 9):
        reply = factories.write_reply(a)
    # returning needs a note
    with at(2019, 4, 2, 9):
        assert_refused(ValidationError, services.reply_sign_off, actor=dept_leader, reply=reply, approve=False)
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=False, note="请补充数据")
    reply, a = fresh(reply), fresh(a)
    assert reply.status == Reply.Status.RETURNED and reply.return_note == "请补充数据" and not reply.doc_number
    assert a.status == Assignment.Status.SIGNED
    assert tasks(a.proposal, "draft_reply").count() == 1 and not tasks(a.proposal, "sign_off").exists()
    # when revised and signed
    with at(2019, 4, 3, 9):
        services.reply_save_draft(actor=handler, assignment=a, reply_class="A", body="补充后的答复", contact_person="张三", contact_phone="1")
        services.reply_submit(actor=handler, assignment=a)
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
    reply = fresh(reply)
    assert reply.status == Reply.Status.SIGNED and reply.body == "补充后的答复" and reply.return_note == ""
    assert tasks(a.proposal, "supervision_review").count() == 1
    assert reply.history.filter(status=Reply.Status.RETURNED).exists()


def test_reply_returned_by_supervision_review_and_class_corrected_on_pass(signed, handler, dept_leader, office_user):
    a = signed
    with at(2019, 4, 1, 9):
        reply = factories.write_reply(a, "B")
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
    doc_number = fresh(reply).doc_number
    # when supervision review returns it (with reasons)
    with at(2019, 4, 2, 9):
        assert_refused(ValidationError, services.reply_review, actor=office_user, reply=reply, passed=False)
        services.reply_review(actor=office_user, reply=reply, passed=False, note="答复过于简单")
    reply = fresh(reply)
    assert reply.status == Reply.Status.RETURNED and fresh(a).status == Assignment.Status.SIGNED
    revise = tasks(a.proposal, "revise").get()
    assert revise.department == a.department and revise.deadline == fresh(a).deadline
    # when revised, signed again and passed with the class corrected from B to A
    with at(2019, 4, 3, 9):
        services.reply_save_draft(actor=handler, assignment=a, reply_class="B", body="详细答复", contact_person="张三", contact_phone="1")
        services.reply_submit(actor=handler, assignment=a)
        assert tasks(a.proposal, "revise_sign_off").get().role == Role.DEPT_LEADER
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
    assert tasks(a.proposal, "supervision_review").count() == 1
    with at(2019, 4, 4, 9):
        services.reply_review(actor=office_user, reply=reply, passed=True, reply_class="A")
    reply = fresh(reply)
    assert reply.status == Reply.Status.PASSED and reply.reply_class == "A" and reply.original_class == "B"
    assert reply.doc_number == doc_number  # signed again under the same number
    assert fresh(a.proposal).status == Proposal.Status.REPLIED
    ev = CaseEvent.objects.filter(case_id=a.proposal_id, type="reply_passed").get()
    assert ev.payload["original_class"] == "B" and ev.payload["reply_class"] == "A"


# --- re-assignment -----------------------------------------------------------------------------------
def test_reassign_request_approved_moves_the_case_to_the_new_department(handling, handler, other_handler, office_user, hrss_dept):
    a = handling.assignments.get()
    with at(2019, 3, 15, 9):
        assert_refused(ValidationError, services.assignment_request_reassign, actor=handler, assignment=a, reason=" ")
        services.assignment_request_reassign(actor=handler, assignment=a, reason="不属于本单位职责")
    assert fresh(a).status == Assignment.Status.REASSIGN_REQUESTED
    decide = tasks(handling, "reassign_decide").get()
    assert decide.role == Role.PROPOSAL_OFFICE and decide.deadline
    assert not tasks(handling, "sign").exists()
    # a department never passes the case on by itself
    with at(2019, 3, 15, 10):
        assert_refused(PermissionDenied, services.assignment_decide_reassign, actor=handler, assignment=a, approve=True, new_department=hrss_dept)
        assert_refused(ValidationError, services.assignment_decide_reassign, actor=office_user, assignment=a, approve=True)
    with at(2019, 3, 18, 9):
        assert_refused(ValidationError, services.assignment_decide_reassign, actor=office_user, assignment=a, approve=True, new_department=a.department)
        services.assignment_decide_reassign(actor=office_user, assignment=a, approve=True, new_department=hrss_dept, note="改由人社局办理")
    a = fresh(a)
    assert a.department == hrss_dept and a.status == Assignment.Status.ASSIGNED
    assert local_date(a.assigned_at) == dt.date(2019, 3, 18) and local_date(a.deadline) == dt.date(2019, 6, 18)
    assert fresh(handling).reply_deadline == a.deadline
    sign = tasks(handling, "sign").get()
    assert sign.department == hrss_dept and sign.role == Role.HANDLER
    # the old department lost visibility and cannot sign; the new one can
    from proposals.selectors import open_tasks_for, proposal_queryset

    assert not proposal_queryset(user=handler).filter(pk=handling.pk).exists()
    assert proposal_queryset(user=other_handler).filter(pk=handling.pk).exists()
    assert not open_tasks_for(user=handler).exists()
    assert list(open_tasks_for(user=other_handler)) == [sign]
    with at(2019, 3, 19, 9):
        stale = Assignment.objects.get(pk=a.pk)
        stale.department_id = handler.memberships.get().department_id  # an object loaded before the change
        assert_refused(PermissionDenied, services.assignment_sign, actor=handler, assignment=stale)
        services.assignment_sign(actor=other_handler, assignment=a)
    assert fresh(a).status == Assignment.Status.SIGNED
    assert CaseEvent.objects.filter(case_id=handling.pk, type="reassign_approved").get().payload["to_department"] == hrss_dept.pk


def test_reassign_request_refused_goes_back_to_sign(handling, handler, office_user, approval_dept):
    a = handling.assignments.get()
    with at(2019, 3, 15, 9):
        services.assignment_request_reassign(actor=handler, assignment=a, reason="不属于本单位职责")
    with at(2019, 3, 18, 9):
        assert_refused(ValidationError, services.assignment_decide_reassign, actor=office_user, assignment=a, approve=False)
        services.assignment_decide_reassign(actor=office_user, assignment=a, approve=False, note="属于贵单位职责")
    a = fresh(a)
    assert a.department == approval_dept and a.status == Assignment.Status.ASSIGNED
    assert local_date(a.deadline) == dt.date(2019, 6, 11)
    assert tasks(handling, "sign").get().department == approval_dept
    with at(2019, 3, 18, 10):
        services.assignment_sign(actor=handler, assignment=a)
    assert tasks(handling, "draft_reply").exists()


def test_late_reassign_request_refused(handling, handler):
    a = handling.assignments.get()
    # 2019-03-19 is the 6th working day after assignment on 2019-03-11
    with at(2019, 3, 19, 9):
        err = assert_refused(ValidationError, services.assignment_request_reassign, actor=handler, assignment=a, reason="不属于本单位职责")
    assert "2019-03-18" in " ".join(err.messages) and "不再受理" in " ".join(err.messages)
    assert fresh(a).status == Assignment.Status.ASSIGNED


def test_reassign_after_signing_refused(signed, handler):
    with at(2019, 3, 13, 9):
        assert_refused(ValidationError, services.assignment_request_reassign, actor=handler, assignment=signed, reason="不属于本单位职责")


# --- dissatisfaction and re-handling -------------------------------------------------------------
def test_dissatisfied_rating_leads_to_rehandling_then_close(replied, member, handler, dept_leader, office_user):
    p = replied
    a = p.assignments.get()
    # a dissatisfied rating needs a comment
    with at(2019, 4, 15, 9):
        assert_refused(ValidationError, services.proposal_evaluate, actor=member, proposal=p, process_rating="satisfied", result_rating="dissatisfied")
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="dissatisfied", comment="没有解决实际问题")
    assert fresh(p).status == Proposal.Status.EVALUATED
    assert tasks(p, "close").get().role == Role.PROPOSAL_OFFICE
    # when the office orders re-handling
    with at(2019, 4, 16, 9):
        p = services.proposal_rehandle(actor=office_user, proposal=p, note="请重新办理")
    p, a = fresh(p), fresh(a)
    assert p.status == Proposal.Status.REHANDLING and p.handling_round == 2
    assert local_date(a.deadline) == dt.date(2019, 5, 16) and p.reply_deadline == a.deadline
    assert a.status == Assignment.Status.SIGNED
    draft_task = tasks(p, "draft_reply").get()
    assert draft_task.department == a.department and draft_task.deadline == a.deadline
    # the department redrafts (round 2), the leader signs, the office passes
    with at(2019, 5, 6, 9):
        reply2 = factories.write_reply(a, "A")
    assert reply2.round == 2 and Reply.objects.filter(assignment=a).count() == 2
    with at(2019, 5, 7, 9):
        services.reply_sign_off(actor=dept_leader, reply=reply2, approve=True)
    assert fresh(reply2).doc_number == "朝审函〔2019〕2号"
    with at(2019, 5, 8, 9):
        services.reply_review(actor=office_user, reply=reply2, passed=True)
    assert fresh(p).status == Proposal.Status.REPLIED
    # the member rates again: a second rating, of round 2
    with at(2019, 5, 9, 9):
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="dissatisfied", comment="仍不满意")
    assert list(Evaluation.objects.filter(proposal=p).values_list("round", flat=True).order_by("round")) == [1, 2]
    # closing with a dissatisfied rating needs a note
    with at(2019, 5, 10, 9):
        assert_refused(ValidationError, services.proposal_close, actor=office_user, proposal=p, implementation_grade="B")
        services.proposal_close(actor=office_user, proposal=p, implementation_grade="B", note="已尽力，受条件限制")
    p = fresh(p)
    assert p.status == Proposal.Status.CLOSED and p.close_note and p.process.status == STATUS.DONE
    assert not ProposalTask.objects.filter(proposal=p, status__in=OPEN).exists()
    assert CaseEvent.objects.filter(case_id=p.pk, type="rehandling").get().payload["round"] == 2


def test_rehandle_without_dissatisfaction_refused(replied, member, office_user):
    with at(2019, 4, 15, 9):
        services.proposal_evaluate(actor=member, proposal=replied, process_rating="satisfied", result_rating="basically_satisfied")
    with at(2019, 4, 16, 9):
        assert_refused(ValidationError, services.proposal_rehandle, actor=office_user, proposal=replied)
        services.proposal_close(actor=office_user, proposal=replied, implementation_grade="A")
    assert fresh(replied).status == Proposal.Status.CLOSED


def test_evaluate_refusals(replied, member, member2, office_user):
    with at(2019, 4, 15, 9):
        assert_refused(PermissionDenied, services.proposal_evaluate, actor=member2, proposal=replied, process_rating="satisfied", result_rating="satisfied")
        assert_refused(ValidationError, services.proposal_evaluate, actor=member, proposal=replied, process_rating="great", result_rating="satisfied")
        # closing before the member has rated is refused
        assert_refused(ValidationError, services.proposal_close, actor=office_user, proposal=replied, implementation_grade="A")
        services.proposal_evaluate(actor=member, proposal=replied, process_rating="satisfied", result_rating="satisfied")
        assert_refused(ValidationError, services.proposal_evaluate, actor=member, proposal=replied, process_rating="satisfied", result_rating="satisfied")
        assert_refused(ValidationError, services.proposal_close, actor=office_user, proposal=replied, implementation_grade="Z")


# --- extension --------------------------------------------------------------------------------------
def test_extension_approved_moves_assignment_and_task_deadlines(signed, handler, office_user):
    a = signed
    draft_task = tasks(a.proposal, "draft_reply").get()
    # beyond 6 months after assignment (2019-09-11) is refused
    with at(2019, 5, 20, 9):
        err = assert_refused(ValidationError, services.extension_request, actor=handler, assignment=a, requested_until=dt.date(2019, 9, 12), reason="需统筹")
        assert "2019-09-11" in " ".join(err.messages)
        assert_refused(ValidationError, services.extension_request, actor=handler, assignment=a, requested_until=dt.date(2019, 8, 30), reason=" ")
        req = services.extension_request(actor=handler, assignment=a, requested_until=dt.date(2019, 9, 11), reason="需结合机构改革统筹推进")
        assert_refused(ValidationError, services.extension_request, actor=handler, assignment=a, requested_until=dt.date(2019, 9, 10), reason="再次申请")
    with at(2019, 5, 21, 9):
        assert_refused(PermissionDenied, services.extension_decide, actor=handler, request=req, approve=True)
        services.extension_decide(actor=office_user, request=req, approve=True)
    a = fresh(a)
    assert a.extended and local_date(a.deadline) == dt.date(2019, 9, 11)
    assert fresh(draft_task).deadline == a.deadline
    assert fresh(a.proposal).reply_deadline == a.deadline
    assert fresh(req).status == ExtensionRequest.Status.APPROVED and fresh(req).decided_by == office_user
    with at(2019, 5, 21, 10):
        assert_refused(ValidationError, services.extension_decide, actor=office_user, request=req, approve=True)
    assert CaseEvent.objects.filter(case_id=a.proposal_id, type__in=["extension_requested", "extension_approved"]).count() == 2


def test_extension_does_not_touch_the_sign_task_deadline(handling, handler, office_user):
    a = handling.assignments.get()
    sign = tasks(handling, "sign").get()
    with at(2019, 3, 12, 9):
        req = services.extension_request(actor=handler, assignment=a, requested_until=dt.date(2019, 8, 30), reason="需统筹")
        services.extension_decide(actor=office_user, request=req, approve=True)
    assert fresh(sign).deadline == sign.deadline
    assert local_date(fresh(a).deadline) == dt.date(2019, 8, 30)
    # the reply task created after signing carries the extended deadline
    with at(2019, 3, 13, 9):
        services.assignment_sign(actor=handler, assignment=a)
    assert tasks(handling, "draft_reply").get().deadline == fresh(a).deadline


def test_extension_refused_needs_a_reason(signed, handler, office_user):
    with at(2019, 5, 20, 9):
        req = services.extension_request(actor=handler, assignment=signed, requested_until=dt.date(2019, 8, 30), reason="需统筹")
        assert_refused(ValidationError, services.extension_decide, actor=office_user, request=req, approve=False)
        services.extension_decide(actor=office_user, request=req, approve=False, note="请按期答复")
    assert fresh(req).status == ExtensionRequest.Status.REFUSED
    assert local_date(fresh(signed).deadline) == dt.date(2019, 6, 11) and not fresh(signed).extended


# --- calendar edge ---------------------------------------------------------------------------------
def test_assignment_reaching_into_2027_is_refused_and_saves_nothing(session, category, member, office_user, approval_dept):
    with at(2026, 11, 10, 9):
        p = factories.accepted(proposer=member)
    # when assigned on 2026-11-20 with a 3-month reply limit (deadline in February 2027)
    with at(2026, 11, 20, 9):
        err = assert_refused(ValidationError, services.proposal_assign, actor=office_user, proposal=p, mode="single", lead=approval_dept)
    # then the message names the missing year, and nothing was saved
    assert "2027" in " ".join(err.messages)
    p = fresh(p)
    assert p.status == Proposal.Status.ACCEPTED and p.assigned_at is None and p.handling_mode == ""
    assert not Assignment.objects.filter(proposal=p).exists()
    assert tasks(p, "assign").get().status == STATUS.NEW


# --- permissions and state ----------------------------------------------------------------------------
def test_drafting_permissions_and_state(session, category, member, member2, handler, office_user):
    with at(2019, 3, 1, 9):
        # only members draft
        assert_refused(PermissionDenied, factories.draft, proposer=handler)
        assert_refused(PermissionDenied, factories.draft, proposer=office_user)
        p = factories.draft(proposer=member)
        # only the proposer edits or submits
        assert_refused(PermissionDenied, services.proposal_update, actor=member2, proposal=p, title="改")
        assert_refused(PermissionDenied, services.proposal_submit, actor=member2, proposal=p)
        assert_refused(ValidationError, services.proposal_update, actor=member, proposal=p, status="accepted")
        services.proposal_update(actor=member, proposal=p, title="修改后的案由")
        services.proposal_submit(actor=member, proposal=p)
        # submitted: no more editing, no second submission
        assert_refused(ValidationError, services.proposal_update, actor=member, proposal=p, title="再改")
        assert_refused(ValidationError, services.proposal_submit, actor=member, proposal=p)
    assert fresh(p).title == "修改后的案由"


def test_review_and_assign_need_the_office(session, category, member, handler, dept_leader, supervisor, approval_dept, office_user):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member)
        for user in (member, handler, dept_leader, supervisor):
            assert_refused(PermissionDenied, services.proposal_review, actor=user, proposal=p, outcome="accept")
        p = services.proposal_review(actor=office_user, proposal=p, outcome="accept")
        # reviewing twice is refused
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=p, outcome="accept")
        for user in (member, handler):
            assert_refused(PermissionDenied, services.proposal_assign, actor=user, proposal=p, mode="single", lead=approval_dept)
            assert_refused(PermissionDenied, services.proposal_set_supervision, actor=user, proposal=p, is_key=False)
            assert_refused(PermissionDenied, services.proposal_set_public, actor=user, proposal=p, is_public=False)
        # bad plans
        assert_refused(ValidationError, services.proposal_assign, actor=office_user, proposal=p, mode="single")
        assert_refused(ValidationError, services.proposal_assign, actor=office_user, proposal=p, mode="separate", separate=[approval_dept])
        assert_refused(ValidationError, services.proposal_assign, actor=office_user, proposal=p, mode="lead_co", lead=approval_dept, co_handlers=[approval_dept])
        assert_refused(ValidationError, services.proposal_assign, actor=office_user, proposal=p, mode="single", lead=approval_dept, is_key=True)
    with at(2019, 3, 11, 9):
        services.proposal_assign(actor=office_user, proposal=p, mode="single", lead=approval_dept)
        assert_refused(ValidationError, services.proposal_assign, actor=office_user, proposal=p, mode="single", lead=approval_dept)


def test_department_services_refuse_other_departments_and_roles(handling, handler, other_handler, dept_leader, other_leader, member, office_user):
    a = handling.assignments.get()
    with at(2019, 3, 12, 9):
        for user in (other_handler, dept_leader, member, office_user):
            assert_refused(PermissionDenied, services.assignment_sign, actor=user, assignment=a)
            assert_refused(PermissionDenied, services.assignment_request_reassign, actor=user, assignment=a, reason="x")
        # consultation and reply before signing: wrong state
        assert_refused(ValidationError, services.consultation_record, actor=handler, assignment=a, date=dt.date(2019, 3, 12), mode="face", participants="x")
        assert_refused(ValidationError, services.reply_save_draft, actor=handler, assignment=a, reply_class="A", body="x", contact_person="x", contact_phone="1")
        services.assignment_sign(actor=handler, assignment=a)
        # signing twice
        assert_refused(ValidationError, services.assignment_sign, actor=handler, assignment=a)
        for user in (other_handler, dept_leader, member):
            assert_refused(PermissionDenied, services.consultation_record, actor=user, assignment=a, date=dt.date(2019, 3, 12), mode="face", participants="x")
            assert_refused(PermissionDenied, services.reply_save_draft, actor=user, assignment=a, reply_class="A", body="x", contact_person="x", contact_phone="1")
            assert_refused(PermissionDenied, services.reply_submit, actor=user, assignment=a)
            assert_refused(PermissionDenied, services.extension_request, actor=user, assignment=a, requested_until=dt.date(2019, 8, 1), reason="x")
        # the single department sends no co-handler opinion
        assert_refused(ValidationError, services.assignment_send_opinion, actor=handler, assignment=a, opinion="x")
        # submitting without a draft
        assert_refused(ValidationError, services.reply_submit, actor=handler, assignment=a)
        services.consultation_record(actor=handler, assignment=a, date=dt.date(2019, 3, 12), mode="phone", participants="示例委员")
        assert_refused(ValidationError, services.consultation_record, actor=handler, assignment=a, date=dt.date(2019, 3, 13), mode="phone", participants="x")
        reply = factories.write_reply(a)
        # submitted: no more editing, no second submission
        assert_refused(ValidationError, services.reply_save_draft, actor=handler, assignment=a, reply_class="A", body="y", contact_person="x", contact_phone="1")
        assert_refused(ValidationError, services.reply_submit, actor=handler, assignment=a)
        for user in (handler, other_leader, office_user, member):
            assert_refused(PermissionDenied, services.reply_sign_off, actor=user, reply=reply, approve=True)
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
        assert_refused(ValidationError, services.reply_sign_off, actor=dept_leader, reply=reply, approve=True)
        for user in (handler, dept_leader, member):
            assert_refused(PermissionDenied, services.reply_review, actor=user, reply=reply, passed=True)
        assert_refused(ValidationError, services.reply_review, actor=office_user, reply=reply, passed=True, reply_class="Z")
        services.reply_review(actor=office_user, reply=reply, passed=True)
        assert_refused(ValidationError, services.reply_review, actor=office_user, reply=reply, passed=True)
        for user in (handler, member):
            assert_refused(PermissionDenied, services.proposal_close, actor=user, proposal=handling, implementation_grade="A")
            assert_refused(PermissionDenied, services.proposal_rehandle, actor=user, proposal=handling)
    assert Consultation.objects.filter(assignment=a).count() == 1


def test_co_handler_opinion_refusals(session, category, member, office_user, approval_dept, hrss_dept, handler, other_handler):
    with at(2019, 3, 1, 9):
        p = factories.assigned(proposer=member, lead=approval_dept, co_handlers=[hrss_dept], assign_at=(2019, 3, 11, 9))
    co = p.assignments.get(role=Assignment.Role.CO)
    with at(2019, 3, 12, 9):
        # before signing: no opinion task yet
        assert_refused(ValidationError, services.assignment_send_opinion, actor=other_handler, assignment=co, opinion="意见")
        services.assignment_sign(actor=other_handler, assignment=co)
        assert_refused(PermissionDenied, services.assignment_send_opinion, actor=handler, assignment=co, opinion="意见")
        assert_refused(ValidationError, services.assignment_send_opinion, actor=other_handler, assignment=co, opinion=" ")
        # co-handlers ask no extension of the reply
        assert_refused(ValidationError, services.extension_request, actor=other_handler, assignment=co, requested_until=dt.date(2019, 8, 1), reason="x")
        services.assignment_send_opinion(actor=other_handler, assignment=co, opinion="意见")
        assert_refused(ValidationError, services.assignment_send_opinion, actor=other_handler, assignment=co, opinion="再送")
    assert fresh(co).status == Assignment.Status.OPINION_SENT


# --- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "  ", "案由"),
        ("analysis", "析" * 5001, "5000"),
        ("suggestions", "", "具体建议"),
        ("contact_name", "", "联系人"),
        ("contact_phone", " ", "联系电话"),
        ("title", "题" * 121, "120"),
    ],
)
def test_bad_content_refused(session, category, member, field, value, message):
    values = dict(title="案由", analysis="分析", suggestions="建议", contact_name="示例委员", contact_phone="1")
    values[field] = value
    with at(2019, 3, 1, 9):
        err = assert_refused(ValidationError, services.proposal_create, actor=member, session=session, category=category,
                             for_submission=True, **values)
    assert field in err.message_dict and message in " ".join(err.message_dict[field])


def test_analysis_of_5000_characters_is_accepted(session, category, member):
    with at(2019, 3, 1, 9):
        p = services.proposal_create(actor=member, session=session, category=category, title="案由", analysis="析" * 5000, suggestions="建议", contact_name="示例委员", contact_phone="1")
    assert len(p.analysis) == 5000


def test_organisation_proposal_needs_the_organisation_name(session, category, member):
    with at(2019, 3, 1, 9):
        p = services.proposal_create(actor=member, session=session, category=category, title="案由", analysis="分析", suggestions="建议", contact_name="x", contact_phone="1", kind="organisation")
        err = assert_refused(ValidationError, services.proposal_submit, actor=member, proposal=p)
    assert "organisation_name" in err.message_dict


# --- events, history and task routing -----------------------------------------------------------------
def test_every_step_writes_events_and_history(replied, member, office_user, handler):
    p = replied
    with at(2019, 4, 15, 9):
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="satisfied")
    with at(2019, 4, 16, 9):
        services.proposal_close(actor=office_user, proposal=p, implementation_grade="A")
    events = list(CaseEvent.objects.filter(case_id=p.pk).order_by("pk").values_list("type", flat=True))
    assert events == [
        "drafted", "submitted", "accepted", "assigned", "signed", "reply_drafted", "reply_submitted", "reply_signed",
        "replies_signed", "reply_passed", "replied", "evaluated", "evaluation_complete", "closed",
    ]
    signed_event = CaseEvent.objects.get(case_id=p.pk, type="signed")
    assert signed_event.actor == handler and signed_event.payload["department"] == p.assignments.get().department_id
    statuses = list(p.history.order_by("history_date", "history_id").values_list("status", flat=True))
    for status in ("draft", "submitted", "accepted", "handling", "reviewing", "replied", "evaluated", "closed"):
        assert status in statuses
    a = p.assignments.get()
    assert set(a.history.values_list("status", flat=True)) >= {"assigned", "signed", "reply_submitted", "reply_signed", "done"}
    reply = Reply.objects.get(assignment=a)
    assert set(reply.history.values_list("status", flat=True)) >= {"draft", "submitted", "signed", "passed"}
    assert Evaluation.objects.get(proposal=p).history.count() == 1


def test_human_tasks_carry_role_department_and_deadline(replied, member, office_user):
    with at(2019, 4, 15, 9):
        services.proposal_evaluate(actor=member, proposal=replied, process_rating="satisfied", result_rating="satisfied")
    human = ProposalTask.objects.filter(proposal=replied, flow_task_type="HUMAN")
    assert ProposalTask._meta.get_field("deadline").db_index
    expected = {
        "review": (Role.PROPOSAL_OFFICE, False), "assign": (Role.PROPOSAL_OFFICE, False),
        "sign": (Role.HANDLER, True), "draft_reply": (Role.HANDLER, True), "sign_off": (Role.DEPT_LEADER, True),
        "supervision_review": (Role.PROPOSAL_OFFICE, True), "evaluate": (Role.MEMBER, False), "close": (Role.PROPOSAL_OFFICE, False),
    }
    seen = set()
    for task in human:
        name = task.flow_task.name
        role, with_department = expected[name]
        assert task.role == role, name
        assert task.deadline is not None, name
        assert (task.department_id is not None) == with_department, name
        assert task.proposal_id == replied.pk
        seen.add(name)
    assert seen == set(expected)


# --- loops inside parallel branches ---------------------------------------------------------------
def test_separate_mode_one_reply_returned_the_other_waits_then_rehandled(
    session, category, member, office_user, approval_dept, hrss_dept, handler, other_handler, dept_leader, other_leader
):
    # given a proposal handled separately (assigned 2019-03-11), both replies signed off on 2019-03-12
    with at(2019, 3, 1, 9):
        p = factories.assigned(proposer=member, separate=[approval_dept, hrss_dept], assign_at=(2019, 3, 11, 9))
    with at(2019, 3, 12, 9):
        p = factories.reply_signed(p)
    a1, a2 = p.assignments.get(department=approval_dept), p.assignments.get(department=hrss_dept)
    r1, r2 = factories.reply_of(p, approval_dept), factories.reply_of(p, hrss_dept)
    # when one reply passes and the other is returned
    with at(2019, 3, 13, 9):
        services.reply_review(actor=office_user, reply=r1, passed=True)
        services.reply_review(actor=office_user, reply=r2, passed=False, note="请补充")
    assert tasks(p, "revise").get().department == hrss_dept
    assert fresh(p).status == Proposal.Status.REVIEWING and not tasks(p, "evaluate").exists()
    with at(2019, 3, 14, 9):
        factories.write_reply(a2)
        services.reply_sign_off(actor=other_leader, reply=r2, approve=True)
        assert tasks(p, "supervision_review").get().data["reply_id"] == r2.pk
        services.reply_review(actor=office_user, reply=r2, passed=True)
    assert fresh(p).status == Proposal.Status.REPLIED and tasks(p, "evaluate").count() == 1
    # re-handling brings both answering departments back, each in its own branch
    with at(2019, 3, 15, 9):
        services.proposal_evaluate(actor=member, proposal=p, process_rating="dissatisfied", result_rating="satisfied", comment="沟通不够")
    with at(2019, 3, 18, 9):
        services.proposal_rehandle(actor=office_user, proposal=p, note="重办")
    assert {t.department_id for t in tasks(p, "draft_reply")} == {approval_dept.pk, hrss_dept.pk}
    with at(2019, 3, 19, 9):
        n1 = factories.write_reply(a1)
        services.reply_sign_off(actor=dept_leader, reply=n1, approve=True)
        assert not tasks(p, "supervision_review").exists()  # waits for the other department
        n2 = factories.write_reply(a2)
        services.reply_sign_off(actor=other_leader, reply=n2, approve=True)
        assert tasks(p, "supervision_review").count() == 2
        services.reply_review(actor=office_user, reply=n1, passed=True)
        services.reply_review(actor=office_user, reply=n2, passed=True)
    assert (n1.round, n2.round) == (2, 2)
    with at(2019, 3, 20, 9):
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="satisfied")
        services.proposal_close(actor=office_user, proposal=p, implementation_grade="A")
    p = fresh(p)
    assert p.status == Proposal.Status.CLOSED and p.process.status == STATUS.DONE
    assert not ProposalTask.objects.filter(process=p.process, status__in=OPEN).exists()


def test_lead_co_rehandling_involves_the_lead_only(
    session, category, member, office_user, approval_dept, hrss_dept, handler, other_handler, dept_leader
):
    # given a lead + co case (assigned 2019-03-11) replied, rated dissatisfied and sent back on 2019-03-12
    with at(2019, 3, 1, 9):
        p = factories.assigned(proposer=member, lead=approval_dept, co_handlers=[hrss_dept], assign_at=(2019, 3, 11, 9))
    with at(2019, 3, 12, 9):
        p = factories.rehandling(p, result_rating="dissatisfied", comment="未解决")
    lead, co = p.assignments.get(role=Assignment.Role.LEAD), p.assignments.get(role=Assignment.Role.CO)
    assert [t.department_id for t in tasks(p, "draft_reply")] == [approval_dept.pk]
    assert not tasks(p, "co_opinion").exists() and fresh(co).status == Assignment.Status.OPINION_SENT
    with at(2019, 3, 13, 9):
        reply2 = factories.write_reply(lead)
        services.reply_sign_off(actor=dept_leader, reply=reply2, approve=True)
    assert tasks(p, "supervision_review").get().data["reply_id"] == reply2.pk


def test_cosigners_may_add_their_rating(session, category, member, member2, committee_dept, office_user, approval_dept, handler, dept_leader):
    member3 = UserFactory(username="member3", roles=[(committee_dept, Role.MEMBER)])
    # given a joint proposal, confirmed by one co-signer and declined by the other, replied
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member, cosigners=[member2, member3])
        services.cosigner_respond(actor=member2, proposal=p, accept=True)
        services.cosigner_respond(actor=member3, proposal=p, accept=False)
        p = factories.replied(p, lead=approval_dept)
    with at(2019, 3, 4, 9):
        # the confirmed co-signer rates; the one who declined may not
        services.proposal_evaluate(actor=member2, proposal=p, process_rating="satisfied", result_rating="dissatisfied", comment="不够具体")
        assert_refused(PermissionDenied, services.proposal_evaluate, actor=member3, proposal=p, process_rating="satisfied", result_rating="satisfied")
        assert fresh(p).status == Proposal.Status.REPLIED  # the proposer's rating is still owed
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="satisfied")
    assert fresh(p).status == Proposal.Status.EVALUATED
    # the co-signer's dissatisfaction counts: closing needs a note
    with at(2019, 3, 5, 9):
        assert_refused(ValidationError, services.proposal_close, actor=office_user, proposal=p, implementation_grade="A")


def test_merge_into_a_proposal_being_rehandled(replied, session, category, member, member2, office_user, handler, dept_leader):
    with at(2019, 4, 15, 9):
        p = factories.rehandling(replied, comment="x")
        similar = factories.submitted(proposer=member2, title="相似")
        # a replied proposal cannot take merges; one being re-handled can
        services.proposal_review(actor=office_user, proposal=similar, outcome="merge", merge_into=p)
    # when the department replies again
    with at(2019, 4, 16, 9):
        factories.replied(p)
    assert sorted(t.owner_id for t in tasks(p, "evaluate")) == sorted([member.pk, member2.pk])


def test_merge_into_replied_proposal_refused(replied, session, category, member2, office_user):
    with at(2019, 4, 15, 9):
        similar = factories.submitted(proposer=member2, title="相似")
        assert_refused(ValidationError, services.proposal_review, actor=office_user, proposal=similar, outcome="merge", merge_into=replied)


def test_reassign_of_a_co_handler_in_a_running_lead_co_case(
    session, category, member, office_user, approval_dept, hrss_dept, env_dept, handler, other_handler, env_handler, dept_leader
):
    with at(2019, 3, 1, 9):
        p = factories.assigned(proposer=member, lead=approval_dept, co_handlers=[hrss_dept], assign_at=(2019, 3, 11, 9))
    lead, co = p.assignments.get(role=Assignment.Role.LEAD), p.assignments.get(role=Assignment.Role.CO)
    with at(2019, 3, 12, 9):
        services.assignment_sign(actor=handler, assignment=lead)
        services.assignment_request_reassign(actor=other_handler, assignment=co, reason="非本单位职责")
        # the new department must not already be handling it
        assert_refused(ValidationError, services.assignment_decide_reassign, actor=office_user, assignment=co, approve=True, new_department=approval_dept)
        services.assignment_decide_reassign(actor=office_user, assignment=co, approve=True, new_department=env_dept)
    co = fresh(co)
    assert co.department == env_dept and local_date(co.deadline) == dt.date(2019, 4, 12)
    assert local_date(fresh(p).reply_deadline) == dt.date(2019, 6, 11)  # the co-handler's month does not move the reply
    with at(2019, 3, 13, 9):
        services.assignment_sign(actor=env_handler, assignment=co)
        services.assignment_send_opinion(actor=env_handler, assignment=co, opinion="意见")
        reply = factories.write_reply(lead)
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
    assert tasks(p, "supervision_review").count() == 1


def test_stale_proposal_object_still_rates_the_merge_target(session, category, member, member2, office_user, approval_dept, handler, dept_leader):
    with at(2019, 3, 1, 9):
        target = factories.accepted(proposer=member)
        similar = factories.submitted(proposer=member2, title="相似")
        stale = Proposal.objects.get(pk=similar.pk)  # loaded before the merge
        services.proposal_review(actor=office_user, proposal=similar, outcome="merge", merge_into=target)
        factories.replied(target, lead=approval_dept)
        services.proposal_evaluate(actor=member2, proposal=stale, process_rating="satisfied", result_rating="satisfied")
    assert Evaluation.objects.get(rater=member2).proposal_id == similar.pk
    assert not tasks(target, "evaluate").filter(owner=member2).exists()


def test_extension_approval_after_the_reply_passed_is_refused(signed, handler, dept_leader, office_user):
    with at(2019, 4, 1, 9):
        req = services.extension_request(actor=handler, assignment=signed, requested_until=dt.date(2019, 8, 30), reason="需统筹")
        factories.replied(signed.proposal)
        assert_refused(ValidationError, services.extension_decide, actor=office_user, request=req, approve=True)
