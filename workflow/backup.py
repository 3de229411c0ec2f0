"""Backup and restore of the database and the files under MEDIA_ROOT (docs/operations.md).

An archive is one ``.tar.gz`` holding

* ``database.sqlite3`` (SQLite: the online backup API's copy of the live file,
  consistent while the app writes) or ``database.pgdump`` (PostgreSQL:
  ``pg_dump --format=custom`` of the snapshot the row counts were taken in);
* ``media/...``: every file under MEDIA_ROOT (complaint attachments,
  generated documents, seals);
* ``manifest.json``: when, which commit, which engine, the row count of every
  model's table, the applied migrations, and the SHA-256 and size of every
  other file in the archive.

``backup_create`` writes it under a temporary name with mode 0600 and renames
it when complete. ``backup_restore`` unpacks it into a private directory,
checks every file against the manifest before touching anything, refuses a
database that already has tables unless forced, copies the media files in,
restores the database (SQLite: the backup API into the configured file;
PostgreSQL: ``pg_restore --clean --if-exists --no-owner``), then compares the
row counts with the manifest. An archive restores only into the engine it
came from: SQLite to SQLite, PostgreSQL to PostgreSQL.

The connection settings are the configured ones (``DATABASES["default"]``,
``MEDIA_ROOT``); the PostgreSQL password reaches pg_dump and pg_restore in
their environment (PGPASSWORD), never on a command line.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.db import connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

FORMAT = "cases-backup/1"
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why (and names the file)."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    seconds: float


@dataclass
class RestoreReport:
    manifest: dict
    database: str
    media_written: int = 0
    media_unchanged: int = 0
    media_extra: int = 0  # files under MEDIA_ROOT that the backup does not have (left in place)
    row_counts: dict = field(default_factory=dict)  # label -> (expected, found)
    missing_files: list = field(default_factory=list)  # file fields naming a file absent from MEDIA_ROOT
    migrate_needed: bool = False
    unknown_migrations: list = field(default_factory=list)  # applied in the backup, unknown to this code
    seconds: float = 0.0

    @property
    def mismatches(self) -> dict:
        return {label: pair for label, pair in self.row_counts.items() if pair[0] != pair[1]}


# --- what is counted ----------------------------------------------------------------------------------

def _tables() -> dict[str, str]:
    """Model label -> table, for every concrete table the code knows (m2m tables and history included)."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        tables[meta.label_lower] = meta.db_table
    return dict(sorted(tables.items()))


def _count_rows(cursor, tables: dict[str, str], quote) -> dict[str, dict]:
    counts = {}
    for label, table in tables.items():
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[label] = {"table": table, "rows": cursor.fetchone()[0]}
    return counts


def _applied_migrations(cursor) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _engine(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"backup supports SQLite and PostgreSQL, not {vendor}")
    return vendor


def _sqlite_path(alias: str = "default") -> Path:
    name = str(connections[alias].settings_dict["NAME"])
    if connections[alias].is_in_memory_db() or not name:
        raise BackupError("the configured SQLite database is in memory: there is no file to back up or restore")
    return Path(name)


def _pg_env(alias: str = "default") -> dict[str, str]:
    """libpq's environment for the configured database: the password in PGPASSWORD, not in argv."""
    conf = connections[alias].settings_dict
    options = conf.get("OPTIONS", {})
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for key, value in (("PGHOST", conf.get("HOST")), ("PGPORT", conf.get("PORT")), ("PGUSER", conf.get("USER")),
                       ("PGPASSWORD", conf.get("PASSWORD")), ("PGDATABASE", conf.get("NAME")),
                       ("PGSERVICE", options.get("service")), ("PGPASSFILE", options.get("passfile")),
                       ("PGSSLMODE", options.get("sslmode")), ("PGSSLROOTCERT", options.get("sslrootcert")),
                       ("PGSSLCERT", options.get("sslcert")), ("PGSSLKEY", options.get("sslkey"))):
        if value:
            env[key] = str(value)
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client (Debian: postgresql-client), "
                          "of the server's major version or newer")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def _git_commit() -> str | None:
    if not (Path(settings.BASE_DIR) / ".git").exists() or shutil.which("git") is None:
        return None
    try:
        done = subprocess.run(["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _file_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, f.name)
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed
        for f in model._meta.concrete_fields if isinstance(f, models.FileField)
    ]


def _missing_files(alias: str = "default") -> list[str]:
    """Files named by a FileField of some row that are not under MEDIA_ROOT."""
    media = Path(settings.MEDIA_ROOT)
    missing = []
    for model, name in _file_fields():
        for value in model._base_manager.using(alias).exclude(**{name: ""}).values_list(name, flat=True).iterator():
            if value and not (media / value).is_file():
                missing.append(f"{model._meta.label_lower}.{name}: {value}")
    return sorted(missing)


# --- writing an archive ---------------------------------------------------------------------------

class _HashingReader:
    """Reads a file for tarfile while hashing exactly the bytes that go into the archive."""

    def __init__(self, f):
        self.f = f
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        data = self.f.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar: tarfile.TarFile, source: Path, arcname: str, files: dict) -> None:
    with open(source, "rb") as f:
        info = tar.gettarinfo(arcname=arcname, fileobj=f)
        info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
        reader = _HashingReader(f)
        tar.addfile(info, reader)
    files[arcname] = {"sha256": reader.sha256.hexdigest(), "size": info.size}


def _media_files() -> list[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    found = []
    if not root.is_dir():
        return found
    for directory, dirnames, filenames in os.walk(root):  # symbolic links are not followed
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found.append((path, "media/" + path.relative_to(root).as_posix()))
    return found


def _snapshot_sqlite(target: Path, alias: str) -> tuple[dict, dict]:
    """The live file copied through SQLite's backup API (a consistent snapshot, writers go on)."""
    path = _sqlite_path(alias)
    if not path.is_file():
        raise BackupError(f"the SQLite database {path} does not exist")
    timeout = connections[alias].settings_dict.get("OPTIONS", {}).get("timeout", 20)
    source = sqlite3.connect(path, timeout=timeout)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: one read transaction, so one point in time
        cursor = copy.cursor()
        counts = _count_rows(cursor, _tables(), connections[alias].ops.quote_name)
        migrations = _applied_migrations(cursor)
    finally:
        copy.close()
        source.close()
    os.chmod(target, 0o600)
    return counts, migrations


def _snapshot_postgresql(target: Path, alias: str) -> tuple[dict, dict]:
    """pg_dump of the very snapshot the rows were counted in (exported from our transaction)."""
    pg_dump = _pg_tool("pg_dump")
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count_rows(cursor, _tables(), connection.ops.quote_name)
        migrations = _applied_migrations(cursor)
        _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"], _pg_env(alias))
    os.chmod(target, 0o600)
    return counts, migrations


def default_archive_name(now: dt.datetime | None = None) -> str:
    return f"cases-backup-{timezone.localtime(now or timezone.now()):%Y%m%d-%H%M%S}.tar.gz"


def _output_path(output: str | Path | None) -> Path:
    if output is None:
        output = Path(settings.BACKUP_DIR)
        output.mkdir(mode=0o700, parents=True, exist_ok=True)
    output = Path(output)
    if output.is_dir():
        output = output / default_archive_name()
    if output.exists():
        raise BackupError(f"{output} exists already: a backup never overwrites a file")
    if not output.parent.is_dir():
        raise BackupError(f"the directory {output.parent} does not exist")
    return output


def backup_create(*, output: str | Path | None = None, alias: str = "default") -> BackupResult:
    """Write one archive of the database and MEDIA_ROOT; returns its path and manifest."""
    started = time.monotonic()
    engine = _engine(alias)
    path = _output_path(output)
    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=path.parent))  # 0700, on the archive's file system
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        database_file = work / DATABASE_FILES[engine]
        created_at = timezone.now()
        snapshot = _snapshot_sqlite if engine == "sqlite" else _snapshot_postgresql
        counts, migrations = snapshot(database_file, alias)
        missing = _missing_files(alias)
        files: dict[str, dict] = {}
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
                _add_file(tar, database_file, DATABASE_FILES[engine], files)
                for source, arcname in _media_files():
                    _add_file(tar, source, arcname, files)
                manifest = {
                    "format": FORMAT,
                    "created_at": created_at.isoformat(),
                    "git_commit": _git_commit(),
                    "django": django.get_version(),
                    "database": {"engine": engine, "name": str(connections[alias].settings_dict["NAME"]),
                                 "file": DATABASE_FILES[engine]},
                    "media_root": str(settings.MEDIA_ROOT),
                    "row_counts": counts,
                    "migrations": migrations,
                    "missing_files": missing,  # named by a row but already absent when the backup was made
                    "files": files,
                }
                body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(body), 0o600, int(created_at.timestamp())
                tar.addfile(info, io.BytesIO(body))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
        _fsync_directory(path.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if partial.exists():
            partial.unlink()
    return BackupResult(path=path, manifest=manifest, seconds=time.monotonic() - started)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- reading and checking an archive -------------------------------------------------------------

def _safe_name(name: str) -> str | None:
    """The member's path if it may be unpacked (relative, no .., under media/ or a known top-level name)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    normal = path.as_posix()
    if normal == MANIFEST or normal in DATABASE_FILES.values() or (path.parts[0] == "media" and len(path.parts) > 1):
        return normal
    return None


def backup_unpack(path: str | Path, into: Path) -> dict:
    """Unpack the archive into `into` and check every file against its manifest.

    Refuses (BackupError naming the file) anything the manifest does not list
    or lists differently, links and devices, and names outside the archive."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    seen: dict[str, dict] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for member in tar:
                if member.isdir():
                    continue
                name = _safe_name(member.name)
                if name is None or not member.isfile():
                    raise BackupError(f"{path}: {member.name}: not a file this platform's backups contain; refused")
                if name in seen or (name == MANIFEST and manifest_bytes is not None):
                    raise BackupError(f"{path}: {name} appears twice in the archive; refused")
                source = tar.extractfile(member)
                if name == MANIFEST:
                    manifest_bytes = source.read()
                    continue
                target = into / name
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[name] = {"sha256": digest.hexdigest(), "size": size}
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"{path}: not a readable backup archive ({exc})") from exc
    if manifest_bytes is None:
        raise BackupError(f"{path}: no {MANIFEST} in the archive; refused")
    try:
        manifest = json.loads(manifest_bytes)
        listed = manifest["files"]
        engine = manifest["database"]["engine"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path}: {MANIFEST} is not a manifest of this platform ({exc}); refused") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: archive format {manifest.get('format')!r}, this code reads {FORMAT!r}; refused")
    for name, expected in sorted(listed.items()):
        found = seen.get(name)
        if found is None:
            raise BackupError(f"{path}: {name} is listed in the manifest but missing from the archive; refused")
        if found != {"sha256": expected.get("sha256"), "size": expected.get("size")}:
            raise BackupError(f"{path}: {name} does not match its SHA-256 in the manifest "
                              "(the archive was changed or damaged); nothing was restored")
    for name in sorted(set(seen) - set(listed)):
        raise BackupError(f"{path}: {name} is in the archive but not in the manifest; refused")
    if DATABASE_FILES.get(engine) not in seen:
        raise BackupError(f"{path}: the manifest names engine {engine!r} but the archive has no database file for it")
    return manifest


# --- restoring -------------------------------------------------------------------------------------

def _table_count(alias: str) -> int:
    connection = connections[alias]
    if connection.vendor == "sqlite" and not _sqlite_path(alias).exists():
        return 0
    with connection.cursor() as cursor:
        return len(connection.introspection.table_names(cursor))


def _restore_media(staged: Path, force: bool, report: RestoreReport) -> None:
    root = Path(settings.MEDIA_ROOT)
    incoming = sorted(p for p in staged.rglob("*") if p.is_file()) if staged.is_dir() else []
    plan = []
    for source in incoming:
        target = root / source.relative_to(staged)
        if target.is_file():
            if _sha256(target) == _sha256(source):
                report.media_unchanged += 1
                continue
            if not force:
                raise BackupError(f"{target} exists with other content; add --force to replace it")
        plan.append((source, target))
    for source, target in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.restore-{os.getpid()}")
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
        report.media_written += 1
    backed_up = {p.relative_to(staged) for p in incoming}
    if root.is_dir():
        report.media_extra = sum(
            1 for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and p.relative_to(root) not in backed_up
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _restore_sqlite(staged: Path, alias: str) -> None:
    target = _sqlite_path(alias)
    target.parent.mkdir(parents=True, exist_ok=True)
    timeout = connections[alias].settings_dict.get("OPTIONS", {}).get("timeout", 20)
    source = sqlite3.connect(staged)
    destination = sqlite3.connect(target, timeout=timeout)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _restore_postgresql(staged: Path, alias: str) -> None:
    conf = connections[alias].settings_dict
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", "--no-password", f"--dbname={conf['NAME']}", str(staged)], _pg_env(alias))


def _migration_state(alias: str) -> tuple[bool, list[str]]:
    executor = MigrationExecutor(connections[alias])
    graph = executor.loader.graph
    plan = executor.migration_plan(graph.leaf_nodes())
    unknown = sorted(f"{app}.{name}" for app, name in executor.loader.applied_migrations if (app, name) not in graph.nodes)
    return bool(plan), unknown


def backup_restore(*, path: str | Path, force: bool = False, alias: str = "default") -> RestoreReport:
    """Restore an archive into the configured database and MEDIA_ROOT (see the module's docstring).

    Raises BackupError before changing anything when the archive does not
    check out, comes from another engine, or the database has tables and
    `force` is not given; after restoring, when a row count differs."""
    started = time.monotonic()
    path = Path(path)
    engine = _engine(alias)
    parent = path.parent if os.access(path.parent, os.W_OK) else None
    work = Path(tempfile.mkdtemp(prefix=".restore-", dir=parent))
    try:
        manifest = backup_unpack(path, work)
        source_engine = manifest["database"]["engine"]
        if source_engine != engine:
            raise BackupError(f"{path} holds a {source_engine} database and the configured one is {engine}: "
                              "restoring across engines is not supported")
        tables = _table_count(alias)
        name = str(connections[alias].settings_dict["NAME"])
        if tables and not force:
            raise BackupError(f"the database {name} is not empty ({tables} tables); restore into an empty database, "
                              "or add --force to replace its contents")
        report = RestoreReport(manifest=manifest, database=name)
        _restore_media(work / "media", force, report)
        connections[alias].close()
        staged = work / DATABASE_FILES[engine]
        _restore_sqlite(staged, alias) if engine == "sqlite" else _restore_postgresql(staged, alias)
        connections[alias].close()
        with connections[alias].cursor() as cursor:
            found = _count_rows(cursor, {label: entry["table"] for label, entry in manifest["row_counts"].items()},
                                connections[alias].ops.quote_name)
        report.row_counts = {label: (entry["rows"], found[label]["rows"]) for label, entry in manifest["row_counts"].items()}
        already_missing = set(manifest.get("missing_files", []))
        report.migrate_needed, report.unknown_migrations = _migration_state(alias)
        if not report.migrate_needed:  # the file fields of this code are those of the restored tables
            report.missing_files = [f for f in _missing_files(alias) if f not in already_missing]
        report.seconds = time.monotonic() - started
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)
