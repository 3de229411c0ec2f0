"""The proposal forms in the browser (issue 7): a refused form survives a reload and a
language switch, the proposal form reports everything at once, a draft needs only a title,
a joint proposal reaches the office without a second submission, the proposer deletes a
draft and withdraws before review; branch fields and the reply letter preview."""
import datetime as dt
import os

import pytest

from proposals import services
from proposals.flows import ProposalFlow
from proposals.models import Proposal, ProposalTask, Session
from proposals.selectors import open_tasks_for
from tests.e2e.conftest import open_as
from tests.proposals import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/shots-forms"


def submit_and_wait(page, selector):
    with page.expect_navigation():
        page.click(selector)


def shot(page, name):
    """Screenshots for a person looking at the pages (E2E_SHOTS=1); none in CI."""
    if not os.environ.get("E2E_SHOTS"):
        return
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def member2(committee_dept):
    from proposals.roles import Role
    from tests.factories import UserFactory

    return UserFactory(username="member2", full_name="示例委员二", roles=[(committee_dept, Role.MEMBER)])


@pytest.fixture
def current_session(db):
    return Session.objects.create(committee="政协广元市朝天区委员会", name="六届八次会议", year=dt.date.today().year, is_current=True)


def test_a_refused_review_survives_reload_and_language_switch(live_server, browser, member, office_user, current_session):
    # given a submitted proposal and the office on its review page
    p = factories.submitted(proposer=member)
    ctx, page = open_as(browser, live_server, "office")
    page.goto(f"{live_server.url}/proposals/{p.pk}/review/")
    # the branch fields: only the chosen outcome's fields show
    assert page.locator("[data-field=rejection_reason]").is_hidden()
    page.check("#id_review_outcome_3")  # 不予立案
    assert page.locator("[data-field=rejection_reason]").is_visible()
    assert page.locator("[data-field=number]").is_hidden() and page.locator("[data-field=merge_into]").is_hidden()
    shot(page, "review-1366")
    # when it is sent without a reason: the error on the same page
    submit_and_wait(page, "[data-testid=do-review]")
    assert "不予立案须选择理由" in page.locator("[data-testid=action-review]").inner_text()
    # then a reload and a language switch still show the form, never a 405
    response = page.reload()  # the browser sends the POST again: the same errors, not a 405
    assert response.status == 400 and page.locator("[data-testid=do-review]").is_visible()
    response = page.goto(page.url)  # the address bar, a bookmark: GET, with the refused input and its error
    assert response.status == 200 and page.locator("[data-testid=do-review]").is_visible()
    assert page.locator("#id_review_outcome_3").is_checked()
    assert "不予立案须选择理由" in page.locator("[data-testid=action-review]").inner_text()
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.url.endswith(f"/proposals/{p.pk}/review/")
    assert page.locator("[data-testid=do-review]").is_visible()
    # the refused input is still there after the switch, with the service's refusal (as it was worded)
    assert page.locator("#id_review_outcome_3").is_checked()
    assert "不予立案须选择理由" in page.locator("[data-testid=action-review]").inner_text()
    assert "Review result" in page.locator("[data-testid=action-review]").inner_text()  # the form itself in English
    ctx.close()


def test_the_proposal_form_in_one_round_and_a_draft_with_only_a_title(live_server, browser, member, current_session):
    ctx, page = open_as(browser, live_server, "member", width=390, height=844)
    page.goto(f"{live_server.url}/proposals/new/")
    page.fill("#id_title", "关于社区养老服务的建议")
    # submitting shows every missing field at once
    submit_and_wait(page, "[data-testid=submit-proposal]")
    for field in ("analysis", "suggestions", "category", "contact_name", "contact_phone"):
        assert page.locator(f"[data-testid=error-{field}]").count() == 1, field
    shot(page, "proposal-form-errors-390")
    # saving as a draft needs only the title
    submit_and_wait(page, "[data-testid=save-draft]")
    assert "草稿已保存" in page.locator(".alert").first.inner_text()
    assert page.locator("[data-testid=status]").inner_text() == "草稿"
    ctx.close()
    assert Proposal.objects.get().category is None


def test_a_joint_proposal_reaches_the_office_after_the_last_confirmation(live_server, browser, member, member2, office_user, current_session):
    p = factories.draft(proposer=member, cosigners=[member2])
    services.proposal_submit(actor=member, proposal=p)
    ctx, page = open_as(browser, live_server, "member2")
    page.goto(f"{live_server.url}/proposals/{p.pk}/cosign/")
    submit_and_wait(page, "[data-testid=do-cosign-accept]")
    assert "提案已自动提交提案委审查" in page.locator(".alert").first.inner_text()
    assert page.locator("[data-testid=status]").inner_text() == "待审查"
    assert "联名确认完成，自动提交提案委审查" in page.locator("[data-testid=timeline]").inner_text()
    ctx.close()
    assert ProposalTask.objects.filter(proposal=p, flow_task=ProposalFlow.review, status="NEW").exists()


def test_the_proposer_deletes_a_draft(live_server, browser, member, current_session):
    p = factories.draft(proposer=member)
    ctx, page = open_as(browser, live_server, "member")
    page.goto(f"{live_server.url}/proposals/{p.pk}/")
    submit_and_wait(page, "[data-testid=open-delete]")
    page.check("#id_delete_confirm")
    submit_and_wait(page, "[data-testid=do-delete]")
    assert "已删除" in page.locator(".alert").first.inner_text()
    ctx.close()
    assert not Proposal.objects.filter(pk=p.pk).exists()


def test_the_proposer_withdraws_before_review(live_server, browser, member, office_user, current_session):
    p = factories.submitted(proposer=member)
    ctx, page = open_as(browser, live_server, "member")
    page.goto(f"{live_server.url}/proposals/{p.pk}/")
    submit_and_wait(page, "[data-testid=open-withdrawproposal]")
    submit_and_wait(page, "[data-testid=do-withdrawproposal]")
    assert "请写明撤回理由" in page.locator("[data-testid=action-withdrawproposal]").inner_text()
    page.fill("#id_withdrawproposal_reason", "情况已有变化，另行提出")
    shot(page, "withdraw-1366")
    submit_and_wait(page, "[data-testid=do-withdrawproposal]")
    assert page.locator("[data-testid=status]").inner_text() == "已撤回"
    timeline = page.locator("[data-testid=timeline]").inner_text()
    assert "提案人撤回提案" in timeline and "情况已有变化" in timeline
    ctx.close()
    # the office's inbox no longer has the review
    ctx, page = open_as(browser, live_server, "office")
    assert p.title not in page.locator("[data-testid=inbox]").inner_text()
    ctx.close()
    assert not open_tasks_for(user=office_user).filter(proposal=p).exists()


def test_the_reply_letter_is_written_with_a_letter_preview(live_server, browser, member, office_user, handler, dept_leader, approval_dept, current_session):
    from workflow.demo import provisional_year_rows
    from workflow.services import calendar_import_rows

    calendar_import_rows(actor=None, rows=provisional_year_rows(dt.date.today().year + 1), note="临时日历")
    p = factories.signed(proposer=member, lead=approval_dept)
    a = p.assignments.get()
    key = f"reply-{a.pk}"
    for width, height in ((1366, 900), (390, 844)):
        ctx, page = open_as(browser, live_server, "handler", width=width, height=height)
        page.goto(f"{live_server.url}/proposals/assignments/{a.pk}/reply/")
        page.fill(f"#id_{key}_body", "一、基本情况\n我局高度重视此项工作。")
        page.locator("[data-testid=letter-body]", has_text="高度重视").wait_for()
        assert approval_dept.name in page.locator("[data-testid=letter]").inner_text()
        shot(page, f"reply-{width}")
        ctx.close()
