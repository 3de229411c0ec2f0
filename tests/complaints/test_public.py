"""The citizen's pages without an account: submit, similar and follow, track, rate."""
import io
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints import services
from complaints.models import Attachment, Category, Complaint
from tests.complaints import factories as f
from tests.factories import at
from workflow import sms

pytestmark = pytest.mark.django_db

SUBMIT = reverse("complaints_public:submit")
SUBMITTED = reverse("complaints_public:submitted")
TRACK = reverse("complaints_public:track")
SIMILAR = reverse("complaints_public:similar")


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


def _form(**overrides) -> dict:
    category = Category.objects.get(code="window_service")
    data = {
        "kind": "complaint", "category": str(category.pk), "title": "窗口不一次性告知所需材料",
        "description": "到区政务服务中心办理不动产过户，窗口每次只说一部分材料，跑了三次。",
        "hall": "区政务服务中心", "window": "3号窗口", "address": "", "latitude": "", "longitude": "",
        "occurred_at": "2026-02-27T10:30", "citizen_name": "张三", "citizen_phone": "13800001234", "citizen_email": "",
        f"c{category.pk}-answer_window_number": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _png(name="photo.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _pdf(name="letter.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _code_from_sms(complaint) -> str:
    for message in sms.outbox:
        if complaint.number in message.text and "查询码" in message.text:
            return re.search(r"查询码([0-9A-Z]{8})", message.text).group(1)
    raise AssertionError("no receipt text message")


def _normalise(html: str) -> str:
    """Page bytes without the per-response CSRF masks."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


# --- submit ------------------------------------------------------------------------------------
def test_form_shows_without_login_with_limits(client, settings):
    settings.COMPLAINT_ATTACHMENT_MAX_FILES = 4
    response = client.get(SUBMIT)
    assert response.status_code == 200
    body = response.content.decode()
    assert "最多4个" in body and "10 MB" in body
    assert "留下电话才能收到" in body
    # every category's extra questions, grouped under the category name
    assert 'data-testid="questions-window_service"' in body and "窗口号" in body
    assert 'data-testid="questions-self_service"' in body


def test_submit_shows_number_and_code_once_and_texts_the_code(client):
    with at(2026, 3, 2, 9):
        response = client.post(SUBMIT, _form())
        assert response.status_code == 302 and response.url == SUBMITTED
        complaint = Complaint.objects.get()
        assert complaint.channel == "web" and complaint.answers == {"window_number": "3"}
        assert complaint.hall == "区政务服务中心" and complaint.occurred_at is not None
        code = _code_from_sms(complaint)
        assert code not in response.url
        page = client.get(SUBMITTED)
        body = page.content.decode()
        assert page.status_code == 200
        assert complaint.number in body and code in body
        assert 'data-testid="dispatch-due"' in body and reverse("complaints_public:track") in body
        again = client.get(SUBMITTED).content.decode()
        assert code not in again and complaint.number not in again
        assert 'data-testid="already-shown"' in again


def test_anonymous_submit_without_phone_is_told_no_sms(client):
    with at(2026, 3, 2, 9):
        client.post(SUBMIT, _form(citizen_phone="", citizen_name=""))
        complaint = Complaint.objects.get()
        assert complaint.citizen_phone == "" and sms.outbox == []
        body = client.get(SUBMITTED).content.decode()
        assert "不会收到短信" in body


def test_bad_fields_show_every_error_and_save_nothing(client):
    with at(2026, 3, 2, 9):
        category = Category.objects.get(code="window_service")
        response = client.post(SUBMIT, _form(
            title="", description="", hall="", window="", citizen_phone="abc", citizen_email="not-an-email",
            **{f"c{category.pk}-answer_window_number": ""},
        ))
        assert response.status_code == 200
        body = response.content.decode()
        for field in ("title", "description", "address", "citizen_phone", "citizen_email", "answer_window_number"):
            assert f'data-testid="error-{field}"' in body, field
        assert "请用一句话概括您的诉求" in body and "电话号码格式不正确" in body and "请填写“窗口号”" in body
        assert Complaint.objects.count() == 0


def test_form_level_error_still_shows_the_service_errors(client):
    """A value the form cannot read (a bad latitude, a future time) does not hide the others."""
    with at(2026, 3, 2, 9):
        response = client.post(SUBMIT, _form(title="", latitude="north", longitude="104.1", occurred_at="2026-05-01T10:00"))
        body = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="error-latitude"' in body and 'data-testid="error-occurred_at"' in body
        assert 'data-testid="error-title"' in body
        assert Complaint.objects.count() == 0
        assert sms.outbox == []


def test_missing_kind_and_category(client):
    with at(2026, 3, 2, 9):
        response = client.post(SUBMIT, _form(kind="", category=""))
        body = response.content.decode()
        assert "请选择诉求类型" in body and "请选择类别" in body
        assert Complaint.objects.count() == 0


def test_category_question_required_only_for_the_chosen_category(client):
    with at(2026, 3, 2, 9):
        window = Category.objects.get(code="window_service")
        response = client.post(SUBMIT, _form(**{f"c{window.pk}-answer_window_number": ""}))
        assert response.status_code == 200 and 'data-testid="error-answer_window_number"' in response.content.decode()
        assert Complaint.objects.count() == 0
        # another category that also asks a window number, not required there: the window_service input is ignored
        conduct = Category.objects.get(code="staff_conduct")
        response = client.post(SUBMIT, _form(category=str(conduct.pk), **{f"c{conduct.pk}-answer_window_number": "7"}))
        assert response.status_code == 302
        assert Complaint.objects.get().answers == {"window_number": "7"}


@pytest.mark.parametrize("upload, message", [
    (lambda: SimpleUploadedFile("notes.txt", b"just some text", content_type="text/plain"), "不是允许的类型"),
    (lambda: SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, content_type="image/jpeg"), "不是允许的类型"),
])
def test_bad_uploads_are_refused_and_nothing_is_saved(client, upload, message):
    with at(2026, 3, 2, 9):
        response = client.post(SUBMIT, {**_form(), "attachments": [upload()]})
        body = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="error-attachments"' in body and message in body
        assert 'data-testid="files-again"' in body
        assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0


def test_too_large_upload_is_refused(client, settings):
    settings.COMPLAINT_ATTACHMENT_MAX_BYTES = 50
    with at(2026, 3, 2, 9):
        response = client.post(SUBMIT, {**_form(), "attachments": [_png()]})
        body = response.content.decode()
        assert response.status_code == 200 and "超过" in body and 'data-testid="error-attachments"' in body
        assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0


def test_too_many_uploads_are_refused(client, settings):
    settings.COMPLAINT_ATTACHMENT_MAX_FILES = 1
    with at(2026, 3, 2, 9):
        response = client.post(SUBMIT, {**_form(), "attachments": [_png("a.png"), _png("b.png")]})
        assert "最多上传1个附件" in response.content.decode()
        assert Complaint.objects.count() == 0


def test_real_png_and_pdf_are_accepted(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with at(2026, 3, 2, 9):
        response = client.post(SUBMIT, {**_form(), "attachments": [_png(), _pdf()]})
        assert response.status_code == 302
        complaint = Complaint.objects.get()
        assert sorted(a.content_type for a in complaint.attachments.all()) == ["application/pdf", "image/png"]
        assert all("photo" not in a.file.name for a in complaint.attachments.all())


# --- similar and follow ----------------------------------------------------------------------
def test_similar_lists_open_complaints_at_the_same_hall_only(client, dispatcher):
    with at(2026, 3, 2, 9):
        open_one, _code = f.submit()
        closed, _code = f.submit(title="窗口工作人员不一次性告知所需材料（旧）")
        services.complaint_not_accept(actor=dispatcher, complaint=closed, reason=_reason())
        elsewhere, _code = f.submit(hall="区医保服务大厅")
        response = client.get(SIMILAR, {"text": f.SEED_PROBLEM["title"] + " 跑了三次", "hall": f.SEED_PROBLEM["hall"], "address": ""})
        body = response.content.decode()
        assert response.status_code == 200
        assert open_one.number in body and open_one.title in body and "待派单" in body
        assert closed.number not in body and elsewhere.number not in body
        assert "示例群众" not in body and "13800001234" not in body
        assert reverse("complaints_public:follow", args=[open_one.number]) in body
        # posted by the page (the text stays out of the URL): same answer
        posted = client.post(SIMILAR, {"title": f.SEED_PROBLEM["title"], "description": "跑了三次", "hall": f.SEED_PROBLEM["hall"]})
        assert open_one.number in posted.content.decode()


def test_similar_needs_a_place(client):
    with at(2026, 3, 2, 9):
        f.submit()
        response = client.get(SIMILAR, {"text": f.SEED_PROBLEM["title"]})
        assert response.status_code == 200 and 'data-testid="similar"' not in response.content.decode()


def _reason():
    from complaints.models import NotAcceptedReason

    return NotAcceptedReason.objects.get(code="repeat")


def test_follow_increments_followers_and_thanks(client):
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        response = client.post(reverse("complaints_public:follow", args=[complaint.number]))
        assert response.status_code == 302 and response.url == SUBMITTED
        complaint.refresh_from_db()
        assert complaint.followers_count == 1
        body = client.get(SUBMITTED).content.decode()
        assert "已为该诉求增加关注" in body and complaint.number in body and code not in body


def test_follow_refuses_an_ended_complaint_and_get(client, dispatcher):
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        services.complaint_not_accept(actor=dispatcher, complaint=complaint, reason=_reason())
        url = reverse("complaints_public:follow", args=[complaint.number])
        assert client.get(url).status_code == 405
        response = client.post(url, follow=True)
        assert "已办结" in response.content.decode()
        complaint.refresh_from_db()
        assert complaint.followers_count == 0


# --- track -------------------------------------------------------------------------------------
def test_track_shows_progress_and_then_the_reply(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        response = client.post(TRACK, {"number": complaint.number.lower(), "code": code.lower()})
        body = response.content.decode()
        assert response.status_code == 200
        assert "待派单" in body and "受理" in body and 'data-testid="reply"' not in body
        assert "示例群众" not in body and "13800001234" not in body
        assert 'data-testid="has-phone"' in body
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        code = _code_from_sms(complaint)
        body = client.post(TRACK, {"number": complaint.number, "code": code}).content.decode()
        assert "已答复待回访" in body and "经核实，已对窗口工作人员批评教育" in body
        assert "派单" in body and "承办单位签收" in body and "区不动产登记中心" in body
        assert "dispatcher" not in body and "re_handler" not in body
        assert "区不动产登记中心；区不动产登记中心" not in body
        assert "答复审核通过" not in body  # internal event


def test_track_unknown_number_and_wrong_code_look_the_same(client):
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        wrong = client.post(TRACK, {"number": complaint.number, "code": "ZZZZZZZZ"})
        unknown = client.post(TRACK, {"number": "TS2026999999", "code": code})
        assert wrong.status_code == unknown.status_code == 200
        assert wrong.templates[0].name == unknown.templates[0].name
        assert "编号或查询码不正确" in wrong.content.decode()
        assert _normalise(wrong.content.decode()).replace(complaint.number, "N") == _normalise(unknown.content.decode()).replace("TS2026999999", "N")


def test_track_is_throttled_after_too_many_wrong_guesses(client, settings):
    settings.COMPLAINT_LOOKUP_MAX_FAILURES = 5
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        for _i in range(5):
            assert client.post(TRACK, {"number": complaint.number, "code": "WRONG234"}).status_code == 200
        response = client.post(TRACK, {"number": complaint.number, "code": code})
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "尝试次数过多" in response.content.decode()
        assert "待派单" not in response.content.decode()


def test_track_success_does_not_reset_the_count(client, settings):
    """Otherwise one valid code would let anyone clear the counter before every wrong guess."""
    settings.COMPLAINT_LOOKUP_MAX_FAILURES = 3
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        for _i in range(2):
            client.post(TRACK, {"number": complaint.number, "code": "WRONG234"})
        assert client.post(TRACK, {"number": complaint.number, "code": code}).status_code == 200
        assert client.post(TRACK, {"number": complaint.number, "code": "WRONG234"}).status_code == 200
        assert client.post(TRACK, {"number": complaint.number, "code": "WRONG234"}).status_code == 429


def test_track_never_redirects_with_the_code(client):
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        response = client.post(TRACK, {"number": complaint.number, "code": code})
        assert response.status_code == 200 and not response.has_header("Location")
        assert client.get(TRACK).status_code == 200
        assert 'method="post"' in client.get(TRACK).content.decode()


def test_track_shows_the_not_accepted_reason_and_where_to_go(client, dispatcher):
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        services.complaint_not_accept(actor=dispatcher, complaint=complaint, reason=_reason())
        body = client.post(TRACK, {"number": complaint.number, "code": code}).content.decode()
        assert "不予受理" in body and "重复投诉且无新的事实和理由" in body and "可凭编号查询答复" in body


# --- rate -----------------------------------------------------------------------------------------
def _rate_url(complaint) -> str:
    return reverse("complaints_public:rate", args=[f.last_link_token(complaint)])


def test_rate_link_rates_and_closes(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        url = _rate_url(complaint)
        page = client.get(url)
        body = page.content.decode()
        assert page.status_code == 200
        assert "经核实，已对窗口工作人员批评教育" in body and "非常满意" in body and "非常不满意" in body
        assert 'data-testid="not-resolved"' in body
        response = client.post(url, {"action": "rate", "rating": "satisfied", "indicator_overall": "satisfied", "indicator_attitude": "very_satisfied", "comment": ""})
        assert response.status_code == 302 and response.url == TRACK
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.CLOSED and complaint.rating == "satisfied"
        assert complaint.ratings.get().indicators == {"overall": "satisfied", "attitude": "very_satisfied"}
        used = client.get(url)
        assert used.status_code == 200 and "链接无效、已使用或已过期" in used.content.decode()


def test_used_unknown_and_expired_links_get_the_same_page(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        token = f.last_link_token(complaint)
        services.complaint_rate_by_link(token=token, rating="satisfied")
        used = client.get(reverse("complaints_public:rate", args=[token]))
        unknown = client.get(reverse("complaints_public:rate", args=["x" * 32]))
    assert used.status_code == unknown.status_code == 200
    assert _normalise(used.content.decode()).replace(token, "T") == _normalise(unknown.content.decode()).replace("x" * 32, "T")


def test_expired_link_is_the_generic_page(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        url = _rate_url(complaint)
    with at(2026, 6, 1, 9):
        response = client.get(url)
        assert response.status_code == 200 and 'data-testid="link-invalid"' in response.content.decode()


def test_bad_rating_needs_a_comment(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        url = _rate_url(complaint)
        response = client.post(url, {"action": "rate", "rating": "dissatisfied", "comment": ""})
        body = response.content.decode()
        assert response.status_code == 200 and 'data-testid="error-comment"' in body and "请说明不满意的原因" in body
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.REPLIED and complaint.ratings.count() == 0
        assert 'data-testid="error-rating"' in client.post(url, {"action": "rate", "rating": ""}).content.decode()
        response = client.post(url, {"action": "rate", "rating": "dissatisfied", "comment": "材料清单还是没有公示"})
        assert response.status_code == 302
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.RECTIFYING


def test_not_resolved_reopens(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        url = _rate_url(complaint)
        response = client.post(url, {"action": "not_resolved", "reason": ""})
        assert response.status_code == 200 and "请说明哪些问题没有解决" in response.content.decode()
        response = client.post(url, {"action": "not_resolved", "reason": "第三次去还是没有一次性告知"})
        assert response.status_code == 302
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.HANDLING and complaint.handling_round == 2
        assert 'data-testid="link-invalid"' in client.get(url).content.decode()


def test_followup_link_offers_no_not_resolved(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_rate_by_link(token=f.last_link_token(complaint), rating="dissatisfied", comment="没解决")
        services.complaint_rectify(actor=re_handler, complaint=Complaint.objects.get(pk=complaint.pk), report="已制作一次性告知单并上墙公示。")
        url = _rate_url(complaint)
        body = client.get(url).content.decode()
        assert "已制作一次性告知单并上墙公示" in body and 'data-testid="not-resolved"' not in body
        response = client.post(url, {"action": "not_resolved", "reason": "还是没解决"})
        assert response.status_code == 200 and "只能用于评价" in response.content.decode()
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.REPLIED and complaint.handling_round == 2


def test_rate_guesses_are_throttled(client, settings):
    settings.COMPLAINT_LOOKUP_MAX_FAILURES = 3
    for i in range(3):
        assert client.get(reverse("complaints_public:rate", args=[f"guess{i}"])).status_code == 200
    response = client.get(reverse("complaints_public:rate", args=["guess9"]))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_nav_links_for_anonymous(client):
    body = client.get(TRACK).content.decode()
    assert 'data-nav="complaints_public:submit"' in body and 'data-nav="complaints_public:track"' in body
    assert 'data-nav="complaints_public:track" aria-current="page"' in body


def test_track_a_merged_complaint_shows_the_case_it_follows(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        target = f.handling(dispatcher, re_handler, realestate_dept)
        mine, code = f.submit(phone="13900005678")
        services.complaint_merge(actor=dispatcher, complaint=mine, target=target)
        services.complaint_reply(actor=re_handler, complaint=target, body="经核实，已对窗口工作人员批评教育，实行一次性告知制度。")
        services.complaint_review_reply(actor=dispatcher, complaint=target, approve=True)
        body = client.post(TRACK, {"number": mine.number, "code": code}).content.decode()
        assert 'data-testid="merged"' in body and target.number in body
        assert "经核实，已对窗口工作人员批评教育" in body and "已答复待回访" in body


def test_track_a_split_complaint_lists_its_parts(client, dispatcher):
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        category = Category.objects.get(code="other")
        parts = services.complaint_split(actor=dispatcher, complaint=complaint, parts=[
            {"title": "一次性告知", "description": "窗口不一次性告知", "category": category},
            {"title": "叫号机故障", "description": "叫号机不出号", "category": category},
        ])
        body = client.post(TRACK, {"number": complaint.number, "code": code}).content.decode()
        assert 'data-testid="split"' in body and all(p.number in body for p in parts)
        # each part is tracked with the same code
        assert client.post(TRACK, {"number": parts[0].number, "code": code}).status_code == 200
        assert "一次性告知" in client.post(TRACK, {"number": parts[0].number, "code": code}).content.decode()


def test_only_a_form_level_error_saves_nothing(client, settings, tmp_path):
    """The service's check runs for the other fields and is rolled back: no case, no number used, no file."""
    settings.MEDIA_ROOT = tmp_path
    with at(2026, 3, 2, 9):
        response = client.post(SUBMIT, {**_form(occurred_at="2026-05-01T10:00"), "attachments": [_png()]})
        body = response.content.decode()
        assert response.status_code == 200 and 'data-testid="error-occurred_at"' in body
        assert 'data-testid="error-title"' not in body
        assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0
        assert not any(tmp_path.rglob("*.png"))
        assert client.post(SUBMIT, _form()).status_code == 302
        assert Complaint.objects.get().number == "TS2026000001"


def test_following_is_throttled_per_address(client, settings):
    from django.core.cache import cache

    from complaints.models import Complaint

    cache.clear()
    settings.COMPLAINT_LOOKUP_MAX_FAILURES = 2
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        for _ in range(4):
            client.post(f"/complaint/{complaint.number}/follow/")
    assert Complaint.objects.get(pk=complaint.pk).followers_count == 2


def test_public_filings_are_limited_per_address_and_per_phone(client, settings):
    settings.COMPLAINT_SUBMIT_MAX_PER_WINDOW = 2
    category = Category.objects.get(code="staff_conduct")
    data = {"kind": "complaint", "category": category.pk, "title": "窗口无人", "description": "9点半窗口无人", "hall": "区政务服务中心",
            "citizen_phone": "13911112222"}
    with at(2026, 3, 2, 9):
        statuses = [client.post("/complaint/", data).status_code for _ in range(3)]
    assert statuses == [302, 302, 429] and Complaint.objects.count() == 2


def test_lookup_guesses_spread_over_addresses_stop_at_the_case_numbers_limit(client, settings):
    settings.COMPLAINT_LOOKUP_MAX_FAILURES = 2  # per address; a case number takes 4 times as many
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        statuses = [
            client.post(TRACK, {"number": complaint.number, "code": "WRONG234"}, REMOTE_ADDR=f"10.0.0.{i}").status_code
            for i in range(9)
        ]
    assert statuses[:8] == [200] * 8 and statuses[8] == 429


def test_similar_compares_only_the_opening_of_long_texts_and_masks_titles(client, dispatcher):
    import time

    with at(2026, 3, 2, 9):
        complaint, _code = f.submit(title="请回电13912345678窗口不一次性告知", description="窗口不一次性告知" * 600)
        started = time.monotonic()
        body = client.post(reverse("complaints_public:similar"), {"text": "窗口不一次性告知" * 120, "hall": f.SEED_PROBLEM["hall"]}).content.decode()
        assert time.monotonic() - started < 2
    assert complaint.number in body and "13912345678" not in body


@pytest.mark.parametrize("field,value", [
    ("latitude", "1e30"), ("occurred_at", "0001-01-01T00:00"), ("citizen_email", "a" * 300 + "@example.org"),
])
def test_out_of_range_values_are_form_errors_not_server_errors(client, field, value):
    category = Category.objects.get(code="staff_conduct")
    data = {"kind": "complaint", "category": category.pk, "title": "窗口无人", "description": "9点半窗口无人", "hall": "区政务服务中心",
            "longitude": "105.9" if field == "latitude" else "", field: value}
    with at(2026, 3, 2, 9):
        response = client.post("/complaint/", data)
    assert response.status_code == 200 and Complaint.objects.count() == 0
