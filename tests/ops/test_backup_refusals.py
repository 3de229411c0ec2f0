"""What backup and restore refuse before touching the database (no database needed)."""
import pytest

from workflow import backup


def test_a_backup_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "cases.tar.gz"
    existing.write_bytes(b"yesterday's backup")
    with pytest.raises(backup.BackupError, match="exists already"):
        backup.backup_create(output=existing)
    assert existing.read_bytes() == b"yesterday's backup" and list(tmp_path.iterdir()) == [existing]


def test_a_backup_needs_an_existing_directory(tmp_path):
    with pytest.raises(backup.BackupError, match="does not exist"):
        backup.backup_create(output=tmp_path / "no-such-dir" / "cases.tar.gz")


@pytest.mark.parametrize("content, message", [
    (b"not an archive", "not a readable backup archive"),
    (None, "no such file"),
])
def test_restore_refuses_what_is_not_an_archive(tmp_path, content, message):
    path = tmp_path / "cases.tar.gz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(backup.BackupError, match=message):
        backup.backup_restore(path=path)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["cases.tar.gz"] if content else [])


def test_restore_refuses_an_archive_without_a_manifest(tmp_path):
    import io
    import tarfile

    path = tmp_path / "cases.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("database.sqlite3")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"SQLi"))
    with pytest.raises(backup.BackupError, match="no manifest.json"):
        backup.backup_restore(path=path)
