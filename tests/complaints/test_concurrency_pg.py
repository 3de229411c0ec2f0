"""Complaint races on PostgreSQL (SQLite ignores FOR UPDATE): exactly one winner,
the other refused with a clear message, nothing done twice."""
import pytest
from django.core.exceptions import ValidationError

from complaints import services
from complaints.models import Complaint, ComplaintRating, Dispatch
from tests.complaints import factories as f
from tests.factories import UserFactory, at
from tests.factories import race as _race
from workflow.models import CaseEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _one_winner(results):
    assert sorted(r[0] for r in results) == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, ValidationError), repr(error)


def test_two_dispatchers_dispatching_at_once_dispatch_once(dispatcher, hotline_dept, realestate_dept, approval_dept):
    from complaints.roles import Role

    colleague = UserFactory(username="dispatcher_b", roles=[(hotline_dept, Role.DISPATCHER)])
    with at(2026, 3, 2, 9):
        complaint, _code = f.submit()
        results = _race(
            lambda: services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept),
            lambda: services.complaint_dispatch(actor=colleague, complaint=complaint, department=approval_dept),
        )
    _one_winner(results)
    assert Dispatch.objects.filter(complaint=complaint).count() == 1
    assert CaseEvent.objects.filter(case_id=complaint.pk, type="dispatched").count() == 1


def test_rating_link_used_twice_at_once_rates_once(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        token = f.last_link_token(complaint)
        results = _race(
            lambda: services.complaint_rate_by_link(token=token, rating="satisfied"),
            lambda: services.complaint_rate_by_link(token=token, rating="very_satisfied"),
        )
    _one_winner(results)
    assert ComplaintRating.objects.filter(complaint=complaint).count() == 1
    assert Complaint.objects.get(pk=complaint.pk).status == Complaint.Status.CLOSED


def test_two_intakes_at_once_get_consecutive_numbers(db):
    with at(2026, 3, 2, 9):
        results = _race(lambda: f.submit()[0].number, lambda: f.submit(phone="13900000000")[0].number)
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert sorted(r[1] for r in results) == ["TS2026000001", "TS2026000002"]
