"""The complaint's reply notice (答复告知书) and closure record, on the produced PDFs."""
import pytest

from complaints import services
from complaints.models import Complaint
from workflow import documents
from tests.complaints import factories
from tests.complaints.conftest import _sms_outbox  # noqa: F401  (text messages kept in an outbox)
from tests.documents import pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(dispatcher, re_handler, realestate_dept) -> Complaint:
    c = factories.replied(dispatcher, re_handler, realestate_dept)
    Complaint.objects.filter(pk=c.pk).update(citizen_name="王䶮")  # a name with a rare character (Ext A)
    c.refresh_from_db()
    services.complaint_callback(actor=dispatcher, complaint=c, rating="dissatisfied", comment="窗口人员仍未一次性告知。")
    return Complaint.objects.get(pk=c.pk)


def test_closure_record_masks_the_citizen_and_has_every_step(client, complaint, re_handler, dispatcher, other_handler):
    doc = documents.document_issue(actor=re_handler, case=complaint, kind="complaint_closure")
    content = documents.document_read(doc)
    text = "".join(line.text for line in pdf.lines(content)).replace(" ", "") + "".join(pdf.table_cells(content))
    for part in (complaint.number, "网上提交", "窗口工作人员不一次性告知所需材料", "王*", "广元市朝天区不动产登记中心",
                 "经核实，已对窗口工作人员批评教育，实行一次性告知制度。", "不满意（差评）", "窗口人员仍未一次性告知。", "受理", "派单", "签收"):
        assert part in text, part
    assert "王䶮" not in text and "13800001234" not in text
    assert all(font["embedded"] for font in pdf.fonts(content).values())
    # staff who may view the case download it from the case page; another department may not
    client.force_login(re_handler)
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert f"/documents/complaint_closure/{complaint.pk}/pdf/" in page
    assert client.get(f"/documents/complaint_closure/{complaint.pk}/pdf/").status_code == 200
    client.force_login(other_handler)
    assert client.get(f"/documents/complaint_closure/{complaint.pk}/pdf/").status_code == 403


def test_reply_notice_is_the_citizens_own_letter(client, complaint, dispatcher, re_handler):
    reply = complaint.replies.get()
    doc = documents.document_issue(actor=dispatcher, case=reply, kind="complaint_reply_notice")
    content = documents.document_read(doc)
    all_lines = pdf.lines(content)
    text = [line.text for line in all_lines]
    assert text[0] == "广元市朝天区不动产登记中心" and "答复告知书" in text
    assert "王䶮：" in text  # the citizen's own name on their own notice (a rare character, not tofu)
    joined = "".join(text)
    assert complaint.number in joined and "经核实，已对窗口工作人员批评教育，实行一次性告知制度。" in joined
    assert "13800001234" not in joined
    # the hotline (who sends it) downloads it; the department, which sees the name masked, does not
    client.force_login(dispatcher)
    assert client.get(f"/documents/complaint_reply_notice/{reply.pk}/pdf/").status_code == 200
    client.force_login(re_handler)
    assert client.get(f"/documents/complaint_reply_notice/{reply.pk}/pdf/").status_code == 403
    assert f"/documents/complaint_reply_notice/{reply.pk}/pdf/" not in client.get(f"/complaints/{complaint.pk}/").content.decode()
