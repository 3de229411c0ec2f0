"""Concurrency on PostgreSQL, where FOR UPDATE really locks (SQLite ignores it).

Marked `postgres`: scripts/test.sh runs these in the PostgreSQL run and leaves
them out of the SQLite run, where two connections cannot share the in-memory
test database.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from proposals import services
from proposals.models import Assignment
from tests.factories import at, race
from tests.proposals import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]




def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_two_offices_accepting_at_once_get_consecutive_numbers(session, category, member, member2, office_user):
    with at(2019, 3, 1, 9):
        p1 = factories.submitted(proposer=member)
        p2 = factories.submitted(proposer=member2)
        results = race(
            lambda: services.proposal_review(actor=office_user, proposal=p1, outcome="accept").number,
            lambda: services.proposal_review(actor=office_user, proposal=p2, outcome="accept").number,
        )
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert sorted(r[1] for r in results) == [1, 2]


def test_signing_the_same_assignment_twice_at_once_signs_once(session, category, member, office_user, approval_dept, handler):
    from tests.factories import UserFactory
    from proposals.roles import Role

    colleague = UserFactory(username="handler_b", roles=[(approval_dept, Role.HANDLER)])
    with at(2019, 3, 1, 9):
        p = factories.assigned(proposer=member, lead=approval_dept)
        a = p.assignments.get()
        results = race(
            lambda: services.assignment_sign(actor=handler, assignment=a),
            lambda: services.assignment_sign(actor=colleague, assignment=a),
        )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, ValidationError), repr(error)
    assert Assignment.objects.get(pk=a.pk).status == Assignment.Status.SIGNED
    from workflow.models import CaseEvent

    assert CaseEvent.objects.filter(case_id=p.pk, type="signed").count() == 1


def test_a_typed_number_racing_an_automatic_one_never_deadlocks(session, category, member, member2, office_user):
    with at(2019, 3, 1, 9):
        p1 = factories.submitted(proposer=member)
        p2 = factories.submitted(proposer=member2)
        results = race(
            lambda: services.proposal_review(actor=office_user, proposal=p1, outcome="accept", number=1).number,
            lambda: services.proposal_review(actor=office_user, proposal=p2, outcome="accept").number,
        )
    # one of two orders: typed 1 first (auto takes 2), or auto takes 1 first (typed 1 refused clearly)
    kinds = sorted(r[0] for r in results)
    if kinds == ["ok", "ok"]:
        assert sorted(r[1] for r in results) == [1, 2]
    else:
        assert kinds == ["error", "ok"], results
        error = next(r[1] for r in results if r[0] == "error")
        assert isinstance(error, ValidationError) and "第1号" in str(error), repr(error)
