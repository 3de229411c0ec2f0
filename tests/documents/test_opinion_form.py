"""办理情况征询意见表: the form sent to the member, on the produced PDF: the
proposal, the replies, the rating boxes (ticked once the member rated); who may download it."""
import pytest

from tests.documents import pdf
from tests.factories import UserFactory, at
from tests.proposals import factories
from workflow import documents

pytestmark = pytest.mark.django_db

KIND = "proposal_opinion_form"


def _rating_line(lines, label: str) -> str:
    found = [line.text.replace(" ", "") for line in lines if line.text.replace(" ", "").startswith(label)]
    assert found, label
    return found[0]


def test_the_blank_form_names_the_proposal_and_the_reply(seed_proposal, member):
    doc = documents.document_issue(actor=member, case=seed_proposal, kind=KIND)
    content = documents.document_read(doc)
    pdf.keep(content, "opinion_form_blank")
    lines = pdf.lines(content)
    text = "".join(line.text for line in lines).replace(" ", "") + "".join(pdf.table_cells(content))
    reply = factories.reply_of(seed_proposal)
    for part in ("提案办理情况征询意见表", seed_proposal.title[:10], "广元市朝天区行政审批和数据局", reply.doc_number, "A类",
                 "2019年10月28日", "办理过程", "办理结果", "满意", "基本满意", "不满意", "意见建议", "委员签名："):
        assert part in text, part
    assert "√" not in _rating_line(lines, "办理过程") and "√" not in _rating_line(lines, "办理结果")
    assert pdf.page_sizes_mm(content) == [(210.0, 297.0)]
    assert all(font["embedded"] for font in pdf.fonts(content).values())
    # everything inside the text block (28 mm from the left, 156 mm wide)
    assert all(pdf.BLOCK_LEFT - 0.5 <= line.x0 and line.x1 <= pdf.BLOCK_RIGHT + 0.5 for line in lines if "—" not in line.text)
    assert min(line.top for line in lines) >= pdf.BLOCK_TOP - 1


def test_once_rated_the_boxes_show_the_members_rating(seed_proposal, member):
    factories.evaluated(seed_proposal, process_rating="basically_satisfied", result_rating="satisfied", comment="希望进一步加快进度。")
    content = documents.document_read(documents.document_issue(actor=member, case=seed_proposal, kind=KIND))
    pdf.keep(content, "opinion_form_rated")
    lines = pdf.lines(content)
    assert "√基本满意" in _rating_line(lines, "办理过程") and "√满意" not in _rating_line(lines, "办理过程")
    assert _rating_line(lines, "办理结果").startswith("办理结果√满意")
    text = "".join(line.text for line in lines).replace(" ", "")
    assert "希望进一步加快进度。" in text and "委员签名：" not in text


def test_the_proposer_the_office_and_the_department_download_it(client, seed_proposal, member, office_user, handler, other_handler, member2):
    url = f"/documents/{KIND}/{seed_proposal.pk}/pdf/"
    for user in (member, office_user, handler):
        client.force_login(user)
        assert client.get(url).status_code == 200, user
        assert url in client.get(seed_proposal.get_absolute_url()).content.decode(), user
    stranger = UserFactory(username="viewer")
    for user in (other_handler, member2, stranger):
        client.force_login(user)
        assert client.get(url).status_code == 403, user


def test_not_before_the_reply(client, office_user, approval_dept, member):
    with at(2026, 3, 2, 9):
        proposal = factories.assigned(lead=approval_dept)
    client.force_login(office_user)
    assert client.get(f"/documents/{KIND}/{proposal.pk}/pdf/").status_code == 403
