"""Bulk generation (workflow.documents.document_batch_run, the Celery task's body):
up to 20 passed reply letters of the demo data rendered and packed into a ZIP.

* pdf_batch_per_second: documents per second, cold (no stored version to reuse:
  every letter rendered, PDF/A-3b, stored with its SHA-256, then the ZIP);
  the notes give the second run of the same batch (everything reused: read,
  checked and zipped only).
The demo data has few passed replies: the batch is topped up to 20 with
copies of them (later rounds of the same assignments, with their own
numbers), removed again afterwards so that the other benchmarks see the
demo data as it was.
Run alone with `make bench BENCH=batch`.
"""
import time

from django.contrib.auth import get_user_model
from django.utils import timezone

from proposals.models import Reply
from workflow import documents
from workflow.models import DocumentBatch, GeneratedDocument

SIZE = 20


def _batch(ids, user) -> DocumentBatch:
    now = timezone.now()
    return DocumentBatch.objects.create(
        source="proposal_replies_by_session", kind="proposal_reply", label="bench", object_ids=ids, total=len(ids),
        requested_by=user, created_at=now, updated_at=now,
    )


def _top_up(ids: list[int]) -> list[int]:
    """Copies of the passed replies (rounds 101, 102, ...) until there are SIZE of them."""
    originals = list(Reply.objects.filter(pk__in=ids).order_by("pk"))
    copies = []
    for i in range(SIZE - len(ids)):
        reply = originals[i % len(originals)]
        reply.pk, reply.id = None, None
        reply.round = 101 + i
        reply.doc_number = f"{reply.doc_number}-bench{i + 1}" if reply.doc_number else ""
        reply.save()
        copies.append(reply.pk)
    return copies


def run():
    ids = list(Reply.objects.filter(status=Reply.Status.PASSED, replied_at__isnull=False).order_by("pk").values_list("pk", flat=True)[:SIZE])
    copies = _top_up(ids) if ids and len(ids) < SIZE else []
    try:
        return _measure(ids + copies)
    finally:
        GeneratedDocument.objects.filter(kind="proposal_reply", object_id__in=copies).delete()
        Reply.history.filter(id__in=copies).delete()
        Reply.objects.filter(pk__in=copies).delete()


def _measure(ids: list[int]):
    user = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.first()
    # warm: fonts loaded, templates compiled
    documents.document_render(actor=None, case=documents.document_object(kind="proposal_reply", pk=ids[0]), kind="proposal_reply")
    GeneratedDocument.objects.filter(kind="proposal_reply").delete()
    batch = _batch(ids, user)
    t0 = time.perf_counter()
    documents.document_batch_run(batch_id=batch.pk)
    cold = time.perf_counter() - t0
    again = _batch(ids, user)
    t0 = time.perf_counter()
    documents.document_batch_run(batch_id=again.pk)
    warm = time.perf_counter() - t0
    batch.refresh_from_db()
    pages = sum(GeneratedDocument.objects.filter(kind="proposal_reply").values_list("pages", flat=True))
    scale = f"{len(ids)} reply letters (demo data, topped up with copies; {pages} A4 pages), PDF/A-3b, one process"
    return [
        {"name": "pdf_batch_per_second", "value": round(len(ids) / cold, 2), "unit": "documents/s", "scale": scale,
         "notes": f"cold: {cold:.2f} s for render + store + ZIP ({batch.size / 1024:.0f} KiB); second run (all reused): "
                  f"{warm:.2f} s = {len(ids) / warm:.1f} documents/s; HarfBuzz subsetter: {documents.harfbuzz_subsetter()}"},
    ]
