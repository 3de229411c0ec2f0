"""The audit trail on PostgreSQL: the database itself refuses UPDATE and DELETE (django-pgtrigger),
and two writers appending at once never fork the chain (the advisory lock)."""
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from workflow import audit
from workflow.models import SecurityEvent

pytestmark = [pytest.mark.postgres]
Kind = SecurityEvent.Kind


def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
@pytest.mark.parametrize("sql", [
    "UPDATE workflow_securityevent SET username = 'someone_else' WHERE sequence = %s",
    "DELETE FROM workflow_securityevent WHERE sequence = %s",
])
def test_the_database_refuses_update_and_delete(sql):
    row = audit.append(kind=Kind.LOGIN_FAILED, username="mallory")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [row.sequence])
    assert SecurityEvent.objects.filter(pk=row.pk, username="mallory").exists()
    assert audit.audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_two_writers_appending_at_once_keep_one_chain():
    barrier = threading.Barrier(2)
    errors = []

    def writer(name):
        try:
            barrier.wait()
            for i in range(50):
                # each in its own transaction, like requests do
                audit.append(kind=Kind.LOGIN_FAILED, username=name, detail={"i": i})
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("writer_a", "writer_b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert SecurityEvent.objects.filter(username__in=["writer_a", "writer_b"]).count() == 100
    # interleaved, yet one unbroken chain
    result = audit.audit_verify()
    assert result.ok, result.problems
    sequences = list(SecurityEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
