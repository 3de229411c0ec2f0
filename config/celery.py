"""Celery application.

Embedded default broker: kombu's filesystem transport (no server). Run the
worker with beat inside it: `celery -A config worker -B --pool=solo` (as
scripts/run.sh does; the solo pool stops cleanly on a process-group signal,
docs/decisions/0004-production-path.md). Production sets CELERY_BROKER_URL to
Redis and runs workers and exactly one beat separately (make prod-check).
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("cases")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _ensure_broker_folders(sender, **kwargs):
    """The filesystem transport needs its folders to exist before use."""
    opts = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if opts.get(key):
            os.makedirs(opts[key], exist_ok=True)
