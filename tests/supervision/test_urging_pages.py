"""Urging notices are signed for by the department (and by nobody else); the
home page's task rows show each task's supervision chip."""
import datetime as dt

import pytest
from django.urls import reverse

from proposals.models import ProposalTask
from tests.factories import TZ, at
from tests.proposals import factories as pf
from workflow.models import CaseEvent, UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(office_user, member, approval_dept, handler):
    with at(2026, 3, 2, 9):
        pf.assigned(lead=approval_dept)
    supervision_sweep(now=dt.datetime(2026, 3, 6, 10, tzinfo=TZ))
    return UrgingNotice.objects.get()


def test_the_departments_handler_signs_for_the_urging_notice(client, login, handler, notice):
    login(handler)
    with at(2026, 3, 6, 11):
        page = client.get(reverse("supervision-urging"))
        assert page.status_code == 200 and page.content.decode().count('data-testid="urging-notice"') == 1
        response = client.post(reverse("supervision-urging-sign", args=[notice.pk]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.signed_by == handler and notice.signed_at == dt.datetime(2026, 3, 6, 11, tzinfo=TZ)
    assert CaseEvent.objects.filter(type="urging_signed", case_id=notice.case_id, actor=handler).count() == 1
    # Signed: no longer in the list; signing again is refused without a change.
    with at(2026, 3, 6, 12):
        assert 'data-testid="urging-notice"' not in client.get(reverse("supervision-urging")).content.decode()
        client.post(reverse("supervision-urging-sign", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.signed_at == dt.datetime(2026, 3, 6, 11, tzinfo=TZ)


def test_another_department_may_neither_see_nor_sign_it(client, login, other_handler, notice):
    login(other_handler)
    assert 'data-testid="urging-notice"' not in client.get(reverse("supervision-urging")).content.decode()
    assert client.post(reverse("supervision-urging-sign", args=[notice.pk])).status_code == 403
    notice.refresh_from_db()
    assert notice.signed_at is None


def test_the_home_page_shows_the_deadline_chip(client, login, office_user, member, approval_dept, handler):
    with at(2026, 3, 2, 9):
        pf.assigned(lead=approval_dept)
    expected = {
        (2026, 3, 3, 9): ("on_time", "剩2个工作日"),
        (2026, 3, 4, 9): ("warning", "剩1个工作日"),
        (2026, 3, 5, 9): ("warning", "今日到期"),
        (2026, 3, 9, 9): ("overdue", "逾期2个工作日"),
        (2026, 3, 13, 9): ("severely_overdue", "严重逾期6个工作日"),
    }
    for moment, (state, text) in expected.items():
        with at(*moment):
            login(handler)  # a session does not last days
            html = client.get(reverse("home")).content.decode()
        assert f'data-state="{state}"' in html and text in html, moment
    # The chip reads the live state; the sweep stores the same one for lists.
    supervision_sweep(now=dt.datetime(2026, 3, 13, 9, tzinfo=TZ))
    assert ProposalTask.objects.get(status="NEW").supervision_state == "severely_overdue"


def test_the_api_lists_and_signs_the_departments_notices(client, login, handler, other_handler, notice):
    login(other_handler)
    listed = client.get("/api/v1/urging-notices/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows == []
    assert client.post(f"/api/v1/urging-notices/{notice.pk}/sign/").status_code == 403
    login(handler)
    listed = client.get("/api/v1/urging-notices/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["id"] for r in rows] == [notice.pk] and rows[0]["step"] == "签收"
    response = client.post(f"/api/v1/urging-notices/{notice.pk}/sign/")
    assert response.status_code == 200 and response.json()["signed_by"] == "handler"
    assert client.post(f"/api/v1/urging-notices/{notice.pk}/sign/").status_code == 400


def test_administrators_see_notices_and_records_read_only(client, login, admin_user, notice):
    login(admin_user)
    assert client.get("/admin/workflow/urgingnotice/").status_code == 200
    assert client.get("/admin/workflow/breachrecord/").status_code == 200
    assert client.get(f"/admin/workflow/urgingnotice/{notice.pk}/change/").status_code == 200
