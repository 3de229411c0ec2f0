"""Minimal Django project for the django-helpdesk 2.6 escalation baseline (issue 9).

Runs only in var/helpdesk-venv (bench/helpdesk_baseline/setup.sh), never in the
project's .venv. SQLite database under var/ (git-ignored), HELPDESK_DB overrides it.
E-mails go through Django's mail backend (locmem: kept in memory, counted by run.py).
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = "helpdesk-baseline-bench-only"  # noqa: S105 - throwaway, never served
DEBUG = False
ALLOWED_HOSTS = ["localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.staticfiles",
    "rest_framework",
    "helpdesk",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("HELPDESK_DB", str(ROOT / "var" / "helpdesk-bench.sqlite3")),
        # The same SQLite options as the project's own (config/settings/base.py, sqlite_options):
        # same engine, same configuration, so the comparison is not about fsyncs per commit.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.org"

STATIC_URL = "/static/"
MEDIA_ROOT = str(ROOT / "var" / "helpdesk-media")

# No pinax_teams (the "teams" extra is not installed).
HELPDESK_TEAMS_MODE_ENABLED = False
