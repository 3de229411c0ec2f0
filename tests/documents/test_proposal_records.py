"""The co-handler opinion (会办意见) and the proposal's closure record, on the produced PDFs."""
import re

import pytest

from proposals.models import Assignment
from workflow import documents
from tests.documents import pdf
from tests.documents.conftest import SEED_DATES
from tests.proposals import factories

pytestmark = pytest.mark.django_db


def test_closure_record_has_every_step_of_the_case(client, seed_proposal, member, other_handler, handler):
    # given the seed case rated and closed
    p = factories.closed(seed_proposal, comment="办理认真，沟通及时。", implementation_grade="A", **SEED_DATES)
    doc = documents.document_issue(actor=handler, case=p, kind="proposal_closure")
    content = documents.document_read(doc)
    all_lines = pdf.lines(content)
    text = "".join(line.text for line in all_lines).replace(" ", "")
    cells = pdf.table_cells(content)
    text += "".join(cells)
    for part in ("提案办理情况记录", "2019年度第28号", "关于加快“最多跑一次”改革向纵深推进的建议", "广元市朝天区行政审批和数据局（单独办理）",
                 "朝审函〔2019〕1号", "A所提问题已经解决或采纳", "已通过", "满意", "办理认真，沟通及时。", "A全部或主要问题已解决",
                 "2019年5月5日", "2019年10月28日", "2019年11月20日", "区政府督查室"):
        assert part in text, part
    assert next(line for line in all_lines if line.text == "提案办理情况记录").sizes == {22.0}
    assert set(pdf.page_sizes_mm(content)) == {(210.0, 297.0)}
    numbers = [line for line in all_lines if re.fullmatch(r"— \d+ —", line.text)]
    assert numbers[0].page == 1 and abs(numbers[0].x1 - (pdf.BLOCK_RIGHT - 14 / pdf.MM)) < 0.5  # a record numbers page one
    assert all(font["embedded"] for font in pdf.fonts(content).values())
    # the member may download it, another department may not
    client.force_login(member)
    assert client.get(f"/documents/proposal_closure/{p.pk}/pdf/").status_code == 200
    client.force_login(other_handler)
    assert client.get(f"/documents/proposal_closure/{p.pk}/pdf/").status_code == 403


def test_no_closure_record_while_handling(seed_proposal, office_user):
    assert not documents.document_can_download(user=office_user, case=seed_proposal, kind="proposal_closure")


def test_co_handler_opinion_in_the_letter_format(client, session, member, office_user, handler, dept_leader, approval_dept, hrss_dept, other_handler, supervision_dept, office_dept):
    from tests.factories import UserFactory
    from proposals.roles import Role

    UserFactory(username="leader_hrss", roles=[(hrss_dept, Role.DEPT_LEADER)])
    p = factories.reply_drafted(number=34, lead=approval_dept, co_handlers=[hrss_dept], opinion="一、同意主办单位意见。\n（一）人社部门将加强窗口人员培训。", **SEED_DATES)
    co = Assignment.objects.get(proposal=p, department=hrss_dept)
    doc = documents.document_issue(actor=other_handler, case=co, kind="proposal_opinion")
    content = documents.document_read(doc)
    all_lines = pdf.lines(content)
    text = [line.text for line in all_lines]
    assert text[0] == "广元市朝天区人力资源和社会保障局"  # the co-handler's name in red, no class mark
    title = [line for line in all_lines if line.sizes == {22.0}]
    assert "".join(line.text for line in title) == "关于政协六届四次会议第34号提案的会办意见"
    assert len(title) == 2 and min(len(line.text) for line in title) >= 5  # balanced, no character left alone
    assert "广元市朝天区行政审批和数据局：" in text  # addressed to the lead
    assert "一、同意主办单位意见。" in text
    assert all(font["embedded"] for font in pdf.fonts(content).values())
    # working papers: the handling departments and the office, not the member
    for user, status in ((handler, 200), (office_user, 200), (member, 403)):
        client.force_login(user)
        assert client.get(f"/documents/proposal_opinion/{co.pk}/pdf/").status_code == status
