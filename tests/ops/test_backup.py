"""manage.py backup and restore (workflow/backup.py), as an operator runs them: separate
processes against real database files and directories.

The round trip runs on the engine of the pass: on SQLite the test database (in memory) is
copied to a file first, which `backup` reads while another connection holds an uncommitted
write; on PostgreSQL `backup` reads the test database and `restore` fills a second database
made for it. Either way the restored database must hold the same rows in every table and
MEDIA_ROOT the same bytes."""
from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from complaints.models import Attachment
from tests.complaints import factories as complaint_factories
from tests.factories import at
from tests.proposals import factories
from tests.proposals.conftest import session  # noqa: F401  (the proposal fixtures)
from workflow import backup, documents
from workflow.models import CaseEvent, GeneratedDocument

pytestmark = pytest.mark.django_db(transaction=True)


# --- helpers ----------------------------------------------------------------------------------------

def manage(*args, url: str, media: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url,
        "MEDIA_ROOT": str(media), "DJANGO_ENV_FILE": os.devnull,
    }
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def _pg_url(name: str) -> str:
    conf = connection.settings_dict
    auth = quote(conf["USER"]) + (":" + quote(conf["PASSWORD"]) if conf["PASSWORD"] else "")
    return f"postgres://{auth}@{conf['HOST'] or 'localhost'}:{conf['PORT'] or 5432}/{name}"


class Databases:
    """Where `backup` reads and `restore` writes, on the engine of this pass."""

    def __init__(self, tmp_path: Path):
        self.vendor = connection.vendor
        self.tmp_path = tmp_path
        self.target_name = f"{connection.settings_dict['NAME']}_restored"

    def source(self) -> str:
        if self.vendor == "sqlite":  # the in-memory test database, as a file, in WAL mode like `make run`'s
            path = self.tmp_path / "source.sqlite3"
            connection.ensure_connection()
            with sqlite3.connect(path) as copy:
                connection.connection.backup(copy)
                copy.execute("PRAGMA journal_mode=WAL")
            return f"sqlite:///{path}"
        return _pg_url(connection.settings_dict["NAME"])

    def target(self) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{self.tmp_path / 'restored.sqlite3'}"
        return _pg_url(self.target_name)

    def connect(self, url: str):
        if self.vendor == "sqlite":
            return sqlite3.connect(url.removeprefix("sqlite:///"))
        import psycopg

        return psycopg.connect(url.replace("postgres://", "postgresql://", 1))


@pytest.fixture
def databases(tmp_path, transactional_db):
    dbs = Databases(tmp_path)
    if dbs.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{dbs.target_name}"')
            cursor.execute(f'CREATE DATABASE "{dbs.target_name}"')
    yield dbs
    if dbs.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{dbs.target_name}" WITH (FORCE)')


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _png() -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("现场照片.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def cases(media, session, member, office_user, handler, dept_leader, approval_dept, dispatcher, realestate_dept):  # noqa: F811
    """A replied proposal with its reply letter (PDF) and a dispatched complaint with a photo."""
    with at(2026, 3, 2, 9):
        proposal = factories.replied(lead=approval_dept, reply_body="　　经研究，已按建议推进“最多跑一次”改革。")
        letter = documents.document_issue(actor=handler, case=factories.reply_of(proposal), kind="proposal_reply")
        complaint = complaint_factories.dispatched(dispatcher, realestate_dept, attachments=[_png()])
    assert Attachment.objects.filter(complaint=complaint).count() == 1 and letter.size > 0
    assert CaseEvent.objects.count() >= 8
    return proposal, complaint


def _tables(dbs: Databases, url: str) -> dict[str, list]:
    """Every row of every table, sorted: what "the same database" means here."""
    db = dbs.connect(url)
    try:
        cursor = db.cursor()
        if dbs.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        else:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        rows = {}
        for (table,) in sorted(cursor.fetchall()):
            cursor.execute(f'SELECT * FROM "{table}"')
            rows[table] = sorted(cursor.fetchall(), key=repr)
        return rows
    finally:
        db.close()


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("manifest.json"))


def _rewrite(archive: Path, out: Path, *, change: str | None = None, add: str | None = None) -> Path:
    """A copy of the archive with one member's bytes changed, or one member added."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name == change:
                data = data[:-1] + bytes([data[-1] ^ 1])
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
        if add:
            info = tarfile.TarInfo(add)
            info.size = 3
            dst.addfile(info, io.BytesIO(b"bad"))
    return out


# --- the round trip ------------------------------------------------------------------------------------

def test_a_backup_restores_into_a_fresh_database_with_the_same_cases_events_and_documents(cases, databases, media, tmp_path):
    # given the cases in a database file (SQLite) or the test database (PostgreSQL), and a write
    # still uncommitted in another connection while the backup runs (SQLite)
    source = databases.source()
    writer = None
    if databases.vendor == "sqlite":
        writer = databases.connect(source)
        writer.isolation_level = None
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO workflow_caseevent (case_type_id, case_id, type, actor_id, from_state, to_state, payload, created_at) "
                       "SELECT case_type_id, case_id, 'uncommitted', NULL, '', '', '{}', created_at FROM workflow_caseevent LIMIT 1")

    # when it is backed up
    done = manage("backup", "--output", str(tmp_path), url=source, media=media)
    assert done.returncode == 0, done.stderr
    if writer is not None:  # the writer was not in the way, nor stopped: it commits afterwards
        writer.execute("COMMIT")
        writer.close()
    archive = next(tmp_path.glob("cases-backup-*.tar.gz"))

    # then one archive, readable by its owner only, lists what it holds
    assert archive.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".*"))  # no temporary file or directory left behind
    manifest = _manifest(archive)
    assert manifest["database"]["engine"] == databases.vendor
    assert manifest["row_counts"]["workflow.caseevent"]["rows"] == CaseEvent.objects.count()  # not the uncommitted one
    assert manifest["row_counts"]["workflow.generateddocument"]["rows"] == 1
    assert manifest["row_counts"]["complaints.complaint"]["rows"] == 1
    document, attachment = GeneratedDocument.objects.get(), Attachment.objects.get()
    assert manifest["files"][f"media/{document.file.name}"]["sha256"] == document.sha256
    assert manifest["files"][f"media/{attachment.file.name}"]["sha256"] == attachment.sha256
    assert "1 proposals, 1 complaints" in done.stdout

    # when it is restored into a fresh database and an empty MEDIA_ROOT
    restored_media = tmp_path / "restored-media"
    done = manage("restore", str(archive), url=databases.target(), media=restored_media)

    # then every table holds the same rows and every file the same bytes
    assert done.returncode == 0, done.stderr
    assert "row counts match the manifest" in done.stdout
    expected = _tables(databases, source)
    if databases.vendor == "sqlite":  # committed after the snapshot: not in the backup
        expected["workflow_caseevent"] = [row for row in expected["workflow_caseevent"] if "uncommitted" not in row]
    restored = _tables(databases, databases.target())
    assert restored.keys() == expected.keys()
    for table in expected:
        assert restored[table] == expected[table], table
    assert len(restored["proposals_proposal"]) == 1 and len(restored["complaints_complaint"]) == 1
    assert len(restored["workflow_caseevent"]) == CaseEvent.objects.count()
    assert _files(restored_media) == _files(media)
    assert _files(restored_media)[document.file.name] == document.sha256
    assert _files(restored_media)[attachment.file.name] == attachment.sha256

    # when it is restored again into what is now a database with tables
    again = manage("restore", str(archive), url=databases.target(), media=restored_media)

    # then it is refused, and --force replaces the contents
    assert again.returncode != 0 and "not empty" in again.stderr and "--force" in again.stderr
    forced = manage("restore", str(archive), "--force", url=databases.target(), media=restored_media)
    assert forced.returncode == 0, forced.stderr
    assert _tables(databases, databases.target()) == restored


def test_a_changed_archive_is_refused_naming_the_file(databases, media, tmp_path):
    # given a backup with a document in MEDIA_ROOT
    (media / "documents").mkdir(parents=True)
    (media / "documents" / "letter.pdf").write_bytes(b"%PDF-1.4 a reply letter")
    archive = tmp_path / "backup.tar.gz"
    done = manage("backup", "--output", str(archive), url=databases.source(), media=media)
    assert done.returncode == 0, done.stderr
    changed_name = "media/documents/letter.pdf"

    # when one byte of a document is changed, the database is changed, a file is added
    changed = _rewrite(archive, tmp_path / "changed.tar.gz", change=changed_name)
    database = _rewrite(archive, tmp_path / "database.tar.gz", change=_manifest(archive)["database"]["file"])
    added = _rewrite(archive, tmp_path / "added.tar.gz", add="media/seals/extra.png")
    escaping = _rewrite(archive, tmp_path / "escaping.tar.gz", add="../outside.txt")

    # then restore refuses it before touching anything, naming the file
    done = manage("restore", str(changed), url=databases.target(), media=tmp_path / "restored-media")
    assert done.returncode != 0
    assert changed_name in done.stderr and "SHA-256" in done.stderr and "nothing was restored" in done.stderr
    assert not (tmp_path / "restored-media").exists()
    if databases.vendor == "sqlite":
        assert not (tmp_path / "restored.sqlite3").exists()
    else:
        assert _tables(databases, databases.target()) == {}
    for bad, message in ((database, "does not match its SHA-256"), (added, "media/seals/extra.png is in the archive but not in the manifest"),
                         (escaping, "../outside.txt: not a file")):
        with pytest.raises(backup.BackupError, match=message.replace(".", r"\.")):
            backup.backup_unpack(bad, tmp_path / bad.stem)
    assert not (tmp_path / "outside.txt").exists()


@pytest.mark.postgres
def test_pg_dump_gets_the_password_in_its_environment_not_on_its_command_line(transactional_db, media, tmp_path, monkeypatch):
    # given a database password (the throwaway cluster trusts the loopback, so any password works)
    assert connection.vendor == "postgresql"
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "s3cret-Passw0rd")
    calls = []
    real_run = backup._run
    monkeypatch.setattr(backup, "_run", lambda args, env: (calls.append((args, env)), real_run(args, env))[1])

    # when a backup is made
    result = backup.backup_create(output=tmp_path)

    # then pg_dump got it through PGPASSWORD only, and the archive is the owner's alone
    (args, env), = calls
    assert Path(args[0]).name == "pg_dump" and not any("s3cret" in arg for arg in args)
    assert env["PGPASSWORD"] == "s3cret-Passw0rd" and env["PGDATABASE"] == connection.settings_dict["NAME"]
    assert any(arg.startswith("--snapshot=") for arg in args)
    assert result.path.stat().st_mode & 0o777 == 0o600
    assert result.manifest["row_counts"]["workflow.user"]["rows"] == 0
