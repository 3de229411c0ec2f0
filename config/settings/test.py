"""Test settings: SQLite by default, PostgreSQL when DATABASE_URL says so.

Celery tasks run eagerly and re-raise, so a failing task fails its test.
"""
from .base import *  # noqa: F401,F403
from .base import env, postgresql_options

DEBUG = False
SECRET_KEY = "test-only-not-secret"
# TEST-ONLY field encryption key (hex of "test-only-notsec"): not a secret, never for real data.
FIELD_ENCRYPTION_KEY = "746573742d6f6e6c792d6e6f74736563"
FIELD_ENCRYPTION_KEY_ID = "test"
FIELD_ENCRYPTION_OLD_KEYS = []
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "workflow.sms.LocmemBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATABASES = {"default": postgresql_options(env.db("DATABASE_URL", default="sqlite:///:memory:"))}
# Serve static files from the finders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Each test database (and each flush after a transactional test, through the
# post_migrate hook) seeds only the calendar years the tests use, not the ~23
# years chinese-calendar knows: a flush costs ~0.2 s instead of ~1.1 s.
# 2019: the seed case (第28号) and the service tests; 2026: "today" for the
# tests that do not travel in time (demo data, browser tests, 2026 holidays).
# A test needing another year seeds it with the `calendar_years` fixture.
CALENDAR_SEED_YEARS = [2019, 2026]

# The suite travels in time (time-machine) across days and months with one signed-in
# client: the time-based session and password controls and the sign-in throttle are off here, and
# tests/security switches them on for its own tests (its autouse fixture).
PASSWORD_MAX_AGE_DAYS = 0
SESSION_IDLE_TIMEOUT_MINUTES = 0
SESSION_MAX_AGE_HOURS = 0
API_TOKEN_THROTTLE_RATE = None
