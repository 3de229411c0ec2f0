"""The 通报's approval lifecycle (draft → submitted → published, or returned and resubmitted),
who may do what (403 page and API, own draft, double approval 400), publication notices, the
daily ranking beat (twice: one report; days off skipped; the rule), and the supervision
notices' figures on the dashboard, its workbook and the report (hand-counted; fixed queries)."""
import datetime as dt
import io

import pytest
from rest_framework.test import APIClient

from proposals.roles import Role
from tests.complaints import factories as cf
from tests.factories import UserFactory, at
from workflow import notices, reports
from workflow.documents import document_latest, document_read
from workflow.models import Notification, Report, RuleSetting
from workflow.tasks import report_daily

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def sup_leader(supervision_dept):
    return UserFactory(username="sup_leader", roles=[(supervision_dept, Role.DEPT_LEADER)])


@pytest.fixture
def march(dispatcher, approval_dept, handler, hrss_dept, other_handler, supervision_dept, supervisor):
    """March 2026: approval 2 complaints, hrss 1; three notices to approval on one complaint:
    answered by the deadline, answered late, never answered (overdue by April)."""
    supervision_dept.doc_number_prefix = "朝督"
    supervision_dept.save(update_fields=["doc_number_prefix"])
    with at(2026, 3, 2, 9):
        open_case = cf.dispatched(dispatcher, approval_dept, phone="13800000001")
        cf.replied(dispatcher, handler, approval_dept, phone="13800000002")
        cf.replied(dispatcher, other_handler, hrss_dept, phone="13800000003")
        n1 = notices.supervision_notice_issue(actor=supervisor, case=open_case, department=approval_dept, requirement="请说明", deadline=dt.date(2026, 3, 4))
        n2 = notices.supervision_notice_issue(actor=supervisor, case=open_case, department=approval_dept, requirement="请整改", deadline=dt.date(2026, 3, 5))
        notices.supervision_notice_issue(actor=supervisor, case=open_case, department=approval_dept, requirement="请报送", deadline=dt.date(2026, 3, 6))
    with at(2026, 3, 3, 9):
        notices.supervision_notice_respond(actor=handler, notice=notices.supervision_notice_sign(actor=handler, notice=n1), response="已说明")
    with at(2026, 3, 10, 9):
        notices.supervision_notice_respond(actor=handler, notice=notices.supervision_notice_sign(actor=handler, notice=n2), response="已整改")
    return {"case": open_case}


def _draft(actor, **kwargs):
    with at(2026, 4, 1, 8):
        return reports.report_draft(actor=actor, kind="month", day=dt.date(2026, 3, 1), **kwargs)


def _kinds(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_draft_submit_approve_publishes_and_tells_the_departments(
    client, login, supervisor, sup_leader, handler, dept_leader, other_handler, member, march, django_capture_on_commit_callbacks,
):
    # given a supervisor's draft: not numbered, its PDF marked 草稿, unseen by the departments
    report = _draft(supervisor)
    assert report.status == "draft" and report.doc_number == "" and report.issued_at is None
    from tests.documents import pdf

    draft_text = pdf.text(document_read(document_latest(case=report, kind="report")))
    assert "草稿" in draft_text and "朝督通报" not in draft_text
    login(handler)
    assert client.get(f"/supervision/reports/{report.pk}/").status_code == 403
    assert client.get(f"/documents/report/{report.pk}/pdf/").status_code == 403
    assert 'data-testid="report-row"' not in client.get("/supervision/reports/").content.decode()
    # when the drafter submits it on the page
    login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/supervision/reports/{report.pk}/submit/")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted" and report.submitted_by == supervisor
    assert _kinds("report_submitted") == ["sup_leader"]
    assert "送审稿" in pdf.text(document_read(reports_pdf(client, report)))
    # and the leader approves it
    login(sup_leader)
    page = client.get(f"/supervision/reports/{report.pk}/").content.decode()
    assert 'data-testid="report-approve"' in page
    with at(2026, 4, 2, 10), django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/supervision/reports/{report.pk}/approve/").status_code == 302
    # then it is published, numbered now, the issued PDF rendered; the departments named are told
    report.refresh_from_db()
    assert report.status == "published" and report.doc_number == "朝督通报〔2026〕1号" and report.issued_by == sup_leader
    issued = pdf.text(document_read(document_latest(case=report, kind="report")))
    assert "草稿" not in issued and "送审稿" not in issued and "朝督通报〔2026〕1号" in issued.replace(" ", "")
    assert _kinds("report_published") == sorted(["handler", "leader", "handler_hrss", "supervisor"])
    login(handler)
    assert report.title in client.get("/supervision/reports/").content.decode()
    assert client.get(f"/supervision/reports/{report.pk}/").status_code == 200
    assert 'data-testid="report-approve"' not in client.get(f"/supervision/reports/{report.pk}/").content.decode()


def reports_pdf(client, report):
    from workflow.documents import document_issue

    return document_issue(actor=None, case=report, kind="report")


def test_refusals_page_and_api(client, login, supervisor, sup_leader, handler, dispatcher, supervision_dept, march):
    report = _draft(supervisor)
    api = APIClient()
    # a handler may neither submit nor approve (403 page and API); an unknown report 404
    login(handler)
    assert client.post(f"/supervision/reports/{report.pk}/submit/").status_code == 403
    api.force_authenticate(handler)
    assert api.post(f"/api/v1/reports/{report.pk}/submit/").status_code == 403
    assert api.post(f"/api/v1/reports/{report.pk}/approve/").status_code == 403
    assert api.post("/api/v1/reports/999999/approve/").status_code == 404
    # a dispatcher (complaints only) may not submit an all-case-types report
    api.force_authenticate(dispatcher)
    assert api.post(f"/api/v1/reports/{report.pk}/submit/").status_code == 403
    # approving a draft not submitted: 400; the drafter is no approver: 403
    api.force_authenticate(sup_leader)
    assert api.post(f"/api/v1/reports/{report.pk}/approve/").status_code == 400
    api.force_authenticate(supervisor)
    assert api.post(f"/api/v1/reports/{report.pk}/submit/").status_code == 200
    assert api.post(f"/api/v1/reports/{report.pk}/submit/").status_code == 400  # twice
    assert api.post(f"/api/v1/reports/{report.pk}/approve/").status_code == 403
    # a leader who drafted the report may not approve it (page and API)
    both = UserFactory(username="both", roles=[(supervision_dept, Role.SUPERVISOR), (supervision_dept, Role.DEPT_LEADER)])
    other = _draft(both, scope="complaint")
    api.force_authenticate(both)
    assert api.post(f"/api/v1/reports/{other.pk}/submit/").status_code == 200
    assert api.post(f"/api/v1/reports/{other.pk}/approve/").status_code == 403
    login(both)
    assert 'data-testid="report-own-draft"' in client.get(f"/supervision/reports/{other.pk}/").content.decode()
    assert client.post(f"/supervision/reports/{other.pk}/approve/").status_code == 403
    # return needs a reason (400); approve twice: 400
    api.force_authenticate(sup_leader)
    assert api.post(f"/api/v1/reports/{report.pk}/return/", {"reason": ""}, format="json").status_code == 400
    with at(2026, 4, 2, 9):
        assert api.post(f"/api/v1/reports/{report.pk}/approve/").status_code == 200
        assert api.post(f"/api/v1/reports/{report.pk}/approve/").status_code == 400
        assert api.post(f"/api/v1/reports/{report.pk}/return/", {"reason": "x"}, format="json").status_code == 400
    api.force_authenticate(supervisor)
    assert api.post(f"/api/v1/reports/{report.pk}/regenerate/").status_code == 400  # published: frozen
    assert api.get(f"/api/v1/reports/{report.pk}/").json()["doc_number"] == "朝督通报〔2026〕1号"


def test_returned_report_is_revised_and_resubmitted(client, login, supervisor, sup_leader, march, django_capture_on_commit_callbacks):
    report = _draft(supervisor)
    reports.report_submit(actor=supervisor, report=report)
    # the leader returns it with a reason: the drafter is told
    login(sup_leader)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/supervision/reports/{report.pk}/return/", {"reason": "请改为只通报投诉"}).status_code == 302
    report.refresh_from_db()
    assert report.status == "returned" and report.return_reason == "请改为只通报投诉" and report.returned_by == sup_leader
    assert _kinds("report_returned") == ["supervisor"]
    # the drafter sees the reason, revises the scope on the edit page (figures computed again)
    login(supervisor)
    assert "请改为只通报投诉" in client.get(f"/supervision/reports/{report.pk}/").content.decode()
    with at(2026, 4, 1, 10):
        edit = client.get(f"/supervision/reports/{report.pk}/edit/")
        assert edit.status_code == 200 and 'value="2026-03-01"' in edit.content.decode()
        assert client.post(f"/supervision/reports/{report.pk}/edit/", {"period": "month", "date": "2026-03-01", "scope": "complaint"}).status_code == 302
        report.refresh_from_db()
        assert report.scope == "complaint" and [s["code"] for s in report.figures["sections"]] == ["complaint"]
        assert report.title == "关于2026年3月投诉办理情况的通报"
        # regenerating keeps the period and computes again
        assert client.post(f"/supervision/reports/{report.pk}/regenerate/").status_code == 302
        # and submits again; the leader approves
        assert client.post(f"/supervision/reports/{report.pk}/submit/").status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted"
    with at(2026, 4, 2, 9):
        reports.report_approve(actor=sup_leader, report=report)
    report.refresh_from_db()
    assert report.status == "published" and report.doc_number
    # every transition is in the report's history and the audit trail
    assert report.history.count() >= 6
    from workflow.models import SecurityEvent

    events = list(SecurityEvent.objects.filter(object_type="workflow.report", object_id=str(report.pk)).order_by("sequence").values_list("detail", flat=True))
    assert [e["event"] for e in events] == ["report_drafted", "report_submitted", "report_returned", "report_revised", "report_revised", "report_submitted", "report_published"]


def test_daily_beat_publishes_the_previous_working_day_once(march, handler, django_capture_on_commit_callbacks):
    # Tuesday 10 March 2026: Monday's ranking, published by the system, numbered
    with at(2026, 3, 10, 8, 30), django_capture_on_commit_callbacks(execute=True):
        first = report_daily("2026-03-10")
        second = report_daily("2026-03-10")
    assert first == second and Report.objects.count() == 1
    report = Report.objects.get()
    assert report.period_kind == "day" and report.first_day == dt.date(2026, 3, 9)
    assert report.status == "published" and report.drafted_by is None and report.issued_by is None and report.doc_number
    assert "handler" in _kinds("report_published")
    # Saturday: nothing; Monday 16 March: Friday the 13th's
    with at(2026, 3, 14, 8, 30):
        assert report_daily("2026-03-14") is None
    with at(2026, 3, 16, 8, 30):
        monday = Report.objects.get(pk=report_daily("2026-03-16"))
    assert monday.first_day == dt.date(2026, 3, 13) and Report.objects.count() == 2


def test_daily_ranking_needs_approval_when_the_rule_says_so(march, sup_leader):
    RuleSetting.objects.filter(code="report_daily_auto_publish").update(value=0)
    with at(2026, 3, 10, 8, 30):
        report = Report.objects.get(pk=report_daily("2026-03-10"))
    assert report.status == "submitted" and report.doc_number == ""


def test_notice_figures_hand_counted(client, login, supervisor, approval_dept, hrss_dept, march):
    login(supervisor)
    with at(2026, 4, 1, 8):
        page = client.get("/supervision/dashboard/?period=month&date=2026-03-10")
        body = page.content.decode()
        import re

        row = re.search(rf'<tr data-department="{approval_dept.pk}">(.*?)</tr>', body.split('data-testid="notice-departments"')[1], re.S).group(1)
        cells = dict(re.findall(r'data-col="(\w+)">(?:<a href="[^"]*">)?([^<]+)', row))
        assert cells == {"received": "3", "cases": "1", "on_time": "1", "late": "1", "overdue": "1", "rate": "33.3%"}
        assert f"/supervision/notices/?department={approval_dept.pk}&amp;status=overdue" in row
        assert f'data-department="{hrss_dept.pk}"' not in body.split('data-testid="notice-departments"')[1].split("</table>")[0]
        # the workbook has them
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(client.post("/supervision/dashboard.xlsx?period=month&date=2026-03-10").content))
        rows = list(book["督办单"].iter_rows(values_only=True))
        assert rows[1] == (approval_dept.name, 3, 1, 1, 1, 1, 33.3, 3)
        # the report freezes them
        report = reports.report_draft(actor=supervisor, kind="month", day=dt.date(2026, 3, 1))
    totals = report.figures["notices"]["totals"]
    assert (totals["received"], totals["on_time"], totals["late"], totals["overdue"], totals["rate"]) == (3, 1, 1, 1, 33.3)
    from tests.documents import pdf

    text = pdf.text(document_read(document_latest(case=report, kind="report"))).replace(" ", "")
    assert "督办单办理情况" in text and "按期答复率33.3%" in text
    # the notice list, filtered by the link (the handler's own scope)
    from workflow.models import User

    login(User.objects.get(username="handler"))
    with at(2026, 4, 1, 8):
        listed = client.get(f"/supervision/notices/?department={approval_dept.pk}&status=overdue").content.decode()
    assert listed.count('data-testid="notice"') == 1 and 'data-testid="notices-filtered"' in listed


def test_dashboard_queries_do_not_grow_with_notices(client, login, supervisor, approval_dept, march, django_assert_max_num_queries):
    login(supervisor)
    url = "/supervision/dashboard/?period=month&date=2026-03-10"
    with at(2026, 4, 1, 8):
        with django_assert_max_num_queries(40) as before:
            client.get(url)
    with at(2026, 3, 2, 10):
        for _ in range(4):
            notices.supervision_notice_issue(actor=supervisor, case=march["case"], department=approval_dept, requirement="再催", deadline=dt.date(2026, 3, 6))
    with at(2026, 4, 1, 8):
        with django_assert_max_num_queries(len(before.captured_queries)):
            client.get(url)
