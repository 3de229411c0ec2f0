"""The one inbox (issue 7): everything a user must act on, in one list by
deadline, with chips, filters, claiming, and the navigation's counts."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import STATUS

from proposals.flows import ProposalFlow
from proposals.models import ProposalTask
from proposals.roles import Role
from tests.factories import UserFactory, at
from tests.proposals import factories
from workflow.models import CaseEvent
from workflow.workdays import working_days_between

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("member", "office_user", "dept_leader")]
KIND = "proposals.proposaltask"


def sign_task(proposal) -> ProposalTask:
    return ProposalTask.objects.get(proposal=proposal, flow_task=ProposalFlow.sign, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def rows(body: str) -> list[str]:
    return [chunk.split('data-state="', 1)[1].split('"', 1)[0] for chunk in body.split('data-testid="task"')[1:]]


def test_queued_and_own_tasks_are_one_list_sorted_by_deadline(client, handler, approval_dept, office_user, member):
    with at(2026, 3, 2, 9):
        late = factories.assigned(lead=approval_dept, title="先交办的提案")
    with at(2026, 3, 9, 9):
        early = factories.assigned(lead=approval_dept, title="后交办的提案")
    with at(2026, 3, 9, 10):
        client.force_login(handler)
        assert client.post(reverse("task-claim", args=[KIND, sign_task(early).pk])).status_code == 302
        body = client.get("/").content.decode()
    # Given one task claimed by the handler and one still in the department's queue,
    # both are in the one inbox, the earlier deadline first.
    assert body.count('data-testid="task"') == 2
    assert body.index("先交办的提案") < body.index("后交办的提案")
    assert "由我办理" in body and "待领取" in body
    assert 'data-testid="claim"' in body and 'data-testid="release"' in body
    # The row links to the page that completes the task, and says who waits.
    assert reverse("proposals:sign", args=[late.assignments.get().pk]) in body
    assert f"等待：{late.proposer}" in body


def test_chips_say_working_days_left_or_late(client, handler, approval_dept):
    with at(2026, 3, 2, 9):
        proposal = factories.assigned(lead=approval_dept)
    deadline = sign_task(proposal).deadline
    due = timezone.localtime(deadline).date()
    client.force_login(handler)
    with at(2026, 3, 2, 10):
        body = client.get("/").content.decode()
        left = working_days_between(dt.date(2026, 3, 2), due)
        assert f"剩{left}个工作日" in body if left else "今日到期" in body
    later = due + dt.timedelta(days=3)
    with at(later.year, later.month, later.day, 10):
        client.force_login(handler)  # sessions end after a day idle
        body = client.get("/").content.decode()
        late = working_days_between(due, later)
        assert rows(body) in (["overdue"], ["severely_overdue"])
        assert f"逾期{late}个工作日" in body


def test_filters_narrow_by_state_step_and_kind(client, handler, approval_dept):
    with at(2026, 3, 2, 9):
        old = factories.assigned(lead=approval_dept, title="早已逾期的提案")
    due = timezone.localtime(sign_task(old).deadline).date()
    later = due + dt.timedelta(days=2)
    with at(later.year, later.month, later.day, 8):
        factories.assigned(lead=approval_dept, title="刚交办的提案")
    with at(later.year, later.month, later.day, 9):
        client.force_login(handler)
        all_rows = rows(client.get("/").content.decode())
        assert len(all_rows) == 2
        late = client.get("/", {"state": "overdue"}).content.decode()
        assert "早已逾期的提案" in late and "刚交办的提案" not in late
        on_time = client.get("/", {"state": "on_time"}).content.decode() + client.get("/", {"state": "warning"}).content.decode()
        assert "刚交办的提案" in on_time and "早已逾期的提案" not in on_time
        step = client.get("/", {"step": "proposals/flows.ProposalFlow.sign"}).content.decode()
        assert step.count('data-testid="task"') == 2
        other_step = client.get("/", {"step": "proposals/flows.ProposalFlow.draft_reply"}).content.decode()
        assert other_step.count('data-testid="task"') == 0 and "没有符合筛选条件的待办" in other_step
        complaints_only = client.get("/", {"kind": "complaints.complainttask"}).content.decode()
        assert complaints_only.count('data-testid="task"') == 0
        # A value that is not a choice is ignored with the form's error, never a 500.
        assert client.get("/", {"state": "nonsense"}).status_code == 200


def test_claim_is_refused_to_a_colleague_and_to_other_departments(client, handler, approval_dept, other_handler):
    colleague = UserFactory(roles=[(approval_dept, Role.HANDLER)])
    with at(2026, 3, 2, 9):
        proposal = factories.assigned(lead=approval_dept)
    task = sign_task(proposal)
    url = reverse("task-claim", args=[KIND, task.pk])
    with at(2026, 3, 2, 10):
        client.force_login(other_handler)
        assert client.post(url).status_code == 403
        client.force_login(handler)
        client.post(url)
        task.refresh_from_db()
        assert task.status == STATUS.ASSIGNED and task.owner_id == handler.pk
        client.force_login(colleague)
        response = client.post(url, follow=True)
        assert f"该任务已由{handler}领取" in response.content.decode()
        # The colleague still sees it (a department's task), held by the handler, and may still act.
        assert f"由{handler}办理" in client.get("/").content.decode()
        client.force_login(handler)
        client.post(reverse("task-release", args=[KIND, task.pk]))
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None
    types = list(CaseEvent.objects.filter(case_id=proposal.pk).values_list("type", flat=True))
    assert "task_claimed" in types and "task_released" in types
    client.force_login(handler)
    assert client.post(reverse("task-claim", args=["nothing.here", task.pk])).status_code == 404
    assert client.post(reverse("task-claim", args=[KIND, 999999])).status_code in (403, 404)
    assert client.get(url).status_code == 405


def test_a_person_own_task_cannot_be_released(client, member, committee_dept):
    member2 = UserFactory(roles=[(committee_dept, Role.MEMBER)])
    with at(2026, 3, 2, 9):
        proposal = factories.submitted(proposer=member, cosigners=[member2])
    task = ProposalTask.objects.get(proposal=proposal, flow_task=ProposalFlow.cosign, owner=member2)
    client.force_login(member2)
    body = client.get("/").content.decode()
    assert 'data-testid="release"' not in body and 'data-testid="claim"' not in body
    assert client.post(reverse("task-release", args=[KIND, task.pk])).status_code == 403


def test_navigation_counts_and_current_page(client, handler, approval_dept):
    with at(2026, 3, 2, 9):
        overdue = factories.assigned(lead=approval_dept)
    due = timezone.localtime(sign_task(overdue).deadline).date()
    later = due + dt.timedelta(days=2)
    with at(later.year, later.month, later.day, 8):
        factories.assigned(lead=approval_dept)
    with at(later.year, later.month, later.day, 9):
        client.force_login(handler)
        body = client.get(reverse("proposals:list")).content.decode()
    assert 'data-testid="nav-count-open">2<' in body
    assert 'data-testid="nav-count-overdue">1<' in body
    assert 'data-nav="proposals:list" aria-current="page"' in body
    assert 'data-nav="complaints:list"' not in body or 'complaints:list" aria-current' not in body
    assert 'data-nav="audit-trail"' not in body  # not the handler's


def test_visitors_see_the_public_pages_only(client):
    body = client.get(reverse("complaints_public:submit")).content.decode()
    assert 'data-nav="complaints_public:submit" aria-current="page"' in body
    assert 'data-nav="proposals:public"' in body
    assert 'data-nav="home"' not in body and 'data-nav="proposals:list"' not in body


def test_the_inbox_and_the_counts_cost_the_same_for_one_or_many_tasks(client, handler, approval_dept):
    with at(2026, 3, 2, 9):
        factories.assigned(lead=approval_dept)
    with at(2026, 3, 3, 9):
        client.force_login(handler)
        client.get("/")
        with CaptureQueriesContext(connection) as one:
            client.get("/")
            client.get(reverse("departments"))
    with at(2026, 3, 2, 9):
        for _ in range(5):
            factories.assigned(lead=approval_dept)
    with at(2026, 3, 3, 9):
        client.force_login(handler)
        client.get("/")
        with CaptureQueriesContext(connection) as six:
            body = client.get("/").content.decode()
            client.get(reverse("departments"))
    assert body.count('data-testid="task"') == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_admin_sections_read_chinese_in_chinese_mode():
    """viewflow has no Chinese catalogue: locale/zh_Hans supplies its admin names."""
    from django.apps import apps
    from django.utils import translation
    from viewflow.workflow.models import Process, Task

    with translation.override("zh-hans"):
        assert str(apps.get_app_config("viewflow").verbose_name) == "流程引擎"
        assert str(Process._meta.verbose_name_plural) == "流程列表"
        assert str(Task._meta.verbose_name_plural) == "任务"
    with translation.override("en"):
        assert str(Process._meta.verbose_name_plural) == "Process list"


def test_the_api_gives_the_same_inbox_and_claims(client, handler, approval_dept, other_handler):
    with at(2026, 3, 2, 9):
        proposal = factories.assigned(lead=approval_dept, title="接口待办")
    task = sign_task(proposal)
    with at(2026, 3, 9, 9):
        client.force_login(handler)
        data = client.get("/api/v1/inbox/").json()
        assert data["total"] == 1
        row = data["results"][0]
        assert row["id"] == task.pk and row["kind"] == KIND and row["state"] in ("overdue", "severely_overdue")
        assert row["working_days_late"] >= 1 and row["owner"] == "" and row["page"].endswith("/sign/")
        assert client.get("/api/v1/inbox/", {"state": "on_time"}).json()["total"] == 0
        bad = client.get("/api/v1/inbox/", {"state": "soon", "kind": "x.y"})
        assert bad.status_code == 400 and set(bad.json()["errors"]) == {"state", "kind"}
        claimed = client.post(f"/api/v1/tasks/{KIND}/{task.pk}/claim/")
        assert claimed.status_code == 200 and claimed.json()["owner"] == str(handler)
        assert client.post(f"/api/v1/tasks/{KIND}/{task.pk}/claim/").status_code == 400
        client.force_login(other_handler)
        assert client.post(f"/api/v1/tasks/{KIND}/{task.pk}/release/").status_code == 403
        assert client.get("/api/v1/inbox/").json()["total"] == 0
