"""What integrators need: /me/, the scoped user directory, the public
proposals for anonymous clients, and the user's notifications."""
import pytest
from rest_framework.test import APIClient

from tests.api.conftest import as_user, assert_error, token_client
from tests.factories import DepartmentFactory, UserFactory
from workflow import services as workflow_services
from workflow.models import Membership, Notification
from proposals.roles import Role

pytestmark = pytest.mark.django_db


# --- /me/ ---------------------------------------------------------------------------------------------
def test_me_gives_id_name_roles_and_memberships(handler, approval_dept, hrss_dept):
    # given a handler of one department who was also a leader of a department since closed
    closed = DepartmentFactory(code="closed-dept")
    workflow_services.membership_grant(actor=None, user=handler, department=closed, role=Role.DEPT_LEADER)
    closed.is_active = False
    closed.save()
    # when they ask who they are, with their token
    me = token_client(handler).get("/api/v1/me/").json()
    # then the id, the names and only the live roles and memberships come back
    assert me["id"] == handler.pk and me["username"] == "handler"
    assert me["name"] == str(handler) and me["full_name"] == handler.full_name
    assert me["roles"] == ["handler"]
    assert [(m["department"]["code"], m["role"]) for m in me["memberships"]] == [("approval", "handler")]
    assert me["memberships"][0]["role_display"] == "承办人员"


# --- user directory ---------------------------------------------------------------------------------
def _directory(user, query=""):
    response = as_user(user).get("/api/v1/users/" + query)
    assert response.status_code == 200, response.content
    return response.json()


def _names(page):
    return sorted(u["username"] for u in page["results"])


@pytest.fixture
def people(member, member2, office_user, handler, dept_leader, other_handler, supervisor, key_leader, committee_dept):
    # a retired member (inactive account) and a member whose membership was revoked are never listed
    UserFactory(username="retired", is_active=False, roles=[(committee_dept, Role.MEMBER)])
    revoked = UserFactory(username="revoked", roles=[(committee_dept, Role.MEMBER)])
    workflow_services.membership_revoke(actor=None, membership=Membership.objects.get(user=revoked))


def test_the_office_finds_key_leaders_for_leading_official(people, office_user, key_leader):
    page = _directory(office_user, "?role=key_leader")
    assert _names(page) == ["keyleader"]
    [leader] = page["results"]
    # then only id, username, display name and role/department pairs: no phone, no e-mail
    assert set(leader) == {"id", "username", "name", "memberships"}
    assert leader["id"] == key_leader.pk and leader["name"] == "示例牵头领导"
    assert leader["memberships"] == [{"department": {"id": key_leader.memberships.get().department_id, "name": "区政府办"}, "role": "key_leader", "role_display": "牵头领导"}]


def test_the_office_sees_everyone_active(people, office_user):
    assert _names(_directory(office_user)) == sorted(["member", "member2", "office", "handler", "leader", "handler_hrss", "supervisor", "keyleader"])


def test_filters_by_role_and_department_together(people, office_user, approval_dept):
    assert _names(_directory(office_user, f"?department={approval_dept.pk}")) == ["handler", "leader"]
    assert _names(_directory(office_user, f"?department={approval_dept.pk}&role=dept_leader")) == ["leader"]
    assert _names(_directory(office_user, f"?department={approval_dept.pk}&role=member")) == []
    assert _names(_directory(office_user, "?q=示例委员")) == ["member2"]


def test_a_member_sees_the_members_only(people, member):
    # given a committee member choosing co-signers
    page = _directory(member)
    # then they see the members (themselves included), not the departments' staff or leaders
    assert _names(page) == ["member", "member2"]
    assert _names(_directory(member, "?role=key_leader")) == []
    assert _names(_directory(member, "?role=handler")) == []


def test_department_staff_see_their_own_department(people, handler, other_handler):
    assert _names(_directory(handler)) == ["handler", "leader"]
    assert _names(_directory(other_handler)) == ["handler_hrss"]


def test_only_the_visible_memberships_are_shown(people, member, member2, approval_dept):
    # given member2 who is also a handler somewhere
    workflow_services.membership_grant(actor=None, user=member2, department=approval_dept, role=Role.HANDLER)
    # when a member looks them up, the department role is not shown
    [row] = [u for u in _directory(member)["results"] if u["username"] == "member2"]
    assert [m["role"] for m in row["memberships"]] == ["member"]


def test_directory_refusals(people, member):
    assert_error(APIClient().get("/api/v1/users/"), 401)
    body = assert_error(as_user(member).get("/api/v1/users/?role=emperor"), 400, "invalid")
    assert list(body["errors"]) == ["role"]
    assert list(assert_error(as_user(member).get("/api/v1/users/?department=x"), 400)["errors"]) == ["department"]


# --- public proposals ----------------------------------------------------------------------------------
def test_anonymous_clients_read_public_proposals_and_replies(closed_public_proposal):
    # given an anonymous client (a stale token does not matter here)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token stale")
    # when it lists the public proposals
    response = client.get("/api/v1/public/proposals/")
    # then only the public closed one is there, with its published reply
    assert response.status_code == 200, response.content
    page = response.json()
    assert page["count"] == 1
    [p] = page["results"]
    assert p["id"] == closed_public_proposal.pk and p["display_number"] == "第28号" and p["session"] == "六届四次会议"
    [reply] = p["replies"]
    assert reply["reply_class"] == "A" and reply["department"] == "区行政审批局" and reply["doc_number"] == "朝审函〔2019〕28号"
    # and nothing personal beyond what the public page shows
    text = response.content.decode()
    for secret in ("0839-1234567", "0839-7654321", "示例委员", "示例联系人", "member"):
        assert secret not in text
    assert not {"proposer", "contact_name", "contact_phone", "analysis", "suggestions"} & set(p)
    # and one of them can be read alone; the others do not exist here
    assert client.get(f"/api/v1/public/proposals/{p['id']}/").json()["title"] == p["title"]
    hidden = closed_public_proposal.pk - 1
    assert_error(client.get(f"/api/v1/public/proposals/{hidden}/"), 404)
    assert_error(client.get("/api/v1/public/proposals/abc/"), 404)


def test_public_proposals_cannot_be_changed(closed_public_proposal):
    response = APIClient().post("/api/v1/public/proposals/", {}, format="json")
    assert_error(response, 405)


# --- notifications -------------------------------------------------------------------------------------
@pytest.fixture
def notices(handler, other_handler):
    workflow_services.notification_send(recipients=[handler], kind="proposal.assigned", params={"proposal": 1, "number": 28, "title": "提案"})
    workflow_services.notification_send(recipients=[handler], kind="calendar_missing", params={"year": 2027})
    workflow_services.notification_send(recipients=[other_handler], kind="proposal.key_lead", params={"proposal": 2, "number": 3, "title": "别人的"})
    return {n.title: n for n in Notification.objects.all()}


def test_the_user_lists_their_own_notifications(notices, handler):
    page = as_user(handler).get("/api/v1/notifications/").json()
    assert page["count"] == 2
    assert {n["title"] for n in page["results"]} == {"交办提案第28号，请签收", "2027年工作日历尚未导入"}
    assert all(n["is_read"] is False and n["read_at"] is None for n in page["results"])


def test_mark_one_read_and_filter_unread(notices, handler):
    api = as_user(handler)
    target = notices["交办提案第28号，请签收"]
    # when the handler marks one read
    marked = api.post(f"/api/v1/notifications/{target.pk}/read/").json()
    # then it is read, and the unread filter leaves the other
    assert marked["id"] == target.pk and marked["is_read"] is True
    unread = api.get("/api/v1/notifications/?unread=true").json()
    assert [n["title"] for n in unread["results"]] == ["2027年工作日历尚未导入"]
    assert api.get("/api/v1/notifications/?unread=false").json()["count"] == 2


def test_someone_elses_notification_does_not_exist(notices, handler):
    other = notices["您牵头督办重点提案第3号"]
    assert_error(as_user(handler).post(f"/api/v1/notifications/{other.pk}/read/"), 404)
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_all_read_touches_only_ones_own(notices, handler, other_handler):
    response = as_user(handler).post("/api/v1/notifications/read-all/", {}, format="json")
    assert response.json() == {"marked": 2}
    assert Notification.objects.filter(recipient=handler, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=other_handler, read_at__isnull=True).count() == 1


def test_mark_some_read_by_ids(notices, handler):
    ids = [notices["2027年工作日历尚未导入"].pk, notices["您牵头督办重点提案第3号"].pk]
    assert as_user(handler).post("/api/v1/notifications/read-all/", {"ids": ids}, format="json").json() == {"marked": 1}
    assert_error(as_user(handler).post("/api/v1/notifications/read-all/", {"ids": ["x"]}, format="json"), 400)
