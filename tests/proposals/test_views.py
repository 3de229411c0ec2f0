"""The proposal pages, through their real URLs, one user per role."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proposals import services
from proposals.models import Assignment, Consultation, Evaluation, ExtensionRequest, Proposal, Reply
from tests.factories import at
from tests.proposals import factories

pytestmark = pytest.mark.django_db

TITLE = factories.TITLE
# When the given proposals reach each state: the seed case's dates, with the reply
# drafted and submitted the day after assignment and signed off and passed two days later.
DATES = {
    "draft_at": (2019, 3, 1, 9), "submit_at": (2019, 3, 1, 9), "accept_at": (2019, 3, 5, 9), "assign_at": (2019, 5, 5, 9),
    "sign_at": (2019, 5, 6, 10), "draft_reply_at": (2019, 5, 6, 10), "submit_reply_at": (2019, 5, 6, 10),
    "sign_off_at": (2019, 5, 8, 10), "pass_review_at": (2019, 5, 8, 10),
}


def body(response) -> str:
    return response.content.decode()


def as_user(client, user):
    """Log in at the current (travelled) time: sessions made in 2019 expire in 2019."""
    client.force_login(user)
    return client


# --- the seed case, end to end through the pages ------------------------------------------------------
def test_seed_case_end_to_end_through_the_pages(
    client, session, category, member, office_user, handler, dept_leader, approval_dept, supervision_dept, key_leader,
):
    # given a committee member writing the proposal
    with at(2019, 3, 1, 9):
        as_user(client, member)
        assert client.get("/proposals/new/").status_code == 200
        response = client.post("/proposals/new/", {
            "title": TITLE, "analysis": "存在问题：“多头跑”“跑很多次”等现象依然存在。", "suggestions": "建议：……",
            "category": category.pk, "contact_name": "示例委员", "contact_phone": "0839-0000000", "session": session.pk,
            "kind": "member", "action": "save",
        })
        p = Proposal.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/proposals/{p.pk}/"
        assert p.status == Proposal.Status.DRAFT
        page = body(client.get(f"/proposals/{p.pk}/"))
        assert "草稿已保存" in page and "提交提案" in page and "修改草稿" in page
        # when they submit it
        response = client.post(f"/proposals/{p.pk}/submit/")
        assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == Proposal.Status.SUBMITTED

    # the office accepts it as No. 28
    with at(2019, 3, 5, 9):
        as_user(client, office_user)
        page = body(client.get(f"/proposals/{p.pk}/"))
        assert "立案审查" in page and 'data-testid="action-review"' in page
        response = client.post(f"/proposals/{p.pk}/review/", {"outcome": "accept", "number": "28"})
        assert response.status_code == 302
    p.refresh_from_db()
    assert p.number == 28 and p.status == Proposal.Status.ACCEPTED

    # and assigns it to the approval department alone (a Sunday that was a make-up working day)
    with at(2019, 5, 5, 9):
        as_user(client, office_user)
        assert 'data-testid="action-assign"' in body(client.get(f"/proposals/{p.pk}/"))
        response = client.post(f"/proposals/{p.pk}/assign/", {
            "mode": "single", "lead": approval_dept.pk, "supervising_unit": supervision_dept.pk,
            "leading_official": key_leader.pk, "is_public": "on",
        })
        assert response.status_code == 302
    p.refresh_from_db()
    a = p.assignments.get()
    assert p.status == Proposal.Status.HANDLING and a.role == Assignment.Role.SINGLE and a.department == approval_dept
    assert p.reply_deadline.date() == dt.date(2019, 8, 5)

    # the department handler signs for it
    with at(2019, 5, 6, 10):
        as_user(client, handler)
        page = body(client.get(f"/proposals/{p.pk}/"))
        assert f'data-testid="action-sign-{a.pk}"' in page and "2019-08-05" in page
        assert client.post(f"/proposals/assignments/{a.pk}/sign/").status_code == 302
    a.refresh_from_db()
    assert a.status == Assignment.Status.SIGNED

    # asks in time for an extension, which the office approves
    with at(2019, 7, 20, 10):
        as_user(client, handler)
        response = client.post(f"/proposals/assignments/{a.pk}/extension/", {"requested_until": "2019-10-31", "reason": "需结合机构改革统筹推进"})
        assert response.status_code == 302
    req = ExtensionRequest.objects.get()
    with at(2019, 7, 22, 10):
        as_user(client, office_user)
        assert f'data-testid="action-extdecide-{req.pk}"' in body(client.get(f"/proposals/{p.pk}/"))
        assert client.post(f"/proposals/extensions/{req.pk}/decide/", {"approve": "1"}).status_code == 302
    a.refresh_from_db()
    assert a.deadline.date() == dt.date(2019, 10, 31) and a.extended

    # consults the member, drafts the reply (class A) and submits it for sign-off
    with at(2019, 10, 25, 10):
        as_user(client, handler)
        response = client.post(f"/proposals/assignments/{a.pk}/consult/", {"date": "2019-10-24", "mode": "face", "participants": "示例委员、示例承办人"})
        assert response.status_code == 302 and Consultation.objects.count() == 1
        response = client.post(f"/proposals/assignments/{a.pk}/reply/", {
            "reply_class": "A", "body": "一、我区“最多跑一次”改革工作推进情况……", "contact_person": "示例联系人",
            "contact_phone": "0839-0000000", "title": "", "action": "save",
        })
        assert response.status_code == 302
        reply = Reply.objects.get(assignment=a)
        assert reply.status == Reply.Status.DRAFT and reply.title == "关于政协六届四次会议第28号提案的答复"
        response = client.post(f"/proposals/assignments/{a.pk}/reply/", {
            "reply_class": "A", "body": "一、我区“最多跑一次”改革工作推进情况……", "contact_person": "示例联系人",
            "contact_phone": "0839-0000000", "title": reply.title, "action": "submit",
        })
        assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.status == Reply.Status.SUBMITTED

    # the department leader signs it off with the department's document number
    with at(2019, 10, 28, 10):
        as_user(client, dept_leader)
        assert f'data-testid="action-signoff-{reply.pk}"' in body(client.get(f"/proposals/{p.pk}/"))
        assert client.post(f"/proposals/replies/{reply.pk}/sign-off/", {"approve": "1"}).status_code == 302
    reply.refresh_from_db()
    assert reply.doc_number == "朝审函〔2019〕1号"

    # the office passes the supervision review: the reply reaches the member
    with at(2019, 10, 29, 10):
        as_user(client, office_user)
        assert client.post(f"/proposals/replies/{reply.pk}/review/", {"passed": "1", "reply_class": ""}).status_code == 302
    p.refresh_from_db()
    assert p.status == Proposal.Status.REPLIED

    # the member rates it 满意 / 满意
    with at(2019, 11, 1, 10):
        as_user(client, member)
        page = body(client.get(f"/proposals/{p.pk}/"))
        assert "朝审函〔2019〕1号" in page and "评价办理情况" in page
        response = client.post(f"/proposals/{p.pk}/evaluate/", {"process_rating": "satisfied", "result_rating": "satisfied"})
        assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == Proposal.Status.EVALUATED

    # and the office closes it with grade A
    with at(2019, 11, 5, 10):
        as_user(client, office_user)
        assert client.post(f"/proposals/{p.pk}/close/", {"implementation_grade": "A"}).status_code == 302
        page = body(client.get(f"/proposals/{p.pk}/"))
    p.refresh_from_db()
    assert p.status == Proposal.Status.CLOSED and p.implementation_grade == "A"
    assert "已办结" in page and "全部或主要问题已解决" in page
    for text in ("提交提案，待审查", "立案", "交办", "签收", "同意延期答复", "办理协商", "单位领导签发答复函", "督办审核通过", "委员评价", "办结"):
        assert text in page, text
    assert Evaluation.objects.get().result_rating == "satisfied"


# --- wrong roles and other departments: 403 ---------------------------------------------------------------
@pytest.fixture
def two_departments_case(member, office_user, handler, session, category, approval_dept, hrss_dept):
    """A proposal handled separately by the approval and the HRSS departments; the
    approval department's reply waits for sign-off."""
    p = factories.reply_submitted(proposer=member, separate=[approval_dept, hrss_dept], departments=[approval_dept], **DATES)
    return p, factories.reply_of(p, approval_dept)


@pytest.mark.parametrize(
    "actor,method",
    [
        ("member", "review"), ("handler", "review"), ("dept_leader", "assign"), ("member", "assign"),
        ("handler", "close"), ("member", "rehandle"), ("handler", "set_supervision"), ("member", "set_public"),
        ("handler", "evaluate"), ("office_user", "evaluate"), ("dept_leader", "submit"), ("office_user", "cosign"),
        ("other_handler", "sign_approval"), ("dept_leader", "sign_approval"), ("office_user", "sign_hrss"),
        ("other_handler", "reassign_approval"), ("member", "reassign_decide"), ("other_handler", "consult_approval"),
        ("office_user", "opinion_approval"), ("other_handler", "reply_approval"), ("dept_leader", "reply_approval"),
        ("other_handler", "extension_approval"),
        ("other_leader", "sign_off"), ("handler", "sign_off"), ("office_user", "sign_off"),
        ("dept_leader", "reply_review"), ("member", "reply_review"), ("handler", "extension_decide"),
    ],
)
def test_wrong_role_gets_403_and_nothing_changes(request, client, two_departments_case, other_leader, actor, method, approval_dept, hrss_dept):
    # given a case handled by two departments and a user who may see it but not act
    p, reply = two_departments_case
    a_approval = p.assignments.get(department=approval_dept)
    a_hrss = p.assignments.get(department=hrss_dept)
    with at(2019, 5, 7, 10):
        other_handler = request.getfixturevalue("other_handler")
        services.assignment_sign(actor=other_handler, assignment=a_hrss)
        req = services.extension_request(actor=other_handler, assignment=a_hrss, requested_until=dt.date(2019, 9, 1), reason="需统筹推进")
    urls = {
        "review": (f"/proposals/{p.pk}/review/", {"outcome": "reject", "rejection_reason": ""}),
        "assign": (f"/proposals/{p.pk}/assign/", {"mode": "single", "lead": approval_dept.pk}),
        "close": (f"/proposals/{p.pk}/close/", {"implementation_grade": "A"}),
        "rehandle": (f"/proposals/{p.pk}/rehandle/", {}),
        "set_supervision": (f"/proposals/{p.pk}/supervision/", {"is_key": ""}),
        "set_public": (f"/proposals/{p.pk}/disclosure/", {}),
        "evaluate": (f"/proposals/{p.pk}/evaluate/", {"process_rating": "satisfied", "result_rating": "satisfied"}),
        "submit": (f"/proposals/{p.pk}/submit/", {}),
        "cosign": (f"/proposals/{p.pk}/cosign/", {"accept": "1"}),
        "sign_approval": (f"/proposals/assignments/{a_approval.pk}/sign/", {}),
        "sign_hrss": (f"/proposals/assignments/{a_hrss.pk}/sign/", {}),
        "reassign_approval": (f"/proposals/assignments/{a_approval.pk}/reassign/", {"reason": "不属于本单位"}),
        "reassign_decide": (f"/proposals/assignments/{a_hrss.pk}/reassign-decide/", {"approve": "0", "note": "x"}),
        "consult_approval": (f"/proposals/assignments/{a_approval.pk}/consult/", {"date": "2019-05-06", "mode": "face", "participants": "x"}),
        "opinion_approval": (f"/proposals/assignments/{a_approval.pk}/opinion/", {"opinion": "x"}),
        "reply_approval": (f"/proposals/assignments/{a_approval.pk}/reply/", {"reply_class": "A", "body": "x", "contact_person": "x", "contact_phone": "1", "action": "save"}),
        "extension_approval": (f"/proposals/assignments/{a_approval.pk}/extension/", {"requested_until": "2019-09-01", "reason": "x"}),
        "sign_off": (f"/proposals/replies/{reply.pk}/sign-off/", {"approve": "1"}),
        "reply_review": (f"/proposals/replies/{reply.pk}/review/", {"passed": "1"}),
        "extension_decide": (f"/proposals/extensions/{req.pk}/decide/", {"approve": "1"}),
    }
    url, data = urls[method]
    user = request.getfixturevalue(actor)
    before = (Proposal.objects.values_list("status", flat=True).get(pk=p.pk), list(Assignment.objects.order_by("pk").values_list("status", flat=True)),
              Reply.objects.get(pk=reply.pk).status, ExtensionRequest.objects.get(pk=req.pk).status)
    with at(2019, 5, 7, 11):
        as_user(client, user)
        # the user can see the proposal (so this is about the role, not the scope)
        assert client.get(f"/proposals/{p.pk}/").status_code == 200
        # when they post to an action that is not theirs
        response = client.post(url, data)
    # then it is refused and nothing changed
    assert response.status_code == 403
    after = (Proposal.objects.values_list("status", flat=True).get(pk=p.pk), list(Assignment.objects.order_by("pk").values_list("status", flat=True)),
             Reply.objects.get(pk=reply.pk).status, ExtensionRequest.objects.get(pk=req.pk).status)
    assert after == before


def test_other_department_gets_403(client, member, office_user, other_handler, other_leader, session, category, approval_dept):
    # given a proposal assigned to the approval department only
    p = factories.assigned(proposer=member, lead=approval_dept, **DATES)
    a = p.assignments.get()
    with at(2019, 5, 6, 10):
        for user in (other_handler, other_leader):
            as_user(client, user)
            # then another department neither sees it nor can act on it
            response = client.get(f"/proposals/{p.pk}/")
            assert response.status_code == 403 and "无权查看该提案" in body(response)
            assert client.post(f"/proposals/assignments/{a.pk}/sign/").status_code == 403
            assert p.title not in body(client.get("/proposals/"))
    a.refresh_from_db()
    assert a.status == Assignment.Status.ASSIGNED


def test_anonymous_is_sent_to_login_and_get_on_an_action_shows_its_form(client, member, session, category):
    with at(2019, 3, 1, 9):
        p = factories.draft(proposer=member)
        assert client.get(f"/proposals/{p.pk}/").status_code == 302
        assert client.post(f"/proposals/{p.pk}/submit/").status_code == 302
        as_user(client, member)
        assert client.get(f"/proposals/{p.pk}/submit/").status_code == 200
    p.refresh_from_db()
    assert p.status == Proposal.Status.DRAFT


# --- bad input ------------------------------------------------------------------------------------------
def new_data(session, category, /, **overrides):
    data = {
        "title": TITLE, "analysis": "情况分析", "suggestions": "具体建议", "category": category.pk, "contact_name": "示例委员",
        "contact_phone": "0839-0000000", "session": session.pk, "kind": "member", "action": "submit",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"title": ""}, "title", "请填写案由（标题）。"),
        ({"title": "   "}, "title", "请填写案由（标题）。"),
        ({"analysis": "字" * 5001}, "analysis", "情况分析不能超过5000个字（现有5001个）"),
        ({"suggestions": ""}, "suggestions", "请填写具体建议。"),
        ({"category": ""}, "category", "请选择提案类别。"),
        ({"kind": "organisation", "organisation_name": ""}, "organisation_name", "须填写提案单位名称"),
    ],
)
def test_bad_proposal_input_is_explained_and_nothing_is_saved(client, member, session, category, overrides, field, message):
    # given a member on the new proposal page
    with at(2019, 3, 1, 9):
        as_user(client, member)
        # when they submit bad input
        response = client.post("/proposals/new/", new_data(session, category, **overrides))
    # then the page explains it on the field, in Chinese, and nothing is saved
    assert response.status_code == 400
    page = body(response)
    assert message in page and f'data-testid="error-{field}"' in page
    assert "请按提示修改后再保存" in page
    assert Proposal.objects.count() == 0


def test_a_cosigner_who_is_not_a_member_is_refused(client, member, member2, handler, session, category):
    with at(2019, 3, 1, 9):
        as_user(client, member)
        response = client.post("/proposals/new/", new_data(session, category, cosigners=[member2.pk, handler.pk]))
    assert response.status_code == 400
    assert "所选联名人不是政协委员（或是您本人），不能联名。" in body(response)
    assert Proposal.objects.count() == 0


def test_joint_proposal_is_cosigned_through_the_pages(client, member, member2, office_user, session, category):
    # given a member who invites a co-signer and submits
    with at(2019, 3, 1, 9):
        as_user(client, member)
        page = body(client.get("/proposals/new/"))
        assert str(member2) in page
        response = client.post("/proposals/new/", new_data(session, category, cosigners=[member2.pk]))
        assert response.status_code == 302
    p = Proposal.objects.get()
    assert p.status == Proposal.Status.COSIGNING and p.kind == Proposal.Kind.JOINT
    # when the co-signer confirms
    with at(2019, 3, 2, 9):
        as_user(client, member2)
        assert 'data-testid="action-cosign"' in body(client.get(f"/proposals/{p.pk}/"))
        response = client.post(f"/proposals/{p.pk}/cosign/", {"accept": "1"}, follow=True)
    # then the proposal goes to the office by itself: the proposer does not submit twice
    assert "提案已自动提交提案委审查" in body(response)
    p.refresh_from_db()
    assert p.status == Proposal.Status.SUBMITTED


def test_draft_is_edited_by_its_proposer_only(client, member, member2, session, category):
    with at(2019, 3, 1, 9):
        p = factories.draft(proposer=member)
        as_user(client, member)
        assert client.get(f"/proposals/{p.pk}/edit/").status_code == 200
        response = client.post(f"/proposals/{p.pk}/edit/", new_data(session, category, title="新的案由", action="save"))
        assert response.status_code == 302
        response = client.post(f"/proposals/{p.pk}/edit/", new_data(session, category, title="", action="save"))
        assert response.status_code == 400 and "请填写案由（标题）。" in body(response)
        as_user(client, member2)
        assert client.get(f"/proposals/{p.pk}/edit/").status_code == 403  # another member's draft is not theirs
    p.refresh_from_db()
    assert p.title == "新的案由" and p.status == Proposal.Status.DRAFT


def test_action_errors_are_shown_on_the_form_and_nothing_changes(client, member, office_user, handler, session, category, approval_dept):
    # given a submitted proposal
    p = factories.submitted(proposer=member, **DATES)
    with at(2019, 3, 5, 9):
        as_user(client, office_user)
        # when the office rejects it without a reason
        response = client.post(f"/proposals/{p.pk}/review/", {"outcome": "reject"})
        # then the reason is asked for on the form
        assert response.status_code == 400
        page = body(response)
        assert "不予立案须选择理由。" in page and 'data-testid="error-rejection_reason"' in page
        # and an empty outcome is explained too
        response = client.post(f"/proposals/{p.pk}/review/", {})
        assert response.status_code == 400 and "请选择审查结果。" in body(response)
    p.refresh_from_db()
    assert p.status == Proposal.Status.SUBMITTED and p.number is None


def test_reply_save_and_submit_is_all_or_nothing(client, member, office_user, handler, session, category, approval_dept):
    # given a signed assignment
    a = factories.signed(proposer=member, lead=approval_dept, **DATES).assignments.get()
    with at(2019, 5, 6, 10):
        as_user(client, handler)
        # when the handler submits a reply without a class
        response = client.post(f"/proposals/assignments/{a.pk}/reply/", {"reply_class": "", "body": "正文", "contact_person": "x", "contact_phone": "1", "action": "submit"})
    # then it is explained and no reply was saved
    assert response.status_code == 400 and "请选择答复类别。" in body(response)
    assert not Reply.objects.exists()


def test_extension_after_deadline_is_refused_with_a_clear_message(client, member, office_user, handler, session, category, approval_dept):
    a = factories.signed(proposer=member, lead=approval_dept, **DATES).assignments.get()
    with at(2019, 7, 20, 10):
        as_user(client, handler)
        response = client.post(f"/proposals/assignments/{a.pk}/extension/", {"requested_until": "2020-03-01", "reason": "统筹推进"})
    assert response.status_code == 400 and "延期后最迟须在" in body(response)
    assert not ExtensionRequest.objects.exists()


def test_dissatisfied_member_and_rehandling(client, member, office_user, handler, dept_leader, session, category, approval_dept):
    # given a replied proposal
    p = factories.replied(proposer=member, lead=approval_dept, **DATES)
    with at(2019, 5, 10, 10):
        as_user(client, member)
        # when the member is dissatisfied without saying why, it is explained
        response = client.post(f"/proposals/{p.pk}/evaluate/", {"process_rating": "satisfied", "result_rating": "dissatisfied"})
        assert response.status_code == 400 and "评价不满意时请写明意见" in body(response)
        response = client.post(f"/proposals/{p.pk}/evaluate/", {"process_rating": "satisfied", "result_rating": "dissatisfied", "comment": "问题未解决"})
        assert response.status_code == 302
    with at(2019, 5, 13, 10):
        as_user(client, office_user)
        page = body(client.get(f"/proposals/{p.pk}/"))
        assert 'data-testid="action-rehandle"' in page and "问题未解决" in page
        # closing without a note is refused
        response = client.post(f"/proposals/{p.pk}/close/", {"implementation_grade": "C"})
        assert response.status_code == 400 and "有委员不满意" in body(response)
        # then the office sends it back for re-handling
        assert client.post(f"/proposals/{p.pk}/rehandle/", {"note": "请重新办理"}).status_code == 302
    p.refresh_from_db()
    assert p.status == Proposal.Status.REHANDLING and p.handling_round == 2
    with at(2019, 5, 14, 10):
        as_user(client, handler)
        page = body(client.get(f"/proposals/{p.pk}/"))
    a = p.assignments.get()
    assert f'data-testid="action-reply-{a.pk}"' in page


def test_confirmed_cosigner_may_add_a_rating(client, member, member2, office_user, handler, dept_leader, session, category, approval_dept):
    # given a replied joint proposal, confirmed by its co-signer
    p = factories.replied(proposer=member, cosigners=[member2], lead=approval_dept, **DATES)
    with at(2019, 5, 9, 10):
        as_user(client, member2)
        assert "联名委员评价" in body(client.get(f"/proposals/{p.pk}/"))
        response = client.post(f"/proposals/{p.pk}/evaluate/", {"process_rating": "satisfied", "result_rating": "basically_satisfied"})
        assert response.status_code == 302
        assert "联名委员评价" not in body(client.get(f"/proposals/{p.pk}/"))
    assert Evaluation.objects.get().rater == member2


def test_office_marks_a_key_proposal_and_supervision_page(client, member, office_user, supervisor, key_leader, handler, session, category, approval_dept, supervision_dept):
    p = factories.assigned(proposer=member, lead=approval_dept, **DATES)
    with at(2019, 5, 6, 10):
        as_user(client, office_user)
        response = client.post(f"/proposals/{p.pk}/supervision/", {"is_key": "on"})
        assert response.status_code == 400 and "重点提案须指定牵头领导和督办单位。" in body(response)
        response = client.post(f"/proposals/{p.pk}/supervision/", {"is_key": "on", "leading_official": key_leader.pk, "supervising_unit": supervision_dept.pk})
        assert response.status_code == 302
        assert TITLE in body(client.get("/proposals/supervision/"))
        for user in (supervisor, key_leader):
            as_user(client, user)
            assert TITLE in body(client.get("/proposals/supervision/"))
            assert client.get(f"/proposals/{p.pk}/").status_code == 200
        as_user(client, handler)
        assert client.get("/proposals/supervision/").status_code == 403
    p.refresh_from_db()
    assert p.is_key and p.leading_official == key_leader


def test_reassignment_request_and_decision(client, member, office_user, handler, other_handler, session, category, approval_dept, hrss_dept):
    p = factories.assigned(proposer=member, lead=approval_dept, **DATES)
    a = p.assignments.get()
    with at(2019, 5, 6, 10):
        as_user(client, handler)
        assert client.post(f"/proposals/assignments/{a.pk}/reassign/", {"reason": ""}).status_code == 400
        assert client.post(f"/proposals/assignments/{a.pk}/reassign/", {"reason": "属于人社部门职责"}).status_code == 302
        as_user(client, office_user)
        assert f'data-testid="action-reassigndecide-{a.pk}"' in body(client.get(f"/proposals/{p.pk}/"))
        response = client.post(f"/proposals/assignments/{a.pk}/reassign-decide/", {"approve": "1", "new_department": hrss_dept.pk})
        assert response.status_code == 302
        as_user(client, other_handler)
        assert f'data-testid="action-sign-{a.pk}"' in body(client.get(f"/proposals/{p.pk}/"))
    a.refresh_from_db()
    assert a.department == hrss_dept and a.status == Assignment.Status.ASSIGNED


# --- list, public page ----------------------------------------------------------------------------------
def _list_queries(client, url="/proposals/"):
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), body(response)


def test_list_uses_a_fixed_number_of_queries(client, member, office_user, session, category, approval_dept, hrss_dept):
    # given one proposal assigned to two departments
    factories.assigned(proposer=member, title="提案一", separate=[approval_dept, hrss_dept], **DATES)
    as_user(client, office_user)
    one, page = _list_queries(client)
    assert "提案一" in page and "区行政审批局" in page
    # when there are ten
    for i in range(2, 11):
        factories.assigned(proposer=member, title=f"提案{i}", separate=[approval_dept, hrss_dept], **DATES)
    as_user(client, office_user)
    ten, page = _list_queries(client)
    # then the list takes the same number of queries
    assert page.count('data-testid="proposal-row"') == 10
    assert ten == one


def test_list_filters_and_pagination(client, member, office_user, session, category, approval_dept):
    for i in range(1, 23):
        factories.submitted(proposer=member, title=f"测试提案{i:02d}", **DATES)
    factories.accepted(proposer=member, title="立案的提案", **DATES)
    as_user(client, office_user)
    page = body(client.get("/proposals/"))
    assert page.count('data-testid="proposal-row"') == 20 and "第1页，共2页" in page
    page2 = body(client.get("/proposals/?page=2"))
    assert page2.count('data-testid="proposal-row"') == 3
    page = body(client.get("/proposals/", {"status": "accepted"}))
    assert page.count('data-testid="proposal-row"') == 1 and "立案的提案" in page
    page = body(client.get("/proposals/", {"q": "测试提案07"}))
    assert page.count('data-testid="proposal-row"') == 1
    page = body(client.get("/proposals/", {"q": "1", "key": "0"}))
    assert "立案的提案" in page
    assert client.get("/proposals/", {"session": "99999"}).status_code == 200  # a bad filter is ignored, not a 500


def test_public_page_works_logged_out_and_shows_only_public_replies(client, member, office_user, handler, dept_leader, session, category, approval_dept):
    # given a closed public proposal, a closed non-public one, one replied but not closed, and one still being handled
    for title, number, public in (("公开的提案", 1, True), ("不公开的提案", 2, False)):
        p = factories.replied(proposer=member, title=title, lead=approval_dept, is_public=public, number=number, **DATES)
        with at(2019, 8, 1, 9):
            services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="satisfied")
            services.proposal_close(actor=office_user, proposal=p, implementation_grade="A")
    factories.replied(proposer=member, title="已答复待评价的提案", lead=approval_dept, number=4, **DATES)
    factories.assigned(proposer=member, title="办理中的提案", lead=approval_dept, number=3, **DATES)
    factories.submitted(proposer=member, title="未立案的提案", **DATES)
    # when anyone opens the public page without logging in
    response = client.get("/proposals/public/")
    # then only the closed public proposal is there, with its reply (published at closure)
    assert response.status_code == 200
    page = body(response)
    assert "公开的提案" in page and "朝审函〔2019〕" in page
    for hidden in ("不公开的提案", "办理中的提案", "未立案的提案", "已答复待评价的提案"):
        assert hidden not in page
    assert "0839" not in page  # no contact details of the member
    # and the reply's text is on the proposal's own public page
    public = Proposal.objects.get(title="公开的提案")
    detail = body(client.get(f"/proposals/public/{public.pk}/"))
    assert "一、推进情况" in detail and "0839" not in detail


def test_member_sees_only_their_own_proposals(client, member, member2, office_user, session, category):
    factories.submitted(proposer=member, title="委员一的提案", **DATES)
    factories.submitted(proposer=member2, title="委员二的提案", **DATES)
    as_user(client, member2)
    page = body(client.get("/proposals/"))
    assert "委员二的提案" in page and "委员一的提案" not in page
