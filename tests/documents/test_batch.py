"""Bulk generation: every reply letter of a session by a Celery task (ids, safe to
run twice), a progress fragment htmx polls, a ZIP for the office; others get 403."""
import io
import zipfile

import pytest
from django.urls import reverse

from workflow import documents
from workflow.models import DocumentBatch, GeneratedDocument
from workflow.tasks import document_batch_run

pytestmark = pytest.mark.django_db


def test_the_office_generates_a_sessions_letters_as_a_zip(client, seed_proposal, office_user, django_capture_on_commit_callbacks):
    client.force_login(office_user)
    page = client.get(reverse("document-batches")).content.decode()
    assert 'name="choice"' in page and seed_proposal.session.name in page
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly in tests
        response = client.post(reverse("document-batches"), {"source": "proposal_replies_by_session", "choice": seed_proposal.session_id})
    batch = DocumentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("document-batch", args=[batch.pk])
    assert batch.status == "done" and batch.total == batch.done == 1 and len(batch.sha256) == 64
    status = client.get(reverse("document-batch-status", args=[batch.pk])).content.decode()
    assert 'data-status="done"' in status and "hx-trigger" not in status  # finished: polling stops
    content = client.get(reverse("document-batch-zip", args=[batch.pk])).content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        assert names == ["答复函-2019-28号-区行政审批局.pdf"]
        assert archive.read(names[0]).startswith(b"%PDF")
    # run twice: nothing new rendered, the same ZIP
    assert document_batch_run(batch.pk) == "done"
    assert GeneratedDocument.objects.filter(kind="proposal_reply").count() == 1


def test_progress_polls_while_running_and_resumes_a_dead_run(client, seed_proposal, office_user):
    batch = documents.document_batch_start(actor=office_user, source="proposal_replies_by_session", choice=str(seed_proposal.session_id))
    client.force_login(office_user)
    status = client.get(reverse("document-batch-status", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in status and "<progress" in status and 'value="0"' in status
    DocumentBatch.objects.filter(pk=batch.pk).update(status="running")  # another worker holds it: left alone
    assert document_batch_run(batch.pk) == "running"
    DocumentBatch.objects.filter(pk=batch.pk).update(updated_at=batch.updated_at.replace(year=2000))  # that worker died
    assert document_batch_run(batch.pk) == "done"
    assert DocumentBatch.objects.get(pk=batch.pk).done == 1


def test_only_the_office_may_start_or_download(client, seed_proposal, office_user, handler, member):
    batch = documents.document_batch_start(actor=office_user, source="proposal_replies_by_session", choice=str(seed_proposal.session_id))
    document_batch_run(batch.pk)
    for user in (handler, member):
        client.force_login(user)
        assert client.get(reverse("document-batches")).status_code == 403
        assert client.post(reverse("document-batches"), {"source": "proposal_replies_by_session", "choice": seed_proposal.session_id}).status_code == 403
        assert client.get(reverse("document-batch", args=[batch.pk])).status_code == 403
        assert client.get(reverse("document-batch-zip", args=[batch.pk])).status_code == 403
    client.force_login(office_user)
    response = client.post(reverse("document-batches"), {"source": "proposal_replies_by_session", "choice": "999"})
    assert response.status_code == 400 and "请选择要生成的范围" in response.content.decode()
    assert client.post(reverse("document-batches"), {"source": "nope", "choice": "1"}).status_code == 403


def test_a_batch_never_queued_or_left_running_is_queued_again_by_the_flush(seed_proposal, office_user, monkeypatch):
    from workflow.queueing import delay_or_log
    from workflow.tasks import document_batch_flush

    # given the broker down when the batch was queued: the request still succeeds
    def down(batch_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(document_batch_run, "delay", down)
    delay_or_log(document_batch_run, 0)  # logged, not raised
    monkeypatch.undo()
    batch = documents.document_batch_start(actor=office_user, source="proposal_replies_by_session", choice=str(seed_proposal.session_id))
    assert DocumentBatch.objects.get(pk=batch.pk).status == "pending"
    assert document_batch_flush() == 0  # younger than a minute: its own task may still come
    DocumentBatch.objects.filter(pk=batch.pk).update(created_at=batch.created_at.replace(year=2000))
    assert document_batch_flush() == 1  # queued again (eager here): done
    assert DocumentBatch.objects.get(pk=batch.pk).status == "done"
    assert document_batch_flush() == 0


def _more_replies(reply, n: int) -> list[int]:
    """`n` more passed replies in the seed's session: later rounds of the same assignment."""
    ids = [reply.pk]
    for i in range(n):
        reply.pk, reply.id = None, None
        reply.round = 101 + i
        reply.doc_number = f"{reply.doc_number}-{i + 1}"
        reply.save()
        ids.append(reply.pk)
    return ids


def _zip_names(batch) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(documents.document_batch_read(batch))) as archive:
        return archive.namelist()


def test_a_batch_fans_out_one_task_per_chunk_and_the_last_chunk_packs_the_zip_once(settings, seed_proposal, seed_reply, office_user, monkeypatch):
    from workflow import tasks

    # given five letters in chunks of two, and the chunk tasks caught instead of run
    settings.DOCUMENTS_BATCH_CHUNK_SIZE = 2
    _more_replies(seed_reply, 4)
    queued = []
    monkeypatch.setattr(tasks.document_batch_chunk, "delay", lambda batch_id, index: queued.append((batch_id, index)))
    packed = []
    real_pack = documents._batch_pack
    monkeypatch.setattr(documents, "_batch_pack", lambda batch: packed.append(batch.pk) or real_pack(batch))
    batch = documents.document_batch_start(actor=office_user, source="proposal_replies_by_session", choice=str(seed_proposal.session_id))
    # when the batch task runs: three chunk tasks queued, nothing rendered yet
    assert document_batch_run(batch.pk) == "running"
    assert queued == [(batch.pk, 0), (batch.pk, 1), (batch.pk, 2)]
    assert [len(c.object_ids) for c in batch.chunks.all()] == [2, 2, 1]
    # and the chunks run in any order, one twice: progress counted once per document
    assert documents.document_batch_chunk_run(batch_id=batch.pk, index=1) == "done"
    assert documents.document_batch_chunk_run(batch_id=batch.pk, index=0) == "done"
    assert documents.document_batch_chunk_run(batch_id=batch.pk, index=0) == "done"  # delivered twice: left alone
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.failed, bool(batch.file)) == ("running", 4, 0, False)
    # the batch task run again meanwhile queues only the chunk not done
    DocumentBatch.objects.filter(pk=batch.pk).update(updated_at=batch.updated_at.replace(year=2000))
    queued.clear()
    assert document_batch_run(batch.pk) == "running" and queued == [(batch.pk, 2)]
    # then the last chunk packs the ZIP, once, whoever else looks for it afterwards
    assert documents.document_batch_chunk_run(batch_id=batch.pk, index=2) == "done"
    assert documents._batch_pack_if_complete(batch.pk) is False  # a second finisher: not packed again
    assert documents.document_batch_chunk_run(batch_id=batch.pk, index=2) == "done"
    assert document_batch_run(batch.pk) == "done"
    batch.refresh_from_db()
    assert packed == [batch.pk]
    assert (batch.status, batch.done, batch.total, batch.failed, batch.error) == ("done", 5, 5, 0, "")
    names = _zip_names(batch)
    assert len(names) == len(set(names)) == 5 and all(name.endswith(".pdf") for name in names)
    assert GeneratedDocument.objects.filter(kind="proposal_reply").count() == 5


def test_a_chunk_left_by_a_dead_worker_is_taken_over_and_resumes_after_its_last_document(settings, seed_proposal, seed_reply, office_user, monkeypatch):
    from workflow import tasks
    from workflow.models import DocumentBatchChunk

    settings.DOCUMENTS_BATCH_CHUNK_SIZE = 3
    _more_replies(seed_reply, 2)
    monkeypatch.setattr(tasks.document_batch_chunk, "delay", lambda batch_id, index: None)
    batch = documents.document_batch_start(actor=office_user, source="proposal_replies_by_session", choice=str(seed_proposal.session_id))
    document_batch_run(batch.pk)
    # given a worker that rendered the chunk's first letter and died
    issued = []
    real_issue = documents.document_issue
    monkeypatch.setattr(documents, "document_issue", lambda **kw: issued.append(kw["case"].pk) or real_issue(**kw))
    chunk = batch.chunks.get()
    original_claim = DocumentBatchChunk.objects.filter(pk=chunk.pk)
    original_claim.update(status="running", updated_at=chunk.updated_at)
    first = real_issue(actor=office_user, case=documents.document_object(kind="proposal_reply", pk=chunk.object_ids[0]), kind="proposal_reply")
    original_claim.update(done=1, results=[{"id": chunk.object_ids[0], "doc": first.pk, "name": "a.pdf"}])
    DocumentBatch.objects.filter(pk=batch.pk).update(done=1)
    # when the chunk task comes again while that worker might still be alive: left alone
    assert documents.document_batch_chunk_run(batch_id=batch.pk, index=0) == "running" and issued == []
    # and after BATCH_STALE_SECONDS without progress it is taken over
    original_claim.update(updated_at=chunk.updated_at.replace(year=2000))
    assert documents.document_batch_chunk_run(batch_id=batch.pk, index=0) == "done"
    # then only the two letters not yet made were rendered, and each counted once
    assert issued == chunk.object_ids[1:]
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.total) == ("done", 3, 3) and len(_zip_names(batch)) == 3


def test_a_document_that_fails_is_recorded_and_the_others_are_zipped(client, settings, seed_proposal, seed_reply, office_user, monkeypatch, caplog):
    # given three letters, one of which cannot be rendered
    settings.DOCUMENTS_BATCH_CHUNK_SIZE = 2
    ids = _more_replies(seed_reply, 2)
    real_issue = documents.document_issue

    def issue(**kw):
        if kw["case"].pk == ids[1]:
            raise RuntimeError("字体缺失")
        return real_issue(**kw)

    monkeypatch.setattr(documents, "document_issue", issue)
    # when the batch runs (its chunk tasks eagerly, as tests run Celery)
    batch = documents.document_batch_start(actor=office_user, source="proposal_replies_by_session", choice=str(seed_proposal.session_id))
    assert document_batch_run(batch.pk) == "done"
    # then the batch is done with the two others in its ZIP, and the failure recorded and logged
    batch.refresh_from_db()
    assert (batch.done, batch.total, batch.failed) == (3, 3, 1)
    assert f"对象 {ids[1]}：字体缺失" in batch.error
    assert len(_zip_names(batch)) == 2
    assert any("failed" in record.getMessage() and record.exc_info for record in caplog.records)
    client.force_login(office_user)
    status = client.get(reverse("document-batch-status", args=[batch.pk])).content.decode()
    assert 'data-testid="batch-failures"' in status and "有 1 份文书未能生成" in status and "字体缺失" in status


def test_a_chunk_loads_its_objects_and_versions_at_once_and_counts_its_progress_in_one_write(settings, seed_proposal, seed_reply, office_user, monkeypatch):
    from django.db.models.query import QuerySet

    from proposals.models import Reply
    from workflow import tasks

    # given four letters in one chunk, two of them issued before (one since changed)
    settings.DOCUMENTS_BATCH_CHUNK_SIZE = 4
    ids = _more_replies(seed_reply, 3)
    before = {}
    for pk in ids[:2]:
        before[pk] = documents.document_issue(actor=office_user, case=documents.document_object(kind="proposal_reply", pk=pk), kind="proposal_reply")
    Reply.objects.filter(pk=ids[1]).update(contact_phone="0571-88888888")
    monkeypatch.setattr(tasks.document_batch_chunk, "delay", lambda batch_id, index: None)
    batch = documents.document_batch_start(actor=office_user, source="proposal_replies_by_session", choice=str(seed_proposal.session_id))
    document_batch_run(batch.pk)

    # when the chunk runs, no object or version is looked up one at a time
    def one_by_one(**kw):
        raise AssertionError("looked up one at a time")

    monkeypatch.setattr(documents, "document_object", one_by_one)
    monkeypatch.setattr(documents, "document_latest", one_by_one)
    # (a chunk that takes longer than BATCH_PROGRESS_SECONDS writes its progress on the way,
    # as a loaded CI machine showed: here the chunk is "fast" whatever the machine)
    monkeypatch.setattr(documents, "BATCH_PROGRESS_SECONDS", 3600.0)
    writes = []
    real_update = QuerySet.update
    monkeypatch.setattr(QuerySet, "update", lambda qs, **kw: writes.append((qs.model.__name__, sorted(kw))) or real_update(qs, **kw))
    assert documents.document_batch_chunk_run(batch_id=batch.pk, index=0) == "done"

    # then the unchanged letter is the stored version, the changed one a new version, the others new
    docs = {entry["id"]: entry["doc"] for entry in batch.chunks.get().results}
    assert docs[ids[0]] == before[ids[0]].pk
    changed = GeneratedDocument.objects.get(pk=docs[ids[1]])
    assert changed.pk != before[ids[1]].pk and changed.version == 2 and changed.source_sha256 != before[ids[1]].source_sha256
    assert GeneratedDocument.objects.filter(kind="proposal_reply").count() == 5
    # and the progress of the fast chunk was written once (the chunk and the batch, together)
    progress = [w for w in writes if "done" in w[1]]
    assert progress == [("DocumentBatchChunk", ["done", "results", "updated_at"]), ("DocumentBatch", ["done", "failed", "updated_at"])]
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.failed) == ("done", 4, 0)


def test_the_latest_versions_of_many_objects_come_from_one_query(seed_reply, office_user, django_assert_num_queries):
    # given a letter rendered twice and one never rendered
    case = documents.document_object(kind="proposal_reply", pk=seed_reply.pk)
    documents.document_render(actor=office_user, case=case, kind="proposal_reply")
    second = documents.document_render(actor=office_user, case=case, kind="proposal_reply")
    # when the latest versions of both are looked up
    with django_assert_num_queries(1):
        latest = documents.document_latest_many(model_label="proposals.Reply", pks=[seed_reply.pk, seed_reply.pk + 1000], kind="proposal_reply")
    # then the letter's is its second version, and the other has none
    assert latest == {seed_reply.pk: second} and second.version == 2
