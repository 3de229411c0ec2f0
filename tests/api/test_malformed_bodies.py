"""Any request body gets a 400 in the error shape, never a 500: deep nesting
(RecursionError), numbers Python reads as infinity (OverflowError in an id
lookup), NaN, integers too long to convert, ids that are not ids."""
import pytest
from rest_framework.test import APIClient

from proposals.models import Proposal
from tests.api.conftest import as_user, assert_error, draft_body

pytestmark = pytest.mark.django_db


def _post_raw(user, url: str, raw: str):
    client = as_user(user) if user else APIClient()
    return client.post(url, raw, content_type="application/json")


def test_deeply_nested_arrays_are_400(member):
    # given a body of 100,000 nested arrays (json.loads raises RecursionError)
    raw = "[" * 100_000 + "]" * 100_000
    # when it is posted to a real endpoint
    response = _post_raw(member, "/api/v1/proposals/", raw)
    # then it is a bad request, not a server error, and nothing is saved
    assert_error(response, 400, "json_too_deep")
    assert Proposal.objects.count() == 0


def test_nesting_deeper_than_any_request_needs_is_400(member, session, category):
    # given a draft whose title is nested 500 levels deep (parseable, but a trap for error messages)
    body = '{"session": %d, "category": %d, "title": %s1%s}' % (session.pk, category.pk, "[" * 500, "]" * 500)
    response = _post_raw(member, "/api/v1/proposals/", body)
    assert_error(response, 400, "json_too_deep")


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_400(member, number):
    # given {"session": 1e400}: Python reads infinity, and int(inf) in the id lookup raised OverflowError
    response = _post_raw(member, "/api/v1/proposals/", '{"session": %s}' % number)
    assert_error(response, 400, "json_invalid")
    assert Proposal.objects.count() == 0


def test_a_non_finite_number_in_a_nested_id_list_is_400(member, session, category):
    raw = '{"session": %d, "category": %d, "title": "t", "analysis": "a", "suggestions": "s", "contact_name": "n", "contact_phone": "1", "cosigners": [1e400]}' % (session.pk, category.pk)
    assert_error(_post_raw(member, "/api/v1/proposals/", raw), 400)


def test_an_integer_too_long_to_read_is_400(member):
    assert_error(_post_raw(member, "/api/v1/proposals/", '{"session": %s}' % ("9" * 5000)), 400, "json_invalid")


def test_the_token_endpoint_reads_bodies_the_same_way():
    assert_error(_post_raw(None, "/api/v1/auth/token/", "[" * 100_000), 400, "json_too_deep")
    assert_error(_post_raw(None, "/api/v1/auth/token/", '{"username": 1e400, "password": "x"}'), 400, "json_invalid")


@pytest.mark.parametrize("value", [1.5, 1e30, 10 ** 30, -1, 0, True, "1.0", "x", [1], {"id": 1}])
def test_ids_that_are_not_ids_are_400(member, session, category, value):
    # given a draft whose session id is a fraction, huge, negative, a boolean, a string or a structure
    data = {**draft_body(session, category), "session": value}
    response = as_user(member).post("/api/v1/proposals/", data, format="json")
    # then only the session is refused, and nothing is saved
    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["session"], body
    assert Proposal.objects.count() == 0


def test_a_whole_number_float_id_is_not_read_as_another_row(member, session, category):
    # 1.5 was read as id 1 by the database; now it is refused whatever exists
    data = {**draft_body(session, category), "category": category.pk + 0.5}
    assert_error(as_user(member).post("/api/v1/proposals/", data, format="json"), 400)


@pytest.mark.parametrize("query", ["session=1e400", "session=%s" % ("9" * 50), "department=-1", "page=1e400", "page=abc"])
def test_odd_numbers_in_queries_are_not_server_errors(office_user, query):
    response = as_user(office_user).get("/api/v1/proposals/?" + query)
    assert response.status_code in (400, 404), (query, response.status_code)
    assert_error(response, response.status_code)
