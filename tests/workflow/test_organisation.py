import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.factories import DepartmentFactory, UserFactory, sign_in_verified
from workflow import selectors, services
from workflow.models import Department, Membership, User
from proposals.roles import Role

pytestmark = pytest.mark.django_db


def test_role_groups_exist_with_default_permissions():
    from django.contrib.auth.models import Group

    from workflow import registry

    # every registered role (the engine's and each case app's) is a group
    assert set(Group.objects.values_list("name", flat=True)) >= {spec.code for spec in registry.roles()}
    office = Group.objects.get(name=Role.PROPOSAL_OFFICE)
    assert office.permissions.filter(codename="view_department").exists()


def test_person_may_hold_roles_in_several_departments(approval_dept, hrss_dept):
    user = UserFactory()
    services.membership_grant(actor=None, user=user, department=approval_dept, role=Role.HANDLER)
    services.membership_grant(actor=None, user=user, department=hrss_dept, role=Role.DEPT_LEADER)
    assert selectors.user_roles(user=User.objects.get(pk=user.pk)) == {"handler", "dept_leader"}
    assert set(user.groups.values_list("name", flat=True)) == {"handler", "dept_leader"}
    assert list(selectors.user_departments(user=user, role=Role.HANDLER)) == [approval_dept]


def test_granting_twice_keeps_one_membership(approval_dept):
    user = UserFactory()
    for _ in range(2):
        services.membership_grant(actor=None, user=user, department=approval_dept, role=Role.HANDLER)
    assert Membership.objects.filter(user=user).count() == 1


def test_revoking_removes_the_group_and_keeps_history(approval_dept):
    user = UserFactory()
    m = services.membership_grant(actor=None, user=user, department=approval_dept, role=Role.HANDLER)
    services.membership_revoke(actor=None, membership=m)
    assert not user.groups.filter(name="handler").exists()
    assert selectors.user_roles(user=User.objects.get(pk=user.pk)) == set()
    assert m.history.count() == 2


def test_unknown_role_and_inactive_department_are_refused(approval_dept):
    user = UserFactory()
    with pytest.raises(ValidationError):
        services.membership_grant(actor=None, user=user, department=approval_dept, role="emperor")
    closed = DepartmentFactory(is_active=False)
    with pytest.raises(ValidationError) as exc:
        services.membership_grant(actor=None, user=user, department=closed, role=Role.HANDLER)
    assert "已停用" in exc.value.messages[0]
    assert not Membership.objects.filter(user=user).exists()


def test_department_changes_are_audited(approval_dept):
    approval_dept.contact_phone = "0839-1234567"
    approval_dept.save()
    assert approval_dept.history.count() == 2


def test_demo_data_is_idempotent():
    call_command("demo_data")
    counts = (Department.objects.count(), User.objects.count(), Membership.objects.count())
    call_command("demo_data")
    assert (Department.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    approval = Department.objects.get(code="approval")
    assert approval.name == "广元市朝天区行政审批和数据局"
    assert approval.doc_number_prefix == "朝审函"
    # one demo account per role
    roles = set(Membership.objects.values_list("role", flat=True))
    from workflow import registry

    assert roles == {spec.code for spec in registry.roles()}


def test_admin_adds_membership_inline_and_groups_follow(client, admin_user, approval_dept):
    user = UserFactory(username="newcomer")
    sign_in_verified(client, admin_user)
    url = f"/admin/workflow/user/{user.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (list, tuple))}
    data.update({
        "username": "newcomer", "full_name": "新同事", "phone": "", "date_joined_0": "2026-11-01", "date_joined_1": "09:00:00",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-department": str(approval_dept.pk), "memberships-0-role": "handler", "memberships-0-is_active": "on",
        "is_active": "on",
    })
    data.pop("password", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert user.groups.filter(name="handler").exists()


def test_admin_grants_and_revokes_memberships_through_the_services(client, admin_user, approval_dept):
    user = UserFactory(username="clerk")
    sign_in_verified(client, admin_user)
    response = client.post("/admin/workflow/membership/add/", {"user": user.pk, "department": approval_dept.pk, "role": "handler", "is_active": "on"})
    assert response.status_code == 302
    assert user.groups.filter(name="handler").exists()
    m = Membership.objects.get(user=user)
    response = client.post(f"/admin/workflow/membership/{m.pk}/change/", {"user": user.pk, "department": approval_dept.pk, "role": "handler"})
    assert response.status_code == 302
    assert not user.groups.filter(name="handler").exists()
    assert m.history.count() >= 2
    # a closed department is refused on the form, nothing saved
    closed = DepartmentFactory(is_active=False)
    response = client.post("/admin/workflow/membership/add/", {"user": user.pk, "department": closed.pk, "role": "handler", "is_active": "on"})
    assert response.status_code == 200 and "已停用" in response.content.decode()
    assert Membership.objects.filter(user=user).count() == 1
