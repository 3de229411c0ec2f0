"""Each kind of event the audit trail adds is written by the action that causes it: a case's
status change, permission and role changes, an export, a reveal of personal data."""
import pytest
from django.contrib.auth.models import Group, Permission

from complaints.models import Complaint
from complaints.roles import Role as ComplaintRole
from tests.complaints import factories as f
from tests.factories import UserFactory, at, sign_in_verified
from workflow import audit, services
from workflow.models import CaseEvent, Membership, SecurityEvent

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind
PHONE = "13800001234"


def rows(kind, **filters):
    return list(SecurityEvent.objects.filter(kind=kind, **filters).order_by("sequence"))


def test_a_case_status_change_is_an_audit_row(dispatcher, realestate_dept):
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        before = SecurityEvent.objects.count()
        f.services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
    complaint.refresh_from_db()
    changes = rows(Kind.CASE_STATUS_CHANGED, object_type="complaints.complaint", object_id=str(complaint.pk), username=dispatcher.username)
    assert len(changes) == 1
    row = changes[-1]
    assert row.user_id == dispatcher.pk and row.object_repr == complaint.number
    assert row.detail["case_kind"] == "complaints.complaint" and row.detail["to"] == complaint.status
    assert row.detail["from"] == Complaint.Status.NEW and row.detail["event"]
    # one audit row for the change (the case's own timeline keeps its event)
    event = CaseEvent.objects.filter(case_id=complaint.pk, to_state=complaint.status).get()
    assert event.type == row.detail["event"]
    assert SecurityEvent.objects.count() - before == 1
    assert audit.audit_verify().ok


def test_an_event_that_does_not_change_the_status_is_not_in_the_trail(dispatcher, realestate_dept):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        count = SecurityEvent.objects.count()
        f.services.complaint_follow(complaint=complaint)  # a citizen follows it: an event, same status
    assert CaseEvent.objects.filter(case_id=complaint.pk, type="followed").exists()
    assert SecurityEvent.objects.count() == count


def test_groups_and_permissions_changes_are_audit_rows(admin_user):
    user = UserFactory(username="clerk")
    group = Group.objects.create(name="auditors")
    permission = Permission.objects.get(codename="export_securityevent")
    # a user's groups, from either side
    user.groups.add(group)
    group.user_set.remove(user)
    # a user's own permissions, cleared
    user.user_permissions.add(permission)
    user.user_permissions.clear()
    # a group's permissions
    group.permissions.add(permission)
    changes = [(r.object_repr, r.detail["change"], r.detail.get("added"), r.detail.get("removed")) for r in rows(Kind.PERMISSION_CHANGED, object_repr__in=["clerk", "auditors"])]
    assert changes == [
        ("clerk", "user_groups", ["auditors"], None),
        ("auditors", "user_groups", None, ["clerk"]),
        ("clerk", "user_permissions", ["workflow.export_securityevent"], None),
        ("clerk", "user_permissions", None, ["workflow.export_securityevent"]),
        ("auditors", "group_permissions", ["workflow.export_securityevent"], None),
    ]


def test_account_flags_are_audit_rows_with_the_administrator_who_changed_them(client, admin_user):
    user = UserFactory(username="clerk")
    # when an administrator makes the account staff and superuser in the admin (only a superuser
    # may change these flags, and only with the second factor passed)
    sign_in_verified(client, admin_user)
    data = {
        "username": "clerk", "full_name": user.full_name, "phone": "", "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "must_change_password": "", "date_joined_0": "2026-01-01", "date_joined_1": "09:00:00",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0", "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
    }
    response = client.post(f"/admin/workflow/user/{user.pk}/change/", data)
    assert response.status_code == 302 and response.url == "/admin/workflow/user/", response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.is_staff and user.is_superuser
    # then one row says which flags changed, by whom, from where
    row = rows(Kind.PERMISSION_CHANGED, object_repr="clerk", detail__change="account_flags")[-1]
    assert row.username == admin_user.username and row.ip_address == "127.0.0.1"
    assert row.detail["flags"] == {"is_staff": {"old": False, "new": True}, "is_superuser": {"old": False, "new": True}}
    # and a save that changes nothing else writes nothing
    count = SecurityEvent.objects.count()
    user.refresh_from_db()
    user.full_name = "新名字"
    user.save()
    assert SecurityEvent.objects.count() == count


def test_granting_and_ending_a_role_are_audit_rows(admin_user, realestate_dept):
    user = UserFactory(username="clerk")
    membership = services.membership_grant(actor=admin_user, user=user, department=realestate_dept, role=ComplaintRole.HANDLER)
    services.membership_revoke(actor=admin_user, membership=membership)
    granted, = rows(Kind.MEMBERSHIP_GRANTED, object_repr="clerk")
    revoked, = rows(Kind.MEMBERSHIP_REVOKED, object_repr="clerk")
    for row in (granted, revoked):
        assert row.username == admin_user.username
        assert row.detail["role"] == ComplaintRole.HANDLER and row.detail["department"] == realestate_dept.pk
    # the role group followed, and that is in the trail too
    groups = [r.detail for r in rows(Kind.PERMISSION_CHANGED, object_repr="clerk", detail__change="user_groups")]
    assert groups == [{"added": [ComplaintRole.HANDLER], "change": "user_groups", "via": "forward"},
                      {"removed": [ComplaintRole.HANDLER], "change": "user_groups", "via": "forward"}]
    assert not Membership.objects.get(pk=membership.pk).is_active


def test_the_ledger_export_is_an_audit_row(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        f.handling(dispatcher, re_handler, realestate_dept)
        client.force_login(re_handler)
        response = client.post("/complaints/ledger.xlsx?status=handling")
    assert response.status_code == 200
    row, = rows(Kind.DATA_EXPORTED)
    assert row.username == re_handler.username and row.object_repr == "complaint_ledger"
    assert row.detail["rows"] == 1 and row.detail["filters"]["status"] == "handling" and row.ip_address == "127.0.0.1"


def test_revealing_a_citizens_contact_is_an_audit_row(client, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        client.force_login(re_handler)
        response = client.post(f"/complaints/{complaint.pk}/reveal/", {"reason": "需电话核实"})
    assert response.status_code == 200 and PHONE in response.content.decode()
    row, = rows(Kind.PERSONAL_DATA_REVEALED)
    assert row.username == re_handler.username and row.object_repr == complaint.number
    assert "citizen_phone" in row.detail["fields"] and row.detail["reason"] == "需电话核实"
    # the trail says what was shown, never the data itself
    assert PHONE not in str(row.detail)


def test_audit_reveal_is_there_for_any_other_place_showing_personal_data(handler):
    row = audit.audit_reveal(actor=handler, obj=handler, fields=["phone"], reason="核对")
    assert row.kind == Kind.PERSONAL_DATA_REVEALED and row.object_type == "workflow.user" and row.detail == {"fields": ["phone"], "reason": "核对"}
