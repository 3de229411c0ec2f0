"""The public pages (信息公开): the published proposals' list and each one's page, no login."""
import re

import pytest
from django.urls import reverse

from proposals import selectors, services
from proposals.models import Category, Proposal, Reply, Session
from tests.factories import at
from tests.proposals import factories

pytestmark = pytest.mark.django_db

# Every given proposal is handled on the seed case's dates (2019) and closed after its rating.
DATES = {
    "draft_at": (2019, 3, 1, 9), "submit_at": (2019, 3, 1, 9), "accept_at": (2019, 3, 5, 9), "assign_at": (2019, 5, 5, 9),
    "sign_at": (2019, 5, 6, 10), "draft_reply_at": (2019, 5, 6, 10), "submit_reply_at": (2019, 5, 6, 10),
    "sign_off_at": (2019, 5, 8, 10), "pass_review_at": (2019, 5, 8, 10), "evaluate_at": (2019, 5, 20, 9), "close_at": (2019, 5, 22, 9),
}
LIST = "/proposals/public/"


def body(response) -> str:
    return response.content.decode()


def titles(response) -> set[str]:
    """The titles of the proposals listed on the public list page."""
    return set(re.findall(r'data-testid="public-proposal-link">([^<]+)</a>', body(response)))


@pytest.fixture
def world(member, member2, office_user, handler, dept_leader, other_handler, other_leader, approval_dept, hrss_dept, session):
    """Two published proposals that differ in session (and year), category, department,
    words and proposer; one closed but not public; one public but not closed yet."""
    later = Session.objects.create(committee=session.committee, name="六届五次会议", year=2020)
    social = Category.objects.get(name="社会事业")
    service = Category.objects.get(name="政务服务")
    one = factories.closed(
        proposer=member, title="关于推进政务服务一网通办的建议", analysis="大厅自助终端经常故障。", suggestions="建议定期巡检。",
        category=service, lead=approval_dept, number=1, cosigners=[member2], reply_class="A", **DATES,
    )
    two = factories.closed(
        proposer=member2, kind=Proposal.Kind.ORGANISATION, organisation_name="民盟朝天区基层委员会",
        title="关于加强青年就业服务的建议", analysis="部分青年求职渠道少。", suggestions="建议开展职业技能培训。",
        session=later, category=social, lead=hrss_dept, number=1, reply_class="B", **DATES,
    )
    hidden = factories.closed(
        proposer=member, title="不公开的提案", category=service, lead=approval_dept, number=2, is_public=False, **DATES,
    )
    pending = factories.replied(proposer=member, title="已答复待办结的提案", category=service, lead=approval_dept, number=3, **DATES)
    return {"one": one, "two": two, "hidden": hidden, "pending": pending, "later": later, "social": social, "service": service}


# --- the list -----------------------------------------------------------------------------------------
def test_anonymous_list_shows_only_published_proposals_with_labels_and_dates(client, world, member, member2):
    # when anyone opens the list without logging in
    response = client.get(LIST)
    # then both published proposals are there, and neither the non-public nor the unclosed one
    assert response.status_code == 200
    assert titles(response) == {"关于推进政务服务一网通办的建议", "关于加强青年就业服务的建议"}
    page = body(response)
    # each row: the proposer as published, the department, the reply class's label and the letter's date
    assert f"{member.full_name}、{member2.full_name}" in page  # a joint proposal: every confirmed co-signer, as in the letter
    assert "民盟朝天区基层委员会" in page
    assert "广元市朝天区行政审批和数据局" in page and "广元市朝天区人力资源和社会保障局" in page
    assert "所提问题已经解决或采纳" in page and "正在解决或已列入计划解决" in page
    assert "2019-05-08" in page  # the letter's date (its sign-off)
    # never a bare class code, and no contact details
    assert not re.search(r">\s*[ABC]\s*<", page)
    assert factories.CONTACT_PHONE not in page


@pytest.mark.parametrize("params, expected", [
    ({"session": "later"}, {"关于加强青年就业服务的建议"}),
    ({"year": "2019"}, {"关于推进政务服务一网通办的建议"}),
    ({"year": "2020"}, {"关于加强青年就业服务的建议"}),
    ({"category": "social"}, {"关于加强青年就业服务的建议"}),
    ({"department": "approval"}, {"关于推进政务服务一网通办的建议"}),
    ({"department": "hrss"}, {"关于加强青年就业服务的建议"}),
    ({"q": "一网通办"}, {"关于推进政务服务一网通办的建议"}),  # the title
    ({"q": "自助终端"}, {"关于推进政务服务一网通办的建议"}),  # 情况分析
    ({"q": "技能培训"}, {"关于加强青年就业服务的建议"}),  # 具体建议
    ({"q": "不公开"}, set()),  # the search never reaches beyond what is published
    ({"q": "一网通办", "year": "2020"}, set()),  # filters combine
], ids=["session", "year-2019", "year-2020", "category", "department-approval", "department-hrss", "q-title", "q-analysis",
        "q-suggestions", "q-hidden", "combined"])
def test_each_filter_narrows_the_list(client, world, approval_dept, hrss_dept, params, expected):
    # given the filter values as the form sends them (ids for the selects)
    ids = {"later": world["later"].pk, "social": world["social"].pk, "approval": approval_dept.pk, "hrss": hrss_dept.pk}
    query = {k: ids.get(v, v) for k, v in params.items()}
    # when the list is asked with them
    response = client.get(LIST, query)
    # then only the matching published proposals are listed
    assert response.status_code == 200
    assert titles(response) == expected


def test_bad_filter_values_are_explained_not_500(client, world):
    response = client.get(LIST, {"session": "99999", "year": "abc", "department": "x", "q": "一网通办"})
    assert response.status_code == 200
    page = body(response)
    assert 'data-testid="filter-errors"' in page and "没有这个届次的公开提案" in page
    # the valid part of the query still applies
    assert titles(response) == {"关于推进政务服务一网通办的建议"}
    assert client.get(LIST, {"page": "zzz"}).status_code == 200
    assert client.get(LIST, {"q": "x" * 500}).status_code == 200


def test_filter_choices_offer_only_what_is_published(client, world, approval_dept, hrss_dept):
    choices = selectors.public_filter_choices()
    assert set(choices["sessions"]) == {world["one"].session, world["later"]}
    assert set(choices["categories"]) == {world["service"], world["social"]}
    assert set(choices["departments"]) == {approval_dept, hrss_dept}
    assert choices["years"] == [2020, 2019]


def test_pagination_keeps_the_filters(client, world, approval_dept, monkeypatch):
    # given a page size of one and a filter matching both published proposals
    monkeypatch.setattr("proposals.public_views.PAGE_SIZE", 1)
    response = client.get(LIST, {"q": "建议"})
    page = body(response)
    # then the next page's link carries the search
    assert "?q=%E5%BB%BA%E8%AE%AE&amp;page=2" in page
    assert len(titles(response)) == 1
    assert len(titles(client.get(LIST, {"q": "建议", "page": 2}))) == 1


def test_list_queries_do_not_grow_with_the_page(client, world, member, approval_dept, django_assert_max_num_queries):
    # given the count with the world's two published proposals
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(LIST)
    few = len(ctx.captured_queries)
    # when four more are published (joint, with replies)
    for n in range(10, 14):
        factories.closed(proposer=member, title=f"公开提案{n}", lead=approval_dept, number=n, **DATES)
    # then the list costs no more queries, with or without filters
    with django_assert_max_num_queries(few):
        response = client.get(LIST)
    assert len(titles(response)) == 6
    with django_assert_max_num_queries(few + 3):  # a bound form also checks its choices
        client.get(LIST, {"q": "公开", "department": approval_dept.pk, "year": "2019"})


# --- one proposal ----------------------------------------------------------------------------------
def test_anonymous_detail_shows_text_departments_and_replies(client, world):
    one = world["one"]
    # when anyone opens the proposal's own page
    response = client.get(reverse("proposals:public_detail", args=[one.pk]))
    # then its text, departments and published reply are there, with the class label and the letter's date
    assert response.status_code == 200
    page = body(response)
    for text in ("关于推进政务服务一网通办的建议", "大厅自助终端经常故障。", "建议定期巡检。", "广元市朝天区行政审批和数据局",
                 "所提问题已经解决或采纳", "2019-05-08", factories.REPLY_BODY, "朝审函〔2019〕"):
        assert text in page
    reply = Reply.objects.get(assignment__proposal=one)
    assert f"/documents/proposal_reply/{reply.pk}/pdf/" in page
    assert factories.CONTACT_PHONE not in page
    # and the list links to it
    assert reverse("proposals:public_detail", args=[one.pk]) in body(client.get(LIST))


def test_detail_is_404_for_what_is_not_published(client, world, office_user):
    for p in (world["hidden"], world["pending"]):
        assert client.get(reverse("proposals:public_detail", args=[p.pk])).status_code == 404
    assert client.get("/proposals/public/999999/").status_code == 404
    # even for the office, who may see them elsewhere
    client.force_login(office_user)
    assert client.get(reverse("proposals:public_detail", args=[world["hidden"].pk])).status_code == 404


def test_a_proposal_made_private_leaves_the_public_pages(client, world, office_user):
    one = world["one"]
    with at(2019, 6, 1, 9):
        services.proposal_set_public(actor=office_user, proposal=one, is_public=False)
    assert client.get(reverse("proposals:public_detail", args=[one.pk])).status_code == 404
    assert "关于推进政务服务一网通办的建议" not in titles(client.get(LIST))


def test_detail_query_count_is_fixed(client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert client.get(reverse("proposals:public_detail", args=[world["one"].pk])).status_code == 200


# --- the reply letter -----------------------------------------------------------------------------
def test_reply_letter_downloads_only_for_published_proposals(client, world, other_handler):
    published = Reply.objects.get(assignment__proposal=world["one"])
    hidden = Reply.objects.get(assignment__proposal=world["hidden"])
    pending = Reply.objects.get(assignment__proposal=world["pending"])
    url = lambda r: reverse("document-pdf", args=["proposal_reply", r.pk])  # noqa: E731
    # anyone may download a published proposal's letter
    response = client.get(url(published) + "?download=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # a visitor asking for another letter is sent to sign in, and nothing is served
    for reply in (hidden, pending):
        response = client.get(url(reply))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # a signed-in person with no part in the case is refused
    client.force_login(other_handler)
    assert client.get(url(hidden)).status_code == 403
    # and neither page links to those letters
    client.logout()
    assert url(hidden) not in body(client.get(LIST)) and url(pending) not in body(client.get(LIST))


# --- the way in ------------------------------------------------------------------------------------
def test_login_page_links_to_the_public_list(client, db):
    page = body(client.get("/accounts/login/"))
    assert f'href="{LIST}"' in page
