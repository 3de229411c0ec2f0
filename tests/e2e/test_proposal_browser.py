"""A proposal from the member's phone to the member's rating, all by clicking.

Time travel is awkward with a live server, so the test imports a provisional
2027 calendar (weekdays working, weekends off): a reply deadline 3 months
from today (2026-11) reaches into 2027.
"""
import datetime as dt

import pytest

from proposals.models import Category, Proposal, Reply, Session
from tests.e2e.conftest import open_as
from workflow.demo import provisional_year_rows
from workflow.services import calendar_import_rows

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "关于加快“最多跑一次”改革向纵深推进的建议"


def import_provisional_calendar(year: int) -> None:
    calendar_import_rows(actor=None, rows=provisional_year_rows(year), note="临时日历，待国务院公布后替换")


def click_and_wait(page, selector):
    with page.expect_navigation():
        page.click(selector)
    return page.locator(".alert").first.inner_text()


def test_proposal_from_member_to_rating_in_the_browser(live_server, browser, member, office_user, handler, dept_leader, approval_dept):
    # given a current session and next year's calendar entered provisionally
    import_provisional_calendar(dt.date.today().year + 1)
    Session.objects.create(committee="政协广元市朝天区委员会", name="六届八次会议", year=dt.date.today().year, is_current=True)
    category = Category.objects.get(name="政务服务")

    # a committee member writes and submits the proposal on their phone
    ctx, page = open_as(browser, live_server, "member", phone=True)
    page.goto(f"{live_server.url}/proposals/new/")
    page.fill("#id_title", TITLE)
    page.fill("#id_analysis", "存在问题：“多头跑”“跑很多次”等现象依然存在。")
    page.fill("#id_suggestions", "建议：推行“一窗受理、集成服务”。")
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_contact_name", "示例委员")
    page.fill("#id_contact_phone", "0839-0000000")
    assert "提案已提交" in click_and_wait(page, "[data-testid=submit-proposal]")
    assert page.locator("[data-testid=status]").inner_text() == "待审查"
    proposal = Proposal.objects.get()
    detail = f"{live_server.url}/proposals/{proposal.pk}/"
    ctx.close()

    # the proposal office accepts it and assigns it to the approval department
    ctx, page = open_as(browser, live_server, "office")
    page.goto(detail)
    page.check("#id_review_outcome_0")  # 立案
    assert "审查结果已保存" in click_and_wait(page, "[data-testid=do-review]")
    assert page.locator("[data-testid=status]").inner_text() == "已立案待交办"
    page.check("#id_assign_mode_0")  # 单独办理
    page.select_option("#id_assign_lead", str(approval_dept.pk))
    assert "已交办" in click_and_wait(page, "[data-testid=do-assign]")
    assert page.locator("[data-testid=status]").inner_text() == "办理中"
    ctx.close()
    assignment = proposal.assignments.get()

    # the department handler signs for it, then drafts and submits the reply
    ctx, page = open_as(browser, live_server, "handler")
    page.goto(detail)
    assert "已签收" in click_and_wait(page, f"[data-testid=do-sign-{assignment.pk}]")
    key = f"reply-{assignment.pk}"
    with page.expect_navigation():  # the letter is written on its own page, with a letter-layout preview
        page.click(f"[data-testid=open-{key}]")
    page.select_option(f"#id_{key}_reply_class", "A")
    page.fill(f"#id_{key}_body", "一、我区“最多跑一次”改革工作推进情况……")
    page.fill(f"#id_{key}_contact_person", "示例联系人")
    page.fill(f"#id_{key}_contact_phone", "0839-1111111")
    assert "已提交单位领导签发" in click_and_wait(page, f"[data-testid=do-{key}-submit]")
    ctx.close()
    reply = Reply.objects.get()

    # the department leader signs it off
    ctx, page = open_as(browser, live_server, "leader")
    page.goto(detail)
    page.check(f"#id_signoff-{reply.pk}_approve_0")  # 同意签发
    assert "已签发" in click_and_wait(page, f"[data-testid=do-signoff-{reply.pk}]")
    ctx.close()
    reply.refresh_from_db()
    assert reply.doc_number == f"朝审函〔{dt.date.today().year}〕1号"

    # the office passes the supervision review
    ctx, page = open_as(browser, live_server, "office")
    page.goto(detail)
    page.check(f"#id_replyreview-{reply.pk}_passed_0")  # 审核通过
    assert "督办审核通过" in click_and_wait(page, f"[data-testid=do-replyreview-{reply.pk}]")
    assert page.locator("[data-testid=status]").inner_text() == "已答复待评价"
    ctx.close()

    # and the member reads the reply and rates it, on their phone
    ctx, page = open_as(browser, live_server, "member", phone=True)
    page.goto(detail)
    assert reply.doc_number in page.locator("[data-testid=replies]").inner_text()
    key = f"evaluate-{proposal.pk}"
    page.select_option(f"#id_{key}_process_rating", "satisfied")
    page.select_option(f"#id_{key}_result_rating", "satisfied")
    assert "感谢您的评价" in click_and_wait(page, f"[data-testid=do-{key}]")
    assert page.locator("[data-testid=status]").inner_text() == "已评价待办结"
    assert page.locator("[data-testid=result-rating]").inner_text() == "满意"
    timeline = page.locator("[data-testid=timeline]").inner_text()
    for step in ("提交提案，待审查", "立案", "交办", "签收", "单位领导签发答复函", "督办审核通过", "委员评价"):
        assert step in timeline
    ctx.close()

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.EVALUATED and proposal.number == 1
