"""Supervision notices by hand (督办单): a supervisor of the case issues one to a
department handling it, with a deadline of their own; the department signs for
it and answers in writing, once; all three are events of the case's timeline."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.complaints import factories as cf
from tests.factories import TZ, DepartmentFactory, UserFactory, at
from tests.proposals import factories as pf
from proposals.roles import Role
from workflow import notices
from workflow.models import CaseEvent, Notification, SupervisionNotice

pytestmark = pytest.mark.django_db

REQUIREMENT = "请于本周内报告“最多跑一次”改革推进情况及存在问题。"


@pytest.fixture
def key_leader(db):
    gov = DepartmentFactory(code="gov-office", name="区政府办公室", short_name="区政府办")
    return UserFactory(username="keyleader", full_name="示例牵头领导", roles=[(gov, Role.KEY_LEADER)])


@pytest.fixture
def proposal(office_user, member, approval_dept, handler, supervision_dept):
    """A proposal in handling since Monday 2 March 2026, supervised by the supervision office."""
    with at(2026, 3, 2, 9):
        return pf.assigned(lead=approval_dept, supervising_unit=supervision_dept)


@pytest.fixture
def notice(proposal, supervisor, approval_dept):
    with at(2026, 3, 3, 10):
        return notices.supervision_notice_issue(
            actor=supervisor, case=proposal, department=approval_dept, requirement=REQUIREMENT, deadline=dt.date(2026, 3, 6),
        )


def _rows(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


# --- issuing --------------------------------------------------------------------------------------
def test_a_supervisor_of_the_case_issues_a_notice_from_the_case_page(client, login, proposal, supervisor, approval_dept, handler, dept_leader):
    # Given the supervisor of the proposal's supervising unit on its page
    login(supervisor)
    with at(2026, 3, 3, 10):
        page = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
        url = reverse("supervision-notice-new", args=["proposal", proposal.pk])
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
        # When they issue a notice to the handling department
        response = client.post(url, {"department": approval_dept.pk, "requirement": REQUIREMENT, "deadline": "2026-03-06"})
    # Then it exists, with its deadline at the end of that working day, and the case's timeline says so
    assert response.status_code == 302 and response["Location"] == proposal.get_absolute_url()
    notice = SupervisionNotice.objects.get()
    assert (notice.department, notice.issued_by, notice.requirement) == (approval_dept, supervisor, REQUIREMENT)
    assert notice.deadline == dt.datetime(2026, 3, 6, 23, 59, 59, tzinfo=TZ)
    assert notices.notice_status(notice, now=dt.datetime(2026, 3, 3, 11, tzinfo=TZ)) == "issued"
    event = CaseEvent.objects.get(type="notice_issued")
    assert (event.case_id, event.actor, event.payload["department"]) == (proposal.pk, supervisor, approval_dept.pk)
    assert notice.history.count() == 1


def test_the_department_is_notified_on_commit(proposal, supervisor, approval_dept, handler, dept_leader, django_capture_on_commit_callbacks):
    with at(2026, 3, 3, 10), django_capture_on_commit_callbacks(execute=True):
        notices.supervision_notice_issue(
            actor=supervisor, case=proposal, department=approval_dept, requirement=REQUIREMENT, deadline=dt.date(2026, 3, 6),
        )
    assert set(Notification.objects.filter(kind="supervision_notice").values_list("recipient__username", flat=True)) == {"handler", "leader"}


def test_the_key_proposals_leading_official_issues_too(office_user, member, approval_dept, key_leader, supervisor, supervision_dept):
    with at(2026, 3, 2, 9):
        proposal = pf.assigned(lead=approval_dept, is_key=True, leading_official=key_leader, supervising_unit=supervision_dept)
    with at(2026, 3, 3, 10):
        notice = notices.supervision_notice_issue(
            actor=key_leader, case=proposal, department=approval_dept, requirement=REQUIREMENT, deadline=dt.date(2026, 3, 9),
        )
    assert notice.issued_by == key_leader


def test_others_may_not_issue(client, login, proposal, approval_dept, handler, member, office_user, other_handler):
    # A supervisor of another unit, the handler, the proposer, the office: 403 (page, form post, service)
    other_supervisor = UserFactory(username="sv2", roles=[(DepartmentFactory(code="sv2", name="另一督查室"), Role.SUPERVISOR)])
    url = reverse("supervision-notice-new", args=["proposal", proposal.pk])
    for user in (other_supervisor, handler, member, office_user, other_handler):
        login(user)
        with at(2026, 3, 3, 10):
            assert client.get(url).status_code == 403, user
            assert client.post(url, {"department": approval_dept.pk, "requirement": "x", "deadline": "2026-03-06"}).status_code == 403
            assert "notice-issue-link" not in client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
        with pytest.raises(PermissionDenied):
            notices.supervision_notice_issue(actor=user, case=proposal, department=approval_dept, requirement="x", deadline=dt.date(2026, 3, 6))
    assert not SupervisionNotice.objects.exists()
    # An unknown case type or case: 404
    login(other_supervisor)
    assert client.get("/supervision/notices/new/nothing/1/").status_code == 404
    assert client.get(f"/supervision/notices/new/proposal/{proposal.pk + 1000}/").status_code == 404
    assert client.get("/supervision/notices/new/proposal/99999999999/").status_code == 404


@pytest.mark.parametrize("deadline, message", [
    ("2026-03-02", "答复期限须晚于今天（2026-03-03）。"),
    ("2026-03-03", "答复期限须晚于今天（2026-03-03）。"),
    ("2026-03-07", "答复期限须为工作日，2026-03-07不是工作日。"),
    ("2031-03-07", "2031年的工作日历尚未导入"),
])
def test_a_deadline_in_the_past_or_not_a_working_day_is_refused_clearly(client, login, proposal, supervisor, approval_dept, deadline, message):
    login(supervisor)
    url = reverse("supervision-notice-new", args=["proposal", proposal.pk])
    with at(2026, 3, 3, 10):
        response = client.post(url, {"department": approval_dept.pk, "requirement": REQUIREMENT, "deadline": deadline})
    assert response.status_code == 200 and message in response.content.decode()
    assert 'data-testid="error-deadline"' in response.content.decode()
    assert not SupervisionNotice.objects.exists()


def test_only_a_department_handling_the_case_and_a_requirement(client, login, proposal, supervisor, hrss_dept, approval_dept):
    login(supervisor)
    url = reverse("supervision-notice-new", args=["proposal", proposal.pk])
    with at(2026, 3, 3, 10):
        wrong = client.post(url, {"department": hrss_dept.pk, "requirement": REQUIREMENT, "deadline": "2026-03-06"})
        blank = client.post(url, {"department": approval_dept.pk, "requirement": "   ", "deadline": "2026-03-06"})
        with pytest.raises(ValidationError):
            notices.supervision_notice_issue(actor=supervisor, case=proposal, department=hrss_dept, requirement=REQUIREMENT, deadline=dt.date(2026, 3, 6))
    assert wrong.status_code == 200 and 'data-testid="error-department"' in wrong.content.decode()
    assert blank.status_code == 200 and 'data-testid="error-requirement"' in blank.content.decode()
    assert not SupervisionNotice.objects.exists()


def test_a_supervisor_issues_one_about_a_complaint(client, login, dispatcher, handler, approval_dept, supervisor):
    with at(2026, 3, 2, 9):
        complaint = cf.handling(dispatcher, handler, approval_dept)
    login(supervisor)
    url = reverse("supervision-notice-new", args=["complaint", complaint.pk])
    with at(2026, 3, 3, 10):
        assert f'href="{url}"' in client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
        response = client.post(url, {"department": approval_dept.pk, "requirement": REQUIREMENT, "deadline": "2026-03-05"})
    assert response.status_code == 302
    assert SupervisionNotice.objects.get().case == complaint
    # The handler may not issue one
    login(handler)
    assert client.get(url).status_code == 403


# --- signing and answering ------------------------------------------------------------------------
def test_another_departments_handler_can_neither_sign_nor_respond(client, login, notice, other_handler, supervisor):
    for user in (other_handler, supervisor):
        login(user)
        for name in ("supervision-notice-sign", "supervision-notice-respond"):
            assert client.post(reverse(name, args=[notice.pk]), {"response": "答复"}).status_code == 403
        with pytest.raises(PermissionDenied):
            notices.supervision_notice_sign(actor=user, notice=notice)
        with pytest.raises(PermissionDenied):
            notices.supervision_notice_respond(actor=user, notice=notice, response="答复")
    login(other_handler)
    assert client.get(reverse("supervision-notice-sign", args=[notice.pk])).status_code == 403
    assert 'data-testid="notice"' not in client.get(reverse("supervision-notices")).content.decode()
    notice.refresh_from_db()
    assert notice.signed_at is None and notice.responded_at is None


def test_sign_then_respond_with_events_in_the_timeline(client, login, notice, handler, dept_leader, supervisor, proposal):
    login(handler)
    with at(2026, 3, 3, 11):
        page = client.get(reverse("supervision-notices")).content.decode()
        assert page.count('data-testid="notice"') == 1 and 'data-status="issued"' in page
        # Answering before signing is refused
        assert "请先签收督办单" in client.get(reverse("supervision-notice-respond", args=[notice.pk])).content.decode()
        assert client.get(reverse("supervision-notice-sign", args=[notice.pk])).status_code == 200
        assert client.post(reverse("supervision-notice-sign", args=[notice.pk])).status_code == 302
        # Signing twice: refused, nothing changes
        again = client.post(reverse("supervision-notice-sign", args=[notice.pk]))
        assert again.status_code == 200 and "已于2026-03-03 11:00签收" in again.content.decode()
    login(dept_leader)
    with at(2026, 3, 5, 16):
        blank = client.post(reverse("supervision-notice-respond", args=[notice.pk]), {"response": "  "})
        assert blank.status_code == 200 and 'data-testid="error-response"' in blank.content.decode()
        too_long = client.post(reverse("supervision-notice-respond", args=[notice.pk]), {"response": "长" * 5001})
        assert too_long.status_code == 200 and 'data-testid="error-response"' in too_long.content.decode()
        assert client.post(reverse("supervision-notice-respond", args=[notice.pk]), {"response": "已专题研究，下周报送整改方案。"}).status_code == 302
    notice.refresh_from_db()
    assert (notice.signed_by, notice.responded_by, notice.response) == (handler, dept_leader, "已专题研究，下周报送整改方案。")
    assert notices.notice_status(notice) == "responded"
    with pytest.raises(ValidationError, match="已于2026-03-05 16:00答复"):
        notices.supervision_notice_respond(actor=handler, notice=notice, response="再答一次")
    # The timeline of the case: issued, signed, answered (the handler's page and the supervisor's)
    assert list(CaseEvent.objects.filter(case_id=proposal.pk, type__startswith="notice_").order_by("created_at").values_list("type", flat=True)) == [
        "notice_issued", "notice_signed", "notice_responded",
    ]
    for user in (handler, supervisor):
        login(user)
        html = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
        assert "督办单下发" in html and "签收督办单" in html and "答复督办单" in html, user
    # The proposer sees that notices were issued and answered, not their texts
    login(proposal.proposer)
    html = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert "督办单下发" in html and "下周报送整改方案" not in html and REQUIREMENT not in html
    # The issuer's list shows it answered
    login(supervisor)
    page = client.get(reverse("supervision-notices")).content.decode()
    assert 'data-status="responded"' in page and "下周报送整改方案" in page


def test_a_notice_not_answered_by_its_deadline_is_overdue(client, login, notice, handler, supervisor):
    assert notices.notice_status(notice, now=dt.datetime(2026, 3, 6, 23, 0, tzinfo=TZ)) == "issued"
    assert notices.notice_status(notice, now=dt.datetime(2026, 3, 7, 0, 0, tzinfo=TZ)) == "overdue"
    login(supervisor)
    with at(2026, 3, 9, 9):
        assert 'data-status="overdue"' in client.get(reverse("supervision-notices")).content.decode()
        notices.supervision_notice_sign(actor=handler, notice=notice)
        notice = notices.supervision_notice_respond(actor=handler, notice=notice, response="迟到的答复")
    row = notices.annotate_status([notice])[0]
    assert row.status == "responded" and row.responded_late


# --- API --------------------------------------------------------------------------------------------
def test_api_parity(client, login, proposal, supervisor, approval_dept, handler, other_handler, member):
    body = {"case_type": "proposal", "case_id": proposal.pk, "department": approval_dept.pk, "requirement": REQUIREMENT}
    with at(2026, 3, 3, 10):
        for user in (handler, other_handler, member):
            login(user)
            assert client.post("/api/v1/supervision-notices/", {**body, "deadline": "2026-03-06"}, content_type="application/json").status_code == 403
        login(supervisor)
        past = client.post("/api/v1/supervision-notices/", {**body, "deadline": "2026-03-02"}, content_type="application/json")
        assert past.status_code == 400 and "答复期限须晚于今天" in str(past.json())
        assert client.post("/api/v1/supervision-notices/", {**body, "case_type": "x", "deadline": "2026-03-06"}, content_type="application/json").status_code == 404
        created = client.post("/api/v1/supervision-notices/", {**body, "deadline": "2026-03-06"}, content_type="application/json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["case_type"], data["case_id"], data["department"]["id"], data["status"]) == ("proposal", proposal.pk, approval_dept.pk, "issued")
    pk = data["id"]
    login(supervisor)
    assert [r["id"] for r in _rows(client.get("/api/v1/supervision-notices/"))] == [pk]
    login(other_handler)
    assert _rows(client.get("/api/v1/supervision-notices/")) == []
    assert client.post(f"/api/v1/supervision-notices/{pk}/sign/").status_code == 403
    assert client.post(f"/api/v1/supervision-notices/{pk}/respond/", {"response": "x"}, content_type="application/json").status_code == 403
    login(handler)
    with at(2026, 3, 4, 9):
        assert client.post(f"/api/v1/supervision-notices/{pk}/respond/", {"response": "x"}, content_type="application/json").status_code == 400
        signed = client.post(f"/api/v1/supervision-notices/{pk}/sign/")
        assert signed.status_code == 200 and signed.json()["status"] == "signed"
        assert client.post(f"/api/v1/supervision-notices/{pk}/sign/").status_code == 400
        assert client.post(f"/api/v1/supervision-notices/{pk}/respond/", {"response": ""}, content_type="application/json").status_code == 400
        answered = client.post(f"/api/v1/supervision-notices/{pk}/respond/", {"response": "已办理。"}, content_type="application/json")
    assert answered.status_code == 200 and answered.json()["status"] == "responded" and answered.json()["responded_by"] == "handler"
    login(handler)
    assert client.post("/api/v1/supervision-notices/999999/sign/").status_code == 404
    assert CaseEvent.objects.filter(type__startswith="notice_").count() == 3


# --- list: a fixed number of queries --------------------------------------------------------------------
def test_the_list_costs_a_fixed_number_of_queries(client, login, proposal, supervisor, approval_dept, handler, dispatcher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def issue(n):
        with at(2026, 3, 3, 10):
            for _ in range(n):
                complaint = cf.dispatched(dispatcher, approval_dept)
                notices.supervision_notice_issue(actor=supervisor, case=complaint, department=approval_dept, requirement=REQUIREMENT, deadline=dt.date(2026, 3, 6))
                notices.supervision_notice_issue(actor=supervisor, case=proposal, department=approval_dept, requirement=REQUIREMENT, deadline=dt.date(2026, 3, 9))

    def cost(user, url, rows):
        login(user)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        if url.startswith("/api/"):
            assert len(_rows(response)) == rows
        else:
            assert response.content.decode().count('data-testid="notice"') == rows
        return len(queries.captured_queries)

    # Given notices about proposals and complaints (two case types: one query each for the cases)
    issue(1)
    before = {(u.username, url): cost(u, url, 2) for u in (handler, supervisor) for url in (reverse("supervision-notices"), "/api/v1/supervision-notices/")}
    issue(4)
    after = {(u.username, url): cost(u, url, 10) for u in (handler, supervisor) for url in (reverse("supervision-notices"), "/api/v1/supervision-notices/")}
    assert after == before


def test_the_navigation_entry(client, login, handler, supervisor, member, key_leader):
    from workflow.navigation import menu_for
    from workflow.selectors import user_roles

    for user, shown in ((handler, True), (supervisor, True), (key_leader, True), (member, False)):
        menu = menu_for(user=user, roles=user_roles(user=user), path="/")
        entry = [i for i in menu["more"] + menu["primary"] if i["url_name"] == "supervision-notices"]
        assert bool(entry) == shown, user
        assert not entry or not entry[0]["primary"]
