"""The periodic report (通报): figures frozen when drafted, numbering at publication, who may
draft and read, the monthly beat task (twice: one report), the PDF (A4, text block, fonts, the
SVG chart), the pages and the API, fixed query counts on the list. The approval lifecycle, the
daily ranking and the notices' figures: tests/supervision/test_report_lifecycle.py."""
import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.complaints import factories as cf
from tests.documents import pdf
from tests.factories import TZ, at
from workflow import reports
from workflow.documents import document_latest, document_read
from workflow.models import BreachRecord, Report, RuleSetting
from workflow.tasks import report_monthly

pytestmark = pytest.mark.django_db

LIST = "/supervision/reports/"
NEW = "/supervision/reports/new/"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def march(dispatcher, approval_dept, handler, hrss_dept, other_handler, supervision_dept):
    """March 2026: approval has 3 complaints (2 replied in time), hrss 1 (replied); one breach
    record of approval's, made in March; the ranking minimum is 2 (approval ranked, hrss not)."""
    RuleSetting.objects.filter(code="ranking_min_cases").update(value=2)
    supervision_dept.doc_number_prefix = "朝督"
    supervision_dept.save(update_fields=["doc_number_prefix"])
    with at(2026, 3, 2, 9):
        a1 = cf.replied(dispatcher, handler, approval_dept, phone="13800000001")
        cf.replied(dispatcher, handler, approval_dept, phone="13800000002")
        cf.dispatched(dispatcher, approval_dept, phone="13800000003")
        cf.replied(dispatcher, other_handler, hrss_dept, phone="13800000004")
    task = a1.tasks.order_by("pk").first() if hasattr(a1, "tasks") else None
    BreachRecord.objects.create(
        task_type=ContentType.objects.get_for_model(task) if task is not None else ContentType.objects.get_for_model(a1),
        task_id=task.pk if task is not None else a1.pk,
        case_type=ContentType.objects.get_for_model(a1), case_id=a1.pk, department=approval_dept, step="办理答复",
        deadline=dt.datetime(2026, 3, 5, 17, tzinfo=TZ), working_days_late=6, created_at=dt.datetime(2026, 3, 13, 9, tzinfo=TZ),
    )
    return {"a1": a1}


@pytest.fixture
def sup_leader(supervision_dept):
    from proposals.roles import Role
    from tests.factories import UserFactory

    return UserFactory(username="sup_leader", roles=[(supervision_dept, Role.DEPT_LEADER)])


def _draft(actor, **kwargs):
    params = {"kind": "month", "day": dt.date(2026, 3, 1), **kwargs}
    with at(2026, 4, 1, 8):
        return reports.report_draft(actor=actor, **params)


def _issue(actor, **kwargs):
    """Draft, submit and approve (by the supervision office's leader, made here when missing)."""
    from proposals.roles import Role
    from tests.factories import UserFactory
    from workflow.models import User

    report = _draft(actor, **kwargs)
    leader = User.objects.filter(memberships__department=report.issuing_department, memberships__role=Role.DEPT_LEADER).first()
    leader = leader or UserFactory(roles=[(report.issuing_department, Role.DEPT_LEADER)])
    with at(2026, 4, 1, 9):
        reports.report_submit(actor=actor, report=report)
        return reports.report_approve(actor=leader, report=report)


def _section(report, code="complaint"):
    return next(s for s in report.figures["sections"] if s["code"] == code)


def test_issued_figures_are_frozen(supervisor, dispatcher, approval_dept, march):
    # given the March report issued by a supervisor
    report = _issue(supervisor)
    section = _section(report)
    assert section["cases"] == 4
    assert [e["department"]["name"] for e in section["ranking"]["ranked"]] == [approval_dept.name]
    assert [e["department"]["short_name"] for e in section["ranking"]["insufficient"]] == ["区人社局"]
    assert report.figures["breaches"][0]["late"] == 6 and report.figures["breaches"][0]["step"] == "办理答复"
    doc = document_latest(case=report, kind="report")
    # when another March complaint comes in later
    with at(2026, 3, 20, 9):
        cf.dispatched(dispatcher, approval_dept, phone="13800000009")
    # then the stored report and its PDF do not change; issuing it again is refused
    report.refresh_from_db()
    assert _section(report)["cases"] == 4
    assert document_latest(case=report, kind="report").pk == doc.pk
    with pytest.raises(Exception, match="该时段的通报已发布"):
        _draft(supervisor)


def test_numbering_and_title(supervisor, march):
    first = _issue(supervisor)
    second = _issue(supervisor, scope="complaint")
    assert first.doc_number == "朝督通报〔2026〕1号" and second.doc_number == "朝督通报〔2026〕2号"
    assert first.title == "关于2026年3月提案和投诉办理情况的通报"
    assert second.title == "关于2026年3月投诉办理情况的通报"
    assert first.issuer_name == "区政府督查室" and first.drafted_by == supervisor and first.issued_by != supervisor


def test_who_may_issue(member, handler, dispatcher, office_user, supervisor, march):
    from django.core.exceptions import PermissionDenied

    # a member and a handler may not; a dispatcher only complaints; the office only proposals
    for user, scope in ((member, ""), (handler, ""), (dispatcher, ""), (office_user, "complaint")):
        with pytest.raises(PermissionDenied):
            _draft(user, scope=scope)
    assert _draft(dispatcher, scope="complaint").issuing_department.code == "hotline"
    assert _draft(office_user, scope="proposal").issuing_department.code == "proposal-office"


def test_pages_refuse_and_show(client, login, member, handler, supervisor, march):
    report = _issue(supervisor)
    login(member)
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    # a handler reads the reports (they are published to the departments) but cannot issue
    login(handler)
    response = client.get(LIST)
    assert response.status_code == 200 and report.doc_number in response.content.decode()
    assert "生成通报" not in response.content.decode()
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"period": "month", "date": "2026-02-01"}).status_code == 403
    pdf_response = client.get(f"/documents/report/{report.pk}/pdf/")
    assert pdf_response.status_code == 200 and pdf_response["Content-Type"] == "application/pdf"
    login(member)
    assert client.get(f"/documents/report/{report.pk}/pdf/").status_code == 403


def test_issue_through_the_form(client, login, supervisor, march):
    login(supervisor)
    # the dashboard's button carries its period to the form
    with at(2026, 4, 1, 8):
        page = client.get("/supervision/dashboard/?period=month&date=2026-03-10")
        assert 'href="/supervision/reports/new/?period=month&amp;date=2026-03-10"' in page.content.decode()
        form = client.get(NEW + "?period=quarter&date=2026-03-10&case_type=complaint.consult")
        body = form.content.decode()
        assert 'value="quarter" selected' in body and 'value="2026-03-10"' in body and 'value="complaint" selected' in body
        response = client.post(NEW, {"period": "month", "date": "2026-03-10", "scope": ""})
        report = Report.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/supervision/reports/{report.pk}/"
        assert report.status == "draft" and report.doc_number == ""
        # again: the error is shown on the same page, nothing issued
        again = client.post(NEW, {"period": "month", "date": "2026-03-10", "scope": ""})
        assert again.status_code == 200 and "已有草稿" in again.content.decode()
        bad = client.post(NEW, {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"})
        assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.content.decode()
        future = client.post(NEW, {"period": "month", "date": "2026-06-01"})
        assert "尚未结束" in future.content.decode()
        ongoing = client.post(NEW, {"period": "month", "date": "2026-04-01"})
        assert "只能为已结束的时段发布通报" in ongoing.content.decode()
    assert Report.objects.count() == 1


def test_beat_task_twice_makes_one_report(march, sup_leader, django_capture_on_commit_callbacks):
    from workflow.models import Notification

    with at(2026, 4, 1, 8), django_capture_on_commit_callbacks(execute=True):
        first = report_monthly("2026-04-01")
        second = report_monthly("2026-04-01")
    assert first == second and Report.objects.count() == 1
    report = Report.objects.get()
    # drafted by the system and submitted for approval: not published, not numbered
    assert report.drafted_by is None and report.status == "submitted" and report.issued_at is None
    assert (report.first_day, report.last_day) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert report.doc_number == ""
    assert _section(report)["cases"] == 4  # the system sees every case
    # the approvers are told (once)
    assert list(Notification.objects.filter(kind="report_submitted").values_list("recipient__username", flat=True)) == ["sup_leader"]
    # the leader approves: numbered now
    with at(2026, 4, 2, 9):
        reports.report_approve(actor=sup_leader, report=report)
    report.refresh_from_db()
    assert report.status == "published" and report.doc_number == "朝督通报〔2026〕1号" and report.issued_by == sup_leader


def test_beat_schedule_is_registered():
    from workflow.schedules import DEFAULT_SCHEDULES

    assert ("每月1日发布上月通报", "workflow.report_monthly", ("0", "8", "*", "1", "*")) in DEFAULT_SCHEDULES
    assert ("工作日8:30发布前一工作日排名", "workflow.report_daily", ("30", "8", "*", "*", "*")) in DEFAULT_SCHEDULES


def test_the_pdf(supervisor, approval_dept, march):
    report = _issue(supervisor)
    content = document_read(document_latest(case=report, kind="report"))
    pdf.keep(content, "report")
    # A4, fonts embedded, text inside the GB/T 9704 text block
    assert set(pdf.page_sizes_mm(content)) == {(210.0, 297.0)}
    assert all(f["embedded"] for f in pdf.fonts(content).values())
    lines = pdf.lines(content)
    body = [ln for ln in lines if ln.page == 1 and ln.top > pdf.BLOCK_TOP]
    assert body and all(ln.x0 >= pdf.BLOCK_LEFT - 9 and ln.x1 <= pdf.BLOCK_RIGHT + 9 for ln in body)  # the red lines are 8 mm wider
    title = next(ln for ln in lines if "关于2026年3月" in ln.text)
    assert title.page == 1 and 22.0 in title.sizes
    text = pdf.text(content)
    assert "朝督通报〔2026〕1号" in text.replace(" ", "") and "通报批评" in text
    # the chart: bars drawn (rects) on its page, the departments named beside them
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(content)) as doc:
        chart_pages = [p for p in doc.pages if any(abs(r["height"] - 12) < 0.5 for r in p.rects)]
        assert chart_pages, "no bar found"
        page_text = chart_pages[0].extract_text().replace(" ", "")
        assert "区行政审批局" in page_text and "区人社局" in page_text
        assert chart_pages[0].lines or chart_pages[0].curves or chart_pages[0].rects
    cells = pdf.table_cells(content)
    assert "样本不足，不参与排名" in cells and approval_dept.name in cells
    assert "6" in cells and "办理答复" in cells  # the reprimand list


def test_svg_chart_escapes_and_scales():
    svg = reports.bar_chart_svg(
        [{"label": "<b>甲</b>", "value": 50.0, "muted": False}, {"label": "乙", "value": None, "muted": True}],
        unit="%", font_family='"Noto Sans CJK SC", sans-serif', percent=True,
    )
    assert "&lt;b&gt;甲" in svg and "<b>" not in svg and "&quot;Noto" in svg
    assert 'width="141.0"' in svg  # half of the 282 pt plot
    assert reports._nice_ceiling(7.3) == 10 and reports._nice_ceiling(42) == 50 and reports._nice_ceiling(0) == 1


def test_list_query_count_is_fixed(client, login, supervisor, march, django_assert_max_num_queries):
    login(supervisor)
    for day in (dt.date(2026, 3, 1), dt.date(2026, 3, 2)):
        _issue(supervisor, kind="day", day=day)
    with django_assert_max_num_queries(14) as few:
        assert client.get(LIST).status_code == 200
    for day in range(3, 9):  # published ones and drafts
        (_issue if day % 2 else _draft)(supervisor, kind="day", day=dt.date(2026, 3, day))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.content.decode().count('data-testid="report-row"') == 8


def test_api(client, login, supervisor, handler, march):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(handler)
    assert api.post("/api/v1/reports/", {"period": "month", "date": "2026-03-01"}, format="json").status_code == 403
    api.force_authenticate(supervisor)
    with at(2026, 4, 1, 8):
        created = api.post("/api/v1/reports/", {"period": "month", "date": "2026-03-01"}, format="json")
        assert created.status_code == 201, created.content
        assert created.json()["doc_number"] == "" and created.json()["status"] == "draft"
        assert api.post("/api/v1/reports/", {"period": "month", "date": "2026-03-01"}, format="json").status_code == 400
    api.force_authenticate(handler)
    assert api.get("/api/v1/reports/").json()["count"] == 0  # a draft is not for the departments
    published = _issue(supervisor, scope="complaint")
    listed = api.get("/api/v1/reports/")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert listed.json()["results"][0]["pdf"].endswith(f"/documents/report/{published.pk}/pdf/")
    assert listed.json()["results"][0]["status"] == "published" and listed.json()["results"][0]["doc_number"]


def test_navigation_entry_for_dashboard_roles():
    from workflow import registry

    entry = next(e for e in registry.navigation() if e.url_name == "supervision-reports")
    dashboard_entry = next(e for e in registry.navigation() if e.url_name == "supervision-dashboard")
    assert entry.roles == dashboard_entry.roles and entry.primary is False


def test_the_reprimand_names_the_severe_windows_of_the_rules(supervisor, march):
    """通报批评 says how many working days late a breach is, from the rules table (not a
    constant), frozen with the figures: an issued report keeps its wording."""
    from workflow.models import TimeLimitRule
    from workflow.reports import _severe_days, report_context

    report = _issue(supervisor)
    assert "超过规定时限5个工作日以上" in str(report_context(report)["reprimand"])
    TimeLimitRule.objects.filter(case_kind="complaint", step="reprimand", category="").update(amount=7)
    assert "7" in _severe_days().split("或")
    assert "超过规定时限5个工作日以上" in str(report_context(report)["reprimand"])
