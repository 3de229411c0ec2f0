"""Each branch of the complaint process, through the services (RULES.md, Complaints)."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from complaints import services
from complaints.models import Appeal, Channel, Complaint, ComplaintTask, Kind, NotAcceptedReason, Suspension
from tests.complaints import factories as f
from tests.factories import TZ, at
from workflow import sms

pytestmark = pytest.mark.django_db


def _open_nodes(complaint):
    return sorted(t.flow_task.name for t in ComplaintTask.objects.filter(complaint=complaint, status__in=["NEW", "ASSIGNED"]))


def _local_date(value):
    return value.astimezone(TZ).date()


def test_extension_approved_moves_the_deadline_and_the_task(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        assert _local_date(complaint.deadline) == dt.date(2026, 3, 23)
    with at(2026, 3, 18, 9):
        request = services.complaint_extension_request(actor=re_handler, complaint=complaint, requested_until=dt.date(2026, 3, 31), reason="需现场核实")
        services.complaint_extension_decide(actor=dispatcher, request=request, approve=True)
    complaint.refresh_from_db()
    assert _local_date(complaint.deadline) == dt.date(2026, 3, 31)
    assert _local_date(ComplaintTask.objects.get(complaint=complaint, status="NEW").deadline) == dt.date(2026, 3, 31)


def test_extension_refused_keeps_the_deadline_and_limits_are_enforced(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
    with at(2026, 3, 18, 9):
        with pytest.raises(ValidationError, match="最迟"):  # more than 10 WD after the deadline
            services.complaint_extension_request(actor=re_handler, complaint=complaint, requested_until=dt.date(2026, 4, 30), reason="需现场核实")
        request = services.complaint_extension_request(actor=re_handler, complaint=complaint, requested_until=dt.date(2026, 3, 31), reason="需现场核实")
        with pytest.raises(ValidationError):
            services.complaint_extension_decide(actor=dispatcher, request=request, approve=False)  # no reason
        services.complaint_extension_decide(actor=dispatcher, request=request, approve=False, note="可按期办结")
    complaint.refresh_from_db()
    assert _local_date(complaint.deadline) == dt.date(2026, 3, 23)
    with at(2026, 3, 23, 9):  # less than 1 WD before the deadline
        with pytest.raises(ValidationError, match="至少"):
            services.complaint_extension_request(actor=re_handler, complaint=complaint, requested_until=dt.date(2026, 3, 31), reason="再议")


def test_suspension_is_excluded_from_the_deadline(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
    with at(2026, 3, 4, 10):
        suspension = services.complaint_suspension_request(actor=re_handler, complaint=complaint, reason="等待群众补充购房合同")
        services.complaint_suspension_decide(actor=dispatcher, suspension=suspension, approve=True)
        complaint.refresh_from_db()
        assert complaint.is_suspended
        with pytest.raises(ValidationError):
            services.complaint_reply(actor=re_handler, complaint=complaint, body="答复")
    with at(2026, 3, 11, 10):  # five working days later
        services.complaint_resume(actor=re_handler, complaint=complaint)
    complaint.refresh_from_db()
    assert not complaint.is_suspended and complaint.suspended_seconds == 7 * 24 * 3600
    # 4 to 11 March, 10:00 to 10:00, overlaps the office hours of 6 working days: 23 March + 6 WD
    assert _local_date(complaint.deadline) == dt.date(2026, 3, 31)
    assert _local_date(ComplaintTask.objects.get(complaint=complaint, status="NEW").deadline) == dt.date(2026, 3, 31)
    assert Suspension.objects.get().status == Suspension.Status.ENDED
    assert any("暂停计时" in m.text for m in sms.outbox)


def test_urgent_complaint_is_due_in_two_hours(dispatcher, realestate_dept):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept, kind=Kind.URGENT)
    assert complaint.deadline.astimezone(TZ) == dt.datetime(2026, 3, 2, 11, 0, tzinfo=TZ)


def test_merge_follows_the_target_and_its_citizen_gets_the_reply(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        target = f.handling(dispatcher, re_handler, realestate_dept)
        duplicate, _code = f.submit(phone="13900009999")
        services.complaint_merge(actor=dispatcher, complaint=duplicate, target=target)
        duplicate.refresh_from_db()
        assert duplicate.status == Complaint.Status.MERGED and duplicate.merged_into == target and _open_nodes(duplicate) == []
        services.complaint_reply(actor=re_handler, complaint=target, body="答复")
        services.complaint_review_reply(actor=dispatcher, complaint=target, approve=True)
    to_duplicate = [m.text for m in sms.outbox if m.phone == "13900009999"]
    assert any("已答复" in t and target.number in t for t in to_duplicate)


def test_split_makes_one_case_per_matter(dispatcher):
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        with pytest.raises(ValidationError):
            services.complaint_split(actor=dispatcher, complaint=complaint, parts=[{"title": "一", "description": "一"}])
        parts = services.complaint_split(actor=dispatcher, complaint=complaint, parts=[
            {"title": "窗口不一次性告知", "description": "不动产窗口不一次性告知材料"},
            {"title": "自助电脑无法使用", "description": "自助区电脑开不了机"},
        ])
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.SPLIT and [p.split_from_id for p in parts] == [complaint.pk] * 2
    assert all(_open_nodes(p) == ["triage"] for p in parts)
    from complaints.selectors import complaint_progress

    assert complaint_progress(number=parts[1].number, code=code) is not None  # the citizen keeps their code


def test_not_accepted_tells_the_citizen_where_to_go(dispatcher):
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        services.complaint_not_accept(actor=dispatcher, complaint=complaint, reason=NotAcceptedReason.objects.get(code="court"))
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NOT_ACCEPTED and complaint.process.status == "DONE"
    assert "人民法院" in sms.outbox[-1].text


def test_on_the_spot_resolution_at_the_window(operator):
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit(actor=operator, channel=Channel.WINDOW, resolve_on_spot={"reply": "现场协调办结", "rating": "very_satisfied"})
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED and complaint.resolved_on_spot and complaint.rating == "very_satisfied"
    assert _open_nodes(complaint) == [] and complaint.process.status == "DONE"


def test_on_the_spot_needs_staff(db):
    with at(2026, 3, 2, 9):
        with pytest.raises(PermissionDenied):
            f.submit(channel=Channel.WINDOW)


def test_appeal_upheld_removes_the_bad_review_from_the_figures(dispatcher, realestate_dept, re_handler, supervisor):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_callback(actor=dispatcher, complaint=complaint, rating="very_dissatisfied", comment="就是不满意")
        rating = complaint.ratings.get()
        with pytest.raises(PermissionDenied):
            services.appeal_file(actor=dispatcher, rating=rating, reason="恶意差评")
        appeal = services.appeal_file(actor=re_handler, rating=rating, reason="群众所述与事实不符，已现场办结")
        with pytest.raises(ValidationError):
            services.appeal_file(actor=re_handler, rating=rating, reason="再次申诉")
        services.appeal_decide(actor=supervisor, appeal=appeal, facts_true=False, reasonable=False, malicious=True, note="经核查属恶意差评")
    rating.refresh_from_db()
    complaint.refresh_from_db()
    assert rating.excluded and Appeal.objects.get().status == Appeal.Status.UPHELD
    assert complaint.rating == ""  # no counted rating left
    from workflow.models import CaseEvent

    assert CaseEvent.objects.filter(case_id=complaint.pk, type="appeal_upheld").exists()


def test_appeal_rejected_keeps_the_review(dispatcher, realestate_dept, re_handler, supervisor):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_callback(actor=dispatcher, complaint=complaint, rating="dissatisfied", comment="没解决")
        appeal = services.appeal_file(actor=re_handler, rating=complaint.ratings.get(), reason="已解决")
        with pytest.raises(PermissionDenied):
            services.appeal_decide(actor=re_handler, appeal=appeal, facts_true=True, reasonable=True, malicious=False, note="x")
        services.appeal_decide(actor=supervisor, appeal=appeal, facts_true=True, reasonable=True, malicious=False, note="差评属实")
    complaint.refresh_from_db()
    assert complaint.rating == "dissatisfied" and not complaint.ratings.get().excluded


def test_sign_off_required_by_the_department(dispatcher, realestate_dept, re_handler, re_leader):
    from complaints.models import DepartmentSetting

    DepartmentSetting.objects.create(department=realestate_dept, requires_sign_off=True)
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        reply = services.complaint_reply(actor=re_handler, complaint=complaint, body="初稿")
        assert _open_nodes(complaint) == ["sign_off"]
        services.complaint_reply_sign_off(actor=re_leader, reply=reply, approve=False, note="补充整改措施")
        assert _open_nodes(complaint) == ["handle"]
        reply = services.complaint_reply(actor=re_handler, complaint=complaint, body="修改稿")
        services.complaint_reply_sign_off(actor=re_leader, reply=reply, approve=True)
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.REVIEWING
        services.complaint_review_reply(actor=dispatcher, complaint=complaint, approve=False, note="答复未回应群众诉求")
        assert _open_nodes(complaint) == ["revise"]
        reply = services.complaint_reply(actor=re_handler, complaint=complaint, body="三稿")
        assert _open_nodes(complaint) == ["revise_sign_off"]
        services.complaint_reply_sign_off(actor=re_leader, reply=reply, approve=True)
        assert _open_nodes(complaint) == ["review"]


def test_return_window_and_improper_return_counted(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
    with at(2026, 3, 5, 9):  # more than 2 WD after dispatch
        with pytest.raises(ValidationError, match="退单期限"):
            services.dispatch_return(actor=re_handler, dispatch=complaint.dispatches.get(), reason="不归我们")


def test_leader_instruction_and_contact_reveal_are_audited(dispatcher, realestate_dept, re_handler, re_leader, handler):
    from workflow.models import CaseEvent

    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        services.complaint_instruct(actor=re_leader, complaint=complaint, text="请3日内办结并回访")
        with pytest.raises(PermissionDenied):
            services.complaint_instruct(actor=re_handler, complaint=complaint, text="x")
        details = services.complaint_reveal_contact(actor=re_handler, complaint=complaint, reason="需电话联系")
        assert details["citizen_phone"] == "13800001234"
        with pytest.raises(PermissionDenied):
            services.complaint_reveal_contact(actor=handler, complaint=complaint)
    types = list(CaseEvent.objects.filter(case_id=complaint.pk).values_list("type", flat=True))
    assert "instruction" in types and "contact_revealed" in types


def test_a_contact_cannot_predate_the_complaint(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        with pytest.raises(ValidationError, match="早于受理时间"):
            services.complaint_add_note(actor=re_handler, complaint=complaint, kind="contact", text="电话联系", mode="phone",
                                        contacted_at=dt.datetime(2026, 2, 27, 9, tzinfo=TZ))


def test_merged_citizens_hear_of_the_reply_but_never_get_the_targets_rating_link(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        target = f.handling(dispatcher, re_handler, realestate_dept)
        duplicate, _code = f.submit(phone="13900009999")
        services.complaint_merge(actor=dispatcher, complaint=duplicate, target=target)
        services.complaint_reply(actor=re_handler, complaint=target, body="答复")
        services.complaint_review_reply(actor=dispatcher, complaint=target, approve=True)
    to_duplicate = [m.text for m in sms.outbox if m.phone == "13900009999"]
    assert any("已答复" in t for t in to_duplicate)
    assert not any("/rate/" in t for t in to_duplicate)
    assert any("/rate/" in m.text for m in sms.outbox if m.phone == "13800001234")


def test_the_console_backend_never_logs_query_codes_or_link_tokens(caplog, settings):
    import logging

    settings.SMS_BACKEND = "workflow.sms.ConsoleBackend"
    with caplog.at_level(logging.INFO, logger="workflow.sms"):
        sms.send(phone="13800001234", text="查询码ABCD2345，链接 http://x/complaint/rate/tok-123/", secrets=("ABCD2345", "tok-123"))
    logged = caplog.text
    assert "ABCD2345" not in logged and "tok-123" not in logged and "13800001234" not in logged and "138****1234" in logged


@pytest.mark.parametrize("start,end,days", [
    ((2026, 3, 4, 9), (2026, 3, 4, 17), 1),      # part of one working day gives the day back
    ((2026, 3, 4, 17, 45), (2026, 3, 5, 8, 15), 0),  # overnight, outside office hours
    ((2026, 3, 6, 18), (2026, 3, 9, 8), 0),      # over a weekend
    ((2026, 3, 6, 16), (2026, 3, 9, 9), 2),      # Friday afternoon to Monday morning
])
def test_suspended_working_days_count_the_office_hours_covered(db, start, end, days):
    from complaints.services.handling import suspended_working_days

    assert suspended_working_days(dt.datetime(*start, tzinfo=TZ), dt.datetime(*end, tzinfo=TZ)) == days


def test_not_resolved_is_refused_at_the_follow_up_call_back(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_callback(actor=dispatcher, complaint=complaint, rating="dissatisfied", comment="没解决")
        services.complaint_rectify(actor=re_handler, complaint=complaint, report="已整改")
        with pytest.raises(ValidationError):
            services.complaint_callback(actor=dispatcher, complaint=complaint, not_resolved=True, comment="还是没解决")
        assert _open_nodes(complaint) == ["followup"]


def test_a_pending_extension_is_cancelled_by_the_reply_and_cannot_be_approved_late(dispatcher, realestate_dept, re_handler):
    from complaints.models import ComplaintExtension

    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        request = services.complaint_extension_request(actor=re_handler, complaint=complaint, requested_until=dt.date(2026, 3, 31), reason="需核实")
        services.complaint_reply(actor=re_handler, complaint=complaint, body="答复")
        assert ComplaintExtension.objects.get(pk=request.pk).status == ComplaintExtension.Status.REFUSED
        with pytest.raises(ValidationError):
            services.complaint_extension_decide(actor=dispatcher, request=request, approve=True)
    complaint.refresh_from_db()
    assert _local_date(complaint.deadline) == dt.date(2026, 3, 23)


def test_rectification_keeps_the_reply_time_for_the_ledger(dispatcher, realestate_dept, re_handler):
    from complaints import ledger

    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
    with at(2026, 3, 10, 9):  # rectification due 15 WD later: 31 March
        services.complaint_callback(actor=dispatcher, complaint=complaint, rating="dissatisfied", comment="没解决")
    with at(2026, 3, 25, 9):  # after the handling deadline (23 March), before the rectification's
        services.complaint_rectify(actor=re_handler, complaint=complaint, report="已整改")
        row = ledger.ledger_rows(ledger.ledger_queryset(user=dispatcher), user=dispatcher)[0]
    assert row.reply_on_time is True and row.rectify_on_time is True


def test_merging_follows_chains_and_refuses_answered_targets(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        a, _ = f.submit(phone="13900000001")
        b, _ = f.submit(phone="13900000002")
        c = f.handling(dispatcher, re_handler, realestate_dept, phone="13900000003")
        services.complaint_merge(actor=dispatcher, complaint=b, target=a)
        services.complaint_merge(actor=dispatcher, complaint=a, target=c)
        b.refresh_from_db()
        assert b.merged_into == c
        services.complaint_reply(actor=re_handler, complaint=c, body="答复")
        services.complaint_review_reply(actor=dispatcher, complaint=c, approve=True)
        assert any("已答复" in m.text for m in sms.outbox if m.phone == "13900000002")
        late, _ = f.submit(phone="13900000004")
        with pytest.raises(ValidationError):
            services.complaint_merge(actor=dispatcher, complaint=late, target=c)  # already replied


def test_an_improper_return_cannot_be_returned_again(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        dispatch = complaint.dispatches.get()
        services.dispatch_return(actor=re_handler, dispatch=dispatch, reason="不归我们")
        services.dispatch_return_decide(actor=dispatcher, dispatch=dispatch, accept=False, note="属本单位职责")
        with pytest.raises(ValidationError):
            services.dispatch_return(actor=re_handler, dispatch=dispatch, reason="还是不归我们")


def _png(name="photo.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_handlers_attach_files_to_their_records_checked_by_content(client, dispatcher, realestate_dept, re_handler):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints.models import Attachment

    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        client.force_login(re_handler)
        response = client.post(f"/complaints/{complaint.pk}/note/", {"kind": "finding", "text": "现场照片", "attachments": [_png()]})
        assert response.status_code == 302
        attachment = Attachment.objects.get()
        assert attachment.note.kind == "finding" and not attachment.is_public and attachment.uploaded_by == re_handler
        bad = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 64, content_type="image/jpeg")
        response = client.post(f"/complaints/{complaint.pk}/note/", {"kind": "note", "text": "再附一张", "attachments": [bad]})
        assert response.status_code == 200 and "不是允许的类型" in response.content.decode()
        assert Attachment.objects.count() == 1 and complaint.notes.count() == 1


def test_the_contact_after_a_bad_review_is_timed_for_the_ledger(dispatcher, realestate_dept, re_handler):
    from complaints import ledger

    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_callback(actor=dispatcher, complaint=complaint, rating="dissatisfied", comment="没解决")
    with at(2026, 3, 4, 10):  # 1 WD after the rating was 3 March
        services.complaint_add_note(actor=re_handler, complaint=complaint, kind="contact", text="电话致歉", mode="phone",
                                    contacted_at=dt.datetime(2026, 3, 4, 9, 30, tzinfo=TZ))
        row = ledger.ledger_rows(ledger.ledger_queryset(user=dispatcher), user=dispatcher)[0]
    assert row.contact_on_time is False
    complaint.refresh_from_db()
    assert complaint.contacted_after_bad_at is not None
