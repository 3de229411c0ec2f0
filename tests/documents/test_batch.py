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
    from workflow.tasks import document_batch_flush

    # given the broker down when the batch was queued: the request still succeeds
    def down(batch_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(document_batch_run, "delay", down)
    documents._queue_batch(document_batch_run, 0)  # logged, not raised
    monkeypatch.undo()
    batch = documents.document_batch_start(actor=office_user, source="proposal_replies_by_session", choice=str(seed_proposal.session_id))
    assert DocumentBatch.objects.get(pk=batch.pk).status == "pending"
    assert document_batch_flush() == 0  # younger than a minute: its own task may still come
    DocumentBatch.objects.filter(pk=batch.pk).update(created_at=batch.created_at.replace(year=2000))
    assert document_batch_flush() == 1  # queued again (eager here): done
    assert DocumentBatch.objects.get(pk=batch.pk).status == "done"
    assert document_batch_flush() == 0
