"""The proposal and complaint lists filter by 期限状态: the cases having an open task
in that supervision state *now* (the live ranges, as the chips), scoped as the
list is, in a fixed number of queries."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import services as complaint_services
from complaints.models import ComplaintTask
from proposals.models import Proposal
from tests.complaints import factories as cf
from tests.factories import at
from tests.proposals import factories as pf
from workflow.supervision import deadline_chips

pytestmark = pytest.mark.django_db

NOW = (2026, 3, 6, 10)  # a Friday


@pytest.fixture
def proposals_in_every_state(office_user, member, approval_dept, handler):
    """Sign-for tasks (3 WD, warn 1 WD) seen on Friday 6 March 2026."""
    made = {}
    for state, day in [("severely_overdue", (2026, 2, 2, 9)), ("overdue", (2026, 3, 2, 9)), ("warning", (2026, 3, 4, 9)), ("on_time", (2026, 3, 5, 9))]:
        with at(*day):
            made[state] = pf.assigned(lead=approval_dept, title=f"期限{state}的提案")
    return made


def proposal_titles(client, **params):
    with at(*NOW):
        response = client.get(reverse("proposals:list"), params)
    assert response.status_code == 200
    page = response.content.decode()
    return {p.title for p in Proposal.objects.all() if p.title in page}, response


@pytest.mark.parametrize("state", ["severely_overdue", "overdue", "warning", "on_time"])
def test_the_proposal_list_filters_by_deadline_state(client, office_user, proposals_in_every_state, state):
    client.force_login(office_user)
    titles, response = proposal_titles(client, deadline_state=state)
    assert titles == {proposals_in_every_state[state].title}
    assert 'name="deadline_state"' in response.content.decode() and "期限状态" in response.content.decode()


def test_the_proposal_filter_keeps_the_lists_scope_and_query_count(client, office_user, other_handler, handler, proposals_in_every_state):
    # A handler of another department sees none of them, whatever the state
    client.force_login(other_handler)
    assert proposal_titles(client, deadline_state="overdue")[0] == set()
    # The department's handler sees its overdue proposal
    client.force_login(handler)
    assert proposal_titles(client, deadline_state="overdue")[0] == {proposals_in_every_state["overdue"].title}
    # A fixed number of queries, whether one case or none matches
    client.force_login(office_user)
    with at(*NOW):
        client.get(reverse("proposals:list"))  # warm the session
        counts = []
        for state in ("overdue", "on_time", "warning"):
            with CaptureQueriesContext(connection) as ctx:
                client.get(reverse("proposals:list"), {"deadline_state": state})
            counts.append(len(ctx))
    assert len(set(counts)) == 1, counts


def test_a_bad_state_is_a_form_error_not_a_500(client, office_user, proposals_in_every_state):
    client.force_login(office_user)
    titles, response = proposal_titles(client, deadline_state="nonsense")
    assert response.status_code == 200 and len(titles) == 4  # an invalid form filters nothing


# --- complaints -----------------------------------------------------------------------------------
@pytest.fixture
def complaints_handling(dispatcher, handler, approval_dept):
    made = []
    for day in [(2026, 1, 5, 9), (2026, 2, 2, 9), (2026, 3, 2, 9)]:
        with at(*day):
            made.append(cf.handling(dispatcher, handler, approval_dept, title=f"工单{day[1]}月"))
    return made


def complaint_numbers(client, **params):
    with at(*NOW):
        response = client.get(reverse("complaints:list"), params)
    assert response.status_code == 200
    page = response.content.decode()
    return response, page


def test_the_complaint_list_filters_by_deadline_state(client, dispatcher, other_handler, complaints_handling):
    # Expected: each complaint's open task's chip now (the same rule as the filter)
    with at(*NOW):
        tasks = deadline_chips(ComplaintTask.objects.filter(status="NEW").select_related("complaint"))
    expected = {}
    for t in tasks:
        expected.setdefault(t.chip_state, set()).add(t.complaint.number)
    assert len(expected) >= 2  # the fixture spreads them over states
    client.force_login(dispatcher)
    for state in ("on_time", "warning", "overdue", "severely_overdue"):
        _response, page = complaint_numbers(client, deadline_state=state)
        shown = {c.number for c in complaints_handling if c.number in page}
        assert shown == expected.get(state, set()), state
    # Scoped as the list: another department's handler sees nothing
    client.force_login(other_handler)
    _response, page = complaint_numbers(client, deadline_state="severely_overdue")
    assert not any(c.number in page for c in complaints_handling)


def test_a_suspended_complaint_is_not_overdue_in_the_filter(client, dispatcher, handler, complaints_handling):
    late = complaints_handling[0]
    with at(2026, 3, 5, 9):
        suspension = complaint_services.complaint_suspension_request(actor=handler, complaint=late, reason="等待第三方鉴定")
        complaint_services.complaint_suspension_decide(actor=dispatcher, suspension=suspension, approve=True)
    client.force_login(dispatcher)
    for state in ("overdue", "severely_overdue"):
        assert late.number not in complaint_numbers(client, deadline_state=state)[1]
    assert late.number in complaint_numbers(client, deadline_state="on_time")[1]


def test_the_complaint_filter_costs_a_fixed_number_of_queries(client, dispatcher, handler, approval_dept, complaints_handling, django_assert_max_num_queries):
    client.force_login(dispatcher)

    def queries():
        with at(*NOW):
            client.get(reverse("complaints:list"))  # the session warm
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse("complaints:list"), {"deadline_state": "severely_overdue"})
        return len(ctx), response.content.decode().count('data-testid="complaint-row"')

    few = queries()
    # Given more complaints in the same state, the page costs the same
    for day in [(2026, 1, 6, 9), (2026, 1, 7, 9), (2026, 1, 8, 9)]:
        with at(*day):
            cf.handling(dispatcher, handler, approval_dept, title=f"工单{day[2]}日")
    more = queries()
    assert more[1] == few[1] + 3 and more[0] == few[0]
    with at(*NOW), django_assert_max_num_queries(17):
        client.get(reverse("complaints:list"), {"deadline_state": "overdue"})
