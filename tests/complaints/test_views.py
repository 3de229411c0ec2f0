"""The complaint staff pages through their real URLs, one user per role."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from complaints.models import (
    Appeal,
    Complaint,
    ComplaintExtension,
    ComplaintReply,
    Dispatch,
    DepartmentSetting,
    HandlingNote,
    RoutingRule,
    Suspension,
)
from tests.complaints import factories as f
from tests.factories import at
from workflow.models import CaseEvent

pytestmark = pytest.mark.django_db

PHONE = "13800001234"


def body(response) -> str:
    return response.content.decode()


def as_user(client, user):
    """Log in at the current (travelled) time."""
    client.force_login(user)
    return client


def url(name, pk=None) -> str:
    from django.urls import reverse

    return reverse(f"complaints:{name}", args=[pk] if pk is not None else [])


def png_file(name="photo.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- the list ---------------------------------------------------------------------------------
def test_list_shows_the_dispatcher_every_complaint_with_filters_and_chips(client, dispatcher, realestate_dept):
    # given one new and one dispatched complaint
    with at(2026, 3, 2, 9):
        new, _code = f.submit(title="排队叫号机故障")
        dispatched = f.dispatched(dispatcher, realestate_dept)
        as_user(client, dispatcher)
        # when the dispatcher opens the list
        page = body(client.get(url("list")))
        # then both show, with the chips and the intake button
        assert new.number in page and dispatched.number in page
        assert 'data-testid="chip-overdue"' in page and 'data-testid="chip-suspended"' in page and 'data-testid="chip-new"' in page
        assert 'data-testid="new-complaint"' in page
        # and a status filter keeps only the new one
        page = body(client.get(url("list"), {"status": "new"}))
        assert new.number in page and dispatched.number not in page


def test_list_is_scoped_to_the_department_and_refused_to_non_staff(client, dispatcher, realestate_dept, re_handler, other_handler, member):
    with at(2026, 3, 2, 9):
        mine = f.dispatched(dispatcher, realestate_dept)
        undispatched, _code = f.submit(title="另一件")
        page = body(as_user(client, re_handler).get(url("list")))
        assert mine.number in page and undispatched.number not in page
        page = body(as_user(client, other_handler).get(url("list")))
        assert mine.number not in page and 'data-testid="empty"' in page
        assert as_user(client, member).get(url("list")).status_code == 403


def test_list_overdue_chip_shows_the_late_ones(client, dispatcher):
    with at(2026, 3, 2, 9):
        late, _code = f.submit()
    with at(2026, 3, 5, 9):  # past the 1-working-day dispatch limit
        as_user(client, dispatcher)
        page = body(client.get(url("list"), {"overdue": "on"}))
        assert late.number in page and 'data-testid="overdue"' in page


def test_list_query_count_does_not_grow_with_the_rows(client, dispatcher, realestate_dept):
    with at(2026, 3, 2, 9):
        f.dispatched(dispatcher, realestate_dept)
        as_user(client, dispatcher)
        client.get(url("list"))  # the navigation's counts are cached after the first page
        with CaptureQueriesContext(connection) as one:
            assert client.get(url("list")).status_code == 200
        for i in range(9):
            f.dispatched(dispatcher, realestate_dept, title=f"第{i}件")
        with CaptureQueriesContext(connection) as ten:
            response = client.get(url("list"))
        assert body(response).count('data-testid="complaint-row"') == 10
        assert len(ten) == len(one)


def test_list_query_count_is_bounded(client, dispatcher, realestate_dept, django_assert_max_num_queries):
    with at(2026, 3, 2, 9):
        for i in range(10):
            f.dispatched(dispatcher, realestate_dept, title=f"第{i}件")
        as_user(client, dispatcher)
        with django_assert_max_num_queries(15):  # 12 + 3 for the navigation's live counts
            client.get(url("list"), {"status": "dispatched", "category": "", "overdue": ""})


# --- the case page -----------------------------------------------------------------------------
def test_detail_masks_the_contact_for_a_department_user(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        response = as_user(client, re_handler).get(url("detail", complaint.pk))
        page = body(response)
        assert response.status_code == 200
        assert PHONE not in page and "138****1234" in page and "示***" in page
        assert 'data-testid="reveal"' in page
        # the timeline names the department once
        assert "区不动产登记中心；区不动产登记中心" not in page and 'data-event="dispatched"' in page
        # the case itself: number, category, answers (label from the category), place, description
        assert complaint.number in page and "窗口服务" in page and "窗口号" in page and "不动产登记3号窗口" in page
        # the sign task's card, its URL taking the dispatch
        dispatch = complaint.dispatches.get()
        assert f'data-testid="action-sign-{dispatch.pk}"' in page and url("sign", dispatch.pk) in page


def test_detail_masks_the_phone_for_the_dispatcher_too_and_shows_the_triage_card(client, dispatcher):
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        page = body(as_user(client, dispatcher).get(url("detail", complaint.pk)))
        # the name whole (the hotline addresses the citizen), the number masked, the reveal offered
        assert PHONE not in page and "138****1234" in page and 'data-testid="reveal"' in page
        assert 'data-testid="action-triage"' in page and url("triage", complaint.pk) in page


def test_detail_is_refused_to_another_department(client, dispatcher, realestate_dept, other_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        assert as_user(client, other_handler).get(url("detail", complaint.pk)).status_code == 403
        assert client.get(url("detail", 999999)).status_code == 404


def test_reveal_shows_the_contact_on_the_response_only_and_is_audited(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        as_user(client, re_handler)
        # the GET shows the button, not the details
        response = client.get(url("reveal", complaint.pk))
        assert response.status_code == 200 and PHONE not in body(response)
        # when they reveal
        response = client.post(url("reveal", complaint.pk), {"reason": "需电话核实"})
        # then the full details are on this response, not cached, and the reveal is recorded
        assert response.status_code == 200 and PHONE in body(response)
        assert "no-store" in response["Cache-Control"]
        assert CaseEvent.objects.filter(case_id=complaint.pk, type="contact_revealed", actor=re_handler).exists()
        # and the case page is still masked
        assert PHONE not in body(client.get(url("detail", complaint.pk)))


def test_reveal_is_refused_to_another_department(client, dispatcher, realestate_dept, other_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        assert as_user(client, other_handler).post(url("reveal", complaint.pk)).status_code == 403
        assert not CaseEvent.objects.filter(case_id=complaint.pk, type="contact_revealed").exists()


# --- triage ----------------------------------------------------------------------------------
def test_triage_suggests_by_rule_and_dispatches(client, dispatcher, realestate_dept, approval_dept):
    # given a routing rule for the keyword 过户
    rule = RoutingRule.objects.create(name="不动产过户", keywords="过户", department=realestate_dept, priority=10)
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        as_user(client, dispatcher)
        # when the dispatcher opens the triage page
        response = client.get(url("triage", complaint.pk))
        page = body(response)
        # then the rule that fired and its department are shown, the department pre-selected
        assert response.status_code == 200 and rule.name in page and 'data-testid="suggestion-rule"' in page
        assert f'<option value="{realestate_dept.pk}" selected>' in page
        # when they dispatch it with a co-handling department
        response = client.post(url("triage", complaint.pk), {
            "outcome": "dispatch", "department": realestate_dept.pk, "co_departments": [approval_dept.pk], "note": "请依法办理",
        })
        assert response.status_code == 302 and response["Location"] == url("detail", complaint.pk)
        assert "已派单至" in body(client.get(response["Location"]))
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.DISPATCHED and complaint.department == realestate_dept
    lead = complaint.dispatches.get(role=Dispatch.Role.LEAD)
    assert lead.suggested_rule == rule.name
    assert complaint.dispatches.get(role=Dispatch.Role.CO).department == approval_dept


def test_triage_shows_possible_duplicates(client, dispatcher):
    with at(2026, 3, 2, 9):
        first, _code = f.submit()
        second, _code = f.submit()
        page = body(as_user(client, dispatcher).get(url("triage", second.pk)))
        assert 'data-testid="duplicate"' in page and first.number in page and "同一来电号码" in page


def test_triage_is_refused_to_other_roles(client, operator, re_handler):
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        assert as_user(client, operator).get(url("triage", complaint.pk)).status_code == 403
        assert as_user(client, operator).post(url("triage", complaint.pk), {"outcome": "not_accept"}).status_code == 403
        assert as_user(client, re_handler).get(url("triage", complaint.pk)).status_code == 403


def test_triage_dispatch_without_department_is_shown_and_saves_nothing(client, dispatcher):
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        response = as_user(client, dispatcher).post(url("triage", complaint.pk), {"outcome": "dispatch"})
        assert response.status_code == 200 and "请选择主办单位" in body(response)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NEW and not complaint.dispatches.exists()


def test_triage_not_accepted_reads_only_its_own_fields(client, dispatcher):
    from complaints.models import NotAcceptedReason

    reason = NotAcceptedReason.objects.get(code="court")
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        # what was typed in the other outcomes (an invalid split, a merge number) is ignored
        response = as_user(client, dispatcher).post(url("triage", complaint.pk), {
            "outcome": "not_accept", "reason": reason.pk, "target": "TS0000", "part_1_title": "只有一件",
        })
        assert response.status_code == 302
        assert reason.redirect_to in body(client.get(url("detail", complaint.pk)))
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NOT_ACCEPTED and complaint.not_accepted_reason == reason


def test_triage_merge_into_another_by_number(client, dispatcher):
    with at(2026, 3, 2, 9):
        target, _code = f.submit()
        complaint, _code = f.submit()
        as_user(client, dispatcher)
        response = client.post(url("triage", complaint.pk), {"outcome": "merge", "target": "TS2026999999"})
        assert response.status_code == 200 and "没有找到编号为TS2026999999的工单" in body(response)
        response = client.post(url("triage", complaint.pk), {"outcome": "merge", "target": target.number.lower()})
        assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.MERGED and complaint.merged_into == target


def test_triage_split_needs_two_parts(client, dispatcher):
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        as_user(client, dispatcher)
        response = client.post(url("triage", complaint.pk), {"outcome": "split", "part_1_title": "一", "part_1_description": "内容一"})
        assert response.status_code == 200 and "拆分须至少分为两件" in body(response)
        assert Complaint.objects.count() == 1
        response = client.post(url("triage", complaint.pk), {
            "outcome": "split", "part_1_title": "窗口告知", "part_1_description": "一次性告知",
            "part_2_title": "叫号机", "part_2_description": "叫号机故障",
        })
        assert response.status_code == 302
        assert 'data-testid="parts"' in body(client.get(url("detail", complaint.pk)))
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.SPLIT and complaint.parts.count() == 2


def test_triage_of_a_dispatched_case_goes_back_to_the_case(client, dispatcher, realestate_dept):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        response = as_user(client, dispatcher).get(url("triage", complaint.pk))
        assert response.status_code == 302 and response["Location"] == url("detail", complaint.pk)


# --- sign, return, opinion -------------------------------------------------------------------
def test_sign_page_and_sign(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        dispatch = complaint.dispatches.get()
        as_user(client, re_handler)
        response = client.get(url("sign", dispatch.pk))
        assert response.status_code == 200 and f'data-testid="action-sign-{dispatch.pk}"' in body(response)
        response = client.post(url("sign", dispatch.pk), {"decision": "sign"})
        assert response.status_code == 302
        assert "已签收" in body(client.get(response["Location"]))
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.HANDLING


def test_sign_is_refused_to_another_department_and_other_roles(client, dispatcher, realestate_dept, other_handler, re_leader):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        dispatch = complaint.dispatches.get()
        assert as_user(client, other_handler).post(url("sign", dispatch.pk), {"decision": "sign"}).status_code == 403
        assert as_user(client, re_leader).post(url("sign", dispatch.pk), {"decision": "sign"}).status_code == 403
        assert as_user(client, dispatcher).get(url("sign", dispatch.pk)).status_code == 403
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.DISPATCHED


def test_return_needs_a_reason_then_the_dispatcher_redispatches(client, dispatcher, realestate_dept, re_handler, approval_dept, handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        dispatch = complaint.dispatches.get()
        as_user(client, re_handler)
        # a return without a reason is shown on the form, nothing saved
        response = client.post(url("sign", dispatch.pk), {"decision": "return", "reason": ""})
        assert response.status_code == 200 and "退单须说明理由" in body(response)
        dispatch.refresh_from_db()
        assert dispatch.status == Dispatch.Status.DISPATCHED
        response = client.post(url("sign", dispatch.pk), {"decision": "return", "reason": "属于行政审批局职责"})
        assert response.status_code == 302
        dispatch.refresh_from_db()
        assert dispatch.status == Dispatch.Status.RETURNED
        # the dispatcher sees the return and re-dispatches
        as_user(client, dispatcher)
        page = body(client.get(url("detail", complaint.pk)))
        assert f'data-testid="action-returndecide-{dispatch.pk}"' in page and "属于行政审批局职责" in page
        assert as_user(client, re_handler).get(url("return_decide", dispatch.pk)).status_code == 403
        as_user(client, dispatcher)
        assert 'data-testid="return-reason"' in body(client.get(url("return_decide", dispatch.pk)))
        response = client.post(url("return_decide", dispatch.pk), {"accept": "1", "department": approval_dept.pk})
        assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.department == approval_dept
    new = complaint.dispatches.exclude(pk=dispatch.pk).get()
    with at(2026, 3, 2, 10):
        page = body(as_user(client, handler).get(url("detail", complaint.pk)))
        assert f'data-testid="action-sign-{new.pk}"' in page


def test_return_ruled_improper(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        dispatch = complaint.dispatches.get()
        services.dispatch_return(actor=re_handler, dispatch=dispatch, reason="不归我们管")
        as_user(client, dispatcher)
        response = client.post(url("return_decide", dispatch.pk), {"accept": "0", "note": ""})
        assert response.status_code == 200 and "认定退单不当须说明理由" in body(response)
        response = client.post(url("return_decide", dispatch.pk), {"accept": "0", "note": "属于本单位职责"})
        assert response.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.DISPATCHED and dispatch.return_improper


def test_co_handler_sends_an_opinion(client, dispatcher, realestate_dept, re_handler, approval_dept, handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept, co=[approval_dept])
        co = complaint.dispatches.get(role=Dispatch.Role.CO)
        services.dispatch_sign(actor=handler, dispatch=co)
        as_user(client, handler)
        page = body(client.get(url("detail", complaint.pk)))
        assert f'data-testid="action-opinion-{co.pk}"' in page
        assert client.get(url("opinion", co.pk)).status_code == 200
        response = client.post(url("opinion", co.pk), {"opinion": ""})
        assert response.status_code == 200 and "请填写协办意见" in body(response)
        response = client.post(url("opinion", co.pk), {"opinion": "我局将配合做好材料告知。"})
        assert response.status_code == 302
        assert as_user(client, re_handler).post(url("opinion", co.pk), {"opinion": "x"}).status_code == 403
    co.refresh_from_db()
    assert co.status == Dispatch.Status.DONE and co.opinion.startswith("我局")


# --- the reply, sign-off, review --------------------------------------------------------------
def test_reply_is_prefilled_from_the_category_template_and_validated(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        as_user(client, re_handler)
        page = body(client.get(url("reply", complaint.pk)))
        assert f"示***：您反映的编号{complaint.number}问题，经{realestate_dept.name}核实处理" in page
        assert 'data-testid="reply-preview"' in page
        response = client.post(url("reply", complaint.pk), {"body": "  ", "findings": ""})
        assert response.status_code == 200 and "请填写答复内容" in body(response)
        assert not ComplaintReply.objects.filter(complaint=complaint).exists()
        response = client.post(url("reply", complaint.pk), {"body": "已对工作人员批评教育。", "findings": "属实"})
        assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REVIEWING


def test_reply_is_refused_to_another_department(client, dispatcher, realestate_dept, re_handler, other_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        assert as_user(client, other_handler).post(url("reply", complaint.pk), {"body": "x"}).status_code == 403
        assert as_user(client, dispatcher).post(url("reply", complaint.pk), {"body": "x"}).status_code == 403


def test_leader_signs_off_the_reply(client, dispatcher, realestate_dept, re_handler, re_leader):
    DepartmentSetting.objects.create(department=realestate_dept, requires_sign_off=True)
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        as_user(client, re_handler).post(url("reply", complaint.pk), {"body": "答复正文"})
        assert as_user(client, re_handler).get(url("sign_off", complaint.pk)).status_code == 403
        as_user(client, re_leader)
        page = body(client.get(url("detail", complaint.pk)))
        assert 'data-testid="action-signoff"' in page and "答复正文" in page
        assert "答复正文" in body(client.get(url("sign_off", complaint.pk)))
        response = client.post(url("sign_off", complaint.pk), {"approve": "0", "note": ""})
        assert response.status_code == 200 and "退回须说明理由" in body(response)
        response = client.post(url("sign_off", complaint.pk), {"approve": "1"})
        assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REVIEWING


def test_dispatcher_reviews_the_reply(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        services.complaint_reply(actor=re_handler, complaint=complaint, body="答复正文")
        assert as_user(client, re_handler).post(url("review", complaint.pk), {"approve": "1"}).status_code == 403
        as_user(client, dispatcher)
        assert 'data-testid="action-review"' in body(client.get(url("detail", complaint.pk)))
        assert "答复正文" in body(client.get(url("review", complaint.pk)))
        response = client.post(url("review", complaint.pk), {"approve": "0", "note": ""})
        assert response.status_code == 200 and "退回答复须说明理由" in body(response)
        response = client.post(url("review", complaint.pk), {"approve": "0", "note": "请写明整改措施"})
        assert response.status_code == 302
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.HANDLING
        # the handler sees the returned text and the reason
        page = body(as_user(client, re_handler).get(url("reply", complaint.pk)))
        assert "请写明整改措施" in page and "答复正文" in page
        client.post(url("reply", complaint.pk), {"body": "答复正文，已实行一次性告知。"})
        response = as_user(client, dispatcher).post(url("review", complaint.pk), {"approve": "1"})
        assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REPLIED


# --- call-back, rectification, appeal ---------------------------------------------------------
def test_callback_bad_rating_needs_a_comment_then_rectification_and_followup(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        as_user(client, dispatcher)
        page = body(client.get(url("callback", complaint.pk)))
        assert "非常满意" in page and "联系不上" in page
        response = client.post(url("callback", complaint.pk), {"outcome": "rated", "rating": "dissatisfied", "comment": ""})
        assert response.status_code == 200 and "请说明不满意的原因" in body(response)
        assert not complaint.ratings.exists()
        response = client.post(url("callback", complaint.pk), {
            "outcome": "rated", "rating": "dissatisfied", "ind_attitude": "very_dissatisfied", "comment": "材料还是没说清楚",
        })
        assert response.status_code == 302
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.RECTIFYING
        assert complaint.ratings.get().indicators == {"attitude": "very_dissatisfied"}
        # the handler reports the rectification
        as_user(client, re_handler)
        assert 'data-testid="action-rectify"' in body(client.get(url("detail", complaint.pk)))
        assert "材料还是没说清楚" in body(client.get(url("rectify", complaint.pk)))
        response = client.post(url("rectify", complaint.pk), {"report": ""})
        assert response.status_code == 200 and "请填写整改情况" in body(response)
        assert client.post(url("rectify", complaint.pk), {"report": "已制作一次性告知单。"}).status_code == 302
        # the follow-up call-back closes it
        as_user(client, dispatcher)
        assert "整改后回访" in body(client.get(url("detail", complaint.pk)))
        assert client.post(url("callback", complaint.pk), {"outcome": "rated", "rating": "satisfied"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED


def test_callback_unreachable_and_not_resolved(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        first = f.replied(dispatcher, re_handler, realestate_dept)
        second = f.replied(dispatcher, re_handler, realestate_dept, title="第二件")
        as_user(client, dispatcher)
        assert client.post(url("callback", first.pk), {"outcome": "unreachable"}).status_code == 302
        response = client.post(url("callback", second.pk), {"outcome": "not_resolved", "comment": ""})
        assert response.status_code == 200 and "请说明哪些问题没有解决" in body(response)
        assert client.post(url("callback", second.pk), {"outcome": "not_resolved", "comment": "材料清单还是不全"}).status_code == 302
        assert as_user(client, re_handler).post(url("callback", second.pk), {"outcome": "unreachable"}).status_code == 403
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Complaint.Status.CLOSED
    assert second.status == Complaint.Status.HANDLING and second.handling_round == 2


def test_appeal_of_a_bad_rating_and_the_supervisors_decision(client, dispatcher, realestate_dept, re_handler, supervisor):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_callback(actor=dispatcher, complaint=complaint, rating="very_dissatisfied", comment="态度差")
        rating = complaint.ratings.get()
        as_user(client, re_handler)
        page = body(client.get(url("detail", complaint.pk)))
        assert f'data-testid="action-appeal-{rating.pk}"' in page and 'data-testid="appeal-link"' in page
        assert client.get(url("appeal", rating.pk)).status_code == 200
        response = client.post(url("appeal", rating.pk), {"reason": ""})
        assert response.status_code == 200 and "请说明申诉理由" in body(response)
        assert client.post(url("appeal", rating.pk), {"reason": "当日监控显示群众并未到窗口"}).status_code == 302
        appeal = Appeal.objects.get()
        # the supervisor's queue and decision; a dispatcher may not decide
        assert as_user(client, dispatcher).get(url("appeal_decide", appeal.pk)).status_code == 403
        as_user(client, supervisor)
        page = body(client.get(url("requests")))
        assert url("appeal_decide", appeal.pk) in page
        assert "当日监控显示群众并未到窗口" in body(client.get(url("appeal_decide", appeal.pk)))
        response = client.post(url("appeal_decide", appeal.pk), {"facts_true": "0", "reasonable": "0", "malicious": "1", "note": ""})
        assert response.status_code == 200 and "请填写复核意见" in body(response)
        response = client.post(url("appeal_decide", appeal.pk), {"facts_true": "0", "reasonable": "0", "malicious": "1", "note": "经核查不属实"})
        assert response.status_code == 302
    appeal.refresh_from_db()
    rating.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD and rating.excluded


def test_no_appeal_for_another_department_or_a_good_rating(client, dispatcher, realestate_dept, re_handler, other_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_callback(actor=dispatcher, complaint=complaint, rating="satisfied")
        rating = complaint.ratings.get()
        assert as_user(client, other_handler).post(url("appeal", rating.pk), {"reason": "x"}).status_code == 403
        as_user(client, re_handler)
        assert 'data-testid="appeal-link"' not in body(client.get(url("detail", complaint.pk)))
        response = client.post(url("appeal", rating.pk), {"reason": "x"})
        assert response.status_code == 200 and "只有差评可以申诉" in body(response)
    assert not Appeal.objects.exists()


# --- notes, instructions, extensions, suspensions -------------------------------------------------
def test_contact_note_needs_mode_and_time(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        as_user(client, re_handler)
        assert client.get(url("note", complaint.pk)).status_code == 200
        response = client.post(url("note", complaint.pk), {"kind": "contact", "text": "电话联系群众"})
        page = body(response)
        assert response.status_code == 200 and "请选择联系方式" in page and "请填写联系时间" in page
        assert not HandlingNote.objects.exists()
        response = client.post(url("note", complaint.pk), {"kind": "contact", "mode": "phone", "contacted_at": "2026-03-02T09:00", "text": "电话联系群众"})
        assert response.status_code == 302
        # a plain note ignores the contact fields
        assert client.post(url("note", complaint.pk), {"kind": "note", "mode": "visit", "contacted_at": "bad", "text": "已调取监控"}).status_code == 302
    assert list(HandlingNote.objects.order_by("pk").values_list("kind", "mode")) == [("contact", "phone"), ("note", "")]


def test_leader_instructs_a_handler_may_not(client, dispatcher, realestate_dept, re_handler, re_leader):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        assert as_user(client, re_handler).get(url("instruct", complaint.pk)).status_code == 403
        as_user(client, re_leader)
        assert 'data-testid="action-instruct"' in body(client.get(url("detail", complaint.pk)))
        assert client.get(url("instruct", complaint.pk)).status_code == 200
        assert client.post(url("instruct", complaint.pk), {"text": "请三日内办结"}).status_code == 302
    assert HandlingNote.objects.get().kind == HandlingNote.Kind.INSTRUCTION


def test_extension_request_and_decision(client, dispatcher, realestate_dept, re_handler, supervisor):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        as_user(client, re_handler)
        assert client.get(url("extension", complaint.pk)).status_code == 200
        response = client.post(url("extension", complaint.pk), {"requested_until": "", "reason": "需第三方鉴定"})
        assert response.status_code == 200 and "请填写申请延至的日期" in body(response)
        assert not ComplaintExtension.objects.exists()
        assert client.post(url("extension", complaint.pk), {"requested_until": "2026-03-30", "reason": "需第三方鉴定"}).status_code == 302
        request = ComplaintExtension.objects.get()
        # a second request while one is pending: back to the case with the reason
        response = client.get(url("extension", complaint.pk))
        assert response.status_code == 302
        assert as_user(client, re_handler).get(url("extension_decide", request.pk)).status_code == 403
        as_user(client, dispatcher)
        assert url("extension_decide", request.pk) in body(client.get(url("requests")))
        assert "需第三方鉴定" in body(client.get(url("extension_decide", request.pk)))
        assert client.post(url("extension_decide", request.pk), {"approve": "1", "note": "同意"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.deadline.date().isoformat() == "2026-03-30"


def test_suspension_request_decision_and_resume(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        as_user(client, re_handler)
        assert client.get(url("suspend", complaint.pk)).status_code == 200
        response = client.post(url("suspend", complaint.pk), {"reason": ""})
        assert response.status_code == 200 and "请说明挂起理由" in body(response)
        assert client.post(url("suspend", complaint.pk), {"reason": "等待群众补充材料"}).status_code == 302
        suspension = Suspension.objects.get()
        as_user(client, dispatcher)
        assert url("suspension_decide", suspension.pk) in body(client.get(url("requests")))
        assert "等待群众补充材料" in body(client.get(url("suspension_decide", suspension.pk)))
        assert as_user(client, re_handler).post(url("suspension_decide", suspension.pk), {"approve": "1"}).status_code == 403
        as_user(client, dispatcher)
        assert client.post(url("suspension_decide", suspension.pk), {"approve": "1"}).status_code == 302
        complaint.refresh_from_db()
        assert complaint.is_suspended
        assert 'data-testid="chip-suspended"' in body(client.get(url("list")))
    with at(2026, 3, 4, 9):
        as_user(client, re_handler)
        assert 'data-testid="action-resume"' in body(client.get(url("detail", complaint.pk)))
        assert client.get(url("resume", complaint.pk)).status_code == 200
        assert client.post(url("resume", complaint.pk), {"note": "材料已补齐"}).status_code == 302
    complaint.refresh_from_db()
    assert not complaint.is_suspended


def test_requests_queue_is_refused_to_departments(client, re_handler, operator):
    assert as_user(client, re_handler).get(url("requests")).status_code == 403
    assert as_user(client, operator).get(url("requests")).status_code == 403


# --- attachments --------------------------------------------------------------------------------
def test_attachment_download_and_refusal_to_another_department(client, settings, tmp_path, dispatcher, realestate_dept, re_handler, other_handler):
    settings.MEDIA_ROOT = str(tmp_path)
    with at(2026, 3, 2, 9):
        complaint, _code = services.complaint_submit(
            actor=None, channel="web", kind="complaint", category=f.category(), answers={"window_number": "3"},
            citizen_phone=PHONE, attachments=[png_file("现场照片.png")], **f.SEED_PROBLEM,
        )
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
        item = complaint.attachments.get()
        as_user(client, re_handler)
        assert url("attachment", item.pk) in body(client.get(url("detail", complaint.pk)))
        response = client.get(url("attachment", item.pk))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert "attachment" in response["Content-Disposition"] and "filename*=utf-8''%E7%8E%B0" in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
        assert as_user(client, other_handler).get(url("attachment", item.pk)).status_code == 403


# --- intake ------------------------------------------------------------------------------------------
INTAKE = {
    "channel": "hotline", "kind": "complaint", "title": "窗口不一次性告知", "description": "跑了三次还没办成。",
    "hall": "区政务服务中心", "citizen_name": "张三", "citizen_phone": "13900002222",
}


def test_operator_enters_a_hotline_call_and_reads_the_query_code_once(client, settings, tmp_path, operator):
    settings.MEDIA_ROOT = str(tmp_path)
    category = f.category()
    with at(2026, 3, 2, 9):
        as_user(client, operator)
        page = body(client.get(url("intake")))
        assert "answer_window_number" in page and "answer_visit_count" in page
        # a required answer of the category is missing: shown, nothing saved
        response = client.post(url("intake"), {**INTAKE, "category": category.pk})
        assert response.status_code == 200 and "请填写“窗口号”" in body(response)
        assert not Complaint.objects.exists()
        response = client.post(url("intake"), {**INTAKE, "category": category.pk, "answer_window_number": "3", "attachments": [png_file()]})
        assert response.status_code == 302
        complaint = Complaint.objects.get()
        assert complaint.channel == "hotline" and complaint.received_by == operator and complaint.answers == {"window_number": "3"}
        assert complaint.attachments.count() == 1
        # the case page shows the number and the code, once
        response = client.get(response["Location"])
        page = body(response)
        assert 'data-testid="query-code"' in page and complaint.number in page
        code = page.split('class="font-monospace">', 1)[1].split("<", 1)[0]
        assert complaint.query_code_hash == services.secret_hash(code)
        assert "no-store" in response["Cache-Control"]
        assert code not in body(client.get(url("detail", complaint.pk)))


def test_intake_refuses_a_renamed_file(client, operator):
    category = f.category("approval")
    with at(2026, 3, 2, 9):
        fake = SimpleUploadedFile("photo.png", b"MZ not an image", content_type="image/png")
        response = as_user(client, operator).post(url("intake"), {**INTAKE, "category": category.pk, "attachments": [fake]})
        assert response.status_code == 200 and "不是允许的类型" in body(response)
    assert not Complaint.objects.exists()


def test_window_intake_resolved_on_the_spot(client, dispatcher):
    category = f.category("approval")
    with at(2026, 3, 2, 9):
        as_user(client, dispatcher)
        data = {**INTAKE, "channel": "window", "window": "5号窗口", "category": category.pk, "resolve_on_spot": "on"}
        response = client.post(url("intake"), {**data, "spot_reply": ""})
        page = body(response)
        assert response.status_code == 200 and "现场办结须填写处理结果" in page and "请选择群众的现场评价" in page
        response = client.post(url("intake"), {**data, "spot_reply": "当场补办完成", "spot_rating": "very_satisfied"})
        assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.status == Complaint.Status.CLOSED and complaint.resolved_on_spot and complaint.rating == "very_satisfied"


def test_intake_is_refused_to_departments(client, re_handler, supervisor):
    assert as_user(client, re_handler).get(url("intake")).status_code == 403
    assert as_user(client, supervisor).post(url("intake"), INTAKE).status_code == 403
    assert not Complaint.objects.exists()


def test_personal_data_written_into_the_text_is_masked_for_department_users(client, dispatcher, realestate_dept, re_handler):
    """A phone number or ID number the citizen wrote into the title or description is masked
    like the contact fields, in the list, the case page, the ledger and the API."""
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept, title="请回电13912345678",
                                 description="我的身份证号510802199001011234，电话13912345678，请联系。")
        client.force_login(re_handler)
        for url in ("/complaints/", f"/complaints/{complaint.pk}/", "/complaints/ledger/", "/api/v1/complaints/", f"/api/v1/complaints/{complaint.pk}/"):
            body = client.get(url).content.decode()
            assert "13912345678" not in body and "510802199001011234" not in body, url
        # the hotline's pages mask the numbers in the text too (the whole contact is one audited reveal away)
        client.force_login(dispatcher)
        page = client.get(f"/complaints/{complaint.pk}/").content.decode()
        assert "13912345678" not in page and "510802199001011234" not in page and "139****5678" in page
