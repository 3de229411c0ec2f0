"""A refused form's input survives the next GET of its page (a language switch,
the address bar) until the page succeeds: workflow.web.bound_data / run_action."""
import pytest
from django.urls import reverse

from tests.factories import at
from tests.proposals import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("member")]


def test_refused_input_comes_back_on_get_until_success(client, office_user, member):
    with at(2026, 3, 2, 9):
        proposal = factories.submitted(proposer=member)
        client.force_login(office_user)
        page = reverse("proposals:review", args=[proposal.pk])
        assert client.get(page).status_code == 200
        refused = client.post(page, {"outcome": "reject", "note": "需要补充材料"})
        assert refused.status_code == 400
        # a GET of the same page (language switch, address bar): the input and the error again
        again = client.get(page).content.decode()
        assert "需要补充材料" in again and "is-invalid" in again
        # another page does not get it
        other = factories.submitted(proposer=member)
        assert "需要补充材料" not in client.get(reverse("proposals:review", args=[other.pk])).content.decode()
        # success forgets it
        done = client.post(page, {"outcome": "accept", "number": "7"})
        assert done.status_code == 302
        assert "stash" not in str(client.session.get("workflow:form-stash", ""))
