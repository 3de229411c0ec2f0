"""Downloads through the real URLs (page and API), with the case's permissions."""
import pytest

from workflow.models import GeneratedDocument
from tests.documents.conftest import SEED_DATES
from tests.proposals import factories

pytestmark = pytest.mark.django_db


def url(reply):
    return f"/documents/proposal_reply/{reply.pk}/pdf/"


def test_the_member_downloads_the_letter_generated_once_then_stored(client, seed_reply, member):
    client.force_login(member)
    first = client.get(url(seed_reply))
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF") and first["X-Document-Version"] == "1"
    assert "filename*=utf-8''" in first["Content-Disposition"]
    again = client.get(url(seed_reply) + "?download=1")
    assert again["X-Document-Version"] == "1" and again.content == first.content and again["Content-Disposition"].startswith("attachment")
    assert GeneratedDocument.objects.count() == 1


@pytest.mark.parametrize("who", ["office_user", "handler", "dept_leader", "supervisor"])
def test_staff_who_see_the_reply_download_it(client, seed_reply, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(seed_reply)).status_code == 200


def test_another_department_is_refused(client, seed_reply, other_handler):
    client.force_login(other_handler)
    assert client.get(url(seed_reply)).status_code == 403
    assert GeneratedDocument.objects.count() == 0


def test_the_public_downloads_only_published_letters(client, seed_proposal, seed_reply, member, office_user):
    # replied but not closed: not published yet, a visitor is sent to sign in
    response = client.get(url(seed_reply))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # once closed (public proposal): published, anyone may download it
    factories.closed(seed_proposal, **SEED_DATES)
    assert client.get(url(seed_reply)).status_code == 200
    assert client.get("/proposals/public/").content.decode().count(url(seed_reply)) == 1


def test_a_non_public_proposal_letter_is_not_for_the_public(client, session, member, office_user, handler, dept_leader, approval_dept, supervision_dept, office_dept):
    p = factories.closed(number=32, lead=approval_dept, is_public=False, **SEED_DATES)
    reply = factories.reply_of(p)
    assert client.get(url(reply)).status_code == 302
    assert url(reply) not in client.get("/proposals/public/").content.decode()


def test_the_case_page_offers_the_letter(client, seed_proposal, seed_reply, member, other_handler):
    client.force_login(member)
    page = client.get(f"/proposals/{seed_proposal.pk}/").content.decode()
    assert url(seed_reply) in page


def test_the_case_page_offers_no_letter_before_the_reply_passed(client, session, member, office_user, handler, dept_leader, approval_dept, supervision_dept, office_dept):
    p = factories.reply_signed(number=33, lead=approval_dept, **SEED_DATES)
    client.force_login(office_user)
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    assert "/documents/proposal_reply/" not in page


def test_unknown_kind_or_object_is_404(client, seed_reply, member):
    client.force_login(member)
    assert client.get(f"/documents/nothing/{seed_reply.pk}/pdf/").status_code == 404
    assert client.get("/documents/proposal_reply/999999/pdf/").status_code == 404


def test_api_same_permission(client, seed_reply, member, other_handler):
    client.force_login(member)
    response = client.get(f"/api/v1/proposal-replies/{seed_reply.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    generic = client.get(f"/api/v1/documents/proposal_reply/{seed_reply.pk}/pdf/")
    assert generic.status_code == 200 and generic["X-Document-Version"] == "1"
    client.force_login(other_handler)
    assert client.get(f"/api/v1/proposal-replies/{seed_reply.pk}/pdf/").status_code == 403
    client.logout()
    assert client.get(f"/api/v1/proposal-replies/{seed_reply.pk}/pdf/").status_code in (401, 403)
