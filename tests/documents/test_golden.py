"""Golden images: every registered document kind, rendered for a fixed case at a
fixed time, looks as it did when its reference image was approved.

Page 1 (and page 2 when the kind has one) is rasterised with poppler's
``pdftoppm -r 50 -gray -png`` and compared with ``tests/documents/golden/<kind>-p<N>.png``
(greyscale, 50 dpi): same size, and fewer than ``MAX_CHANGED`` of the pixels
differing by more than ``GREY_STEP`` grey levels. Anti-aliasing noise passes; a
moved block, a missing red rule, another title or another font does not.

Regenerate after an intended change to a layout (then LOOK at the images):

    UPDATE_GOLDEN=1 DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python -m pytest tests/documents/test_golden.py

The references are made with the free fonts `scripts/sysdeps.sh run` installs
(FONTS below): on a machine where a face resolves to another family (a font
missing, or the licensed official fonts installed) the test fails, it never skips.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from complaints import services as complaint_services
from complaints.models import Complaint
from proposals.models import Assignment
from tests.complaints import factories as cf
from tests.complaints.conftest import _sms_outbox  # noqa: F401  (text messages kept in an outbox)
from tests.documents.conftest import SEED_DATES
from tests.factories import TZ, UserFactory, at
from tests.proposals import factories as pf
from workflow import documents, fonts, registry

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parent / "golden"
DPI = 50
PAGES = 2  # pages compared (the first two; a kind with one page has one image)
GREY_STEP = 64  # a pixel "differs" when its grey level moved by more than this
MAX_CHANGED = 0.0005  # ... and at most this fraction of the page's pixels may differ (0.05%: about 120 px of a page)
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
REGENERATE = "UPDATE_GOLDEN=1 DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python -m pytest tests/documents/test_golden.py"

# The family each face resolved to when the references were made (workflow.fonts.report()).
FONTS = {"title": "Noto Serif CJK SC", "fangsong": "Noto Serif CJK SC", "hei": "Noto Sans CJK SC", "kai": "AR PL UKai CN", "song": "Noto Serif CJK SC"}
# Pango falls back to these for rare characters (the complaint's citizen is 王䶮).
RARE_FONTS = {"HanaMinA", "HanaMinB"}


# --- the fixed cases, one per kind ---------------------------------------------------------------------
def _seal() -> bytes:
    """A department's uploaded seal: a red ring with a star, drawn the same every time."""
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((6, 6, 194, 194), outline=(230, 0, 18, 255), width=10)
    draw.polygon([(100, 48), (112, 86), (152, 86), (120, 110), (132, 148), (100, 124), (68, 148), (80, 110), (48, 86), (88, 86)], fill=(230, 0, 18, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _proposal_reply(request):
    return pf.reply_of(request.getfixturevalue("seed_proposal"))


def _proposal_opinion(request):
    from proposals.roles import Role

    for name in ("session", "member", "office_user", "handler", "dept_leader", "other_handler", "supervision_dept", "office_dept"):
        request.getfixturevalue(name)
    approval_dept, hrss_dept = request.getfixturevalue("approval_dept"), request.getfixturevalue("hrss_dept")
    UserFactory(username="leader_hrss", roles=[(hrss_dept, Role.DEPT_LEADER)])
    p = pf.reply_drafted(
        number=34, lead=approval_dept, co_handlers=[hrss_dept],
        opinion="一、同意主办单位意见。\n（一）人社部门将加强窗口人员培训。对窗口人员开展一次性告知制度专题培训。\n1. 每季度组织一次业务考核。", **SEED_DATES,
    )
    return Assignment.objects.get(proposal=p, department=hrss_dept)


def _proposal_opinion_form(request):
    p = request.getfixturevalue("seed_proposal")
    return pf.evaluated(p, process_rating="basically_satisfied", result_rating="satisfied", comment="希望进一步加快进度。", **SEED_DATES)


def _proposal_closure(request):
    p = request.getfixturevalue("seed_proposal")
    return pf.closed(p, comment="办理认真，沟通及时。", implementation_grade="A", **SEED_DATES)


def _complaint(request) -> Complaint:
    """A window-service complaint, dispatched, signed, replied, passed and called back, on fixed days of March 2026."""
    dispatcher, re_handler, dept = (request.getfixturevalue(n) for n in ("dispatcher", "re_handler", "realestate_dept"))
    request.getfixturevalue("_sms_outbox")
    dept.contact_person, dept.contact_phone = "李科长", "0839-8622340"
    dept.save()
    with at(2026, 3, 9, 9):
        complaint, _code = cf.submit()
    Complaint.objects.filter(pk=complaint.pk).update(citizen_name="王䶮")  # a rare character (Ext A) on the citizen's letter
    with at(2026, 3, 9, 10):
        complaint_services.complaint_dispatch(actor=dispatcher, complaint=Complaint.objects.get(pk=complaint.pk), department=dept, co_departments=[])
    with at(2026, 3, 9, 14):
        complaint_services.dispatch_sign(actor=re_handler, dispatch=complaint.dispatches.get(department=dept))
    with at(2026, 3, 11, 10):
        complaint_services.complaint_reply(
            actor=re_handler, complaint=Complaint.objects.get(pk=complaint.pk),
            body="经核实，已对窗口工作人员批评教育，实行一次性告知制度。", findings="窗口未张贴办事指南，已补齐。",
        )
    with at(2026, 3, 11, 15):
        complaint_services.complaint_review_reply(actor=dispatcher, complaint=Complaint.objects.get(pk=complaint.pk), approve=True)
    with at(2026, 3, 13, 10):
        complaint_services.complaint_callback(actor=dispatcher, complaint=Complaint.objects.get(pk=complaint.pk), rating="satisfied", comment="态度很好。")
    return Complaint.objects.get(pk=complaint.pk)


def _complaint_reply(request):
    return _complaint(request).replies.get()


def _complaint_closure(request):
    return _complaint(request)


def _supervision_notice(request):
    from django.core.files.base import ContentFile

    from workflow.models import UrgingNotice
    from workflow.supervision import supervision_sweep

    for name in ("office_user", "member", "handler"):
        request.getfixturevalue(name)
    approval_dept, supervision_dept = request.getfixturevalue("approval_dept"), request.getfixturevalue("supervision_dept")
    supervision_dept.doc_number_prefix = "朝"
    supervision_dept.save()
    supervision_dept.seal.save("seal.png", ContentFile(_seal()))  # a one-page letter: its seal over the signature
    with at(2026, 3, 2, 9):
        pf.assigned(lead=approval_dept, supervising_unit=supervision_dept, title="关于优化营商环境的建议")
    supervision_sweep(now=dt.datetime(2026, 3, 6, 10, tzinfo=TZ))
    return UrgingNotice.objects.get()


def _report(request):
    """March 2026's 通报 over the fixed complaint (two departments' figures would need more
    cases: one is enough for the layout, the chart's bar and the ranking's small-sample line)."""
    from proposals.roles import Role
    from tests.factories import UserFactory
    from workflow.reports import report_approve, report_draft, report_submit

    _complaint(request)
    supervisor = request.getfixturevalue("supervisor")
    report = report_draft(actor=supervisor, kind="month", day=dt.date(2026, 3, 1), now=dt.datetime(2026, 4, 1, 9, tzinfo=TZ))
    leader = UserFactory(roles=[(report.issuing_department, Role.DEPT_LEADER)])
    with at(2026, 4, 1, 9):  # submitted and approved (numbered, the issued PDF) the same morning
        report_submit(actor=supervisor, report=report)
        return report_approve(actor=leader, report=report)


# kind -> (the object the document is about, built in the right state; the day it is rendered)
CASES = {
    "proposal_reply": (_proposal_reply, (2019, 11, 25, 9)),
    "proposal_opinion": (_proposal_opinion, (2019, 11, 25, 9)),
    "proposal_opinion_form": (_proposal_opinion_form, (2019, 11, 25, 9)),
    "proposal_closure": (_proposal_closure, (2019, 11, 25, 9)),
    "complaint_reply_notice": (_complaint_reply, (2026, 3, 16, 9)),
    "complaint_reply_notice_public": (_complaint_reply, (2026, 3, 16, 9)),
    "complaint_closure": (_complaint_closure, (2026, 3, 16, 9)),
    "supervision_notice": (_supervision_notice, (2026, 3, 10, 9)),
    "report": (_report, (2026, 4, 1, 9)),
}


# --- rendering, rasterising, comparing ---------------------------------------------------------------
def _check_fonts() -> None:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: install poppler-utils (scripts/sysdeps.sh test)"
    report = {face: info["family"] for face, info in fonts.report().items()}
    assert report == FONTS, (
        f"the document faces resolve to {report}, the golden images were made with {FONTS}: "
        "install the fonts of `scripts/sysdeps.sh run` (and no official fonts), or regenerate the images "
        f"on purpose ({REGENERATE})"
    )
    missing = RARE_FONTS - fonts.installed_families()
    assert not missing, f"fonts missing for rare characters: {sorted(missing)} (fonts-hanazono, scripts/sysdeps.sh run)"


# Users get their names from a factory sequence (测试用户<n>, which depends on what ran
# before): the fixed case names them here.
NAMES = {"member": "王建国", "handler": "李娜", "leader": "赵强", "handler_hrss": "吴刚", "leader_hrss": "郑华", "office": "陈静", "dispatcher": "刘洋", "re_handler": "周敏", "supervisor": "孙丽"}


def build(request, code: str):
    """The kind's fixed case, its people named the same every time, loaded as the download would."""
    from django.contrib.auth import get_user_model

    builder, _day = CASES[code]
    obj = builder(request)
    for user in get_user_model().objects.all():
        user.full_name = NAMES.get(user.username, "工作人员")
        user.save(update_fields=["full_name"])
    return documents.document_object(kind=code, pk=obj.pk)


def render_pdf(kind: registry.DocumentKind, obj, day: tuple) -> bytes:
    """The kind's PDF about `obj` as of `day` (the service's own rendering, not stored)."""
    with at(*day):
        assert kind.available(obj), f"{kind.code}: the fixed case is not in a state the document exists in"
        return documents.html_to_pdf(documents.render_html(kind, obj)).content


def rasterise(content: bytes, folder: Path, name: str) -> list[Image.Image]:
    """Pages 1..PAGES as greyscale images at DPI (pdftoppm)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{name}.pdf"
    source.write_bytes(content)
    prefix = folder / f"{name}-raster"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-f", "1", "-l", str(PAGES), str(source), str(prefix)], check=True)
    pages = sorted(folder.glob(f"{name}-raster-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [Image.open(p).convert("L") for p in pages]


def changed_fraction(expected: Image.Image, actual: Image.Image) -> tuple[float, Image.Image]:
    """The fraction of pixels whose grey level differs by more than GREY_STEP, and a diff image
    (the reference faded, the changed pixels black)."""
    diff = ImageChops.difference(expected, actual)
    mask = diff.point(lambda v: 255 if v > GREY_STEP else 0)
    changed = mask.histogram()[255]
    faded = expected.point(lambda v: 200 + v * 55 // 255)
    picture = Image.composite(Image.new("L", expected.size, 0), faded, mask)
    return changed / (expected.width * expected.height), picture


def compare(expected: Image.Image, actual: Image.Image, *, folder: Path, name: str) -> str | None:
    """None when `actual` matches `expected`, else why (with the paths of the actual image and the diff)."""
    folder.mkdir(parents=True, exist_ok=True)
    actual_path, diff_path = folder / f"{name}-actual.png", folder / f"{name}-diff.png"
    if expected.size != actual.size:
        actual.save(actual_path)
        return f"{name}: size {actual.size}, the golden image is {expected.size}; actual: {actual_path}"
    fraction, picture = changed_fraction(expected, actual)
    if fraction <= MAX_CHANGED:
        return None
    actual.save(actual_path)
    picture.save(diff_path)
    return (f"{name}: {fraction:.3%} of the pixels differ by more than {GREY_STEP} grey levels (at most {MAX_CHANGED:.2%}); "
            f"actual: {actual_path}, diff: {diff_path}")


def _golden_path(code: str, page: int) -> Path:
    return GOLDEN / f"{code}-p{page}.png"


# --- the tests ----------------------------------------------------------------------------------------
def test_every_registered_kind_has_a_fixed_case_and_golden_images():
    codes = sorted(k.code for k in registry.document_kinds())
    without_case = [c for c in codes if c not in CASES]
    assert not without_case, (
        f"document kinds without a golden case: {without_case}. Add a builder to CASES in tests/documents/test_golden.py "
        f"(a fixed case at fixed times), then create the images: {REGENERATE} -k <kind>, and look at them"
    )
    without_image = [c for c in codes if not _golden_path(c, 1).is_file()]
    assert UPDATE or not without_image, f"no golden image for {without_image}: create it with {REGENERATE} -k <kind>, and look at it"
    stale = sorted({p.name.rsplit("-p", 1)[0] for p in GOLDEN.glob("*.png")} - set(codes))
    assert not stale, f"golden images of kinds no longer registered: {stale} (delete tests/documents/golden/<kind>-p*.png)"


@pytest.mark.parametrize("code", sorted(k.code for k in registry.document_kinds()))
def test_the_document_looks_as_its_golden_image(request, tmp_path, code):
    # given the fonts the references were made with, and the kind's fixed case
    _check_fonts()
    kind = registry.document_kind(code)
    assert code in CASES, f"{code}: no fixed case in CASES (tests/documents/test_golden.py); add one, then {REGENERATE} -k {code}"
    obj = build(request, code)
    # when it is rendered and rasterised
    pages = rasterise(render_pdf(kind, obj, CASES[code][1]), tmp_path, code)
    # then each page looks as its golden image (or becomes it, with UPDATE_GOLDEN=1)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        for old in GOLDEN.glob(f"{code}-p*.png"):
            old.unlink()
        for number, image in enumerate(pages, start=1):
            image.save(_golden_path(code, number), optimize=True)
        return
    expected = sorted(GOLDEN.glob(f"{code}-p*.png"))
    assert expected, f"{code}: no golden image; create it with {REGENERATE} -k {code}, and look at it"
    assert len(pages) == len(expected), f"{code}: {len(pages)} page(s) rendered, {len(expected)} golden image(s) ({REGENERATE} -k {code} if intended)"
    failures = [
        why for number, image in enumerate(pages, start=1)
        if (why := compare(Image.open(_golden_path(code, number)).convert("L"), image, folder=tmp_path, name=f"{code}-p{number}"))
    ]
    assert not failures, "\n".join(failures) + f"\nIf the change is intended: {REGENERATE} -k {code}, and look at the images."


@pytest.mark.parametrize("title", [
    "关于政协六届四次会议第28号提案的复函",  # two characters changed, nothing moves
    "关于政协六届四次会议第28号提案办理情况的报告",  # a longer title: two lines, the body moves down
])
def test_a_changed_title_fails_the_comparison(request, tmp_path, title):
    # given the reply letter's fixed case, rendered with another title in its context
    _check_fonts()
    kind = registry.document_kind("proposal_reply")
    changed = dataclasses.replace(kind, context=lambda obj: {**kind.context(obj), "title": title})
    obj = build(request, "proposal_reply")
    # when it is compared with the reference
    pages = rasterise(render_pdf(changed, obj, CASES["proposal_reply"][1]), tmp_path, "changed")
    why = compare(Image.open(_golden_path("proposal_reply", 1)).convert("L"), pages[0], folder=tmp_path, name="changed-p1")
    # then it fails, naming the actual image and the diff
    assert why is not None and "actual:" in why and "diff:" in why, why
    assert Path(why.rsplit("diff: ", 1)[1]).is_file()


def test_noise_passes_a_moved_block_or_a_missing_rule_does_not(tmp_path):
    # given a golden letter page
    golden = Image.open(_golden_path("proposal_reply", 1)).convert("L")
    # then anti-aliasing noise (every grey level off by a little) passes
    assert compare(golden, golden.point(lambda v: min(255, v + 40)), folder=tmp_path, name="noise") is None
    # the page moved 1 mm (2 px at 50 dpi) down does not
    assert compare(golden, ImageChops.offset(golden, 0, 2), folder=tmp_path, name="moved") is not None
    # nor the red double rule under the issuer painted out
    rows = [y for y in range(golden.height // 4) if sum(1 for x in range(golden.width) if golden.getpixel((x, y)) < 160) > golden.width * 0.6]
    assert rows, "no full-width rule found near the top of the letter"
    painted = golden.copy()
    ImageDraw.Draw(painted).rectangle((0, rows[0] - 1, golden.width, rows[-1] + 1), fill=255)
    assert compare(golden, painted, folder=tmp_path, name="no-rule") is not None
    # nor a smaller page
    assert compare(golden, golden.crop((0, 0, golden.width - 1, golden.height)), folder=tmp_path, name="size") is not None


def test_another_font_fails_the_comparison(request, tmp_path, monkeypatch):
    # given the reply letter set in one sans-serif face throughout (a font stack gone wrong)
    _check_fonts()
    monkeypatch.setattr(documents.fonts, "css_families", lambda: {face: '"WenQuanYi Zen Hei", sans-serif' for face in fonts.STACKS})
    obj = build(request, "proposal_reply")
    # when it is compared with the reference
    pages = rasterise(render_pdf(registry.document_kind("proposal_reply"), obj, CASES["proposal_reply"][1]), tmp_path, "font")
    # then it fails
    assert compare(Image.open(_golden_path("proposal_reply", 1)).convert("L"), pages[0], folder=tmp_path, name="font-p1") is not None


def test_a_missing_font_fails_the_check_never_skips(monkeypatch):
    # given a machine without AR PL UKai (KaiTi then falls back to Noto Serif)
    have = fonts.installed_families() - {"AR PL UKai CN"}
    monkeypatch.setattr(fonts, "installed_families", lambda: have)
    # then the golden tests fail, saying which face resolves to what
    with pytest.raises(AssertionError, match="kai.*Noto Serif CJK SC"):
        _check_fonts()
