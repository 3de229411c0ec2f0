"""The supervision notice (督办通知单) about an urging notice, on the produced PDF:
issuer and number from the supervising unit's series, the case, the step, the
deadline, the working days overdue, what is required and by when; who may download it."""
import datetime as dt

import pytest
from django.urls import reverse

from tests.documents import pdf
from tests.factories import TZ, UserFactory, at
from tests.proposals import factories as pf
from workflow import documents
from workflow.models import BreachRecord, DocumentNumber, UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(office_user, member, approval_dept, handler, supervision_dept):
    with at(2026, 3, 2, 9):
        pf.assigned(lead=approval_dept, supervising_unit=supervision_dept, title="关于优化营商环境的建议")
    supervision_sweep(now=dt.datetime(2026, 3, 6, 10, tzinfo=TZ))
    return UrgingNotice.objects.get()


def _text(content: bytes) -> str:
    return "".join(line.text for line in pdf.lines(content)).replace(" ", "")


def test_the_notice_names_the_case_the_step_the_delay_and_what_is_required(notice, handler, supervision_dept, approval_dept):
    supervision_dept.doc_number_prefix = "朝"
    supervision_dept.save()
    with at(2026, 3, 10, 9):
        doc = documents.document_issue(actor=handler, case=notice, kind="supervision_notice")
    content = documents.document_read(doc)
    pdf.keep(content, "supervision_notice")
    lines = pdf.lines(content)
    assert lines[0].text == "区政府督查室"  # the supervising unit issues it, in red at the head
    text = _text(content)
    for part in ("督办通知单", "朝督〔2026〕1号", "广元市朝天区行政审批和数据局：", "关于优化营商环境的建议", "签收",
                 "2026年3月5日", "已逾期3个工作日", "2026年3月11日前办结", "特此通知。", "未签收"):
        assert part in text, part
    assert pdf.page_sizes_mm(content)[0] == (210.0, 297.0)
    assert all(font["embedded"] for font in pdf.fonts(content).values())
    body = [line for line in lines if line.page == 1 and line.text.startswith("你单位")]
    assert body and abs(body[0].x0 - (pdf.BLOCK_LEFT + 11.1)) < 1.5  # indented two characters in the text block
    assert all(line.x1 <= pdf.BLOCK_RIGHT + 0.5 for line in lines if line.page == 1)
    assert doc.sha256 and doc.version == 1 and doc.size == len(content) and doc.pages == 1  # signature on page one
    # the number is drawn once: later versions carry the same one
    with at(2026, 3, 12, 9):
        later = documents.document_issue(actor=handler, case=notice, kind="supervision_notice")
    assert later.version == 2 and "已逾期5个工作日" in _text(documents.document_read(later))
    assert DocumentNumber.objects.get().number == "朝督〔2026〕1号"


def test_a_breach_record_and_a_done_step_are_said(notice, handler):
    BreachRecord.objects.create(
        task_type=notice.task_type, task_id=notice.task_id, case_type=notice.case_type, case_id=notice.case_id,
        department=notice.department, step=notice.step, deadline=notice.deadline, working_days_late=5,
        created_at=dt.datetime(2026, 3, 12, 10, tzinfo=TZ),
    )
    task = notice.task
    task.finished = dt.datetime(2026, 3, 13, 15, tzinfo=TZ)
    task.save(update_fields=["finished"])
    with at(2026, 3, 20, 9):
        text = _text(documents.document_read(documents.document_issue(actor=handler, case=notice, kind="supervision_notice")))
    assert "已于2026年3月13日办结，逾期6个工作日" in text and "已记入违诺记录" in text and "严重逾期" in text


def test_the_department_and_supervisors_download_it_others_do_not(client, notice, handler, dept_leader, supervisor, office_user, other_handler, member):
    url = reverse("document-pdf", args=["supervision_notice", notice.pk])
    for user in (handler, dept_leader, supervisor, office_user):
        client.force_login(user)
        with at(2026, 3, 10, 9):
            response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", user
    unscoped_supervisor = UserFactory(username="sv2", roles=[(other_handler.memberships.first().department, "supervisor")])
    for user in (other_handler, member, unscoped_supervisor):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
    client.logout()
    assert client.get(url).status_code == 302  # sent to sign in


def test_the_urging_page_and_the_case_page_link_it(client, notice, handler, supervisor, other_handler):
    url = reverse("document-pdf", args=["supervision_notice", notice.pk])
    client.force_login(handler)
    assert url in client.get(reverse("supervision-urging")).content.decode()
    assert url in client.get(notice.case.get_absolute_url()).content.decode()
    client.force_login(supervisor)
    assert url in client.get(notice.case.get_absolute_url()).content.decode()
