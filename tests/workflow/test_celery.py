import datetime as dt

import pytest

from tests.factories import TZ, at, sign_in_verified
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


@pytest.fixture
def broker_app(tmp_path, monkeypatch):
    """A Celery app configured from the settings like config.celery's, but not
    eager and on kombu's filesystem broker (the embedded default of `make run`)
    in tmp_path. No Django fix-up: it would close the test's database
    connection, which the embedded worker shares. The current and default apps
    are restored afterwards."""
    from celery import Celery, _state

    from config.celery import _ensure_broker_folders

    previous_current, previous_default = _state.get_current_app(), _state.default_app
    app = Celery("cases-test", fixups=[], set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    broker = tmp_path / "broker"
    app.conf.update(
        broker_url="filesystem://",
        broker_transport_options={
            "data_folder_in": str(broker / "queue"), "data_folder_out": str(broker / "queue"),
            "processed_folder": str(broker / "processed"), "control_folder": str(broker / "control"),
            "polling_interval": 0.05,
        },
        task_always_eager=False,
        worker_hijack_root_logger=False,
    )
    _ensure_broker_folders(sender=app)
    # The worker's loop waits up to 2 s for a message before it looks at its stop
    # flag (twice when stopping): wait 0.1 s at a time so that it stops at once.
    from kombu.transport.filesystem import Transport

    drain_events = Transport.drain_events
    monkeypatch.setattr(Transport, "drain_events", lambda self, connection, timeout=None: drain_events(self, connection, timeout=min(timeout or 0.1, 0.1)))
    yield app
    app.close()
    previous_current.set_current()
    _state.set_default_app(previous_default)


@pytest.fixture
def shared_connection():
    """Let the worker's thread use this test's database connection (and so see
    its uncommitted rows), as Django's live server does; no transaction=True."""
    from celery import signals
    from django.db import connections

    connection = connections["default"]
    connection.inc_thread_sharing()

    def use_the_test_connection(**kwargs):
        connections["default"] = connection

    signals.task_prerun.connect(use_the_test_connection, weak=False)
    yield connection
    signals.task_prerun.disconnect(use_the_test_connection)
    connection.dec_thread_sharing()


def test_beat_puts_the_check_on_the_broker_and_a_real_worker_runs_it(broker_app, shared_connection, monkeypatch, tmp_path, admin_user, handler):
    """Beat's database scheduler publishes the due calendar check on the filesystem
    broker; an embedded worker (celery.contrib.testing, in a thread) consumes it."""
    import threading

    from celery import signals
    from celery.contrib.testing.worker import start_worker
    from django_celery_beat import schedulers
    from django_celery_beat.models import PeriodicTask

    # beat's own connection housekeeping would close the test's connection (PostgreSQL)
    monkeypatch.setattr(schedulers, "close_old_connections", lambda: None)

    queue = tmp_path / "broker" / "queue"
    # Given 08:00 on 22 November 2026 without a 2027 calendar, the check having last run a day ago
    with at(2026, 11, 22, 8, 0, 5, tick=True):
        PeriodicTask.objects.filter(task="workflow.calendar_check_next_year").update(last_run_at=dt.datetime(2026, 11, 21, 8, 0, tzinfo=TZ))
        # When beat ticks: the check is due and its message waits on the broker (no worker yet)
        schedulers.DatabaseScheduler(app=broker_app).tick()
        [message] = list(queue.iterdir())
        assert "workflow.calendar_check_next_year" in message.read_text()
        assert not Notification.objects.exists()
        # When a worker starts, it takes the message and runs the task (in its own thread)
        done, runs = threading.Event(), []

        def finished(task_id=None, task=None, retval=None, state=None, **kwargs):
            runs.append((task.name, state, retval, threading.current_thread() is not threading.main_thread()))
            done.set()

        signals.task_postrun.connect(finished, weak=False)
        try:
            with start_worker(broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
                assert done.wait(30), "the worker did not run the task"
        finally:
            signals.task_postrun.disconnect(finished)
    # Then it ran once, acknowledged the message, and each administrator has the notice
    assert runs == [("workflow.calendar_check_next_year", "SUCCESS", 2027, True)]
    assert list(queue.iterdir()) == []
    notice = Notification.objects.get(kind="calendar_missing")
    assert notice.recipient == admin_user and "2027" in notice.title


def test_notifications_page_lists_and_marks_read(client, admin_user, handler):
    services.calendar_check_next_year(today=dt.date(2026, 11, 22))
    sign_in_verified(client, admin_user)
    body = client.get("/").content.decode()
    assert 'badge text-bg-warning">1<' in body
    page = client.get("/notifications/").content.decode()
    assert "2027年工作日历尚未导入" in page
    client.post("/notifications/")
    assert Notification.objects.get().read_at is not None
    # another person sees none of it
    client.force_login(handler)
    assert "2027年工作日历尚未导入" not in client.get("/notifications/").content.decode()
