"""Typed notifications: rendered when read in the reader's language, delivered in-app,
by e-mail and by SMS as each person chose, through an outbox that never loses a message."""
import datetime as dt
import re

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from tests.factories import TZ, at, sign_in_verified
from workflow import notifications, services, sms
from workflow.models import Notification, NotificationPreference, NotificationSettings, OutboundMessage

pytestmark = pytest.mark.django_db
S = OutboundMessage.Status


@pytest.fixture(autouse=True)
def _clean_outboxes():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _send(users, kind="proposal.assigned", params=None, **kwargs):
    params = params if params is not None else {"proposal": 7, "number": 28, "title": "关于社区养老的建议"}
    return services.notification_send(recipients=users, kind=kind, params=params, **kwargs)


# --- rendering ----------------------------------------------------------------------------------
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_registered_kind_renders_without_codes(language):
    # Given every registered kind with its sample params (a new kind cannot be half-wired)
    specs = notifications.kinds()
    assert len(specs) > 40 and {s.app for s in specs} >= {"workflow", "proposals", "complaints"}
    for spec in specs:
        assert spec.sample, f"{spec.code} has no sample params"
        assert "in_app" in spec.channels and str(spec.label)
        note = Notification(kind=spec.code, params=spec.sample)
        # When it is rendered in the reader's language
        with translation.override(language):
            shown = notifications.render(note)
        # Then it has a title, no placeholder left and no code shown
        assert shown.title and "%(" not in shown.title + shown.body, spec.code
        codes = {v for v in spec.sample.values() if isinstance(v, str) and CODE.match(v)}
        assert not any(code in shown.title + shown.body for code in codes), (spec.code, shown)
        assert shown.url.startswith("/") if spec.url or "url" in spec.sample else shown.url == "", spec.code


def test_a_rating_shows_its_label_and_english_readers_read_english(office_user):
    # Given a notice about a rating, stored as its code
    _send([office_user], kind="proposal.rated", params={"proposal": 3, "number": 5, "title": "t", "rating": "dissatisfied", "text": "答复敷衍"})
    note = Notification.objects.get()
    assert note.params["rating"] == "dissatisfied" and note.stored_title == ""
    # When read in Chinese and in English
    assert Notification.objects.get().title == "提案第5号已评价：不满意"
    with translation.override("en"):
        english = Notification.objects.get().title
    # Then the label shows, never the code, and English is English
    assert english.startswith("Proposal") and "dissatisfied" not in english.lower().replace("不满意", "")
    assert note.url == "/proposals/3/" and note.body == "答复敷衍"


def test_an_old_row_shows_its_stored_text(handler):
    old = Notification.objects.create(recipient=handler, kind="complaint", stored_title="旧通知", stored_body="旧内容", stored_url="/c/1/")
    assert (old.title, old.body, old.url) == ("旧通知", "旧内容", "/c/1/")


def test_supervision_step_is_read_in_the_readers_language(handler):
    from proposals.flows import ProposalFlow
    from viewflow.workflow.fields import get_task_ref

    note = Notification(kind="supervision_warning", params={"case": "某提案", "step": get_task_ref(ProposalFlow.sign), "date": "2026-03-02", "url": "/proposals/1/"})
    assert notifications.render(note).title == "即将到期：签收"
    with translation.override("en"):
        assert notifications.render(note).title == "Due soon: Sign for"


def test_an_unregistered_kind_is_refused(handler):
    with pytest.raises(LookupError):
        _send([handler], kind="no.such.kind")


# --- dedupe and dates ---------------------------------------------------------------------------------
def test_a_dedupe_key_stores_one_notice_per_person_and_sends_once(handler, django_capture_on_commit_callbacks):
    handler.email = "h@example.org"
    handler.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert _send([handler], dedupe_key="k1") == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert _send([handler], dedupe_key="k1") == 1  # the task ran twice
    assert Notification.objects.count() == 1
    assert OutboundMessage.objects.count() == 1 and len(mail.outbox) == 1


def test_notify_on_commit_dates_the_notice_at_the_event(handler, django_capture_on_commit_callbacks):
    # Given a service run in a replayed past (the demo), committed later
    with django_capture_on_commit_callbacks() as callbacks:
        with at(2019, 3, 1, 9):
            services.notify_on_commit(users=[handler], kind="proposal.assigned", params={"proposal": 1, "number": 1, "title": "t"})
    for callback in callbacks:
        callback()
    # Then the notice carries the event's time, not today's, and is not mailed out
    assert Notification.objects.get().created_at == dt.datetime(2019, 3, 1, 9, tzinfo=TZ)
    assert not OutboundMessage.objects.exists()


def test_a_rolled_back_service_sends_nothing(handler, django_capture_on_commit_callbacks):
    handler.email, handler.phone = "h@example.org", "13800138000"
    handler.save()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                services.notify_on_commit(users=[handler], kind="proposal.assigned", params={"proposal": 1, "number": 1, "title": "t"})
                raise RuntimeError("the service fails after queueing")
    assert not Notification.objects.exists() and not OutboundMessage.objects.exists()
    assert mail.outbox == [] and sms.outbox == []


# --- channels and preferences -----------------------------------------------------------------------
@pytest.fixture
def reachable(handler):
    handler.email, handler.phone = "handler@example.org", "13800138000"
    handler.save()
    return handler


def test_defaults_send_by_email_and_sms_in_the_day(reachable, django_capture_on_commit_callbacks):
    with at(2026, 3, 2, 10), django_capture_on_commit_callbacks(execute=True):
        _send([reachable])  # proposal.assigned: in-app, e-mail and SMS by default
    assert [m.to for m in mail.outbox] == [["handler@example.org"]]
    assert "交办提案第28号，请签收" in mail.outbox[0].subject and "/proposals/7/" in mail.outbox[0].body
    assert [m.phone for m in sms.outbox] == ["13800138000"]
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {S.SENT}


def test_preferences_are_honoured_per_channel(reachable, django_capture_on_commit_callbacks):
    # Given the handler wants assignments by SMS only, and nothing but in-app for key proposals
    services.notification_preferences_set(
        actor=reachable, channels={"proposal.assigned": {"sms"}, "proposal.key_lead": set()},
        quiet_start=dt.time(22), quiet_end=dt.time(8),
    )
    with at(2026, 3, 2, 10), django_capture_on_commit_callbacks(execute=True):
        _send([reachable])
        _send([reachable], kind="proposal.key_lead")
    # Then one text message, no e-mail, and both notices in the app
    assert mail.outbox == [] and len(sms.outbox) == 1
    assert Notification.objects.filter(recipient=reachable).count() == 2


def test_sms_in_quiet_hours_waits_for_their_end(reachable, django_capture_on_commit_callbacks):
    from workflow.tasks import outbound_flush

    NotificationSettings.objects.create(user=reachable, quiet_start=dt.time(21), quiet_end=dt.time(7, 30))
    # Given a notice at 23:00
    with at(2026, 3, 2, 23), django_capture_on_commit_callbacks(execute=True):
        _send([reachable])
    # Then the e-mail went, the SMS is held until 07:30 next morning
    held = OutboundMessage.objects.get(channel="sms")
    assert len(mail.outbox) == 1 and sms.outbox == []
    assert held.status == S.QUEUED and held.send_after == dt.datetime(2026, 3, 3, 7, 30, tzinfo=TZ)
    with at(2026, 3, 3, 6):
        assert outbound_flush() == 0
    # When the flush runs after the window
    with at(2026, 3, 3, 7, 31):
        assert outbound_flush() == 1
    assert len(sms.outbox) == 1 and OutboundMessage.objects.get(channel="sms").status == S.SENT


def test_quiet_window_arithmetic():
    start, end = dt.time(22), dt.time(8)
    assert notifications.quiet_until(dt.datetime(2026, 3, 2, 21, 59, tzinfo=TZ), start, end) is None
    assert notifications.quiet_until(dt.datetime(2026, 3, 2, 3, tzinfo=TZ), start, end) == dt.datetime(2026, 3, 2, 8, tzinfo=TZ)
    assert notifications.quiet_until(dt.datetime(2026, 3, 2, 22, tzinfo=TZ), start, end) == dt.datetime(2026, 3, 3, 8, tzinfo=TZ)
    assert notifications.quiet_until(dt.datetime(2026, 3, 2, 13, tzinfo=TZ), dt.time(12), dt.time(14)) == dt.datetime(2026, 3, 2, 14, tzinfo=TZ)


# --- failures and retries ----------------------------------------------------------------------------
class BrokenGateway:
    def send_messages(self, messages):
        raise ConnectionError("gateway down")


def test_a_failure_is_recorded_retried_and_stays_failed_after_the_last_attempt(reachable, settings, django_capture_on_commit_callbacks):
    # Given a broken SMS gateway
    settings.SMS_BACKEND = "tests.workflow.test_notifications.BrokenGateway"
    settings.NOTIFY_MAX_ATTEMPTS = 3
    NotificationPreference.objects.create(user=reachable, kind="proposal.assigned", channels=["sms"])
    # When the notice is sent, and retried later (in tests Celery runs eagerly, without its
    # retries: the flush, which also picks up retries a broker lost, makes them)
    with at(2026, 3, 2, 10), django_capture_on_commit_callbacks(execute=True):
        _send([reachable])
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == (S.RETRYING, 1) and "gateway down" in message.last_error
    from workflow.tasks import outbound_flush

    with at(2026, 3, 2, 11):
        outbound_flush()
    with at(2026, 3, 2, 12):
        outbound_flush()
        assert outbound_flush() == 0  # failed for good: not picked up again
    # Then every attempt was made, recorded, and the message stays failed and visible
    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.FAILED, 3)
    assert "gateway down" in message.last_error
    # When the gateway is back and an administrator retries it
    settings.SMS_BACKEND = "workflow.sms.LocmemBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.outbound_retry(message_ids=[message.pk]) == 1
    message.refresh_from_db()
    assert message.status == S.SENT and len(sms.outbox) == 1


def test_a_transient_failure_is_retried_by_the_flush(reachable, settings):
    settings.SMS_BACKEND = "tests.workflow.test_notifications.BrokenGateway"
    message = OutboundMessage.objects.create(channel="sms", recipient=reachable, address="13800138000", kind="proposal.assigned", text="t")
    with pytest.raises(notifications.DeliveryFailed):
        notifications.outbound_send(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.RETRYING, 1) and message.send_after > message.created_at
    settings.SMS_BACKEND = "workflow.sms.LocmemBackend"
    assert notifications.outbound_due(now=message.send_after + dt.timedelta(minutes=6)) == [message.pk]
    assert notifications.outbound_send(message_id=message.pk, now=message.send_after + dt.timedelta(minutes=6)) == S.SENT


def test_a_message_is_sent_once_even_if_its_task_runs_twice(reachable):
    message = OutboundMessage.objects.create(channel="email", recipient=reachable, address="a@example.org", kind="proposal.assigned", subject="s", text="t")
    assert notifications.outbound_send(message_id=message.pk) == S.SENT
    assert notifications.outbound_send(message_id=message.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_the_phone_number_is_stored_encrypted_and_shown_masked(reachable):
    from django.db import connection

    message = OutboundMessage.objects.create(channel="sms", recipient=reachable, address="13800138000", kind="k", text="t")
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM workflow_outboundmessage WHERE id = %s", [message.pk])
        raw = cursor.fetchone()[0]
    assert "13800138000" not in raw
    assert message.masked_address == "138****8000"


def test_the_outbox_is_visible_to_an_administrator(client, admin_user, reachable):
    OutboundMessage.objects.create(channel="sms", recipient=reachable, address="13800138000", kind="proposal.assigned", text="t", status=S.FAILED, last_error="boom")
    sign_in_verified(client, admin_user)
    page = client.get("/admin/workflow/outboundmessage/?status__exact=failed")
    assert page.status_code == 200
    html = page.content.decode()
    assert "138****8000" in html and "13800138000" not in html
    message = OutboundMessage.objects.get()
    assert client.get(f"/admin/workflow/outboundmessage/{message.pk}/change/").status_code == 200
    response = client.post("/admin/workflow/outboundmessage/", {"action": "retry_failed", "_selected_action": [message.pk]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status in (S.QUEUED, S.SENT)


# --- pages ---------------------------------------------------------------------------------------------
def test_clicking_a_notice_marks_it_read_opens_its_case_and_the_badge_drops(client, handler):
    _send([handler])
    note = Notification.objects.get()
    client.force_login(handler)
    page = client.get("/notifications/").content.decode()
    assert "交办提案第28号，请签收" in page and 'data-testid="notification-open"' in page
    response = client.post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/proposals/7/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert services.notification_mark_read(actor=handler) == 0


def test_mark_all_read(client, handler):
    _send([handler])
    _send([handler], kind="proposal.key_lead")
    client.force_login(handler)
    assert client.post("/notifications/").status_code == 302
    assert not Notification.objects.filter(recipient=handler, read_at__isnull=True).exists()


def test_the_list_is_paginated_with_a_fixed_number_of_queries(client, handler, django_assert_max_num_queries):
    client.force_login(handler)
    _send([handler], kind="proposal.rated", params={"proposal": 1, "number": 1, "title": "t", "rating": "satisfied"})
    client.get("/notifications/")
    with django_assert_max_num_queries(12) as few:
        client.get("/notifications/")
    for i in range(40):
        _send([handler], kind="proposal.rated" if i % 2 else "supervision_warning",
              params={"proposal": i, "number": i, "title": "t", "rating": "satisfied", "case": "c", "step": "", "date": "2026-01-01"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/notifications/")
    assert page.content.decode().count('data-testid="notification-open"') == 30
    assert "?page=2" in page.content.decode()


def test_preferences_page_saves_choices_and_quiet_hours(client, handler):
    client.force_login(handler)
    page = client.get("/accounts/notifications/")
    assert page.status_code == 200 and "通知设置" in page.content.decode()
    response = client.post("/accounts/notifications/", {"quiet_start": "23:00", "quiet_end": "07:00", "email__proposal.assigned": "on"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=handler, kind="proposal.assigned").channels == ["email"]
    assert NotificationPreference.objects.get(user=handler, kind="complaint.dispatched").channels == []
    assert NotificationSettings.objects.get(user=handler).quiet_start == dt.time(23)


def test_preferences_page_refuses_a_bad_time_with_a_message(client, handler):
    client.force_login(handler)
    response = client.post("/accounts/notifications/", {"quiet_start": "25:99", "quiet_end": "07:00"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not NotificationSettings.objects.exists()


# --- demo data --------------------------------------------------------------------------------------------
def test_demo_notifications_carry_their_events_dates(django_capture_on_commit_callbacks):
    from django.core.management import call_command
    from django.utils import timezone

    # Given the demo built (its services replayed in the past, committed at the end)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data")
    # Then its notifications are dated when their events happened, not all today
    years = set(Notification.objects.values_list("created_at__year", flat=True))
    assert Notification.objects.exists() and min(years) < timezone.now().year
    assert not Notification.objects.filter(created_at__gt=timezone.now()).exists()
    # and notices about long-past events were not mailed or texted out
    old = Notification.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=2))
    assert not OutboundMessage.objects.filter(notification__in=old).exists()
