"""Opening a notification marks it read and shows its case."""
import pytest

from workflow import services
from workflow.models import Notification

pytestmark = pytest.mark.django_db


def _notify(user, url=None):
    if url is None:
        services.notification_send(recipients=[user], kind="proposal.assigned", params={"proposal": 1, "number": 1, "title": "提案"})
        return Notification.objects.get(recipient=user)
    # A row from before typed notifications: its stored link is used (still only inside the site).
    return Notification.objects.create(recipient=user, kind="proposal", stored_title="交办提案第1号，请签收", stored_url=url)


def test_opening_a_notification_marks_it_read_and_opens_its_case(client, handler):
    # Given an unread notification about a case
    note = _notify(handler)
    client.force_login(handler)
    assert 'data-testid="notification-open"' in client.get("/notifications/").content.decode()
    # When the handler opens it
    response = client.post(f"/notifications/{note.pk}/open/")
    # Then it is read and the case is shown
    assert response.status_code == 302 and response["Location"] == "/proposals/1/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_someone_elses_notification_does_not_exist_for_you(client, handler, other_handler):
    note = _notify(handler)
    client.force_login(other_handler)
    assert client.post(f"/notifications/{note.pk}/open/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_opening_is_a_post_and_never_leaves_the_site(client, handler):
    note = _notify(handler, url="https://example.org/phish")
    client.force_login(handler)
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 405
    response = client.post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
