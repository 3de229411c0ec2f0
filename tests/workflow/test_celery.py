import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from django.conf import settings

from workflow import services, tasks
from workflow.models import Notification

pytestmark = pytest.mark.django_db


def test_calendar_check_notifies_admins_once(admin_user, handler):
    # Given no 2027 calendar in November 2026
    # When the task runs twice (eagerly, as in tests)
    assert tasks.calendar_check_next_year.delay(today="2026-11-22").get() == 2027
    tasks.calendar_check_next_year.delay(today="2026-11-23").get()
    # Then each administrator has exactly one notice and other people none
    notices = Notification.objects.filter(kind="calendar_missing")
    assert list(notices.values_list("recipient__username", flat=True)) == ["root"]
    assert "2027" in notices.get().title


def test_calendar_check_is_quiet_before_november_and_when_imported(admin_user):
    assert services.calendar_check_next_year(today=dt.date(2026, 6, 1)) is None
    assert services.calendar_check_next_year(today=dt.date(2025, 11, 5)) is None  # 2026 is known
    assert not Notification.objects.exists()


def test_beat_schedule_is_editable_data():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="workflow.calendar_check_next_year")
    assert task.enabled and task.crontab.month_of_year == "11,12"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_with_beat_runs_the_task_on_the_embedded_broker(tmp_path):
    """Start `celery worker -B` on the filesystem broker and a SQLite file, as `make run` does."""
    from celery import Celery

    db = tmp_path / "db.sqlite3"
    broker_dir = tmp_path / "broker"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{db}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_BROKER_DIR": str(broker_dir),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run(manage + ["migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True)
    subprocess.run(
        manage + ["shell", "-c", "from workflow.models import User; User.objects.create_superuser('boss', '', 'x')"],
        cwd=settings.BASE_DIR, env=env, check=True, capture_output=True,
    )
    log = tmp_path / "worker.log"
    celery_bin = os.path.join(os.path.dirname(sys.executable), "celery")
    worker = subprocess.Popen(
        [celery_bin, "-A", "config", "worker", "-B", "--pool=solo", "--loglevel=INFO",
         f"--schedule={tmp_path / 'beat-schedule'}", f"--logfile={log}"],
        cwd=settings.BASE_DIR, env=env,
    )
    try:
        folder = str(broker_dir / "queue")
        os.makedirs(folder, exist_ok=True)
        control = str(broker_dir / "control")
        sender = Celery(broker="filesystem://", broker_transport_options={"data_folder_in": folder, "data_folder_out": folder, "control_folder": control})
        sender.send_task("workflow.calendar_check_next_year", kwargs={"today": "2026-11-22"})
        deadline = time.monotonic() + 60
        rows = []
        while time.monotonic() < deadline:
            with sqlite3.connect(db) as conn:
                rows = conn.execute("SELECT title FROM workflow_notification").fetchall()
            if rows:
                break
            time.sleep(0.5)
        assert rows and "2027" in rows[0][0], log.read_text() if log.exists() else "no worker log"
        text = log.read_text()
        assert "beat: Starting" in text
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_notifications_page_lists_and_marks_read(client, admin_user, handler):
    services.calendar_check_next_year(today=dt.date(2026, 11, 22))
    client.force_login(admin_user)
    body = client.get("/").content.decode()
    assert 'badge text-bg-warning">1<' in body
    page = client.get("/notifications/").content.decode()
    assert "2027年工作日历尚未导入" in page
    client.post("/notifications/")
    assert Notification.objects.get().read_at is not None
    # another person sees none of it
    client.force_login(handler)
    assert "2027年工作日历尚未导入" not in client.get("/notifications/").content.decode()
