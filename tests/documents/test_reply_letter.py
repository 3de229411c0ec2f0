"""The proposal reply letter (答复函) in the letter format of GB/T 9704-2012,
checked on the produced PDF (pdfplumber, pypdf, pdftoppm), not on the HTML."""
import re
import subprocess

import pytest

from workflow import documents
from workflow.documents import typeset_text
from tests.documents import pdf
from tests.documents.conftest import SEED, SEED_DATES
from tests.proposals import factories

pytestmark = pytest.mark.django_db

PAGE_NUMBER_PT = 14.0


@pytest.fixture
def letter(seed_reply, handler) -> bytes:
    doc = documents.document_issue(actor=handler, case=seed_reply, kind="proposal_reply")
    return documents.document_read(doc)


def is_page_number(line) -> bool:
    return PAGE_NUMBER_PT in line.sizes and re.fullmatch(r"— \d+ —", line.text) is not None


def body_lines(all_lines, page):
    return [line for line in all_lines if line.page == page and not is_page_number(line)]


def test_every_page_is_a4(letter):
    sizes = pdf.page_sizes_mm(letter)
    assert len(sizes) >= 4  # the seed reply is about five pages
    assert set(sizes) == {(210.0, 297.0)}


def test_a_full_page_is_the_text_block_of_22_lines(letter):
    all_lines = pdf.lines(letter)
    page_2 = body_lines(all_lines, 2)
    # given a page full of body text, its 22 lines fill the 156 x 225 mm block at 37 mm / 28 mm
    assert len(page_2) == 22
    assert pdf.BLOCK_TOP <= page_2[0].top < pdf.BLOCK_TOP + 5
    assert page_2[-1].bottom <= pdf.BLOCK_BOTTOM
    assert page_2[-1].baseline > pdf.BLOCK_BOTTOM - 10  # the block is used to its end
    # on the grid: the same pitch (225 mm / 22) from line to line (lines set in the body face alone)
    pitches = [b.top - a.top for a, b in zip(page_2, page_2[1:]) if len(a.fonts) == len(b.fonts) == 1 and a.fonts == b.fonts]
    assert len(pitches) > 12 and all(abs(pitch - 225 / 22) < 0.1 for pitch in pitches)
    for line in [line for page in range(2, 4) for line in body_lines(all_lines, page)]:
        assert line.x0 >= pdf.BLOCK_LEFT - 0.1 and line.x1 <= pdf.BLOCK_RIGHT + 0.2, line.text
    # lines that do not open a paragraph start at the binding-side edge of the block
    assert sum(abs(line.x0 - pdf.BLOCK_LEFT) < 0.1 for line in page_2) >= 15


def test_28_characters_to_a_full_line(session, member, office_user, handler, dept_leader, approval_dept, supervision_dept, office_dept):
    # given a reply of plain Chinese text (no figures, no punctuation to move a break)
    text = "政务服务大厅窗口办理事项" * 120
    p = factories.replied(number=29, lead=approval_dept, reply_body="　　" + text, **SEED_DATES)
    doc = documents.document_issue(actor=handler, case=factories.reply_of(p), kind="proposal_reply")
    all_lines = pdf.lines(documents.document_read(doc))
    body = [line for line in all_lines if line.text and set(line.text) <= set(text)]
    # every line but the paragraph's first (indented two characters) and last holds 28 characters
    assert len(body[0].text) == 26
    assert body[1:-1] and all(len(line.text) == 28 for line in body[1:-1])
    assert all(abs(line.x1 - pdf.BLOCK_RIGHT) < 0.3 for line in body[1:-1])
    # and a full page holds 22 of them
    assert len([line for line in body if line.page == 2]) == 22


def test_font_sizes_title_22_body_16_page_numbers_14(letter):
    all_lines = pdf.lines(letter)
    title = next(line for line in all_lines if line.text == "关于政协六届四次会议第28号提案的答复")
    assert title.sizes == {22.0}
    assert abs((title.x0 + title.x1) / 2 - (pdf.BLOCK_LEFT + pdf.BLOCK_WIDTH / 2)) < 0.5  # centred
    assert {size for line in body_lines(all_lines, 2) for size in line.sizes} == {16.0}
    numbers = [line for line in all_lines if is_page_number(line)]
    assert len(numbers) == max(line.page for line in all_lines) - 1 and all(line.sizes == {PAGE_NUMBER_PT} for line in numbers)


def test_page_numbers_odd_right_even_left_none_on_page_one(letter):
    all_lines = pdf.lines(letter)
    pages = max(line.page for line in all_lines)
    numbers = {line.page: line for line in all_lines if PAGE_NUMBER_PT in line.sizes and "—" in line.text}
    assert 1 not in numbers
    assert sorted(numbers) == list(range(2, pages + 1))
    one_char = PAGE_NUMBER_PT / pdf.MM
    for page, line in numbers.items():
        assert line.text == f"— {page} —"
        assert abs(line.top - (pdf.BLOCK_BOTTOM + 7)) < 1.5  # 7 mm below the text block
        if page % 2:  # odd: right, one character in
            assert abs(line.x1 - (pdf.BLOCK_RIGHT - one_char)) < 0.5
        else:  # even: left, one character in
            assert abs(line.x0 - (pdf.BLOCK_LEFT + one_char)) < 0.5


def test_letter_head_class_mark_issuer_number_and_red_lines(letter):
    first = [line for line in pdf.lines(letter) if line.page == 1]
    mark, issuer, number = first[0], first[1], first[2]
    # the class mark at the top right of page one, above the issuer
    assert mark.text == "A类" and abs(mark.x1 - pdf.BLOCK_RIGHT) < 0.3 and mark.bottom < 30
    # the issuer's name in red, 30 mm from the top edge, centred
    assert issuer.text == "广元市朝天区行政审批和数据局"
    assert 29.5 < issuer.top < 33.5
    assert all(c["non_stroking_color"] in ((0.901961, 0.0, 0.070588), [0.901961, 0.0, 0.070588]) for c in issuer.chars)
    # the document number flush right under the red line
    assert number.text == "朝审函〔2019〕1号" and abs(number.x1 - pdf.BLOCK_RIGHT) < 0.3
    red = [r for r in pdf.rects(letter, 1) if r["color"] and r["color"][0] > 0.8 and r["color"][1] < 0.1]
    top_rule = [r for r in red if 40 < r["top"] < number.top]
    bottom_rule = [r for r in red if r["top"] > 270]
    assert top_rule and bottom_rule
    for rule in (top_rule, bottom_rule):
        assert all(abs(r["x0"] - 20) < 0.2 and abs(r["x1"] - 190) < 0.2 for r in rule)  # 170 mm, centred on the page
    issuer_size_mm = max(issuer.sizes) / pdf.MM
    assert abs(min(r["top"] for r in top_rule) - (30 + issuer_size_mm + 4)) < 0.5  # 4 mm below the name
    assert abs(max(r["bottom"] for r in bottom_rule) - (297 - 20)) < 0.2  # 20 mm from the bottom edge


def _red_runs(png_column):
    runs, start = [], None
    for y, red in enumerate(png_column):
        if red and start is None:
            start = y
        elif not red and start is not None:
            runs.append((start, y - start))
            start = None
    return runs


def test_double_lines_thick_over_thin_at_the_top_thin_over_thick_at_the_bottom(letter, tmp_path):
    from PIL import Image

    (tmp_path / "letter.pdf").write_bytes(letter)
    subprocess.run(["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", str(tmp_path / "letter.pdf"), str(tmp_path / "p")], check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    x = round(22 / 25.4 * 300)  # 22 mm from the left edge: on the 170 mm lines, outside the text block
    column = [(lambda r, g, b: r > 180 and g < 90 and b < 90)(*image.getpixel((x, y))) for y in range(image.height)]
    runs = [run for run in _red_runs(column)]
    top_runs = [run for run in runs if run[0] < image.height * 0.3]
    bottom_runs = [run for run in runs if run[0] > image.height * 0.85]
    assert len(top_runs) == 2 and top_runs[0][1] > top_runs[1][1]  # thick over thin
    assert len(bottom_runs) == 2 and bottom_runs[0][1] < bottom_runs[1][1]  # thin over thick


def test_the_text_extracts_as_the_reply(letter):
    # the text runs on across pages (page numbers left out)
    extracted = "".join(line.text for line in pdf.lines(letter) if not is_page_number(line)).replace(" ", "")
    for paragraph in SEED["reply_body"].split("\n"):
        paragraph = typeset_text(paragraph.strip()).replace(" ", "")
        if paragraph:
            assert paragraph in extracted
    for part in ("关于政协六届四次会议第28号提案的答复", "尊敬的", "委员：", "广元市朝天区行政审批和数据局2019年10月28日",
                 "（此件公开发布）", "（联系人：示例联系人，电话：0839-0000000）", "抄送：区政协提案委员会，区政府督查室。"):
        assert part in extracted


def test_heading_levels_in_their_faces(letter):
    all_lines = pdf.lines(letter)

    def face(text):
        line = next(line for line in all_lines if line.text.startswith(text))
        return {c["fontname"].split("+")[-1] for c in line.chars[: len(text)]}

    body = face("今年以来")
    assert face("一、我区") != body  # 黑体
    assert face("（一）夯实") not in (body, face("一、我区"))  # 楷体
    assert face("1、") == body if any(line.text.startswith("1、") for line in all_lines) else True


def test_fonts_are_embedded(letter):
    found = pdf.fonts(letter)
    assert found and all(font["embedded"] for font in found.values()), found


def test_date_four_characters_in_from_the_right_and_signature_centred_over_it(letter):
    all_lines = pdf.lines(letter)
    date = next(line for line in all_lines if line.text == "2019年10月28日")
    name = [line for line in all_lines if line.text == "广元市朝天区行政审批和数据局"][-1]
    assert abs(date.x1 - (pdf.BLOCK_RIGHT - 4 * 15.79 / pdf.MM)) < 1.0
    assert abs((name.x0 + name.x1) / 2 - (date.x0 + date.x1) / 2) < 1.0
    assert name.baseline < date.baseline


def test_rare_characters_in_names_render_without_tofu(session, member, office_user, handler, dept_leader, approval_dept, supervision_dept, office_dept):
    # given a member whose name and a place name use characters outside GB2312 (Ext A, Ext B)
    member.full_name = "刘䶮𠮷"
    member.save(update_fields=["full_name"])
    p = factories.replied(number=30, lead=approval_dept, reply_body="　　关于𠮷祥村和䶮山镇的道路问题，现答复如下。", **SEED_DATES)
    doc = documents.document_issue(actor=handler, case=factories.reply_of(p), kind="proposal_reply")
    content = documents.document_read(doc)
    all_lines = pdf.lines(content)
    extracted = "".join(line.text for line in all_lines)
    assert "尊敬的刘䶮𠮷委员：" in extracted and "𠮷祥村和䶮山镇" in extracted
    # each rare character is drawn with an embedded font that has it (fontconfig knows its coverage)
    for ch in "䶮𠮷":
        char = next(c for line in all_lines for c in line.chars if c["text"] == ch)
        family = char["fontname"].split("+")[-1].replace("-", " ")
        covering = subprocess.run(["fc-list", f":charset={ord(ch):x}", "family"], capture_output=True, text=True).stdout
        assert family in covering.replace(",", "\n").splitlines() or family in covering, (ch, family)
    assert all(font["embedded"] for font in pdf.fonts(content).values())


def _images_on_page_one(content: bytes) -> list:
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(content)) as document:
        return document.pages[-1].images + document.pages[0].images


def test_no_seal_unless_the_department_uploaded_one(seed_reply, handler, approval_dept):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    # without an uploaded seal the letter shows none (never a fake)
    plain = documents.document_read(documents.document_issue(actor=handler, case=seed_reply, kind="proposal_reply"))
    assert _images_on_page_one(plain) == []
    # with one (an administrator's upload under MEDIA_ROOT), it is placed over the issuer's name and date
    buffer = io.BytesIO()
    Image.new("RGBA", (200, 200), (230, 0, 18, 160)).save(buffer, format="PNG")
    approval_dept.seal.save("seal.png", ContentFile(buffer.getvalue()))
    sealed = documents.document_read(documents.document_issue(actor=handler, case=seed_reply.__class__.objects.get(pk=seed_reply.pk), kind="proposal_reply"))
    images = _images_on_page_one(sealed)
    assert len(images) == 1
    date = next(line for line in pdf.lines(sealed) if line.text == "2019年10月28日")
    seal = images[0]
    assert abs(pdf.mm(seal["x1"] - seal["x0"]) - 42) < 0.5  # 42 mm across
    assert pdf.mm(seal["x0"]) < date.x0 and pdf.mm(seal["x1"]) > date.x1 and pdf.mm(seal["top"]) < date.top < pdf.mm(seal["bottom"])
