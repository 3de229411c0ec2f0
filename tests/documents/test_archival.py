"""Every stored document is PDF/A-3b (the issued file is the archival copy): XMP
identification part 3 / conformance B, an sRGB output intent with its ICC profile,
every font embedded, no encryption. (What this does not prove: docs/documents.md.)"""
import datetime as dt

import pytest

from tests.documents import pdf
from tests.factories import TZ, at
from tests.proposals import factories as pf
from workflow import documents
from workflow.models import UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db


def _assert_pdfa(content: bytes) -> None:
    report = pdf.pdfa_report(content)
    assert report["part"] == "3" and report["conformance"] == "B", report
    assert report["icc"] and report["icc"][0]["subtype"] == "/GTS_PDFA1", report
    assert report["icc"][0]["signature"] == b"acsp" and report["icc"][0]["colour_space"] == b"RGB " and report["icc"][0]["components"] == 3
    assert report["encrypted"] is False
    assert report["fonts_embedded"] is True


@pytest.mark.parametrize("kind", ["proposal_reply", "proposal_opinion_form", "proposal_closure"])
def test_proposal_documents_are_pdfa_3b(seed_proposal, member, office_user, kind):
    if kind == "proposal_closure":
        pf.closed(seed_proposal)
        seed_proposal.refresh_from_db()
    case = pf.reply_of(seed_proposal) if kind == "proposal_reply" else seed_proposal
    doc = documents.document_issue(actor=office_user, case=case, kind=kind)
    assert doc.pdf_variant == "pdf/a-3b"
    _assert_pdfa(documents.document_read(doc))


def test_the_supervision_notice_is_pdfa_3b(office_user, member, approval_dept, handler, supervision_dept):
    with at(2026, 3, 2, 9):
        pf.assigned(lead=approval_dept, supervising_unit=supervision_dept)
    supervision_sweep(now=dt.datetime(2026, 3, 6, 10, tzinfo=TZ))
    with at(2026, 3, 9, 9):
        doc = documents.document_issue(actor=handler, case=UrgingNotice.objects.get(), kind="supervision_notice")
    _assert_pdfa(documents.document_read(doc))


def test_plain_pdf_when_configured(settings, seed_reply, office_user):
    settings.DOCUMENTS_PDF_VARIANT = ""
    doc = documents.document_render(actor=office_user, case=seed_reply, kind="proposal_reply")
    report = pdf.pdfa_report(documents.document_read(doc))
    assert doc.pdf_variant == "" and report["part"] is None and report["fonts_embedded"]
