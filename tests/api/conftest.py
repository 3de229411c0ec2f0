"""Fixtures of the API contract tests (on top of tests/conftest.py and tests/proposals/conftest.py)."""
import datetime as dt

import pytest
from rest_framework.test import APIClient

from proposals.models import Assignment, Proposal, Reply
from tests.conftest import PASSWORD
from tests.proposals.conftest import category, key_leader, member2, other_leader, session  # noqa: F401 - the proposals fixtures

TZ = dt.timezone(dt.timedelta(hours=8))
TITLE = "关于加快“最多跑一次”改革向纵深推进的建议"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_client(user) -> APIClient:
    response = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    return client


def draft_body(session, category, **overrides) -> dict:
    body = {
        "session": session.pk, "title": TITLE, "analysis": "存在问题：“多头跑”“跑很多次”等现象依然存在。",
        "suggestions": "建议：……", "category": category.pk, "contact_name": "示例委员", "contact_phone": "0839-0000000",
    }
    body.update(overrides)
    return body


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape: {"detail": str, "code": str, "errors": {field: [str]}}."""
    assert response.status_code == status, (response.status_code, response.content.decode())
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["errors"], dict), body
    for messages in body["errors"].values():
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages), body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def closed_public_proposal(session, category, member, approval_dept, handler):
    """A closed public proposal 第28号 with its passed reply (and a second, non-public closed one)."""
    at = dt.datetime(2019, 5, 6, 9, tzinfo=TZ)

    def make(number: int, is_public: bool) -> Proposal:
        p = Proposal.objects.create(
            session=session, title=f"{TITLE}{number}", analysis="情况分析", suggestions="具体建议", category=category,
            contact_name="示例委员", contact_phone="0839-1234567", proposer=member, status=Proposal.Status.CLOSED,
            number=number, is_public=is_public,
        )
        a = Assignment.objects.create(
            proposal=p, department=approval_dept, role=Assignment.Role.SINGLE, status=Assignment.Status.DONE,
            assigned_at=at, reassign_deadline=at, deadline=at,
        )
        Reply.objects.create(
            assignment=a, status=Reply.Status.PASSED, reply_class="A", title=f"关于第{number}号提案的答复", body="答复正文",
            contact_person="示例联系人", contact_phone="0839-7654321", doc_number=f"朝审函〔2019〕{number}号",
            drafted_by=handler, replied_at=at,
        )
        return p

    make(29, is_public=False)
    return make(28, is_public=True)
