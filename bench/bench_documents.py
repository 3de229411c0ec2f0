"""The seed reply letter (第28号, five A4 pages of CJK text) as PDF.

* pdf_reply_median_s: through the project's service, warm: load the reply,
  build the data, render the template, WeasyPrint, SHA-256, storage and the
  GeneratedDocument row (document_render: a new version each time);
* pdf_bare_median_s: plain WeasyPrint on the same final HTML, same run;
* pdf_overhead_ratio: ours / bare.
Runs interleaved (ours, bare, ours, ...) so both see the same machine state.
"""
import statistics
import time

import weasyprint

from proposals.models import Reply
from workflow import documents, registry

RUNS = 10


def run():
    reply = Reply.objects.get(assignment__proposal__number=28, assignment__proposal__session__name="六届四次会议", round=1)
    spec = registry.document_kind("proposal_reply")
    html = documents.render_html(spec, documents.document_object(kind="proposal_reply", pk=reply.pk))
    # warm: fonts loaded, templates compiled, first file written
    for _ in range(2):
        documents.document_render(actor=None, case=documents.document_object(kind="proposal_reply", pk=reply.pk), kind="proposal_reply")
        weasyprint.HTML(string=html).write_pdf()
    ours, bare, data = [], [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        case = documents.document_object(kind="proposal_reply", pk=reply.pk)
        doc = documents.document_render(actor=None, case=case, kind="proposal_reply")
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        weasyprint.HTML(string=html).write_pdf()
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        documents.render_html(spec, documents.document_object(kind="proposal_reply", pk=reply.pk))
        data.append(time.perf_counter() - t0)
    ours_s, bare_s, data_s = statistics.median(ours), statistics.median(bare), statistics.median(data)
    pages = doc.pages
    scale = f"seed reply letter 第28号, {pages} A4 pages, warm, median of {RUNS}"
    return [
        {"name": "pdf_reply_median_s", "value": round(ours_s, 3), "unit": "s", "scale": scale,
         "notes": f"document_render: load + data + template ({data_s * 1000:.1f} ms median) + WeasyPrint + SHA-256 + storage + row; "
                  f"min {min(ours):.3f} s, max {max(ours):.3f} s; HarfBuzz subsetter: {documents.harfbuzz_subsetter()}"},
        {"name": "pdf_bare_median_s", "value": round(bare_s, 3), "unit": "s", "scale": scale,
         "notes": f"weasyprint.HTML(string=<the same final HTML>).write_pdf(); min {min(bare):.3f} s, max {max(bare):.3f} s"},
        {"name": "pdf_overhead_ratio", "value": round(ours_s / bare_s, 3), "unit": "ratio", "scale": scale,
         "notes": "pdf_reply_median_s / pdf_bare_median_s (goal at most 1.3)"},
    ]
