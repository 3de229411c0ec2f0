"""Embedded defaults for `make run`: SQLite, filesystem broker, DEBUG on."""
from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A development-only key; production.py has no default and refuses to start without one.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-dev-only-not-secret-3f9a1c")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
# DEVELOPMENT-ONLY field encryption key (hex of "local-dev-notsec"): published here, so it
# protects nothing. Production has no default and refuses to start without FIELD_ENCRYPTION_KEY.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="6c6f63616c2d6465762d6e6f74736563")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
