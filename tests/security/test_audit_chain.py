"""The audit trail's chain: numbered rows linked by SM3 hashes; audit_verify names the first row
edited, deleted or inserted; rows are never updated or deleted, except by a legal purge."""
import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import at
from workflow import audit
from workflow.audit_chain import GENESIS, sm3_hex
from workflow.models import SecurityEvent
from workflow.models.security import AppendOnlyError

from .audit_helpers import empty_trail, raw_sql, trail, verify_command

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind


def test_sm3_is_the_national_hash():
    # GB/T 32905-2016, example 1
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_rows_are_numbered_and_chained_and_verify_on_a_fresh_trail():
    # given a few rows written the way every event is written
    rows = trail(5)
    # then they follow each other, each linked to the one before
    sequences = [r.sequence for r in rows]
    assert sequences == list(range(sequences[0], sequences[0] + 5))
    for before, row in zip(rows, rows[1:]):
        assert row.prev_hash == before.hash and len(row.hash) == 64
    first = SecurityEvent.objects.order_by("sequence").first()
    assert first.sequence == 1 and first.prev_hash == GENESIS
    # and the chain verifies, the command too
    result = audit.audit_verify()
    assert result.ok and result.last == rows[-1].sequence and result.head_hash == rows[-1].hash
    status, message = verify_command()
    assert status == 0 and f"head #{rows[-1].sequence} {rows[-1].hash}" in message


def test_an_edited_row_is_named_by_verify():
    rows = trail(5)
    victim = rows[2]
    raw_sql("UPDATE workflow_securityevent SET username = %s WHERE sequence = %s", ["someone_else", victim.sequence])
    result = audit.audit_verify()
    assert [p.sequence for p in result.problems] == [victim.sequence]
    status, message = verify_command()
    assert status == 1 and f"broken at #{victim.sequence}" in message


def test_an_edited_row_with_its_hash_recomputed_is_caught_by_the_next_link():
    rows = trail(5)
    victim = rows[1]
    row = dict(SecurityEvent.objects.values("prev_hash", *audit.FIELDS).get(pk=victim.pk))
    row["detail"] = {"i": 99}
    forged = audit.row_hash(row, row["prev_hash"])
    raw_sql("UPDATE workflow_securityevent SET detail = %s, hash = %s WHERE sequence = %s", ['{"i": 99}', forged, victim.sequence])
    result = audit.audit_verify()
    assert result.problems[0].sequence == rows[2].sequence and "prev_hash" in result.problems[0].reason


def test_a_deleted_row_is_named_by_verify():
    rows = trail(5)
    victim = rows[3]
    raw_sql("DELETE FROM workflow_securityevent WHERE sequence = %s", [victim.sequence])
    status, message = verify_command()
    assert status == 1 and f"broken at #{victim.sequence}" in message and "deleted" in message


def test_deleting_the_oldest_rows_without_a_purge_is_named_by_verify():
    trail(5)
    raw_sql("DELETE FROM workflow_securityevent WHERE sequence <= 2")
    result = audit.audit_verify()
    assert result.problems[0].sequence == 2 and "not by a purge" in result.problems[0].reason


def test_an_inserted_row_is_named_by_verify():
    rows = trail(3)
    head = rows[-1]
    raw_sql(
        "INSERT INTO workflow_securityevent (sequence, prev_hash, hash, created_at, kind, username, user_agent, object_type, object_id, object_repr, detail)"
        " VALUES (%s, %s, %s, %s, 'login_succeeded', 'intruder', '', '', '', '', '{}')",
        [head.sequence + 1, head.hash, "f" * 64, head.created_at],
    )
    status, message = verify_command()
    assert status == 1 and f"broken at #{head.sequence + 1}" in message


def test_rows_are_never_updated_or_deleted_through_the_orm():
    row = trail(1)[0]
    row.username = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=row.pk).update(username="changed")
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=row.pk).delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.create(kind=Kind.LOGIN_FAILED, sequence=999, created_at=row.created_at)
    assert audit.audit_verify().ok


def test_purge_refuses_anything_younger_than_180_days(settings):
    empty_trail()
    with at(2026, 1, 5, 9):
        trail(2)
    with at(2026, 6, 1, 9):
        # 2026-01-05 is less than 180 days before 2026-06-01
        with pytest.raises(ValidationError):
            audit.audit_purge(before=dt.datetime(2026, 1, 6, tzinfo=dt.timezone.utc))
        with pytest.raises(CommandError, match="180"):
            call_command("audit_purge", "--before", "2026-01-06")
    assert SecurityEvent.objects.filter(kind=Kind.AUDIT_PURGED).count() == 0
    # and a shorter retention is refused outright
    settings.AUDIT_RETENTION_DAYS = 30
    with pytest.raises(ImproperlyConfigured):
        audit.audit_purge(before=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))


def test_a_legal_purge_deletes_old_rows_records_itself_and_verify_anchors_after_it(admin_user):
    empty_trail()
    with at(2025, 1, 10, 9):
        old = trail(4)
    with at(2025, 12, 1, 9):
        young = trail(3)
    with at(2026, 1, 1, 9):
        call_command("audit_purge", "--before", "2025-03-01", "--by", admin_user.username)
        purge = SecurityEvent.objects.filter(kind=Kind.AUDIT_PURGED).get()
    assert not SecurityEvent.objects.filter(pk__in=[r.pk for r in old]).exists()
    assert SecurityEvent.objects.filter(pk__in=[r.pk for r in young]).count() == 3
    assert purge.username == admin_user.username
    assert purge.detail["through_sequence"] == old[-1].sequence and purge.detail["through_hash"] == old[-1].hash
    assert purge.detail["deleted"] == 4 and old[0].sequence == 1
    status, message = verify_command()
    assert status == 0, message
    # a later purge of nothing leaves the anchor where it is
    with at(2026, 1, 2, 9):
        audit.audit_purge(before=dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc))
    assert audit.audit_verify().ok
    # and deleting the first row left is still caught
    raw_sql("DELETE FROM workflow_securityevent WHERE sequence = %s", [young[0].sequence])
    assert audit.audit_verify().problems[0].sequence == young[0].sequence


def test_purge_refuses_a_broken_chain():
    empty_trail()
    with at(2025, 1, 10, 9):
        rows = trail(3)
    raw_sql("UPDATE workflow_securityevent SET username = 'x' WHERE sequence = %s", [rows[1].sequence])
    with at(2026, 1, 1, 9), pytest.raises(ValidationError):
        audit.audit_purge(before=dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc))
    assert SecurityEvent.objects.filter(pk=rows[0].pk).exists()
