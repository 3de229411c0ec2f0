"""The proposals REST API (/api/v1/): the seed case through the API alone,
roles and other departments (403), bad input (400), fixed-query lists and
the OpenAPI schema."""
import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from proposals import services
from proposals.models import Cosigner, Evaluation, ExtensionRequest, Proposal, Reply
from tests.conftest import PASSWORD
from tests.factories import UserFactory, at
from tests.proposals import factories
from workflow.models import CaseEvent
from proposals.roles import Role

pytestmark = pytest.mark.django_db

TITLE = factories.TITLE


def token_client(user) -> APIClient:
    """A client authenticated the way another program would: with a token."""
    anonymous = APIClient()
    response = anonymous.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    return client


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content.decode())
    return response.json()


def draft_body(session, category, **overrides):
    body = {
        "session": session.pk, "title": TITLE, "analysis": "存在问题：“多头跑”“跑很多次”等现象依然存在。",
        "suggestions": "建议：……", "category": category.pk, "contact_name": "示例委员", "contact_phone": "0839-0000000",
    }
    body.update(overrides)
    return body


def task_action(client, node: str) -> str:
    """The API path of the user's open task of this kind (from /proposal-tasks/)."""
    tasks = ok(client.get("/api/v1/proposal-tasks/"))["results"]
    actions = [t["action"] for t in tasks if t["node"] == node]
    assert len(actions) == 1, tasks
    return "/api/v1/" + actions[0]


# --- the seed case ---------------------------------------------------------------------------------------
def test_seed_case_through_the_api_alone(session, category, member, office_user, handler, dept_leader, approval_dept, supervision_dept, key_leader):
    # given one token per role
    api_member, api_office = token_client(member), token_client(office_user)
    api_handler, api_leader = token_client(handler), token_client(dept_leader)

    # when the member drafts and submits, the office accepts it as 第28号 and assigns it
    with at(2019, 3, 1, 9):
        draft = ok(api_member.post("/api/v1/proposals/", draft_body(session, category), format="json"), 201)
        assert draft["status"] == "draft" and draft["proposer"]["id"] == member.pk
        pid = draft["id"]
        assert ok(api_member.post(f"/api/v1/proposals/{pid}/submit/"))["status"] == "submitted"
    with at(2019, 3, 5, 9):
        accepted = ok(api_office.post(f"/api/v1/proposals/{pid}/review/", {"outcome": "accept", "number": 28}, format="json"))
        assert accepted["display_number"] == "第28号" and accepted["year_number"] == "2019年度第28号"
    with at(2019, 5, 5, 9):
        assigned = ok(api_office.post(f"/api/v1/proposals/{pid}/assign/", {
            "mode": "single", "lead": approval_dept.pk, "is_key": False, "supervising_unit": supervision_dept.pk,
            "leading_official": key_leader.pk, "is_public": True,
        }, format="json"))
    assert assigned["status"] == "handling" and assigned["reply_deadline"].startswith("2019-08-05")
    [assignment] = assigned["assignments"]
    assert assignment["role"] == "single" and assignment["department"]["id"] == approval_dept.pk

    # and the department signs, asks for an extension, which the office grants
    with at(2019, 5, 6, 10):
        sign_url = task_action(api_handler, "sign")
        assert sign_url == f"/api/v1/proposal-assignments/{assignment['id']}/sign/"
        assert ok(api_handler.post(sign_url))["status"] == "signed"
    with at(2019, 7, 20, 10):
        ext = ok(api_handler.post(
            f"/api/v1/proposal-assignments/{assignment['id']}/extension-request/",
            {"requested_until": "2019-10-31", "reason": "需结合机构改革统筹推进"}, format="json",
        ), 201)
    with at(2019, 7, 22, 10):
        assert ok(api_office.post(f"/api/v1/proposal-extensions/{ext['id']}/decide/", {"approve": True}, format="json"))["status"] == "approved"

    # and consults, drafts the class A reply and submits it; the leader signs it off
    with at(2019, 10, 25, 10):
        aid = assignment["id"]
        ok(api_handler.post(f"/api/v1/proposal-assignments/{aid}/consultation/", {
            "date": "2019-10-24", "mode": "face", "participants": "示例委员、示例承办人",
        }, format="json"), 201)
        draft_reply = ok(api_handler.put(f"/api/v1/proposal-assignments/{aid}/reply/", {
            "reply_class": "A", "body": "一、我区“最多跑一次”改革工作推进情况……",
            "contact_person": "示例联系人", "contact_phone": "0839-0000000",
        }, format="json"))
        assert draft_reply["title"] == "关于政协六届四次会议第28号提案的答复"
        assert ok(api_handler.post(f"/api/v1/proposal-assignments/{aid}/reply/submit/"))["status"] == "submitted"
    with at(2019, 10, 28, 10):
        sign_off_url = task_action(api_leader, "sign_off")
        assert sign_off_url == f"/api/v1/proposal-replies/{draft_reply['id']}/sign-off/"
        signed = ok(api_leader.post(sign_off_url, {"approve": True}, format="json"))
        assert signed["doc_number"] == "朝审函〔2019〕1号"

    # and the office passes the supervision review, the member rates 满意/满意, the office closes it
    with at(2019, 10, 29, 10):
        review_url = task_action(api_office, "supervision_review")
        assert review_url == f"/api/v1/proposal-replies/{signed['id']}/review/"
        [my_task] = ok(api_office.get(f"/api/v1/proposals/{pid}/"))["my_tasks"]
        assert "/api/v1/" + my_task["action"] == review_url
        assert ok(api_office.post(review_url, {"passed": True}, format="json"))["status"] == "passed"
    with at(2019, 11, 1, 10):
        evaluate_url = task_action(api_member, "evaluate")
        assert evaluate_url == f"/api/v1/proposals/{pid}/evaluate/"
        rating = ok(api_member.post(evaluate_url, {"process_rating": "满意", "result_rating": "satisfied"}, format="json"), 201)
        assert rating["process_rating"] == "satisfied" and rating["result_rating"] == "satisfied"
    with at(2019, 11, 5, 10):
        closed = ok(api_office.post(f"/api/v1/proposals/{pid}/close/", {"implementation_grade": "A"}, format="json"))

    # then the record is complete, as read through the API and in the database
    assert closed["status"] == "closed" and closed["status_display"] == "已办结"
    detail = ok(api_member.get(f"/api/v1/proposals/{pid}/"))
    assert detail["number"] == 28 and detail["title"] == TITLE and detail["implementation_grade"] == "A"
    assert detail["handling_mode"] == "single" and detail["supervising_unit"]["id"] == supervision_dept.pk
    assert detail["leading_official"]["id"] == key_leader.pk and detail["is_public"] is True
    assert detail["reply_deadline"].startswith("2019-10-31")
    [reply] = detail["replies"]
    assert reply["reply_class"] == "A" and reply["doc_number"] == "朝审函〔2019〕1号" and reply["status"] == "passed"
    [evaluation] = detail["evaluations"]
    assert (evaluation["process_rating"], evaluation["result_rating"]) == ("satisfied", "satisfied")
    assert detail["my_tasks"] == []
    timeline = ok(api_office.get(f"/api/v1/proposals/{pid}/timeline/"))
    events = [e["title"] for e in timeline if e["kind"] == "event"]
    assert events[0] == "drafted" and events[-1] == "closed" and "extension_approved" in events
    p = Proposal.objects.get(pk=pid)
    assert p.status == Proposal.Status.CLOSED and p.process.status == "DONE"
    assert p.assignments.get().extended and p.assignments.get().consultations.count() == 1


# --- roles ----------------------------------------------------------------------------------------------
def refused(client, url, body=None, method="post"):
    response = getattr(client, method)(url, body or {}, format="json")
    assert response.status_code == 403, (url, response.status_code, response.content.decode())
    assert response.json()["detail"]


def test_every_action_refuses_the_wrong_role(session, category, member, member2, office_user, handler, dept_leader, approval_dept, supervision_dept, key_leader):
    api_member, api_member2, api_office = as_user(member), as_user(member2), as_user(office_user)
    api_handler, api_leader = as_user(handler), as_user(dept_leader)

    # given a joint proposal waiting for its co-signer
    with at(2019, 3, 1, 9):
        refused(api_handler, "/api/v1/proposals/", draft_body(session, category))
        p = factories.submitted(proposer=member, cosigners=[member2])
        url = f"/api/v1/proposals/{p.pk}"
        # then only the invited member may answer (the proposal then goes to the office by itself),
        # and only the proposer submits or withdraws
        refused(api_office, f"{url}/cosign/", {"accept": True})
        services.cosigner_respond(actor=member2, proposal=p, accept=True)
        refused(api_member2, f"{url}/submit/")
        refused(api_member2, f"{url}/withdraw/", {"reason": "不想提了"})
        refused(api_office, f"{url}/withdraw/", {"reason": "不想提了"})
        # then review, assignment, supervision and disclosure are the office's
        refused(api_member, f"{url}/review/", {"outcome": "accept"})
        services.proposal_review(actor=office_user, proposal=p, outcome="accept", number=28)
        refused(api_member, f"{url}/assign/", {"mode": "single", "lead": approval_dept.pk})
        refused(api_member, f"{url}/supervision/", {"is_key": True, "leading_official": key_leader.pk, "supervising_unit": supervision_dept.pk})
        refused(api_member, f"{url}/public/", {"is_public": False})
    with at(2019, 5, 6, 9):
        p = services.proposal_assign(actor=office_user, proposal=p, mode="single", lead=approval_dept)
        a = p.assignments.get()
        aurl = f"/api/v1/proposal-assignments/{a.pk}"
        # then the handler, not the leader nor the office, signs or asks for re-assignment
        refused(api_office, f"{aurl}/sign/")
        refused(api_leader, f"{aurl}/sign/")
        refused(api_leader, f"{aurl}/reassign-request/", {"reason": "不属于本单位职责"})
        services.assignment_request_reassign(actor=handler, assignment=a, reason="不属于本单位职责")
        refused(api_handler, f"{aurl}/reassign-decision/", {"approve": False, "note": "请按交办办理"})
        services.assignment_decide_reassign(actor=office_user, assignment=a, approve=False, note="请按交办办理")
        services.assignment_sign(actor=handler, assignment=a)
    with at(2019, 7, 1, 9):
        refused(api_leader, f"{aurl}/consultation/", {"date": "2019-06-30", "mode": "face", "participants": "委员"})
        refused(api_leader, f"{aurl}/opinion/", {"opinion": "意见"})
        refused(api_leader, f"{aurl}/extension-request/", {"requested_until": "2019-10-31", "reason": "统筹推进"})
        ext = services.extension_request(actor=handler, assignment=a, requested_until=dt.date(2019, 10, 31), reason="统筹推进")
        refused(api_handler, f"/api/v1/proposal-extensions/{ext.pk}/decide/", {"approve": True})
        reply_body = {"reply_class": "A", "body": "答复", "contact_person": "联系人", "contact_phone": "1"}
        refused(api_leader, f"{aurl}/reply/", reply_body, method="put")
        reply = services.reply_save_draft(actor=handler, assignment=a, **reply_body)
        refused(api_leader, f"{aurl}/reply/submit/")
        services.reply_submit(actor=handler, assignment=a)
        rurl = f"/api/v1/proposal-replies/{reply.pk}"
        # then the leader signs off and the office reviews
        refused(api_handler, f"{rurl}/sign-off/", {"approve": True})
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
        refused(api_leader, f"{rurl}/review/", {"passed": True})
        services.reply_review(actor=office_user, reply=reply, passed=True)
        # then only proposers and co-signers rate, and only the office closes or re-handles
        refused(api_handler, f"{url}/evaluate/", {"process_rating": "satisfied", "result_rating": "dissatisfied", "comment": "x"})
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="dissatisfied", comment="未解决")
        refused(api_member, f"{url}/close/", {"implementation_grade": "A", "note": "说明"})
        refused(api_member, f"{url}/rehandle/", {"note": "重办"})

    # and nothing was changed by the refused calls
    p.refresh_from_db()
    reply.refresh_from_db()
    assert p.status == Proposal.Status.EVALUATED and p.is_public is True and p.is_key is False
    assert Evaluation.objects.filter(proposal=p).count() == 1 and reply.status == Reply.Status.PASSED


def test_the_co_signer_confirms_through_the_api(session, category, member, member2):
    # given a joint draft
    api_member, api_member2 = as_user(member), as_user(member2)
    with at(2019, 3, 1, 9):
        draft = ok(api_member.post("/api/v1/proposals/", draft_body(session, category, cosigners=[member2.pk]), format="json"), 201)
        assert draft["kind"] == "joint"
        # when it is submitted and the co-signer confirms, it goes to the office by itself
        assert ok(api_member.post(f"/api/v1/proposals/{draft['id']}/submit/"))["status"] == "cosigning"
        assert task_action(api_member2, "cosign") == f"/api/v1/proposals/{draft['id']}/cosign/"
        # (a form post without the answer is not read as "decline")
        missing = api_member2.post(f"/api/v1/proposals/{draft['id']}/cosign/", {})
        assert missing.status_code == 400 and list(missing.json()["errors"]) == ["accept"]
        ok(api_member2.post(f"/api/v1/proposals/{draft['id']}/cosign/", {"accept": True}, format="json"))
        result = ok(api_member.get(f"/api/v1/proposals/{draft['id']}/"))
    # then it waits for review with the confirmed co-signer
    assert result["status"] == "submitted"
    assert [(c["member"]["id"], c["status"]) for c in result["cosigners"]] == [(member2.pk, "confirmed")]


def test_draft_edit_and_review_outcomes(session, category, member, office_user, approval_dept):
    api_member, api_office = as_user(member), as_user(office_user)
    with at(2019, 3, 1, 9):
        # given two drafts; one is edited by its proposer
        first = ok(api_member.post("/api/v1/proposals/", draft_body(session, category), format="json"), 201)
        second = ok(api_member.post("/api/v1/proposals/", draft_body(session, category, title="关于政务服务的另一建议"), format="json"), 201)
        edited = ok(api_member.patch(f"/api/v1/proposals/{second['id']}/", {"title": "关于政务服务窗口的建议"}, format="json"))
        assert edited["title"] == "关于政务服务窗口的建议"
        for p in (first, second):
            ok(api_member.post(f"/api/v1/proposals/{p['id']}/submit/"))
        # when the office accepts the first and merges the second into it
        ok(api_office.post(f"/api/v1/proposals/{first['id']}/review/", {"outcome": "accept"}, format="json"))
        merged = ok(api_office.post(f"/api/v1/proposals/{second['id']}/review/", {"outcome": "merge", "merge_into": first["id"]}, format="json"))
    # then the second is handled with the first
    assert merged["status"] == "merged" and merged["merged_into"] == first["id"] and merged["case"] == first["id"]
    # and a submitted proposal can no longer be edited
    response = api_member.patch(f"/api/v1/proposals/{first['id']}/", {"title": "改"}, format="json")
    assert response.status_code == 400 and "提案已提交，不能再修改" in response.json()["detail"]


def test_rejection_by_reason_code(session, category, member, office_user):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member)
        response = as_user(office_user).post(f"/api/v1/proposals/{p.pk}/review/", {"outcome": "reject"}, format="json")
        assert response.status_code == 400 and response.json()["errors"] == {"rejection_reason": ["不予立案须选择理由。"]}
        result = ok(as_user(office_user).post(f"/api/v1/proposals/{p.pk}/review/", {"outcome": "reject", "rejection_reason": "vague"}, format="json"))
    assert result["status"] == "rejected" and result["rejection_reason"]["code"] == "vague"


def test_lead_and_co_handlers_return_and_rehandle_through_the_api(session, category, member, office_user, handler, dept_leader, other_handler, approval_dept, hrss_dept):
    api_office, api_handler, api_leader, api_co = as_user(office_user), as_user(handler), as_user(dept_leader), as_user(other_handler)
    extra = UserFactory(username="handler_extra", roles=[(hrss_dept, Role.HANDLER)])
    with at(2019, 5, 6, 9):
        # given an accepted proposal
        p = factories.accepted(proposer=member, number=5)
        # when the office assigns it to a lead and a co-handler, marks it key and not public
        result = ok(api_office.post(f"/api/v1/proposals/{p.pk}/assign/", {
            "mode": "lead_co", "lead": hrss_dept.pk, "co_handlers": [approval_dept.pk], "is_public": False,
        }, format="json"))
        assert result["handling_mode"] == "lead_co" and result["is_public"] is False
        lead = next(a for a in result["assignments"] if a["role"] == "lead")
        co = next(a for a in result["assignments"] if a["role"] == "co")
        # and the lead asks to be re-assigned: the office moves it to the approval bureau... which is the co-handler
        ok(api_co.post(f"/api/v1/proposal-assignments/{lead['id']}/reassign-request/", {"reason": "主要职责在审批局"}, format="json"))
        clash = api_office.post(f"/api/v1/proposal-assignments/{lead['id']}/reassign-decision/", {"approve": True, "new_department": approval_dept.pk}, format="json")
        assert clash.status_code == 400 and "departments" in clash.json()["errors"]
        refused_note = api_office.post(f"/api/v1/proposal-assignments/{lead['id']}/reassign-decision/", {"approve": False}, format="json")
        assert refused_note.status_code == 400 and refused_note.json()["errors"] == {"note": ["不同意调整须说明理由。"]}
        assert ok(api_office.post(f"/api/v1/proposal-assignments/{lead['id']}/reassign-decision/", {"approve": False, "note": "请按交办办理"}, format="json"))["status"] == "assigned"
        # and both sign; the co-handler sends its opinion; the lead cannot submit before that
        ok(api_co.post(f"/api/v1/proposal-assignments/{lead['id']}/sign/"))
        ok(api_handler.post(f"/api/v1/proposal-assignments/{co['id']}/sign/"))
        body = {"reply_class": "A", "body": "答复正文", "contact_person": "联系人", "contact_phone": "1"}
        reply = ok(as_user(extra).post(f"/api/v1/proposal-assignments/{lead['id']}/reply/", body, format="json"))
        early = api_co.post(f"/api/v1/proposal-assignments/{lead['id']}/reply/submit/")
        assert early.status_code == 400 and "会办单位" in early.json()["detail"]
        assert ok(api_handler.post(f"/api/v1/proposal-assignments/{co['id']}/opinion/", {"opinion": "同意主办意见"}, format="json"))["status"] == "opinion_sent"
        ok(api_co.post(f"/api/v1/proposal-assignments/{lead['id']}/reply/submit/"))
        leader_hrss = UserFactory(username="leader_hrss2", roles=[(hrss_dept, Role.DEPT_LEADER)])
        # and the hrss leader returns it once, then signs the revision
        returned = ok(as_user(leader_hrss).post(f"/api/v1/proposal-replies/{reply['id']}/sign-off/", {"approve": False, "note": "请补充数据"}, format="json"))
        assert returned["status"] == "returned" and returned["return_note"] == "请补充数据"
        # (the co-handler's leader does not even see the lead's unsigned letter)
        assert api_leader.post(f"/api/v1/proposal-replies/{reply['id']}/sign-off/", {"approve": True}, format="json").status_code == 404
        ok(api_co.put(f"/api/v1/proposal-assignments/{lead['id']}/reply/", dict(body, body="补充后的答复"), format="json"))
        ok(api_co.post(f"/api/v1/proposal-assignments/{lead['id']}/reply/submit/"))
        ok(as_user(leader_hrss).post(f"/api/v1/proposal-replies/{reply['id']}/sign-off/", {"approve": True}, format="json"))
        # and the office passes it as class B
        passed = ok(api_office.post(f"/api/v1/proposal-replies/{reply['id']}/review/", {"passed": True, "reply_class": "B"}, format="json"))
        assert (passed["reply_class"], passed["original_class"]) == ("B", "A")
        # and the member is not satisfied; the office sends it back for re-handling
        ok(as_user(member).post(f"/api/v1/proposals/{p.pk}/evaluate/", {"process_rating": "满意", "result_rating": "不满意", "comment": "问题未解决"}, format="json"), 201)
        rehandled = ok(api_office.post(f"/api/v1/proposals/{p.pk}/rehandle/", {"note": "请重新办理"}, format="json"))
    # then the lead department replies again in round 2
    assert rehandled["status"] == "rehandling" and rehandled["handling_round"] == 2
    assert task_action(api_co, "draft_reply") == f"/api/v1/proposal-assignments/{lead['id']}/reply/"


# --- scope -------------------------------------------------------------------------------------------
def test_another_departments_handler_gets_403(session, category, member, office_user, handler, other_handler, approval_dept):
    # given a proposal assigned to the approval bureau, with a draft reply
    with at(2019, 5, 6, 9):
        p = factories.reply_drafted(proposer=member, lead=approval_dept)
        a, reply = p.assignments.get(), factories.reply_of(p)
        ext = services.extension_request(actor=handler, assignment=a, requested_until=dt.date(2019, 10, 31), reason="统筹")
    api_other = as_user(other_handler)
    # when the human-resources bureau's handler reads or acts on it, then it is refused (403)
    for url in (
        f"/api/v1/proposals/{p.pk}/", f"/api/v1/proposals/{p.pk}/timeline/", f"/api/v1/proposals/{p.pk}/tasks/",
        f"/api/v1/proposal-assignments/{a.pk}/", f"/api/v1/proposal-assignments/{a.pk}/reply/",
        f"/api/v1/proposal-replies/{reply.pk}/", f"/api/v1/proposal-extensions/{ext.pk}/",
    ):
        response = api_other.get(url)
        assert response.status_code == 403, url
        assert "无权查看该提案" in response.json()["detail"]
    assert api_other.post(f"/api/v1/proposal-assignments/{a.pk}/sign/").status_code == 403
    assert api_other.post(f"/api/v1/proposal-replies/{reply.pk}/sign-off/", {"approve": True}, format="json").status_code == 403
    # a proposal that does not exist at all is a 404
    assert api_other.get("/api/v1/proposals/999999/").status_code == 404
    assert ok(api_other.get("/api/v1/proposals/"))["count"] == 0
    # and the member does not see the unsigned draft reply, while the department does
    assert as_user(member).get(f"/api/v1/proposal-replies/{reply.pk}/").status_code == 404
    assert ok(as_user(member).get(f"/api/v1/proposals/{p.pk}/"))["replies"] == []
    assert ok(as_user(handler).get(f"/api/v1/proposal-replies/{reply.pk}/"))["id"] == reply.pk
    assert ok(as_user(handler).get("/api/v1/proposals/"))["count"] == 1


def test_drafts_are_the_proposers_alone(session, category, member, member2, office_user):
    draft = ok(as_user(member).post("/api/v1/proposals/", draft_body(session, category), format="json"), 201)
    for user in (member2, office_user):
        assert as_user(user).get(f"/api/v1/proposals/{draft['id']}/").status_code == 403
        assert as_user(user).patch(f"/api/v1/proposals/{draft['id']}/", {"title": "改"}, format="json").status_code == 403
    assert APIClient().get("/api/v1/proposals/").status_code in (401, 403)


# --- bad input -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"title": ""}, "title", "请填写案由（标题）。"),
    ({"title": "   "}, "title", "请填写案由（标题）。"),
    ({"analysis": "析" * 5001}, "analysis", "情况分析不能超过5000个字（现有5001个），请精简或按“一事一案”拆分。"),
    ({"suggestions": "议" * 5001}, "suggestions", "具体建议不能超过5000个字"),
    ({"title": "题" * 121}, "title", "案由不能超过120个字"),
])
def test_bad_content_is_refused_and_nothing_saved(session, category, member, overrides, field, message):
    response = as_user(member).post("/api/v1/proposals/", draft_body(session, category, **overrides), format="json")
    assert response.status_code == 400
    assert message in response.json()["errors"][field][0]
    assert Proposal.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_a_co_signer_must_be_a_member(session, category, member, handler):
    response = as_user(member).post("/api/v1/proposals/", draft_body(session, category, cosigners=[handler.pk]), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"cosigners": [f"“{handler}”不是政协委员，不能联名。"]}
    assert Proposal.objects.count() == 0 and Cosigner.objects.count() == 0


@pytest.mark.parametrize("body", [
    {"session": "abc"}, {"session": 99999}, {"category": "abc"}, {"cosigners": "x"}, {"cosigners": [10 ** 30]},
    {"kind": "nobody"}, {"title": ["a"]}, {"between_sessions": "maybe"},
])
def test_malformed_drafts_are_400_not_500(session, category, member, body):
    data = draft_body(session, category)
    data.update(body)
    response = as_user(member).post("/api/v1/proposals/", data, format="json")
    assert response.status_code == 400, response.content
    assert Proposal.objects.count() == 0


def test_unknown_rating_is_refused_and_nothing_saved(session, category, member, office_user, handler, dept_leader, approval_dept):
    # given a replied proposal
    with at(2019, 5, 6, 9):
        p = factories.replied(proposer=member, lead=approval_dept)
        a = p.assignments.get()
        api = as_user(member)
        # when the member sends a rating that is not on the scale
        response = api.post(f"/api/v1/proposals/{p.pk}/evaluate/", {"process_rating": "非常满意", "result_rating": "satisfied"}, format="json")
        # then it is refused with the options, and nothing is saved
        assert response.status_code == 400
        assert response.json()["errors"]["process_rating"][0].startswith("“非常满意”不是有效的选项，可选：satisfied（满意）")
        assert Evaluation.objects.count() == 0
        # and dissatisfaction needs a comment (the service's rule)
        response = api.post(f"/api/v1/proposals/{p.pk}/evaluate/", {"process_rating": "satisfied", "result_rating": "dissatisfied"}, format="json")
        assert response.status_code == 400 and response.json()["errors"] == {"comment": ["评价不满意时请写明意见，以便重新办理。"]}
        assert Evaluation.objects.count() == 0
        # and a wrong-state action is a 400 with the service's message
        response = as_user(office_user).post(f"/api/v1/proposals/{p.pk}/close/", {"implementation_grade": "Z"}, format="json")
        assert response.status_code == 400 and "implementation_grade" in response.json()["errors"]
        response = as_user(handler).post(f"/api/v1/proposal-assignments/{a.pk}/sign/")
        assert response.status_code == 400 and response.json()["detail"]
    p.refresh_from_db()
    assert p.status == Proposal.Status.REPLIED


def test_odd_ids_and_queries_are_not_errors(session, category, member, office_user):
    api = as_user(office_user)
    for url in ("/api/v1/proposals/abc/", f"/api/v1/proposals/{10 ** 30}/", "/api/v1/proposal-assignments/0/", "/api/v1/proposal-replies/-1/"):
        assert api.get(url).status_code == 404, url
    for query in ("q=²", f"q={10 ** 25}", "q=28", "status=nonsense", "is_key=perhaps", "session=abc", "overdue=true&is_key=false"):
        response = api.get("/api/v1/proposals/?" + query)
        assert response.status_code in (200, 400), (query, response.status_code)
    assert api.get("/api/v1/proposals/?status=nonsense").status_code == 400
    assert api.get("/api/v1/proposals/?q=²").status_code == 200


LONE_SURROGATE = "\\ud800"  # as written in a JSON body: valid JSON, not encodable as UTF-8


@pytest.mark.parametrize("raw, field", [
    # found by schemathesis: the unknown value is quoted in the message, which the renderer could not encode
    ('{"outcome": "%s"}' % LONE_SURROGATE, "outcome"),
    ('{"outcome": "accept", "number": "%s"}' % LONE_SURROGATE, "number"),
    ('{"outcome": "reject", "rejection_reason": "x%s"}' % LONE_SURROGATE, "rejection_reason"),
    ('{"outcome": "reject", "rejection_reason": "a\\u0000b"}', "rejection_reason"),
    ('{"outcome": "reject", "rejection_reason": true}', "rejection_reason"),
    ('{"outcome": "reject", "rejection_reason": %d}' % 10 ** 30, "rejection_reason"),
    ('{"outcome": "reject", "rejection_reason": "%s"}' % ("z" * 10000), "rejection_reason"),
])
def test_review_with_undecodable_or_odd_values_is_400_not_500(session, category, member, office_user, raw, field):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member)
        response = as_user(office_user).post(f"/api/v1/proposals/{p.pk}/review/", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == [field], body
    assert body["errors"][field][0]
    p.refresh_from_db()
    assert p.status == Proposal.Status.SUBMITTED


@pytest.mark.parametrize("url, raw", [
    ("/api/v1/proposals/{pk}/close/", '{"implementation_grade": "%s"}' % LONE_SURROGATE),
    ("/api/v1/proposals/{pk}/evaluate/", '{"process_rating": "%s", "result_rating": "satisfied"}' % LONE_SURROGATE),
    ("/api/v1/proposals/{pk}/public/", '{"is_public": "%s"}' % LONE_SURROGATE),
    ("/api/v1/proposals/{pk}/cosign/", '{"accept": "%s"}' % LONE_SURROGATE),
    ("/api/v1/proposals/{pk}/assign/", '{"mode": "%s"}' % LONE_SURROGATE),
    ("/api/v1/proposals/", '{"kind": "%s"}' % LONE_SURROGATE),
    ("/api/v1/proposals/{pk}/review/", '{"%s": 1}' % LONE_SURROGATE),
])
def test_lone_surrogates_anywhere_are_400_not_500(session, category, member, office_user, url, raw):
    with at(2019, 3, 1, 9):
        p = factories.draft(proposer=member)
        for user in (office_user, member):
            response = as_user(user).post(url.format(pk=p.pk), raw, content_type="application/json")
            assert response.status_code in (400, 403), (user, response.status_code, response.content)
            response.content.decode("utf-8")


# --- list -------------------------------------------------------------------------------------------------
def _assigned(n, *, member, departments):
    """n proposals being handled by the departments (separately when several), assigned on 2019-05-06."""
    where = {"separate": departments} if len(departments) > 1 else {"lead": departments[0]}
    with at(2019, 5, 6, 9):
        for i in range(n):
            factories.assigned(proposer=member, title=f"建议{i}", **where)


def test_list_costs_the_same_number_of_queries_for_1_and_10(session, category, member, office_user, handler, approval_dept, hrss_dept):
    def count(user, query=""):
        client = token_client(user)
        with CaptureQueriesContext(connection) as ctx:
            data = ok(client.get("/api/v1/proposals/" + query))
        return len(ctx.captured_queries), data["count"]

    _assigned(1, member=member, departments=[approval_dept, hrss_dept])
    one = {user.username: count(user) for user in (office_user, handler, member)}
    filtered_one = count(office_user, "?department=%d&is_key=false&q=建议&session=%d" % (approval_dept.pk, session.pk))
    _assigned(9, member=member, departments=[approval_dept, hrss_dept])
    ten = {user.username: count(user) for user in (office_user, handler, member)}
    filtered_ten = count(office_user, "?department=%d&is_key=false&q=建议&session=%d" % (approval_dept.pk, session.pk))
    assert {k: v[0] for k, v in one.items()} == {k: v[0] for k, v in ten.items()}
    assert {k: v[1] for k, v in ten.items()} == {"office": 10, "handler": 10, "member": 10}
    assert filtered_one[0] == filtered_ten[0] and filtered_ten[1] == 10


def test_list_filters(session, category, member, office_user, approval_dept, hrss_dept):
    _assigned(2, member=member, departments=[approval_dept])
    _assigned(1, member=member, departments=[hrss_dept])
    api = as_user(office_user)
    with at(2019, 5, 7, 9):  # the next day: nothing is overdue yet
        assert ok(api.get(f"/api/v1/proposals/?department={hrss_dept.pk}"))["count"] == 1
        assert ok(api.get("/api/v1/proposals/?q=3"))["results"][0]["number"] == 3
        assert ok(api.get("/api/v1/proposals/?is_key=true"))["count"] == 0
        assert ok(api.get("/api/v1/proposals/?status=handling"))["count"] == 3
        Proposal.objects.filter(number=2).update(is_key=True)
        assert [r["number"] for r in ok(api.get("/api/v1/proposals/supervision/"))["results"]] == [2]
        row = ok(api.get("/api/v1/proposals/?overdue=false"))["results"][0]
        assert row["overdue"] is False and row["assignments"][0]["department"]["name"]


def test_options_and_reference_lists(session, member, member2):
    api = as_user(member)
    options = ok(api.get("/api/v1/proposal-options/"))
    assert [c["label"] for c in options["proposal_rating"]] == ["满意", "基本满意", "不满意"]
    assert {c["code"] for c in options["reply_class"]} == {"A", "B", "C"}
    assert ok(api.get("/api/v1/proposal-sessions/"))[0]["name"] == "六届四次会议"
    assert "政务服务" in [c["name"] for c in ok(api.get("/api/v1/proposal-categories/"))]
    candidates = ok(api.get("/api/v1/proposal-cosign-candidates/"))["results"]
    assert [c["id"] for c in candidates] == [member2.pk]


# --- schema --------------------------------------------------------------------------------------------
def test_schema_lists_the_proposal_endpoints(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/proposals/", "/api/v1/proposals/{id}/", "/api/v1/proposals/{id}/submit/", "/api/v1/proposals/{id}/cosign/",
        "/api/v1/proposals/{id}/review/", "/api/v1/proposals/{id}/assign/", "/api/v1/proposals/{id}/supervision/",
        "/api/v1/proposals/{id}/public/", "/api/v1/proposals/{id}/evaluate/", "/api/v1/proposals/{id}/close/",
        "/api/v1/proposals/{id}/rehandle/", "/api/v1/proposals/{id}/timeline/", "/api/v1/proposals/{id}/tasks/",
        "/api/v1/proposal-assignments/{id}/sign/", "/api/v1/proposal-assignments/{id}/reassign-request/",
        "/api/v1/proposal-assignments/{id}/reassign-decision/", "/api/v1/proposal-assignments/{id}/consultation/",
        "/api/v1/proposal-assignments/{id}/opinion/", "/api/v1/proposal-assignments/{id}/reply/",
        "/api/v1/proposal-assignments/{id}/reply/submit/", "/api/v1/proposal-assignments/{id}/extension-request/",
        "/api/v1/proposal-replies/{id}/sign-off/", "/api/v1/proposal-replies/{id}/review/",
        "/api/v1/proposal-extensions/{id}/decide/", "/api/v1/proposal-tasks/",
    ):
        assert path in paths, path
    review = paths["/api/v1/proposals/{id}/review/"]["post"]
    assert review["requestBody"] and {"200", "400", "403", "404"} <= set(review["responses"])
    assert set(paths["/api/v1/proposal-assignments/{id}/reply/"]) >= {"get", "put", "post"}


def test_schema_generates_without_warnings_and_validates(tmp_path):
    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/proposals/{id}/assign/" in (tmp_path / "schema.yml").read_text(encoding="utf-8")


def test_a_new_role_holder_can_use_their_token(committee_dept, session, category):
    # given a member created with the standard password
    newcomer = UserFactory(username="newcomer", roles=[(committee_dept, Role.MEMBER)])
    # when they draft through a token
    draft = ok(token_client(newcomer).post("/api/v1/proposals/", draft_body(session, category), format="json"), 201)
    # then the draft is theirs
    assert Proposal.objects.get(pk=draft["id"]).proposer == newcomer and ExtensionRequest.objects.count() == 0
