"""The audit administrator's page (/security/audit/): refused without workflow.view_securityevent,
searchable, and exported to Excel with workflow.export_securityevent (the export is audited)."""
import io

import pytest
from django.contrib.auth.models import Permission
from openpyxl import load_workbook

from tests.complaints import factories as f
from tests.factories import UserFactory, at
from workflow import audit
from workflow.models import SecurityEvent

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind
PAGE, EXPORT = "/security/audit/", "/security/audit.xlsx"


def auditor(*codenames, username="auditor"):
    user = UserFactory(username=username)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="workflow", codename__in=codenames))
    return user


@pytest.fixture
def viewer():
    return auditor("view_securityevent", username="viewer")


@pytest.fixture
def exporter():
    return auditor("view_securityevent", "export_securityevent")


def test_the_page_and_the_export_are_refused_without_the_permissions(client, handler, admin_user, viewer):
    assert client.get(PAGE).status_code == 302  # to the login page
    client.force_login(handler)
    assert client.get(PAGE).status_code == 403
    assert client.post(EXPORT).status_code == 403
    # viewing is not exporting
    client.force_login(viewer)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'data-testid="audit-export"' not in page.content.decode()
    assert client.post(EXPORT).status_code == 403
    assert not SecurityEvent.objects.filter(kind=Kind.DATA_EXPORTED).exists()


def test_the_home_page_links_to_the_trail_only_for_whoever_may_read_it(client, handler, viewer):
    client.force_login(handler)
    assert PAGE not in client.get("/").content.decode()
    client.force_login(viewer)
    assert PAGE in client.get("/").content.decode()


def test_search_by_time_kind_user_and_case(client, viewer, dispatcher, realestate_dept):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        audit.append(kind=Kind.LOGIN_FAILED, username="mallory")
    with at(2026, 3, 5, 9):
        audit.append(kind=Kind.LOGIN_FAILED, username="mallory")
    client.force_login(viewer)

    def sequences(query):
        response = client.get(PAGE + "?" + query)
        assert response.status_code == 200
        return [int(r.split("</td>")[0].split(">")[-1]) for r in response.content.decode().split('data-testid="audit-row">')[1:]]

    mallory = list(SecurityEvent.objects.filter(username="mallory").order_by("-sequence").values_list("sequence", flat=True))
    assert sequences("username=mallory") == mallory
    assert sequences("username=mallory&since=2026-03-03") == mallory[:1]
    assert sequences("username=mallory&until=2026-03-02") == mallory[1:]
    assert sequences("kind=login_failed&username=mallory&since=2026-03-05&until=2026-03-05") == mallory[:1]
    by_case = list(SecurityEvent.objects.filter(object_type="complaints.complaint", object_id=str(complaint.pk)).order_by("-sequence").values_list("sequence", flat=True))
    assert by_case and sequences(f"case={complaint.number}") == by_case
    assert sequences("kind=case_status_changed&case=" + complaint.number) == by_case


def test_the_export_is_a_workbook_of_the_rows_and_is_itself_audited(client, exporter):
    with at(2026, 3, 2, 9):
        audit.append(kind=Kind.LOGIN_FAILED, username="mallory", detail={"path": "/accounts/login/"})
        audit.append(kind=Kind.LOGIN_FAILED, username="mallory")
        client.force_login(exporter)
        response = client.post(EXPORT + "?username=mallory")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["X-Audit-Rows"] == "2" and "no-store" in response["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:4] == ("序号", "时间", "类型", "用户名") and len(table) == 3
    expected = list(SecurityEvent.objects.filter(username="mallory").order_by("-sequence"))
    assert [r[0] for r in table[1:]] == [e.sequence for e in expected]
    assert [r[-1] for r in table[1:]] == [e.hash for e in expected]
    assert table[2][9] == '{"path":"/accounts/login/"}'
    # the export is a row of the trail: who, how many rows, which filters
    row = SecurityEvent.objects.filter(kind=Kind.DATA_EXPORTED).get()
    assert row.username == "auditor" and row.object_repr == "audit_trail"
    assert row.detail["rows"] == 2 and row.detail["filters"] == {"username": "mallory"}
    assert audit.audit_verify().ok
