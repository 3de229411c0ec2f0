"""三权分立: the system, security and audit administrators are staff (not superusers) whose
groups carry their duty's permissions only. Each is refused outside its duties in the admin;
nobody holds two of the three roles; nobody changes their own roles."""
import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.factories import DepartmentFactory, UserFactory, sign_in_verified
from workflow import audit, services
from workflow.models import Membership, SecurityEvent

pytestmark = pytest.mark.django_db


def _admin(user):
    return sign_in_verified(Client(), user)


def test_administrators_are_staff_not_superusers(sysadmin, secadmin, auditadmin, gov_dept):
    for user in (sysadmin, secadmin, auditadmin):
        user.refresh_from_db()
        assert user.is_staff and not user.is_superuser
    # staff follows the role: revoked, no more /admin/
    services.membership_revoke(actor=None, membership=Membership.objects.get(user=auditadmin))
    auditadmin.refresh_from_db()
    assert not auditadmin.is_staff


def test_the_system_administrator_keeps_departments_people_rules_and_calendar_only(sysadmin, handler, approval_dept):
    client = _admin(sysadmin)
    # within the duty
    for url in (
        "/admin/workflow/department/add/", f"/admin/workflow/department/{approval_dept.pk}/change/",
        "/admin/workflow/calendarday/", "/admin/workflow/calendarday/import/", "/admin/workflow/timelimitrule/",
        "/admin/workflow/labelscale/", "/admin/workflow/documentseries/", "/admin/proposals/category/add/",
        "/admin/complaints/routingrule/", "/admin/workflow/user/add/",
    ):
        assert client.get(url).status_code == 200, url
    # people: the names, not the account's security (active, forced change, password)
    page = client.get(f"/admin/workflow/user/{handler.pk}/change/")
    form = page.context["adminform"].form
    assert "full_name" in form.fields and "is_active" not in form.fields and "must_change_password" not in form.fields
    assert "groups" not in form.fields and "is_superuser" not in form.fields
    assert client.get(f"/admin/workflow/user/{handler.pk}/password/").status_code == 403
    # outside it: memberships (roles), lockouts, the audit trail
    assert client.get("/admin/workflow/membership/add/").status_code == 403
    response = client.post("/admin/workflow/membership/add/", {"user": handler.pk, "department": approval_dept.pk, "role": "dept_leader", "is_active": "on"})
    assert response.status_code == 403 and not Membership.objects.filter(user=handler, role="dept_leader").exists()
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    assert client.get("/admin/workflow/securityevent/").status_code == 403
    # and the service refuses them too
    with pytest.raises(ValidationError, match="只有安全管理员"):
        services.membership_grant(actor=sysadmin, user=handler, department=approval_dept, role="dept_leader")


def test_the_security_administrator_keeps_roles_accounts_and_lockouts_only(secadmin, handler, approval_dept):
    client = _admin(secadmin)
    # within the duty: roles, the account's security, lockouts
    assert client.get("/admin/workflow/membership/add/").status_code == 200
    response = client.post("/admin/workflow/membership/add/", {"user": handler.pk, "department": approval_dept.pk, "role": "dept_leader", "is_active": "on"})
    assert response.status_code == 302 and handler.groups.filter(name="dept_leader").exists()
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    page = client.get(f"/admin/workflow/user/{handler.pk}/change/")
    form = page.context["adminform"].form
    assert "is_active" in form.fields and "must_change_password" in form.fields
    assert "full_name" not in form.fields and "username" not in form.fields  # people are the system administrator's
    assert client.get(f"/admin/workflow/user/{handler.pk}/password/").status_code == 200
    # outside it: departments, the calendar, the rules, the audit trail
    assert client.get("/admin/workflow/department/add/").status_code == 403
    response = client.post(f"/admin/workflow/department/{approval_dept.pk}/change/", {"name": "改名"})
    assert response.status_code == 403
    approval_dept.refresh_from_db()
    assert approval_dept.name != "改名"
    assert client.get("/admin/workflow/calendarday/").status_code == 403
    assert client.get("/admin/workflow/calendarday/import/").status_code == 403
    assert client.get("/admin/workflow/timelimitrule/").status_code == 403
    assert client.get("/admin/workflow/securityevent/").status_code == 403


def test_the_audit_administrator_only_reads_the_security_events(auditadmin, handler, approval_dept):
    audit.append(kind=SecurityEvent.Kind.LOGIN_FAILED, username="x")  # the trail is written by append only
    client = _admin(auditadmin)
    listing = client.get("/admin/workflow/securityevent/")
    assert listing.status_code == 200
    event = SecurityEvent.objects.first()
    assert client.get(f"/admin/workflow/securityevent/{event.pk}/change/").status_code == 200  # read-only view
    assert client.post(f"/admin/workflow/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
    for url in (
        "/admin/workflow/department/add/", f"/admin/workflow/department/{approval_dept.pk}/change/",
        "/admin/workflow/membership/add/", "/admin/workflow/user/", f"/admin/workflow/user/{handler.pk}/change/",
        "/admin/workflow/calendarday/", "/admin/axes/accessattempt/", "/admin/workflow/timelimitrule/",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post("/admin/workflow/membership/add/", {"user": handler.pk, "department": approval_dept.pk, "role": "dept_leader", "is_active": "on"})
    assert response.status_code == 403


def test_nobody_holds_two_administrator_roles(secadmin, sysadmin, gov_dept):
    # the service refuses, naming the rule
    with pytest.raises(ValidationError, match="三权分立"):
        services.membership_grant(actor=secadmin, user=sysadmin, department=gov_dept, role="audit_admin")
    other = DepartmentFactory()
    with pytest.raises(ValidationError, match="三权分立"):
        services.membership_grant(actor=None, user=sysadmin, department=other, role="security_admin")
    # the admin's form too (through the service's check), nothing saved
    client = _admin(secadmin)
    response = client.post("/admin/workflow/membership/add/", {"user": sysadmin.pk, "department": gov_dept.pk, "role": "audit_admin", "is_active": "on"})
    assert response.status_code == 200 and "三权分立" in response.content.decode()
    assert set(Membership.objects.filter(user=sysadmin).values_list("role", flat=True)) == {"admin"}
    # and editing an existing row into a second administrator role
    clerk = UserFactory(username="clerk", roles=[(gov_dept, "admin"), (other, "handler")])
    row = Membership.objects.get(user=clerk, role="handler")
    response = client.post(f"/admin/workflow/membership/{row.pk}/change/", {"user": clerk.pk, "department": other.pk, "role": "security_admin", "is_active": "on"})
    assert response.status_code == 200 and "三权分立" in response.content.decode()
    row.refresh_from_db()
    assert row.role == "handler"
    # an ordinary role next to an administrator role is fine
    services.membership_grant(actor=secadmin, user=sysadmin, department=gov_dept, role="supervisor")


def test_the_user_page_refuses_two_administrator_roles_too(secadmin, gov_dept):
    newcomer = UserFactory(username="newcomer")
    client = _admin(secadmin)
    url = f"/admin/workflow/user/{newcomer.pk}/change/"
    data = {
        "is_active": "on",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "0", "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-department": str(gov_dept.pk), "memberships-0-role": "admin", "memberships-0-is_active": "on",
        "memberships-1-department": str(gov_dept.pk), "memberships-1-role": "audit_admin", "memberships-1-is_active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "三权分立" in response.content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()


def test_nobody_changes_their_own_roles(secadmin, gov_dept):
    other = DepartmentFactory()
    with pytest.raises(ValidationError, match="不能修改自己的角色"):
        services.membership_grant(actor=secadmin, user=secadmin, department=other, role="supervisor")
    with pytest.raises(ValidationError, match="不能修改自己的角色"):
        services.membership_revoke(actor=secadmin, membership=Membership.objects.get(user=secadmin))
    client = _admin(secadmin)
    response = client.post("/admin/workflow/membership/add/", {"user": secadmin.pk, "department": other.pk, "role": "supervisor", "is_active": "on"})
    assert response.status_code == 200 and "不能修改自己的角色" in response.content.decode()
    assert Membership.objects.filter(user=secadmin).count() == 1


def test_a_superuser_account_holds_no_administrator_role(admin_user, secadmin, gov_dept):
    with pytest.raises(ValidationError, match="超级管理员账号只用于系统安装"):
        services.membership_grant(actor=secadmin, user=admin_user, department=gov_dept, role="admin")
    # and the security administrator cannot touch a superuser's account
    client = _admin(secadmin)
    assert client.get(f"/admin/workflow/user/{admin_user.pk}/password/").status_code == 403


@pytest.mark.parametrize("fixture", ["sysadmin", "secadmin", "auditadmin"])
def test_each_administrator_finds_the_admin_from_the_home_page(request, fixture):
    client = _admin(request.getfixturevalue(fixture))
    body = client.get("/").content.decode()
    assert 'href="/admin/"' in body
    assert client.get("/admin/").status_code == 200
