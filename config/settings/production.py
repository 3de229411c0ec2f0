"""Production: PostgreSQL, Redis broker, HTTPS. No default secret."""
from whitenoise.compress import Compressor

from .base import *  # noqa: F401,F403
from workflow.crypto import parse_key, parse_old_keys

from .base import database_options, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: refuse to start without it
# The citizens' personal data key (workflow/crypto.py): no default, refuse to start without a
# well-formed one (ImproperlyConfigured names the variable), and check the old keys too.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY")
parse_key(FIELD_ENCRYPTION_KEY)
parse_old_keys(FIELD_ENCRYPTION_OLD_KEYS)  # noqa: F405
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": database_options(env.db("DATABASE_URL", default="postgres:///cases"))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)

# Administrators always sign in with two factors here, whatever the environment says.
OTP_REQUIRED_FOR_ADMINS = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Hashed, compressed static files served by whitenoise. The storage tolerates
# the broken font references viewflow ships in an unused CSS copy and stays
# strict for our own files (docs/decisions/0004-production-path.md).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.settings.storage.ProductionStaticFilesStorage"},
}
# Pages only ever name hashed files ({% static %} through the manifest), so the
# unhashed copies are dropped, and source maps (browser devtools only) are not
# compressed: collectstatic does half the Brotli work.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# The cache holds the public lookup's wrong-guess counters (complaints/throttle.py):
# shared by every gunicorn worker, so it must be a server. Redis by default
# (the broker's server, its database 1); CACHE_URL overrides.
CACHES = {"default": env.cache("CACHE_URL", default="rediscache://127.0.0.1:6379/1")}
