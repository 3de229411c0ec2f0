"""The citizen downloads the reply notice (答复告知书) from the public progress page,
after entering the case number and query code; redacted as the page is. Nobody else
can: no code, a wrong code, another case."""
import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, HandlingNote
from tests.complaints import factories
from tests.complaints.conftest import _sms_outbox  # noqa: F401  (text messages kept in an outbox)
from tests.documents import pdf
from workflow.models import GeneratedDocument

pytestmark = pytest.mark.django_db

TRACK = reverse("complaints_public:track")


def _replied(dispatcher, handler, department, **fields) -> tuple[Complaint, str]:
    complaint, code = factories.submit(**fields)
    services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=department, co_departments=[])
    services.dispatch_sign(actor=handler, dispatch=complaint.dispatches.get(department=department))
    HandlingNote.objects.create(complaint=complaint, kind=HandlingNote.Kind.FINDING, text="内部核查：涉及工作人员张某某。", author=handler, created_at=timezone.now())
    services.complaint_reply(actor=handler, complaint=Complaint.objects.get(pk=complaint.pk), body="经核实，已对窗口工作人员批评教育，实行一次性告知制度。")
    services.complaint_review_reply(actor=dispatcher, complaint=Complaint.objects.get(pk=complaint.pk), approve=True)
    return Complaint.objects.get(pk=complaint.pk), code


@pytest.fixture
def replied(dispatcher, re_handler, realestate_dept):
    realestate_dept.contact_person, realestate_dept.contact_phone = "李科长", "0839-8622340"
    realestate_dept.save()
    return _replied(dispatcher, re_handler, realestate_dept)


def test_the_citizen_downloads_the_redacted_notice_after_looking_the_case_up(client, replied):
    complaint, code = replied
    url = reverse("complaints_public:reply_notice", args=[complaint.number])
    page = client.post(TRACK, {"number": complaint.number, "code": code}).content.decode()
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and "no-store" in response["Cache-Control"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    pdf.keep(content, "citizen_notice")
    text = "".join(line.text for line in pdf.lines(content)).replace(" ", "")
    assert "答复告知书" in text and complaint.number in text and "经核实，已对窗口工作人员批评教育" in text
    assert "示***：" in text  # the name masked
    assert "示例群众" not in text and "13800001234" not in text
    assert "李科长" not in text and "张某某" not in text and "0839-8622340" in text  # the department's phone, no staff name, no notes
    assert all(font["embedded"] for font in pdf.fonts(content).values())
    # stored like every document (SHA-256, version); a second download serves the same version
    assert client.get(url).status_code == 200
    doc = GeneratedDocument.objects.get(kind="complaint_reply_notice_public")
    assert doc.version == 1 and doc.generated_by is None and len(doc.sha256) == 64


def test_no_code_a_wrong_code_or_another_case_is_refused(client, replied, dispatcher, re_handler, realestate_dept):
    complaint, code = replied
    other, other_code = _replied(dispatcher, re_handler, realestate_dept, title="另一件诉求")
    url = reverse("complaints_public:reply_notice", args=[complaint.number])
    assert client.get(url).status_code == 403  # no code entered
    client.post(TRACK, {"number": complaint.number, "code": "WRONG123"})
    assert client.get(url).status_code == 403  # a wrong code
    client.post(TRACK, {"number": other.number, "code": other_code})
    assert client.get(url).status_code == 403  # looked up another case
    assert client.get(reverse("complaints_public:reply_notice", args=[other.number])).status_code == 200
    assert client.get(reverse("complaints_public:reply_notice", args=["NOPE"])).status_code == 403  # unknown: the same answer
    assert not GeneratedDocument.objects.filter(object_id=complaint.replies.get().pk, kind="complaint_reply_notice_public").exists()
    # the staff route never serves the citizen's copy
    client.force_login(dispatcher)
    assert client.get(f"/documents/complaint_reply_notice_public/{complaint.replies.get().pk}/pdf/").status_code == 403


def test_not_before_the_reply(client, dispatcher, realestate_dept):
    complaint, code = factories.submit()
    client.post(TRACK, {"number": complaint.number, "code": code})
    assert client.get(reverse("complaints_public:reply_notice", args=[complaint.number])).status_code == 404


def test_a_merged_complaint_gets_no_letter_addressed_to_the_other_citizen(client, dispatcher, re_handler, realestate_dept):
    # given a complaint merged into another one that was then answered
    target = factories.handling(dispatcher, re_handler, realestate_dept)
    duplicate, code = factories.submit(phone="13900009999")
    services.complaint_merge(actor=dispatcher, complaint=duplicate, target=target)
    services.complaint_reply(actor=re_handler, complaint=Complaint.objects.get(pk=target.pk), body="经核实，已整改。")
    services.complaint_review_reply(actor=dispatcher, complaint=Complaint.objects.get(pk=target.pk), approve=True)
    # when its citizen looks it up: the shared reply is on the page, but no letter to download
    page = client.post(TRACK, {"number": duplicate.number, "code": code}).content.decode()
    url = reverse("complaints_public:reply_notice", args=[duplicate.number])
    assert url not in page
    assert client.get(url).status_code == 404
