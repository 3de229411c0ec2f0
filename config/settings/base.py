"""Settings shared by every environment.

The environment is read here (and only in config/settings/), through
django-environ. Every variable is documented in .env.example.
"""
import datetime as dt
import os
from collections.abc import MutableMapping
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


class _EnvironWithoutBlanks(MutableMapping):
    """os.environ, where a variable set to the empty string counts as unset.

    `DATABASE_URL=` in a .env copied from .env.example (or in a service's
    environment file) must not replace the default with a blank: a blank
    variable with a default gets the default, one without (production's
    DJANGO_SECRET_KEY) is still refused as missing.
    """

    def __getitem__(self, key):
        value = os.environ[key]
        if value == "":
            raise KeyError(key)
        return value

    def __setitem__(self, key, value):
        os.environ[key] = value

    def __delitem__(self, key):
        del os.environ[key]

    def __iter__(self):
        return (key for key, value in os.environ.items() if value != "")

    def __len__(self):
        return sum(1 for _ in self)


class Env(environ.Env):
    ENVIRON = _EnvironWithoutBlanks()


env = Env()
# DJANGO_ENV_FILE names another file (tests use it); a blank line in the file
# never overrides the real environment, nor a default.
Env.read_env(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "workflow.admin_site.PlatformAdminConfig",  # django.contrib.admin with the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "viewflow",
    "viewflow.workflow",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "pgtrigger",  # the audit trail's append-only triggers on PostgreSQL (docs/security.md)
    "workflow",
    "proposals",
    "complaints",
]

# The apps whose cases flow through the engine; each may have defaults.py
# (ensure(), run after migrate) and demo.py (load(), run by demo_data).
CASE_APPS = ["proposals", "complaints"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer, pages, admin, API and errors alike (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Outermost of ours: sees every final answer (lockouts, CSRF, DRF) and logs refusals in one line.
    "workflow.security_middleware.RefusalLogMiddleware",
    # Audit rows written while serving a request carry its address and browser (workflow.audit).
    "workflow.security_middleware.AuditContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "workflow.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "workflow.security_middleware.SessionLifetimeMiddleware",
    # Administrators (and anyone who enrolled) pass the second factor before anything else.
    "workflow.security_middleware.SecondFactorMiddleware",
    "workflow.security_middleware.PasswordChangeRequiredMiddleware",
    # Every change a superuser makes in the admin is a security event.
    "workflow.security_middleware.SuperuserAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "workflow.middleware.DatabaseLockedMiddleware",
    # Last: turns a login refused because of a lockout into the lockout answer (axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workflow.context_processors.roles",
            ],
        },
    },
]

# Embedded default: SQLite in var/. Production and CI: DATABASE_URL=postgres://...
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False

SQLITE_BUSY_TIMEOUT = env.int("SQLITE_BUSY_TIMEOUT", default=20)  # seconds


def sqlite_options(database: dict) -> dict:
    """Concurrent writers on SQLite wait instead of failing with "database is locked".

    WAL lets readers go on while one writer writes; IMMEDIATE transactions
    take the write lock when they begin (a deferred transaction that upgrades
    from read to write cannot wait: SQLite answers "locked" at once); the
    timeout is how long a writer waits. A lock that still times out becomes
    a 409 (workflow.middleware.DatabaseLockedMiddleware). Other engines are
    returned unchanged.
    """
    if database.get("ENGINE") != "django.db.backends.sqlite3":
        return database
    options = database.setdefault("OPTIONS", {})
    options.setdefault("init_command", "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL")
    options.setdefault("transaction_mode", "IMMEDIATE")
    options.setdefault("timeout", SQLITE_BUSY_TIMEOUT)
    return database


def postgresql_options(database: dict) -> dict:
    """PostgreSQL sessions run with JIT compilation off (DB_JIT=true turns it back on).

    JIT pays off for long analytic queries; this application's queries are short, but
    the dashboard's grouped counts over a million-row table pass the planner's JIT cost
    thresholds, and compiling them took longer than running them: 680 ms of JIT for a
    100 ms count at 1,000,000 complaints (docs/performance.md, 2026-11-25). Off per
    session (libpq's `options`), so no server setting is needed. Other engines are
    returned unchanged."""
    if database.get("ENGINE") != "django.db.backends.postgresql" or env.bool("DB_JIT", default=False):
        return database
    options = database.setdefault("OPTIONS", {})
    current = options.get("options", "")
    if "jit=" not in current:
        options["options"] = f"{current} -c jit=off".strip()
    return database


def database_options(database: dict) -> dict:
    """The engine's session options: sqlite_options or postgresql_options."""
    return postgresql_options(sqlite_options(database))


database_options(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "workflow.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Accounts and sessions (docs/security.md) ---------------------------------
# axes' backend comes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=8)
PASSWORD_MIN_CHARACTER_CLASSES = env.int("PASSWORD_MIN_CHARACTER_CLASSES", default=3)  # of upper, lower, digit, symbol
PASSWORD_HISTORY_COUNT = env.int("PASSWORD_HISTORY_COUNT", default=5)  # not one of the last N passwords
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)  # 0 = passwords never expire
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "workflow.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": PASSWORD_MIN_CHARACTER_CLASSES}},
    {"NAME": "workflow.passwords.PasswordHistoryValidator", "OPTIONS": {"count": PASSWORD_HISTORY_COUNT}},
]

# Login lockout (django-axes): AXES_FAILURE_LIMIT failures within AXES_COOLOFF_TIME lock the
# username (whatever the address) and the username from that address, for AXES_COOLOFF_TIME
# after the last attempt. An unknown username locks the same way, so the lock says nothing
# about whether an account exists. An administrator unlocks (admin, or `manage.py unlock_login`).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_LOCKOUT_CALLABLE = "workflow.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "workflow.security.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = False  # five failures in the window lock, whatever succeeded in between
AXES_VERBOSE = False  # our security events and the one-line refusal log say it once
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the security event log (workflow.SecurityEvent)
AXES_SENSITIVE_PARAMETERS = ["password", "ip_address"]
# Client addresses: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT > 0 the address that many proxies
# back in X-Forwarded-For (set it to the number of reverse proxies in front of gunicorn).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Two factors (django-otp; docs/security.md): TOTP (an authenticator app) with single-use backup
# codes. Required for the administrator roles, superusers and staff; optional for everyone else.
# OTP_REQUIRED_FOR_ADMINS=False only for a throw-away local demo: production forces it on.
OTP_REQUIRED_FOR_ADMINS = env.bool("OTP_REQUIRED_FOR_ADMINS", default=True)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="提案与投诉办理平台")
OTP_BACKUP_CODE_COUNT = 10
# django-otp's own throttle: after a wrong code each device waits 1, 2, 4, ... seconds.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Sessions: signed out after SESSION_IDLE_TIMEOUT_MINUTES without a request and, whatever the
# activity, SESSION_MAX_AGE_HOURS after signing in (workflow.security_middleware; 0 = off).
# The cookie and the stored session die at the absolute lifetime too.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_MAX_AGE_HOURS = env.int("SESSION_MAX_AGE_HOURS", default=12)
SESSION_COOKIE_AGE = (SESSION_MAX_AGE_HOURS or 24 * 14) * 3600
SESSION_COOKIE_HTTPONLY = True

# API tokens (django-rest-knox): stored hashed, expiring API_TOKEN_TTL_HOURS after sign-in,
# revoked by logout, by the user and by any password change.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=10)
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}
# Sign-ins at /api/v1/auth/token/ per client address (DRF rate syntax; None = no throttle).
API_TOKEN_THROTTLE_RATE = env.str("API_TOKEN_THROTTLE_RATE", default="10/minute")

# Content-Security-Policy (django-csp; docs/security.md, "Content-Security-Policy"): enforced in
# every environment, tests included, so the browser tests fail on any violation. No inline
# script, no eval, no inline style: the pages' scripts are files in static/js/ reading their
# data from data-* attributes or json_script; styles are classes in static/css/.
# img-src allows data: URIs (Bootstrap's CSS draws its icons with them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The audit trail (workflow.SecurityEvent, docs/security.md): rows younger than this many days
# are never purged (`manage.py audit_purge`); level 3 asks for at least 180, a lower value is refused.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=180)
if AUDIT_RETENTION_DAYS < 180:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS}: the audit trail is kept at least 180 days")

# Field-level encryption of citizens' personal data (workflow/crypto.py, docs/security.md):
# a 128-bit SM4 master key, 32 hex digits or base64, from the environment only. base.py has
# no key (nothing decrypts without one); local.py and test.py use fixed development keys,
# production.py requires one. Older keys still able to decrypt during a rotation:
# FIELD_ENCRYPTION_OLD_KEYS=id:key,id:key (then `manage.py reencrypt_personal_data`).
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
FIELD_ENCRYPTION_KEY_ID = env.str("FIELD_ENCRYPTION_KEY_ID", default="k1")
FIELD_ENCRYPTION_OLD_KEYS = env.list("FIELD_ENCRYPTION_OLD_KEYS", default=[])

# Chinese by default, English available (see docs/decisions/0002-i18n.md).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Where `manage.py backup` writes its archives when --output is not given (docs/operations.md).
BACKUP_DIR = env.str("BACKUP_DIR", default=str(VAR_DIR / "backups"))

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a request without (or with bad) credentials is a 401 with
    # "WWW-Authenticate: Token" (DRF takes the header from the first class;
    # session auth has none and would answer 403). The browser's session,
    # with its CSRF check, still works.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",  # expiring, hashed tokens (docs/security.md)
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A user who must change their password (first sign-in, reset, expiry) is refused (403
    # password_change_required) everywhere except the auth endpoints.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "workflow.security.PasswordIsCurrent"],
    "DEFAULT_PARSER_CLASSES": [
        "workflow.api_support.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # DRF's browsable pages get style-src 'unsafe-inline' on their own answers only (workflow/api_renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "workflow.api_renderers.BrowsableAPIRenderer"],
    "EXCEPTION_HANDLER": "workflow.api_support.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "workflow.api_support.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "提案与投诉办理平台 API",
    "DESCRIPTION": (
        "CPPCC proposals and citizen complaints handling platform. Authentication, the error shape, "
        "pagination, the user directory rule and the public endpoints: docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar: served locally, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Request and response components apart (XxxRequest): request text fields that refuse "" say
    # so (minLength: 1), read-only fields are not asked for, and answers may carry "".
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are documented as JSON, the contract for programs. Form and multipart bodies
    # are still parsed (the browser), but cannot say null or nest, so they are not promised here.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # The platform's roles are one choice set wherever they appear (/me/, /users/, tasks).
    "ENUM_NAME_OVERRIDES": {"RoleEnum": "workflow.registry.role_choices"},  # the registered roles
    # The Error component and 400/401/403/404 on every operation; label scale codes (workflow/api_support.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "workflow.api_support.postprocess_schema",
    ],
}

# --- Celery ---------------------------------------------------------------
# Embedded default: kombu's filesystem transport, which needs no server.
# Production: CELERY_BROKER_URL=redis://host:6379/0
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Producers write to data_folder_out and consumers read
        # data_folder_in: one folder so that both sides meet.
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # How often a worker looks for new messages in the queue folder (kombu's
        # default is 1 s: every chunk task of a document batch then waited ~0.5 s
        # to be picked up, docs/documents.md "Bulk generation"). A listdir of a
        # small folder 10 times a second costs nothing measurable.
        "polling_interval": env.float("CELERY_BROKER_POLLING_INTERVAL", default=0.1),
    }
# Results are not kept, except by tasks that ask (workflow.ping, for probes),
# and only where a result backend is configured (prod-check: Redis).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False
# Bulk documents: a batch is split into tasks of this many documents, so that every
# worker process renders (workflow.documents.document_batch_run, docs/documents.md).
DOCUMENTS_BATCH_CHUNK_SIZE = env.int("DOCUMENTS_BATCH_CHUNK_SIZE", default=10)

# --- Viewflow ---------------------------------------------------------------
VIEWFLOW = {}

# --- Logging --------------------------------------------------------------
# Refusals (401, 403, 429) are one WARNING line each on the "security" logger
# (workflow.security_middleware.RefusalLogMiddleware); django.request's own line, with a
# traceback for PermissionDenied, is dropped for them. Other 4xx and every 5xx stay as they were.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_refusals": {"()": "workflow.log_filters.DropRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"filters": ["no_refusals"]},
        "security": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # its failures and locks; successes are in the security event log
        "weasyprint.progress": {"level": "WARNING"},  # one line per PDF page otherwise; its warnings (font fallbacks) still show
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Working-day calendar years seeded from chinese-calendar after migrate:
# None = every year the library knows (the test settings narrow it).
CALENDAR_SEED_YEARS = None

# Supervision (workflow.supervision): used when a task's node has no deadline step of its own
# (warn-before) or its case kind no "severe" time-limit row (working days past the deadline).
SUPERVISION_DEFAULT_WARN_BEFORE_WD = 1
SUPERVISION_DEFAULT_SEVERE_WD = 5
# After a calendar change the sweep recomputes the deadlines at every run until the change
# is this old (a transaction that computed a deadline on the old calendar has committed).
SUPERVISION_RECOMPUTE_GRACE_SECONDS = 600

# Notification delivery (workflow/notifications.py, docs/notifications.md): in-app always;
# e-mail through EMAIL_BACKEND, SMS through SMS_BACKEND, via the outbox and Celery.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")
# Attempts per e-mail or text message before it stays "failed" (visible in the admin, retried from there).
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
# SMS quiet hours for people who have not set their own (HH:MM-HH:MM, may wrap midnight).
NOTIFY_SMS_QUIET_HOURS = env.str("NOTIFY_SMS_QUIET_HOURS", default="22:00-08:00")
# A notification about an event older than this (a demo replay, an import) is in-app only.
NOTIFY_OUTBOUND_MAX_AGE_HOURS = env.int("NOTIFY_OUTBOUND_MAX_AGE_HOURS", default=24)

# --- Complaints ----------------------------------------------------------------
# Text messages to citizens (workflow/sms.py): console by default, a gateway class in production.
SMS_BACKEND = env.str("SMS_BACKEND", default="workflow.sms.ConsoleBackend")
# Attachments to a complaint: types are checked by content, not by name.
COMPLAINT_ATTACHMENT_MAX_BYTES = env.int("COMPLAINT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
COMPLAINT_ATTACHMENT_MAX_FILES = env.int("COMPLAINT_ATTACHMENT_MAX_FILES", default=5)
# Possible duplicates: text similarity (0-100, rapidfuzz) at or above this at the same place.
COMPLAINT_DUPLICATE_SIMILARITY = env.int("COMPLAINT_DUPLICATE_SIMILARITY", default=60)
# Public lookup by number and query code: this many wrong answers per address in the window, then 429.
COMPLAINT_LOOKUP_MAX_FAILURES = env.int("COMPLAINT_LOOKUP_MAX_FAILURES", default=5)
COMPLAINT_LOOKUP_WINDOW_SECONDS = env.int("COMPLAINT_LOOKUP_WINDOW_SECONDS", default=900)
# Public filings per address (and per phone) and similar-complaint lookups per address, in the same window.
COMPLAINT_SUBMIT_MAX_PER_WINDOW = env.int("COMPLAINT_SUBMIT_MAX_PER_WINDOW", default=10)
COMPLAINT_SIMILAR_MAX_PER_WINDOW = env.int("COMPLAINT_SIMILAR_MAX_PER_WINDOW", default=120)
# Excel exports of lists (workflow.exports): up to this many rows the file is written at once,
# above it in the background with a progress page; the most rows one export holds; how many
# days a background export's file is kept.
EXPORT_DIRECT_MAX_ROWS = env.int("EXPORT_DIRECT_MAX_ROWS", default=2000)
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=200_000)
EXPORT_KEEP_DAYS = env.int("EXPORT_KEEP_DAYS", default=7)
# Address of the public site in messages sent to citizens (links to rate).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# Product name shown in the UI.
PLATFORM_NAME = _("提案与投诉办理平台")
