"""Step names come from the flow nodes' titles in the user's language (not
"Sign"/"Review"), and the page and the API refuse the supervision list alike."""
import datetime as dt

import pytest
import time_machine
from django.conf import settings

from proposals import services
from tests.api.conftest import TZ, as_user, assert_error, draft_body

pytestmark = pytest.mark.django_db


def _proposal(member, session, category, cosigners=()):
    return services.proposal_create(actor=member, session=session, category=category, cosigners=list(cosigners), **{
        k: v for k, v in draft_body(session, category).items() if k not in ("session", "category")
    })


def test_proposal_tasks_are_named_by_their_node_titles(member, office_user, handler, session, category, approval_dept):
    with time_machine.travel(dt.datetime(2019, 5, 6, 9, tzinfo=TZ), tick=False):
        # given a submitted proposal waiting for the office's review
        p = _proposal(member, session, category)
        services.proposal_submit(actor=member, proposal=p)
        office = as_user(office_user)
        # then the office's task is "立案审查", in its task list and on the proposal
        [task] = office.get("/api/v1/proposal-tasks/").json()["results"]
        assert (task["node"], task["title"]) == ("review", "立案审查")
        assert [t["title"] for t in office.get(f"/api/v1/proposals/{p.pk}/tasks/").json()] == ["立案审查"]
        assert [t["title"] for t in office.get(f"/api/v1/proposals/{p.pk}/").json()["my_tasks"]] == ["立案审查"]
        # and once assigned, the department's is "签收"
        services.proposal_review(actor=office_user, proposal=p, outcome="accept")
        services.proposal_assign(actor=office_user, proposal=p, mode="single", lead=approval_dept)
        [task] = as_user(handler).get("/api/v1/proposal-tasks/").json()["results"]
        assert (task["node"], task["title"]) == ("sign", "签收")
        # and in English for a user who chose English; the node code stays the same
        english = as_user(handler)
        english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        [task] = english.get("/api/v1/proposal-tasks/").json()["results"]
        assert (task["node"], task["title"]) == ("sign", "Sign for")


def test_the_inbox_names_tasks_by_their_node_titles(member, member2, session, category):
    # given a joint proposal: the co-signer gets a task assigned to them
    with time_machine.travel(dt.datetime(2019, 3, 1, 9, tzinfo=TZ), tick=False):
        p = _proposal(member, session, category, cosigners=[member2])
        services.proposal_submit(actor=member, proposal=p)
    # then their inbox names it "确认联名"
    inbox = as_user(member2).get("/api/v1/tasks/inbox/").json()
    assert [t["title"] for t in inbox] == ["确认联名"]


@pytest.mark.parametrize("role_fixture, status", [
    ("member", 403), ("handler", 403), ("dept_leader", 403), ("dispatcher", 403),
    ("supervisor", 200), ("office_user", 200), ("key_leader", 200),
])
def test_the_supervision_list_refuses_like_the_page(request, client, role_fixture, status):
    # given a user of one role
    user = request.getfixturevalue(role_fixture)
    # when they open the supervision page and the API's supervision list
    client.force_login(user)
    page = client.get("/proposals/supervision/")
    api = as_user(user).get("/api/v1/proposals/supervision/")
    # then both answer the same
    assert page.status_code == status
    assert api.status_code == status
    if status == 403:
        assert assert_error(api, 403, "permission_denied")["detail"] == "重点与逾期提案仅供督查人员、牵头领导和提案委查看。"
