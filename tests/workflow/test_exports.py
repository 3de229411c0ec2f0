"""Excel exports of every list (workflow.exports): content (headers, a row's
values with its lifecycle timestamps, filters applied), scoping through the
list's own selector, the background path (a small threshold, the task run
directly), run-twice safety, fixed query counts, the API, and someone else's
job refused."""
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from complaints import services as complaint_services
from tests.complaints import factories as cf
from tests.factories import TZ, at
from tests.proposals import factories as pf
from workflow import exports, notices
from workflow.models import ExportJob, SecurityEvent, UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Export files go to a temporary MEDIA_ROOT, never into the repository."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _sheet(content: bytes):
    book = load_workbook(io.BytesIO(content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    about = {r[0]: r[1] for r in book.worksheets[1].iter_rows(values_only=True)}
    return rows, about


def _by(rows, column: str, value):
    header = rows[0]
    index = header.index(column)
    return [dict(zip(header, r)) for r in rows[1:] if r[index] == value]


# --- proposals ---------------------------------------------------------------------------------
def test_the_proposal_list_exports_every_lifecycle_timestamp_with_its_filters(client, office_user, member, approval_dept, hrss_dept, handler, dept_leader):
    # Given a closed proposal handled by 区行政审批局 and one still in handling elsewhere
    with at(2026, 3, 2, 9):
        done = pf.closed(
            lead=approval_dept, title="关于窗口一次性告知的建议",
            submit_at=(2026, 3, 2, 9), accept_at=(2026, 3, 3, 9), assign_at=(2026, 3, 4, 9), sign_at=(2026, 3, 5, 9),
            sign_off_at=(2026, 3, 10, 9), pass_review_at=(2026, 3, 11, 9), evaluate_at=(2026, 3, 12, 9), close_at=(2026, 3, 13, 9),
        )
        pf.assigned(lead=hrss_dept, title="另一件")
        # When the office exports the list filtered to 已办结
        client.force_login(office_user)
        response = client.post("/exports/new/proposal_list/?status=closed")
    # Then the workbook has that one row with its timestamps
    assert response.status_code == 200 and response["X-Export-Rows"] == "1"
    rows, about = _sheet(response.content)
    assert rows[0][:3] == ("编号", "届次", "案由") and "督办审核时间" in rows[0] and "评价时间" in rows[0]
    row, = _by(rows, "案由", "关于窗口一次性告知的建议")
    assert row["状态"] == "已办结" and row["主办（单独）单位"] == str(approval_dept)
    assert (row["提交时间"], row["审查（立案）时间"], row["交办时间"]) == ("2026-03-02 09:00", "2026-03-03 09:00", "2026-03-04 09:00")
    assert (row["签收时间"], row["答复签发时间"], row["督办审核时间"]) == ("2026-03-05 09:00", "2026-03-10 09:00", "2026-03-11 09:00")
    assert row["答复时间"] == "2026-03-11 09:00" and row["评价时间"] == "2026-03-12 09:00" and row["办结时间"] == "2026-03-13 09:00"
    assert row["办理结果评价"] and done.number
    # and its second sheet says which filters it had; the export is an audit row
    assert about["筛选：状态"] == "closed" and about["行数"] == 1
    event = SecurityEvent.objects.get(object_repr="proposal_list")
    assert event.detail["filters"] == {"status": "closed"} and event.detail["rows"] == 1


def test_a_department_exports_only_its_own_proposals(client, office_user, member, approval_dept, hrss_dept, handler):
    with at(2026, 3, 2, 9):
        pf.assigned(lead=approval_dept, title="本单位的")
        pf.assigned(lead=hrss_dept, title="别的单位的")
        client.force_login(handler)
        response = client.post("/exports/new/proposal_list/")
        # even when it asks for the other department by filter
        other = client.post(f"/exports/new/proposal_list/?department={hrss_dept.pk}")
    titles = [r[2] for r in _sheet(response.content)[0][1:]]
    assert titles == ["本单位的"]
    assert _sheet(other.content)[0][1:] == []


@pytest.fixture
def key_leader(db):
    from proposals.roles import Role
    from tests.factories import DepartmentFactory, UserFactory

    gov = DepartmentFactory(code="gov-office", name="区政府办公室", short_name="区政府办")
    return UserFactory(username="keyleader", full_name="示例牵头领导", roles=[(gov, Role.KEY_LEADER)])


def test_the_supervision_list_exports_key_proposals_and_refuses_others(client, office_user, member, approval_dept, handler, supervisor, supervision_dept, key_leader):
    with at(2026, 3, 2, 9):
        pf.assigned(lead=approval_dept, title="重点", is_key=True, leading_official=key_leader, supervising_unit=supervision_dept)
        pf.assigned(lead=approval_dept, title="普通")
        client.force_login(supervisor)
        response = client.post("/exports/new/proposal_supervision/")
        client.force_login(handler)
        refused = client.post("/exports/new/proposal_supervision/")
    assert [r[2] for r in _sheet(response.content)[0][1:]] == ["重点"]
    assert refused.status_code == 403


def test_a_bad_filter_is_a_clear_message_not_a_500(client, office_user):
    client.force_login(office_user)
    response = client.post("/exports/new/proposal_list/?status=nonsense", follow=True)
    assert response.status_code == 200 and "状态" in response.content.decode()
    assert client.post("/exports/new/nothing/").status_code == 404
    assert client.get("/exports/new/proposal_list/").status_code == 405
    assert not ExportJob.objects.exists()


# --- complaints ----------------------------------------------------------------------------------
def test_the_complaint_list_exports_timestamps_masked_and_scoped(client, dispatcher, realestate_dept, re_handler, approval_dept, handler):
    with at(2026, 3, 2, 9):
        mine = cf.replied(dispatcher, re_handler, realestate_dept, phone="13812345678", title="请回电13812345678")
        complaint_services.complaint_callback(actor=dispatcher, complaint=mine, rating="satisfied")
        other = cf.dispatched(dispatcher, approval_dept)
        client.force_login(re_handler)
        response = client.post("/exports/new/complaint_list/?status=closed")
        everything = client.post("/exports/new/complaint_list/")
    rows, about = _sheet(response.content)
    row, = _by(rows, "编号", mine.number)
    assert row["受理时间"] == "2026-03-02 09:00" and row["派单时间"] and row["签收时间"] and row["答复时间"] and row["回访时间"] and row["办结时间"]
    assert row["评价"] == "满意" and row["状态"] == "已办结"
    cells = " ".join(str(c) for r in rows for c in r if c is not None)
    assert "13812345678" not in cells  # the citizen's number, written in the title, stays masked
    assert about["筛选：状态"] == "closed"
    numbers = [r[0] for r in _sheet(everything.content)[0][1:]]
    assert mine.number in numbers and other.number not in numbers


def test_the_complaint_list_export_is_refused_to_people_without_a_complaint_role(client, member):
    client.force_login(member)
    assert client.post("/exports/new/complaint_list/").status_code == 403


def test_query_counts_do_not_grow_with_rows(dispatcher, realestate_dept, re_handler, office_user, member, approval_dept, handler, dept_leader):
    def count(kind, user):
        with CaptureQueriesContext(connection) as ctx:
            exports.write_workbook(exports.export_kind(kind), user=user, filters=exports.export_kind(kind).clean({}), params={}, out=io.BytesIO())
        return len(ctx.captured_queries)

    with at(2026, 3, 2, 9):
        cf.replied(dispatcher, re_handler, realestate_dept)
        pf.replied(lead=approval_dept)
        count("complaint_list", dispatcher), count("proposal_list", office_user)  # warm the per-process caches (label scales)
        small = count("complaint_list", dispatcher), count("proposal_list", office_user)
        for i in range(4):
            cf.replied(dispatcher, re_handler, realestate_dept, phone=f"1390000{i:04d}")
            pf.replied(lead=approval_dept)
        large = count("complaint_list", dispatcher), count("proposal_list", office_user)
    assert small == large and max(large) <= 8


# --- urging and supervision notices ------------------------------------------------------------------
def test_urging_and_supervision_notices_export_for_the_department_only(client, office_user, member, approval_dept, handler, other_handler, supervisor, supervision_dept):
    with at(2026, 3, 2, 9):
        proposal = pf.assigned(lead=approval_dept, supervising_unit=supervision_dept)
    supervision_sweep(now=dt.datetime(2026, 3, 6, 10, tzinfo=TZ))
    urging = UrgingNotice.objects.get()
    with at(2026, 3, 9, 10):
        notice = notices.supervision_notice_issue(actor=supervisor, case=proposal, department=approval_dept, requirement="请尽快答复", deadline=dt.date(2026, 3, 12))
        notices.supervision_notice_sign(actor=handler, notice=notice)
        client.force_login(handler)
        urging_rows, _about = _sheet(client.post("/exports/new/urging_notices/").content)
        notice_rows, _about = _sheet(client.post("/exports/new/supervision_notices/").content)
        client.force_login(other_handler)
        assert _sheet(client.post("/exports/new/urging_notices/").content)[0][1:] == []
        assert _sheet(client.post("/exports/new/supervision_notices/").content)[0][1:] == []
    row = dict(zip(urging_rows[0], urging_rows[1]))
    assert row["承办单位"] == str(approval_dept) and row["催办时间"] == f"{urging.issued_at.astimezone(TZ):%Y-%m-%d %H:%M}" and row["状态"] == "待签收"
    row = dict(zip(notice_rows[0], notice_rows[1]))
    assert row["下发时间"] == "2026-03-09 10:00" and row["签收时间"] == "2026-03-09 10:00" and row["督办要求"] == "请尽快答复"
    assert row["状态"] == "已签收待答复" and str(proposal.title) in row["案件"]


# --- the background path -----------------------------------------------------------------------------
def test_a_large_export_becomes_a_job_the_task_writes_once(client, settings, dispatcher, realestate_dept, re_handler, django_capture_on_commit_callbacks):
    settings.EXPORT_DIRECT_MAX_ROWS = 1
    with at(2026, 3, 2, 9):
        for i in range(3):
            cf.handling(dispatcher, re_handler, realestate_dept, phone=f"1380000{i:04d}")
        client.force_login(re_handler)
        # When the export is over the threshold: a job, queued after the commit, and a redirect to its page
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post("/exports/new/complaint_list/?status=handling")
        job = ExportJob.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
        assert (job.status, job.total, job.done, job.filters) == ("pending", 3, 0, {"status": "handling"}) and len(callbacks) == 1
        page = client.get(f"/exports/{job.pk}/")
        assert page.status_code == 200 and 'hx-get="/exports/%d/status/"' % job.pk in page.content.decode()
        # Then the task writes it, and a second run changes nothing
        assert exports.export_job_run(job_id=job.pk) == "done"
        job.refresh_from_db()
        name = job.file.name
        assert exports.export_job_run(job_id=job.pk) == "done"
        job.refresh_from_db()
        assert (job.status, job.done, job.file.name) == ("done", 3, name) and name.startswith("exports/")
        status = client.get(f"/exports/{job.pk}/status/").content.decode()
        assert "export-download" in status and "hx-get" not in status
        download = client.get(f"/exports/{job.pk}/download/")
        assert download.status_code == 200
        rows, about = _sheet(b"".join(download.streaming_content))
        assert len(rows) == 4 and about["筛选：状态"] == "handling"
        assert "导出" in client.get("/exports/").content.decode() and f"/exports/{job.pk}/" in client.get("/exports/").content.decode()


def test_someone_elses_job_is_refused(client, settings, dispatcher, realestate_dept, re_handler, re_leader):
    settings.EXPORT_DIRECT_MAX_ROWS = 0
    with at(2026, 3, 2, 9):
        cf.handling(dispatcher, re_handler, realestate_dept)
        job = exports.export_start(actor=re_handler, kind="complaint_list", params={})
        exports.export_job_run(job_id=job.pk)
        client.force_login(re_leader)
        for path in (f"/exports/{job.pk}/", f"/exports/{job.pk}/status/", f"/exports/{job.pk}/download/"):
            assert client.get(path).status_code == 403, path
        assert client.get(f"/exports/{job.pk + 100}/").status_code == 404
        assert f"/exports/{job.pk}/" not in client.get("/exports/").content.decode()


def test_a_stale_running_job_is_taken_over_and_a_pending_one_flushed(settings, dispatcher, realestate_dept, re_handler, django_capture_on_commit_callbacks):
    from workflow.tasks import export_job_flush

    settings.EXPORT_DIRECT_MAX_ROWS = 0
    with at(2026, 3, 2, 9):
        cf.handling(dispatcher, re_handler, realestate_dept)
        with django_capture_on_commit_callbacks(execute=False):
            job = exports.export_start(actor=re_handler, kind="complaint_list", params={})
        ExportJob.objects.filter(pk=job.pk).update(status="running")
        assert exports.export_job_run(job_id=job.pk) == "running"  # another worker has it
    with at(2026, 3, 2, 9, 30):
        assert exports.export_jobs_due() == [job.pk]
        assert export_job_flush() == 1  # eager here: written
    job.refresh_from_db()
    assert job.status == "done" and job.done == 1


def test_a_job_whose_requester_lost_the_role_fails_cleanly(settings, dispatcher, realestate_dept, re_handler, django_capture_on_commit_callbacks):
    settings.EXPORT_DIRECT_MAX_ROWS = 0
    with at(2026, 3, 2, 9):
        cf.handling(dispatcher, re_handler, realestate_dept)
        with django_capture_on_commit_callbacks(execute=False):
            job = exports.export_start(actor=re_handler, kind="complaint_list", params={})
        re_handler.memberships.update(is_active=False)
        from workflow.selectors import user_membership_pairs

        getattr(user_membership_pairs, "cache_clear", lambda: None)()
        assert exports.export_job_run(job_id=ExportJob.objects.get().pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "无权" in job.error and not job.file


# --- the API -----------------------------------------------------------------------------------------
def test_the_api_answers_a_file_or_a_job_with_the_same_scope(settings, dispatcher, realestate_dept, re_handler, approval_dept, re_leader):
    api = APIClient()
    with at(2026, 3, 2, 9):
        mine = cf.handling(dispatcher, re_handler, realestate_dept)
        other = cf.dispatched(dispatcher, approval_dept)
        api.force_authenticate(re_handler)
        small = api.post("/api/v1/exports/", {"list": "complaint_list", "filters": {"status": "handling"}}, format="json")
        assert small.status_code == 200 and small["X-Export-Rows"] == "1"
        assert [r[0] for r in _sheet(small.content)[0][1:]] == [mine.number]
        settings.EXPORT_DIRECT_MAX_ROWS = 0
        big = api.post("/api/v1/exports/", {"list": "complaint_list", "filters": {}}, format="json")
        assert big.status_code == 201 and big.json()["status"] in ("pending", "done")
        job_id = big.json()["id"]
        exports.export_job_run(job_id=job_id)
        status = api.get(f"/api/v1/exports/{job_id}/").json()
        assert status["status"] == "done" and status["download_url"] == f"/api/v1/exports/{job_id}/download/"
        download = api.get(status["download_url"])
        numbers = [r[0] for r in _sheet(b"".join(download.streaming_content))[0][1:]]
        assert numbers == [mine.number] and other.number not in numbers
        assert api.post("/api/v1/exports/", {"list": "nothing"}, format="json").status_code == 400
        assert api.post("/api/v1/exports/", {"list": "complaint_list", "filters": {"status": "bad"}}, format="json").status_code == 400
        api.force_authenticate(re_leader)
        assert api.get(f"/api/v1/exports/{job_id}/").status_code == 403
        assert api.get(f"/api/v1/exports/{job_id}/download/").status_code == 403
        assert api.get("/api/v1/exports/").json()["results"] == []


def test_files_older_than_the_keeping_days_are_deleted(settings, dispatcher, realestate_dept, re_handler, client):
    settings.EXPORT_DIRECT_MAX_ROWS, settings.EXPORT_KEEP_DAYS = 0, 7
    with at(2026, 3, 2, 9):
        cf.handling(dispatcher, re_handler, realestate_dept)
        job = exports.export_start(actor=re_handler, kind="complaint_list", params={})
        exports.export_job_run(job_id=job.pk)
        job.refresh_from_db()
        storage, name = job.file.storage, job.file.name
        assert storage.exists(name)
    assert exports.export_files_expire(now=dt.datetime(2026, 3, 8, 9, tzinfo=TZ)) == 0
    assert exports.export_files_expire(now=dt.datetime(2026, 3, 10, 9, tzinfo=TZ)) == 1
    job.refresh_from_db()
    assert job.status == "expired" and not job.file and not storage.exists(name)
    client.force_login(re_handler)
    assert client.get(f"/exports/{job.pk}/download/").status_code == 404
    assert "export-expired" in client.get(f"/exports/{job.pk}/").content.decode()
