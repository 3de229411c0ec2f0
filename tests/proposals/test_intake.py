"""Issue 11: the intake (proposal_create + proposal_submit, as the form's 提交 button
runs them) is one transaction with a fixed number of statements, and every new
task is routed and timed in its first INSERT (no re-save by the task hook)."""
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from proposals import services
from proposals.models import ProposalTask
from tests.factories import at
from tests.proposals import factories
from workflow.models import Notification

# The intake's statements, rules and calendar already in memory: proposal, history,
# event and audit row (create); proposal with co-signers, status, history, event,
# audit row, process, three tasks with their links, the office's people and notice
# (submit); the notice's channels after the commit. 39 on SQLite; PostgreSQL adds
# its audit-chain lock and process lock, and reports no BEGIN.
INTAKE_MAX_QUERIES = 44


def _intake(member, session, category, i=0):
    with transaction.atomic():  # as proposals.views._save_proposal does
        p = services.proposal_create(
            actor=member, session=session, title=f"关于基准测试的建议{i}", analysis="分析", suggestions="建议",
            category=category, contact_name="示例委员", contact_phone="0839-0000011", for_submission=True,
        )
        return services.proposal_submit(actor=member, proposal=p)


def _inserted_rows(queries, table: str) -> list[dict]:
    """The column values of each INSERT into `table` (from the captured SQL and parameters)."""
    rows = []
    for sql, params in queries:
        match = re.match(rf'INSERT INTO "{table}" \((.*?)\) VALUES', sql)
        if match:
            columns = [c.strip().strip('"') for c in match.group(1).split(",")]
            rows.append(dict(zip(columns, params)))
    return rows


class _Recorder:
    """A connection execute wrapper: each statement, its parameters and whether it ran in a transaction."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, list(params or ()), connection.in_atomic_block))
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_an_intake_is_one_transaction_with_its_notice(member, office_user, session, category, monkeypatch):
    # Given a member and the office (warm: rules and calendar loaded by a first intake)
    _intake(member, session, category)
    commits = []
    real_commit = connection.commit
    monkeypatch.setattr(connection, "commit", lambda: (commits.append(1), real_commit())[1])
    recorder = _Recorder()
    # When the member writes and submits a proposal in one go
    with connection.execute_wrapper(recorder):
        proposal = _intake(member, session, category, 1)
    # Then everything it writes, the office's notice included, commits once
    writes = [(sql, atomic) for sql, _params, atomic in recorder.statements if re.match(r"\s*(INSERT|UPDATE|DELETE)", sql)]
    assert writes and all(atomic for _sql, atomic in writes), [sql[:80] for sql, atomic in writes if not atomic]
    assert len(commits) == 1
    assert Notification.objects.filter(recipient=office_user, kind="proposal.submitted", params__proposal=proposal.pk).count() == 1
    assert proposal.status == "submitted"


@pytest.mark.django_db
def test_an_intake_has_a_fixed_number_of_queries(member, office_user, session, category, django_capture_on_commit_callbacks):
    # Given a first intake (the time limits and the calendar are then in memory)
    with django_capture_on_commit_callbacks(execute=True):
        _intake(member, session, category)
    # When another proposal is written and submitted
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        proposal = _intake(member, session, category, 1)
    # Then it takes a fixed, small number of statements
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) <= INTAKE_MAX_QUERIES, "\n".join(s[:120] for s in sql)
    assert not any('FROM "workflow_timelimitrule"' in s for s in sql)  # rules held in memory
    # the one task update is the gateway's completion (no task re-saved to be routed)
    assert sum(s.startswith('UPDATE "proposals_proposaltask"') for s in sql) == 1
    # with everything the intake has always written: the office's task and notice, the events
    task = ProposalTask.objects.get(proposal=proposal, role="proposal_office")
    assert task.deadline is not None and task.deadline_from is not None
    assert Notification.objects.filter(recipient=office_user, params__proposal=proposal.pk).exists()
    assert list(proposal.history.values_list("status", flat=True).order_by("history_id")) == ["draft", "submitted"]


@pytest.mark.django_db
def test_a_new_task_is_routed_and_timed_in_its_first_insert(member, office_user, session, category, approval_dept, handler,
                                                            django_capture_on_commit_callbacks):
    # Given the spring of 2019 (the assignment's reply deadline needs a calendar year the tests seed)
    with at(2019, 3, 1, 9):
        # (a member and the office; a department with its handler)
        recorder = _Recorder()
        # When the member submits (the office's review task is created) ...
        with connection.execute_wrapper(recorder), django_capture_on_commit_callbacks(execute=True):
            submitted = _intake(member, session, category)
        review = ProposalTask.objects.get(proposal=submitted, role="proposal_office")
        # ... and the office assigns another proposal to a department (its sign task is created)
        accepted = factories.accepted(proposer=member)
        with connection.execute_wrapper(recorder), django_capture_on_commit_callbacks(execute=True):
            factories.assigned(accepted, lead=approval_dept)
    sign = ProposalTask.objects.get(proposal=accepted, role="handler", department=approval_dept)
    # Then each task's first INSERT carries its case, role, department and deadline
    inserted = {row["task_ptr_id"]: row for row in _inserted_rows([(s, p) for s, p, _a in recorder.statements], "proposals_proposaltask")}
    assert inserted[review.pk]["role"] == "proposal_office" and inserted[review.pk]["deadline"] is not None
    assert inserted[review.pk]["proposal_id"] == submitted.pk and inserted[review.pk]["deadline_from"] is not None
    assert inserted[sign.pk]["role"] == "handler" and inserted[sign.pk]["department_id"] == approval_dept.pk
    assert inserted[sign.pk]["deadline"] is not None
    # and neither is saved again to be routed
    updated = {p[-1] for s, p, _a in recorder.statements if s.startswith('UPDATE "proposals_proposaltask"')}
    assert review.pk not in updated and sign.pk not in updated
