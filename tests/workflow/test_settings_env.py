"""A .env copied from .env.example must not break the app.

The example used to carry `DJANGO_SECRET_KEY=` and `DATABASE_URL=`: copied to
.env, the blanks replaced the defaults (an empty secret key, a database URL
with no engine). Now the example only has comments and working values, and
the settings treat an empty value as unset. Each test boots Django in a
subprocess with a clean environment and the env file under test
(DJANGO_ENV_FILE), as `manage.py` would on a fresh checkout.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

# The variables of the former .env.example that had blank values, verbatim.
FORMER_BLANKS = """\
DJANGO_SECRET_KEY=
DJANGO_DEBUG=false
DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1
DJANGO_CSRF_TRUSTED_ORIGINS=
DATABASE_URL=
DB_CONN_MAX_AGE=60
CELERY_BROKER_URL=filesystem://
"""

REPORT = """
import json
from django.conf import settings
from django.core import signing
from django.db import connection
print(json.dumps({
    "secret_key_set": bool(settings.SECRET_KEY),
    "signed": signing.loads(signing.dumps("ok")),
    "vendor": connection.vendor,
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "db_options": settings.DATABASES["default"].get("OPTIONS", {}),
    "broker": settings.CELERY_BROKER_URL,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "csrf_trusted_origins": settings.CSRF_TRUSTED_ORIGINS,
    "time_zone": settings.TIME_ZONE,
    "static_root": str(settings.STATIC_ROOT),
}))
"""


def _manage(env_file: Path, *args: str, settings_module: str | None = None, extra: dict | None = None):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_ENV_FILE": str(env_file),
        **(extra or {}),
    }
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module  # otherwise manage.py's default: local
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


def _report(env_file: Path, **kwargs) -> dict:
    result = _manage(env_file, "shell", "--no-imports", "-c", REPORT, **kwargs)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _assert_local_defaults(report: dict) -> None:
    assert report["secret_key_set"] and report["signed"] == "ok"
    assert report["vendor"] == "sqlite"
    assert report["db_name"] == str(BASE_DIR / "var" / "db.sqlite3")
    assert report["broker"] == "filesystem://"
    assert report["allowed_hosts"] == ["*"]
    assert report["static_root"] == str(BASE_DIR / "var" / "staticfiles")


def test_env_example_copied_to_env_boots_with_the_defaults(tmp_path):
    # Given .env.example copied as it is
    env_file = tmp_path / ".env"
    env_file.write_text((BASE_DIR / ".env.example").read_text())
    # When the app boots from it: the system checks pass
    check = _manage(env_file, "check")
    assert check.returncode == 0, check.stderr[-3000:]
    # Then every setting is the embedded default
    _assert_local_defaults(_report(env_file))


def test_blank_values_count_as_unset(tmp_path):
    # Given a .env with the former example's blank values
    env_file = tmp_path / ".env"
    env_file.write_text(FORMER_BLANKS)
    check = _manage(env_file, "check")
    assert check.returncode == 0, check.stderr[-3000:]
    report = _report(env_file)
    # Then blanks fall back to the defaults instead of replacing them
    assert report["secret_key_set"] and report["vendor"] == "sqlite"
    assert report["db_name"] == str(BASE_DIR / "var" / "db.sqlite3")
    assert report["csrf_trusted_origins"] == []
    # and the same holds for blanks in the real environment
    report = _report(tmp_path / "none", extra={"DATABASE_URL": "", "DJANGO_SECRET_KEY": "", "CELERY_BROKER_URL": ""})
    _assert_local_defaults(report)


def test_the_env_file_is_read_and_the_real_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("TIME_ZONE=Asia/Urumqi\nCELERY_BROKER_URL=memory://\n")
    report = _report(env_file, extra={"CELERY_BROKER_URL": "filesystem://"})
    assert report["time_zone"] == "Asia/Urumqi"
    assert report["broker"] == "filesystem://"


def test_production_still_requires_a_secret_key(tmp_path):
    # Given production settings and a blank secret key
    env_file = tmp_path / ".env"
    env_file.write_text("DJANGO_SECRET_KEY=\nDJANGO_ALLOWED_HOSTS=cases.example.org\nDATABASE_URL=\n")
    # Then it refuses to start, naming the variable: no empty key, no default
    result = _manage(env_file, "check", settings_module="config.settings.production")
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr
    # And with a key, a blank DATABASE_URL means production's default, PostgreSQL
    env_file.write_text("DJANGO_SECRET_KEY=" + "x" * 50 + "\nFIELD_ENCRYPTION_KEY=" + "ab" * 16 + "\nDJANGO_ALLOWED_HOSTS=cases.example.org\nDATABASE_URL=\n")
    report = _report(env_file, settings_module="config.settings.production")
    assert report["vendor"] == "postgresql" and report["db_name"] == "cases"
