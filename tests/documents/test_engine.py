"""The engine's document service: HarfBuzz subsetting, versions, checksums, storage, the registry."""
import hashlib
import logging
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from proposals import services
from proposals.models import Reply
from workflow import documents, fonts, registry
from workflow.models import GeneratedDocument
from tests.documents.conftest import SEED_DATES

pytestmark = pytest.mark.django_db


def test_weasyprint_subsets_fonts_with_harfbuzz_not_fonttools(caplog):
    # Without Debian's libharfbuzz-subset0 WeasyPrint falls back to fontTools (15x slower for CJK).
    assert documents.harfbuzz_subsetter(), "HarfBuzz subsetter missing: install libharfbuzz-subset0 (scripts/sysdeps.sh)"
    html = f'<p style="font-family: {fonts.css_family("fangsong")}">关于政协六届四次会议第28号提案的答复䶮𠮷</p>'
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = documents.html_to_pdf(html)
    assert pdf.content.startswith(b"%PDF") and pdf.pages == 1
    fallbacks = [r.getMessage() for r in caplog.records if "fontTools" in r.getMessage() or "Unable to subset" in r.getMessage()]
    assert not fallbacks, fallbacks


def test_the_speed_ups_give_the_same_fonts_as_weasyprint_alone(seed_reply, monkeypatch):
    """workflow/pdf_engine.py: a CFF face subset in one pass is byte for byte WeasyPrint's
    two-pass subset, for every face a reply letter uses; the letter's pages are the same."""
    from weasyprint.pdf import fonts as pdf_fonts

    from workflow import pdf_engine

    engine = pdf_engine.install()
    assert engine["one_pass_cff_subset"] and engine["lazy_font_data"] and engine["deflate_level"] == 6
    seen = []
    real_subset = pdf_fonts.Font.subset
    monkeypatch.setattr(pdf_fonts.Font, "subset", lambda font, to_unicode, hinting: (
        seen.append((font, dict(to_unicode), hinting)), real_subset(font, to_unicode, hinting))[1])
    html = documents.render_html(registry.document_kind("proposal_reply"), seed_reply)
    pages = documents.html_to_pdf(html).pages
    cff = [(font, to_unicode, hinting) for font, to_unicode, hinting in seen if "CFF " in font.tables]
    assert len(cff) >= 3, [font.family for font, *_ in seen]  # Noto Serif CJK regular and bold, Noto Sans CJK
    for font, to_unicode, hinting in cff:
        ours = pdf_engine.one_pass_subset(font, to_unicode, hinting)
        pdf_fonts.Font._harfbuzz_subset.original(font, to_unicode, hinting)  # WeasyPrint's own two passes
        assert ours == font.file_content, font.family
    assert documents.html_to_pdf(html).pages == pages


def test_font_stack_official_faces_first_free_fallbacks_installed():
    for face, stack in fonts.STACKS.items():
        official = [name for name in stack if name in fonts.OFFICIAL[face]]
        assert official and stack.index(official[0]) == 0 or face == "title" and stack[0] in fonts.OFFICIAL["title"]
    report = fonts.report()
    # this machine has the free fonts the setup installs; each face resolves to one of them
    assert all(entry["family"] for entry in report.values()), report


def test_issue_stores_the_pdf_with_its_checksum_and_source(seed_reply, handler, settings):
    doc = documents.document_issue(actor=handler, case=seed_reply, kind="proposal_reply")
    path = Path(settings.MEDIA_ROOT) / doc.file.name
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    assert doc.sha256 == hashlib.sha256(content).hexdigest() and doc.size == len(content)
    assert doc.version == 1 and doc.pages >= 4 and doc.generated_by == handler and doc.case == seed_reply
    assert doc.case_version.startswith(f"reply:{seed_reply.pk}@h") and doc.case_changed_at is not None
    assert len(doc.source_sha256) == 64
    assert doc.file.name.startswith("documents/proposal_reply/")


def test_unchanged_data_serves_the_stored_version_and_a_change_makes_a_new_one(seed_reply, seed_proposal, handler, office_user):
    first = documents.document_issue(actor=handler, case=seed_reply, kind="proposal_reply")
    first_bytes = documents.document_read(first)
    # when nothing changed, the stored version is handed out again
    again = documents.document_issue(actor=office_user, case=Reply.objects.get(pk=seed_reply.pk), kind="proposal_reply")
    assert again.pk == first.pk and GeneratedDocument.objects.count() == 1
    # when the proposal stops being public, the letter changes: a new version, the old one kept as it was
    services.proposal_set_public(actor=office_user, proposal=seed_proposal, is_public=False)
    second = documents.document_issue(actor=office_user, case=Reply.objects.get(pk=seed_reply.pk), kind="proposal_reply")
    assert second.version == 2 and second.pk != first.pk and second.file.name != first.file.name
    assert documents.document_read(GeneratedDocument.objects.get(pk=first.pk)) == first_bytes
    from tests.documents import pdf

    assert "（此件公开发布）" in pdf.text(first_bytes) and "（此件公开发布）" not in pdf.text(documents.document_read(second))

def test_a_forced_render_is_always_a_new_version(seed_reply, handler):
    a = documents.document_render(actor=handler, case=seed_reply, kind="proposal_reply")
    b = documents.document_render(actor=handler, case=seed_reply, kind="proposal_reply")
    assert (a.version, b.version) == (1, 2) and a.source_sha256 == b.source_sha256
    assert a.file.name != b.file.name and Path(a.file.path).exists() and Path(b.file.path).exists()


def test_a_tampered_file_is_refused(seed_reply, handler):
    doc = documents.document_issue(actor=handler, case=seed_reply, kind="proposal_reply")
    Path(doc.file.path).write_bytes(b"%PDF-1.7 changed")
    with pytest.raises(ValidationError):
        documents.document_read(doc)


def test_a_tampered_file_is_a_409_page_not_a_500(seed_reply, handler, client):
    doc = documents.document_issue(actor=handler, case=seed_reply, kind="proposal_reply")
    Path(doc.file.path).write_bytes(b"%PDF-1.7 changed")
    client.force_login(handler)
    response = client.get(f"/documents/proposal_reply/{seed_reply.pk}/pdf/")
    assert response.status_code == 409 and "SHA-256" in response.content.decode()


def test_a_reply_not_yet_passed_has_no_letter(session, member, office_user, handler, dept_leader, approval_dept, supervision_dept, office_dept):
    from tests.proposals import factories

    p = factories.reply_signed(number=31, lead=approval_dept, **SEED_DATES)
    reply = factories.reply_of(p)
    with pytest.raises(ValidationError):
        documents.document_render(actor=handler, case=reply, kind="proposal_reply")
    assert not documents.document_can_download(user=office_user, case=reply, kind="proposal_reply")


def test_unknown_kind_and_wrong_object_are_refused(seed_reply, seed_proposal, handler):
    with pytest.raises(LookupError):
        documents.document_render(actor=handler, case=seed_reply, kind="no_such_kind")
    with pytest.raises(TypeError):
        documents.document_render(actor=handler, case=seed_proposal, kind="proposal_reply")


def test_documents_reach_no_file_outside_media_root():
    html = '<img src="file:///etc/hostname"><p>正文</p>'
    pdf = documents.html_to_pdf(html)  # the image is refused (logged), the document still renders
    assert pdf.pages == 1


def test_case_apps_register_their_kinds_and_each_template_exists():
    from django.template.loader import get_template

    kinds = registry.document_kinds()
    assert {"proposal_reply", "proposal_opinion", "proposal_closure"} <= {k.code for k in kinds}
    for kind in kinds:
        get_template(kind.template)
        assert kind.model.count(".") == 1 and callable(kind.context) and callable(kind.can_download)
