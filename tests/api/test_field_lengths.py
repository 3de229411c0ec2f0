"""Text longer than its column is a 400 from the API, not a DataError (500) on
PostgreSQL; on SQLite it would have been stored silently. Every serializer
CharField that writes a column takes the column's max_length."""
import datetime as dt

import pytest
import time_machine

from proposals import services
from proposals.models import Assignment, Consultation, Proposal, Reply
from tests.api.conftest import TZ, as_user, assert_error, draft_body
from workflow.models import CaseEvent

pytestmark = pytest.mark.django_db


def _max(model, field) -> int:
    return model._meta.get_field(field).max_length


@pytest.mark.parametrize("field, limit", [
    ("contact_phone", _max(Proposal, "contact_phone")),
    ("contact_name", _max(Proposal, "contact_name")),
    ("organisation_name", _max(Proposal, "organisation_name")),
])
def test_an_over_long_draft_field_is_400_and_nothing_saved(member, session, category, field, limit):
    # given a draft with one field a character longer than its column (32, 64, 128)
    data = {**draft_body(session, category, kind="organisation", organisation_name="九三学社朝天区支社"), field: "8" * (limit + 1)}
    # when the member posts it
    response = as_user(member).post("/api/v1/proposals/", data, format="json")
    # then only that field is refused, and nothing is saved
    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == [field]
    assert str(limit) in body["errors"][field][0]
    assert Proposal.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_at_the_limit_the_draft_is_saved(member, session, category):
    data = draft_body(session, category, contact_phone="8" * _max(Proposal, "contact_phone"), contact_name="名" * _max(Proposal, "contact_name"))
    response = as_user(member).post("/api/v1/proposals/", data, format="json")
    assert response.status_code == 201, response.content
    assert Proposal.objects.get().contact_phone == "8" * 32


def test_an_over_long_edit_is_400_and_the_draft_unchanged(member, session, category):
    p = services.proposal_create(actor=member, session=session, category=category, **{
        k: v for k, v in draft_body(session, category).items() if k not in ("session", "category")
    })
    response = as_user(member).patch(f"/api/v1/proposals/{p.pk}/", {"contact_phone": "1" * 33}, format="json")
    assert list(assert_error(response, 400)["errors"]) == ["contact_phone"]
    p.refresh_from_db()
    assert p.contact_phone == "0839-0000000"


@pytest.fixture
def signed_assignment(member, office_user, handler, session, category, approval_dept):
    with time_machine.travel(dt.datetime(2019, 5, 6, 9, tzinfo=TZ), tick=False):
        p = services.proposal_create(actor=member, session=session, category=category, **{
            k: v for k, v in draft_body(session, category).items() if k not in ("session", "category")
        })
        services.proposal_submit(actor=member, proposal=p)
        services.proposal_review(actor=office_user, proposal=p, outcome="accept")
        p = services.proposal_assign(actor=office_user, proposal=p, mode="single", lead=approval_dept)
        a = p.assignments.get()
        services.assignment_sign(actor=handler, assignment=a)
    return a


@pytest.mark.parametrize("field, limit", [
    ("contact_person", _max(Reply, "contact_person")),
    ("contact_phone", _max(Reply, "contact_phone")),
    ("title", _max(Reply, "title")),
])
def test_an_over_long_reply_field_is_400_and_nothing_saved(handler, signed_assignment: Assignment, field, limit):
    body = {"reply_class": "A", "body": "答复", "contact_person": "联系人", "contact_phone": "1", field: "8" * (limit + 1)}
    with time_machine.travel(dt.datetime(2019, 6, 6, 9, tzinfo=TZ), tick=False):
        response = as_user(handler).put(f"/api/v1/proposal-assignments/{signed_assignment.pk}/reply/", body, format="json")
    assert list(assert_error(response, 400)["errors"]) == [field]
    assert Reply.objects.count() == 0


def test_over_long_consultation_participants_are_400(handler, signed_assignment: Assignment):
    body = {"date": "2019-06-05", "mode": "face", "participants": "人" * (_max(Consultation, "participants") + 1)}
    with time_machine.travel(dt.datetime(2019, 6, 6, 9, tzinfo=TZ), tick=False):
        response = as_user(handler).post(f"/api/v1/proposal-assignments/{signed_assignment.pk}/consultation/", body, format="json")
    assert list(assert_error(response, 400)["errors"]) == ["participants"]
    assert Consultation.objects.count() == 0
