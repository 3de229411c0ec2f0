"""Every proposal action URL answers GET (its form on its own page), a refused POST can be
reloaded, drafts keep what is filled in, joint proposals need one submission, and the
proposer deletes a draft or withdraws before review (issue 7, the forms part)."""
import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from proposals.flows import ProposalFlow
from proposals.models import Assignment, Proposal, ProposalTask
from proposals.selectors import open_tasks_for
from tests.factories import at
from tests.proposals import factories
from workflow.models import CaseEvent
from workflow.selectors import inbox_tasks

pytestmark = pytest.mark.django_db

DATES = {
    "draft_at": (2019, 3, 1, 9), "submit_at": (2019, 3, 1, 9), "accept_at": (2019, 3, 5, 9), "assign_at": (2019, 3, 6, 9),
    "sign_at": (2019, 3, 7, 10), "draft_reply_at": (2019, 3, 7, 10), "submit_reply_at": (2019, 3, 7, 10),
    "sign_off_at": (2019, 3, 8, 10), "pass_review_at": (2019, 3, 8, 10), "evaluate_at": (2019, 3, 11, 10),
}
NOW = (2019, 3, 12, 9)


def body(response) -> str:
    return response.content.decode()


def warned(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def page(client, user, url, status=200):
    """GET url as user, check the status; for 200, that it is the action's own page."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    if status == 200:
        html = body(response)
        assert 'data-testid="page-title"' in html and 'data-testid="breadcrumb"' in html and "<form" in html
        assert 'data-testid="case-summary"' in html
    return response


def closed(client, user, url, proposal):
    """The step is not open for this user: back to the case with a warning."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/proposals/{proposal.pk}/", (url, response.status_code)
    assert warned(response)


# --- GET on every action URL ----------------------------------------------------------------------
def test_draft_and_cosign_steps_answer_get(client, session, category, member, member2, office_user):
    with at(*NOW):
        draft = factories.draft(proposer=member)
        # the proposer's own steps on a draft
        for url in (f"/proposals/{draft.pk}/submit/", f"/proposals/{draft.pk}/delete/"):
            page(client, member, url)
        assert client.get(f"/proposals/{draft.pk}/edit/").status_code == 200
        closed(client, member, f"/proposals/{draft.pk}/withdraw/", draft)
        # nobody else's: another member's draft is refused
        page(client, member2, f"/proposals/{draft.pk}/submit/", 403)
        page(client, office_user, f"/proposals/{draft.pk}/review/", 403)

        joint = factories.submitted(proposer=member, cosigners=[member2])
        page(client, member2, f"/proposals/{joint.pk}/cosign/")
        page(client, member, f"/proposals/{joint.pk}/withdraw-cosigner/?member={member2.pk}")
        closed(client, member, f"/proposals/{joint.pk}/submit/", joint)
        page(client, member2, f"/proposals/{joint.pk}/withdraw-cosigner/?member={member2.pk}", 403)
        page(client, office_user, f"/proposals/{joint.pk}/cosign/", 403)


def test_office_steps_answer_get(client, session, category, member, office_user, handler, approval_dept):
    with at(*NOW):
        submitted = factories.submitted(proposer=member)
        page(client, office_user, f"/proposals/{submitted.pk}/review/")
        page(client, member, f"/proposals/{submitted.pk}/review/", 403)
        page(client, member, f"/proposals/{submitted.pk}/withdraw/")
        closed(client, office_user, f"/proposals/{submitted.pk}/assign/", submitted)
        closed(client, member, f"/proposals/{submitted.pk}/submit/", submitted)

        accepted = factories.accepted(proposer=member, title="已立案的提案", **DATES)
        page(client, office_user, f"/proposals/{accepted.pk}/assign/")
        page(client, handler, f"/proposals/{accepted.pk}/assign/", 403)
        closed(client, office_user, f"/proposals/{accepted.pk}/review/", accepted)
        closed(client, member, f"/proposals/{accepted.pk}/withdraw/", accepted)

        assigned = factories.assigned(proposer=member, title="已交办的提案", lead=approval_dept, **DATES)
        for url in ("supervision", "disclosure"):
            page(client, office_user, f"/proposals/{assigned.pk}/{url}/")
            page(client, member, f"/proposals/{assigned.pk}/{url}/", 403)
        closed(client, office_user, f"/proposals/{assigned.pk}/close/", assigned)
        closed(client, office_user, f"/proposals/{assigned.pk}/rehandle/", assigned)
        closed(client, office_user, f"/proposals/{assigned.pk}/waive-evaluation/", assigned)
        a = assigned.assignments.get()
        closed(client, office_user, f"/proposals/assignments/{a.pk}/reassign-decide/", assigned)


def test_department_steps_answer_get(client, session, category, member, office_user, handler, dept_leader, approval_dept):
    with at(*NOW):
        assigned = factories.assigned(proposer=member, lead=approval_dept, **DATES)
        a = assigned.assignments.get()
        page(client, handler, f"/proposals/assignments/{a.pk}/sign/")
        page(client, handler, f"/proposals/assignments/{a.pk}/reassign/")
        page(client, dept_leader, f"/proposals/assignments/{a.pk}/sign/", 403)
        page(client, member, f"/proposals/assignments/{a.pk}/sign/", 403)
        closed(client, handler, f"/proposals/assignments/{a.pk}/reply/", assigned)
        closed(client, handler, f"/proposals/assignments/{a.pk}/opinion/", assigned)

        signed = factories.signed(proposer=member, title="已签收的提案", lead=approval_dept, **DATES)
        b = signed.assignments.get()
        reply_page = body(page(client, handler, f"/proposals/assignments/{b.pk}/reply/"))
        assert 'data-testid="letter-preview"' in reply_page and "尊敬的" in reply_page
        for url in ("consult", "extension"):
            page(client, handler, f"/proposals/assignments/{b.pk}/{url}/")
        page(client, dept_leader, f"/proposals/assignments/{b.pk}/reply/", 403)

        submitted_reply = factories.reply_submitted(proposer=member, title="答复已送签发的提案", lead=approval_dept, **DATES)
        reply = factories.reply_of(submitted_reply)
        page(client, dept_leader, f"/proposals/replies/{reply.pk}/sign-off/")
        page(client, handler, f"/proposals/replies/{reply.pk}/sign-off/", 403)
        closed(client, office_user, f"/proposals/replies/{reply.pk}/review/", submitted_reply)

        signed_reply = factories.reply_signed(proposer=member, title="答复已签发的提案", lead=approval_dept, **DATES)
        reply = factories.reply_of(signed_reply)
        page(client, office_user, f"/proposals/replies/{reply.pk}/review/")
        closed(client, dept_leader, f"/proposals/replies/{reply.pk}/sign-off/", signed_reply)


def test_member_and_closing_steps_answer_get(client, session, category, member, member2, office_user, handler, dept_leader, approval_dept):
    with at(*NOW):
        replied = factories.replied(proposer=member, lead=approval_dept, **DATES)
        page(client, member, f"/proposals/{replied.pk}/evaluate/")
        page(client, handler, f"/proposals/{replied.pk}/evaluate/", 403)
        closed(client, office_user, f"/proposals/{replied.pk}/close/", replied)

        rated = factories.evaluated(proposer=member, title="已评价的提案", lead=approval_dept, result_rating="dissatisfied",
                                    comment="没有解决", **DATES)
        page(client, office_user, f"/proposals/{rated.pk}/close/")
        page(client, office_user, f"/proposals/{rated.pk}/rehandle/")
        page(client, member, f"/proposals/{rated.pk}/close/", 403)
        closed(client, member, f"/proposals/{rated.pk}/evaluate/", rated)


def test_extension_decision_answers_get_then_goes_back_once_decided(client, session, category, member, office_user, handler, dept_leader, approval_dept):
    from proposals import services

    with at(*NOW):
        signed = factories.signed(proposer=member, lead=approval_dept, **DATES)
        a = signed.assignments.get()
        req = services.extension_request(actor=handler, assignment=a, requested_until=a.deadline.date().replace(month=a.deadline.month + 1), reason="需要调研")
        page(client, office_user, f"/proposals/extensions/{req.pk}/decide/")
        page(client, handler, f"/proposals/extensions/{req.pk}/decide/", 403)
        client.force_login(office_user)
        assert client.post(f"/proposals/extensions/{req.pk}/decide/", {"approve": "1"}).status_code == 302
        closed(client, office_user, f"/proposals/extensions/{req.pk}/decide/", signed)


# --- a refused POST, then a reload ---------------------------------------------------------------------
def test_a_refused_post_shows_the_errors_and_the_url_still_answers_get(client, session, category, member, office_user):
    with at(*NOW):
        p = factories.submitted(proposer=member)
        client.force_login(office_user)
        url = f"/proposals/{p.pk}/review/"
        refused = client.post(url, {"outcome": "reject", "note": "内容不属于提案范围"})
        html = body(refused)
        assert refused.status_code == 400 and "不予立案须选择理由" in html
        assert "内容不属于提案范围" in html  # the input is kept
        assert 'data-testid="page-title"' in html
        # the branch fields carry their rules (static/js/disclose.js)
        assert 'data-disclose=\'{"number": "outcome=accept"' in html
        assert client.get(url).status_code == 200
        assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_success_redirects_to_the_case_with_a_message_saying_what_comes_next(client, session, category, member, office_user):
    with at(*NOW):
        p = factories.submitted(proposer=member)
        client.force_login(office_user)
        response = client.post(f"/proposals/{p.pk}/review/", {"outcome": "accept"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/proposals/{p.pk}/"
    assert "已立案" in body(response) and "下一步请交办承办单位" in body(response)


# --- the proposal form ------------------------------------------------------------------------------------
def test_submission_reports_every_missing_field_in_one_round(client, session, category, member):
    with at(*NOW):
        client.force_login(member)
        response = client.post("/proposals/new/", {"title": "", "session": session.pk, "action": "submit"})
    html = body(response)
    assert response.status_code == 400
    for field in ("title", "analysis", "suggestions", "category", "contact_name", "contact_phone"):
        assert f'data-testid="error-{field}"' in html, field
    assert Proposal.objects.count() == 0


def test_a_draft_is_saved_with_only_a_title(client, session, category, member):
    with at(*NOW):
        client.force_login(member)
        response = client.post("/proposals/new/", {"title": "关于社区养老的建议", "session": session.pk, "action": "save"})
        assert response.status_code == 302
        p = Proposal.objects.get()
        assert p.status == Proposal.Status.DRAFT and p.category is None and p.contact_phone == ""
        assert client.get(f"/proposals/{p.pk}/").status_code == 200
        assert "关于社区养老的建议" in body(client.get("/proposals/"))
        # submitting it lists everything still missing at once
        response = client.post(f"/proposals/{p.pk}/submit/", {})
        html = body(response)
        assert response.status_code == 400
        assert "请选择提案类别" in html and "请填写情况分析" in html and "请填写联系电话" in html
        assert client.get(f"/proposals/{p.pk}/submit/").status_code == 200


def test_a_draft_still_needs_a_title(client, session, member):
    with at(*NOW):
        client.force_login(member)
        response = client.post("/proposals/new/", {"title": " ", "analysis": "分析", "session": session.pk, "action": "save"})
    assert response.status_code == 400 and "请填写案由" in body(response)
    assert Proposal.objects.count() == 0


# --- delete a draft ---------------------------------------------------------------------------------------
def test_the_proposer_deletes_a_draft_after_confirming(client, session, category, member, member2):
    with at(*NOW):
        p = factories.draft(proposer=member, cosigners=[member2])
        client.force_login(member)
        assert 'data-testid="open-delete"' in body(client.get(f"/proposals/{p.pk}/"))
        url = f"/proposals/{p.pk}/delete/"
        refused = client.post(url, {})
        assert refused.status_code == 400 and "请勾选确认" in body(refused)
        assert client.get(url).status_code == 200
        response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/proposals/"
    assert not Proposal.objects.filter(pk=p.pk).exists()
    assert not CaseEvent.objects.filter(case_id=p.pk, type__in=["drafted"]).exists()


def test_a_submitted_proposal_cannot_be_deleted(client, session, category, member):
    with at(*NOW):
        p = factories.submitted(proposer=member)
        closed(client, member, f"/proposals/{p.pk}/delete/", p)
        client.force_login(member)
        assert client.post(f"/proposals/{p.pk}/delete/", {"confirm": "on"}).status_code == 400
    assert Proposal.objects.filter(pk=p.pk).exists()


# --- withdraw before review -----------------------------------------------------------------------------------
def test_the_proposer_withdraws_before_review_with_a_reason(client, session, category, member, office_user):
    with at(*NOW):
        p = factories.submitted(proposer=member)
        review = ProposalTask.objects.get(proposal=p, flow_task=ProposalFlow.review)
        assert review in open_tasks_for(user=office_user)
        client.force_login(member)
        url = f"/proposals/{p.pk}/withdraw/"
        refused = client.post(url, {"reason": "  "})
        assert refused.status_code == 400 and "请写明撤回理由" in body(refused)
        assert client.get(url).status_code == 200
        response = client.post(url, {"reason": "情况已有变化"}, follow=True)
    html = body(response)
    assert "提案已撤回" in html and "提案人撤回提案" in html and "情况已有变化" in html
    p.refresh_from_db()
    assert p.status == Proposal.Status.WITHDRAWN
    review.refresh_from_db()
    assert review.status == "DONE" and not open_tasks_for(user=office_user).filter(proposal=p).exists()
    assert review.pk not in {t.pk for t in inbox_tasks(user=office_user)}
    assert p.process.status == "DONE"
    # the office sees the reason too, and there is nothing left to do
    client.force_login(office_user)
    detail = body(client.get(f"/proposals/{p.pk}/"))
    assert "情况已有变化" in detail and 'data-testid="action-review"' not in detail
    closed(client, office_user, f"/proposals/{p.pk}/review/", p)


def test_only_the_proposer_withdraws_and_only_before_review(client, session, category, member, member2, office_user):
    with at(*NOW):
        joint = factories.submitted(proposer=member, cosigners=[member2])
        from proposals import services

        services.cosigner_respond(actor=member2, proposal=joint, accept=True)
        page(client, member2, f"/proposals/{joint.pk}/withdraw/", 403)
        page(client, office_user, f"/proposals/{joint.pk}/withdraw/", 403)
        accepted = factories.accepted(proposer=member, title="已立案的提案", **DATES)
        client.force_login(member)
        assert client.post(f"/proposals/{accepted.pk}/withdraw/", {"reason": "不想提了"}).status_code == 400
    assert Proposal.objects.get(pk=accepted.pk).status == Proposal.Status.ACCEPTED


def test_the_api_deletes_drafts_and_withdraws(session, category, member, member2, office_user):
    api = APIClient()
    with at(*NOW):
        draft = factories.draft(proposer=member)
        submitted = factories.submitted(proposer=member, title="待审查的提案")
        api.force_authenticate(member2)
        assert api.delete(f"/api/v1/proposals/{draft.pk}/").status_code == 403
        api.force_authenticate(member)
        assert api.delete(f"/api/v1/proposals/{submitted.pk}/").status_code == 400
        assert api.delete(f"/api/v1/proposals/{draft.pk}/").status_code == 204
        missing = api.post(f"/api/v1/proposals/{submitted.pk}/withdraw/", {}, format="json")
        assert missing.status_code == 400 and "reason" in missing.json()["errors"]
        response = api.post(f"/api/v1/proposals/{submitted.pk}/withdraw/", {"reason": "重复提交"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "withdrawn"
        assert not ProposalTask.objects.filter(proposal=submitted, status__in=["NEW", "ASSIGNED", "STARTED"]).exists()
        api.force_authenticate(member)
        draft_only_title = api.post("/api/v1/proposals/", {"session": session.pk, "title": "只有案由的草稿"}, format="json")
        assert draft_only_title.status_code == 201, draft_only_title.content


# --- the reply letter preview ---------------------------------------------------------------------------------
def test_the_reply_preview_renders_the_draft_as_a_letter(client, session, category, member, office_user, handler, dept_leader, approval_dept):
    with at(*NOW):
        signed = factories.signed(proposer=member, lead=approval_dept, **DATES)
        a = signed.assignments.get()
        client.force_login(handler)
        response = client.post(f"/proposals/assignments/{a.pk}/reply/preview/", {
            "reply_class": "A", "title": "关于政务服务的答复", "body": "一、基本情况\n我局高度重视。",
            "contact_person": "张三", "contact_phone": "0839-1",
        })
        html = body(response)
        assert response.status_code == 200 and 'data-testid="letter"' in html
        assert "一、基本情况" in html and "我局高度重视" in html and approval_dept.name in html and "A类" in html
        client.force_login(dept_leader)
        assert client.post(f"/proposals/assignments/{a.pk}/reply/preview/", {}).status_code == 403
        client.force_login(handler)
        assert client.get(f"/proposals/assignments/{a.pk}/reply/preview/").status_code == 405


def test_the_case_page_reply_card_links_to_the_full_page(client, session, category, member, office_user, handler, dept_leader, approval_dept):
    with at(*NOW):
        signed = factories.signed(proposer=member, lead=approval_dept, **DATES)
        a = signed.assignments.get()
        client.force_login(handler)
        html = body(client.get(f"/proposals/{signed.pk}/"))
    assert f'href="/proposals/assignments/{a.pk}/reply/"' in html and f'data-testid="open-reply-{a.pk}"' in html
    assert Assignment.objects.get(pk=a.pk).status == Assignment.Status.SIGNED
