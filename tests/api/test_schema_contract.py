"""The OpenAPI schema says what the API answers: plain arrays where the API
returns arrays, the Error component on every operation, label scales and
statuses, and each operation its own summary."""
import collections
import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from proposals import services
from tests.api.conftest import TZ, as_user, draft_body

pytestmark = pytest.mark.django_db

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _resolve(schema, node):
    while "$ref" in node or "allOf" in node:
        if "allOf" in node:
            node = node["allOf"][0]
        else:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _ok_schema(schema, path, method="get"):
    responses = schema["paths"][path][method]["responses"]
    ok = next(v for k, v in responses.items() if k.startswith("2"))
    return _resolve(schema, ok["content"]["application/json"]["schema"])


def test_tasks_and_timeline_are_documented_and_returned_as_arrays(schema, member, session, category):
    # given the schema of the two per-proposal lists
    for path in ("/api/v1/proposals/{id}/tasks/", "/api/v1/proposals/{id}/timeline/"):
        documented = _ok_schema(schema, path)
        # then they are plain arrays, not pages, and have no page parameter
        assert documented["type"] == "array", (path, documented)
        assert "page" not in {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}
    # and the API returns arrays for them
    with time_machine.travel(dt.datetime(2019, 3, 1, 9, tzinfo=TZ), tick=False):
        p = services.proposal_create(actor=member, session=session, category=category, **{
            k: v for k, v in draft_body(session, category).items() if k not in ("session", "category")
        })
    api = as_user(member)
    assert isinstance(api.get(f"/api/v1/proposals/{p.pk}/tasks/").json(), list)
    assert isinstance(api.get(f"/api/v1/proposals/{p.pk}/timeline/").json(), list)


def test_paginated_lists_are_documented_as_pages(schema):
    for path in ("/api/v1/proposals/", "/api/v1/proposal-tasks/", "/api/v1/users/", "/api/v1/notifications/", "/api/v1/public/proposals/"):
        documented = _ok_schema(schema, path)
        assert set(documented["properties"]) >= {"count", "next", "previous", "results"}, path


def test_every_operation_documents_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "code", "errors"]
    for path, method, operation in _operations(schema):
        anonymous = operation.get("security") and all(not s for s in operation["security"])
        expected = {"400", "404"} if anonymous else {"400", "401", "403", "404"}
        assert expected <= set(operation["responses"]), (method, path)
        for status in expected:
            content = operation["responses"][status]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_no_component_carries_a_base_class_docstring(schema):
    for name, component in schema["components"]["schemas"].items():
        assert "inline enums" not in component.get("description", ""), name


def test_every_operation_has_its_own_summary_and_no_repeated_description(schema):
    summaries = {}
    descriptions = collections.Counter()
    for path, method, operation in _operations(schema):
        assert operation.get("summary"), (method, path)
        summaries[(path, method)] = operation["summary"]
        if operation.get("description"):
            descriptions[operation["description"]] += 1
    # a description may be shared by PUT and POST of one operation, never by a whole viewset
    assert max(descriptions.values()) <= 2, descriptions.most_common(2)
    assert len(set(summaries.values())) >= len(summaries) - 1  # reply/ PUT and POST are one operation


def test_statuses_and_roles_are_enums(schema):
    proposal = _resolve(schema, schema["components"]["schemas"]["Proposal"])
    status = _resolve(schema, proposal["properties"]["status"])
    assert {"draft", "submitted", "handling", "closed"} <= set(status["enum"])
    me = schema["components"]["schemas"]["Me"]
    roles = _resolve(schema, me["properties"]["roles"]["items"])
    assert {"member", "proposal_office", "handler", "key_leader"} <= set(roles["enum"])


def test_label_scales_are_strings_with_their_codes_at_schema_time(schema):
    # reply classes, ratings and grades are rules as data (administrators edit them): not a fixed enum,
    # but the codes known when the schema was generated are in the description
    reply_class = schema["components"]["schemas"]["ReplyDraftRequest"]["properties"]["reply_class"]
    assert reply_class["type"] == "string" and "enum" not in reply_class
    assert reply_class["x-label-scale"] == "reply_class" and reply_class["minLength"] == 1
    # and an answer may carry "" (no grade yet): no minLength on the response side
    assert "minLength" not in schema["components"]["schemas"]["Reply"]["properties"]["original_class"]
    for code in ("`A`", "`B`", "`C`"):
        assert code in reply_class["description"]
    rating = schema["components"]["schemas"]["EvaluateRequest"]["properties"]["process_rating"]
    assert "`satisfied`（满意）" in rating["description"]
    grade = schema["components"]["schemas"]["Proposal"]["properties"]["implementation_grade"]
    assert grade["x-label-scale"] == "implementation_grade"


def test_public_endpoints_need_no_credentials_in_the_schema(schema):
    for path in ("/api/v1/public/proposals/", "/api/v1/public/proposals/{id}/", "/api/v1/auth/token/"):
        operation = next(iter(op for m, op in schema["paths"][path].items() if m in METHODS))
        assert all(not s for s in operation["security"]), path


def test_request_bodies_are_documented_as_json_and_responses_apart(schema):
    # the contract for programs is JSON (form bodies cannot carry null or nesting)
    for path, method, operation in _operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], (method, path)
    # and request components are apart from answers: required text says minLength 1 only on requests
    assert schema["components"]["schemas"]["CredentialsRequest"]["properties"]["username"]["minLength"] == 1
    assert "minLength" not in schema["components"]["schemas"]["Proposal"]["properties"]["handling_mode_display"]


def test_ids_in_bodies_are_bounded_integers(schema):
    session = schema["components"]["schemas"]["ProposalWriteRequest"]["properties"]["session"]
    assert session == {"type": "integer", "minimum": 1, "maximum": 2147483647}
    cosigners = schema["components"]["schemas"]["ProposalWriteRequest"]["properties"]["cosigners"]
    assert cosigners["items"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}
