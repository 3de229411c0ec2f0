"""Authentication answers (401 with WWW-Authenticate, 403 for the signed-in
without permission, session with CSRF) and the one error shape of every 4xx."""
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from proposals import services
from proposals.models import Proposal
from tests.api.conftest import as_user, assert_error, draft_body, token_client

pytestmark = pytest.mark.django_db


# --- 401 / 403 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/proposals/", "/api/v1/proposal-tasks/", "/api/v1/users/", "/api/v1/notifications/"])
def test_no_credentials_is_401_with_www_authenticate(url):
    # given an anonymous client
    client = APIClient()
    # when it asks for a protected resource
    response = client.get(url)
    # then it is told to authenticate, with the scheme to use, in the error shape
    body = assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert body["detail"] == "身份认证信息未提供。"


def test_a_bad_token_is_401_with_www_authenticate(db):
    # given a client with a token that does not exist
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    # when it asks for anything protected
    response = client.get("/api/v1/me/")
    # then it is refused as unauthenticated, not forbidden
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"


def test_a_post_without_credentials_is_401_and_changes_nothing(session, category):
    response = APIClient().post("/api/v1/proposals/", draft_body(session, category), format="json")
    assert_error(response, 401)
    assert Proposal.objects.count() == 0


def test_signed_in_without_permission_is_403_with_the_reason(handler):
    # given a handler with a valid token
    client = token_client(handler)
    # when they ask for the co-signer candidates (a member's list)
    response = client.get("/api/v1/proposal-cosign-candidates/")
    # then it is a 403 with the service's reason, and no authentication challenge
    body = assert_error(response, 403, "permission_denied")
    assert body["detail"] == "只有政协委员可以邀请联名。"
    assert "WWW-Authenticate" not in response


def test_the_browser_session_still_works_with_csrf(member, session, category):
    # given a member signed in through the login page (session cookie), with CSRF enforced as in a browser
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    # when they read, it works without a CSRF token
    assert client.get("/api/v1/me/").status_code == 200
    # when they post without the CSRF token, it is refused (403, the error shape)
    body = assert_error(client.post("/api/v1/proposals/", draft_body(session, category), format="json"), 403)
    assert "CSRF" in body["detail"]
    assert Proposal.objects.count() == 0
    # when they post with the token from the cookie, the draft is saved
    client.get("/accounts/login/")  # sets the csrftoken cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post("/api/v1/proposals/", draft_body(session, category), format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    assert Proposal.objects.get().proposer == member


# --- the error shape ------------------------------------------------------------------------------------
def test_field_errors_from_the_serializer(member, session, category):
    body = {**draft_body(session, category), "session": "abc", "kind": "nobody"}
    response = as_user(member).post("/api/v1/proposals/", body, format="json")
    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"session", "kind"}
    assert body["detail"] == "无效的输入。"


def test_a_service_validation_error_with_fields_is_400_keyed_by_field(member, session, category):
    # given a draft whose title is blank (the service's rule)
    response = as_user(member).post("/api/v1/proposals/", draft_body(session, category, title="  ", analysis=""), format="json")
    # then the service's Chinese messages come back by field
    body = assert_error(response, 400, "invalid")
    assert body["errors"] == {"title": ["请填写案由（标题）。"]}  # a draft needs only its title


def test_a_service_validation_error_without_field_is_400_with_detail(member, office_user, session, category):
    # given a submitted proposal
    p = services.proposal_create(actor=member, session=session, category=category, **{
        k: v for k, v in draft_body(session, category).items() if k not in ("session", "category")
    })
    services.proposal_submit(actor=member, proposal=p)
    # when the member edits it after submission (a wrong-state refusal with no field)
    response = as_user(member).patch(f"/api/v1/proposals/{p.pk}/", {"title": "新案由"}, format="json")
    # then the message is the detail and under non_field_errors
    body = assert_error(response, 400, "invalid")
    assert "提案已提交，不能再修改" in body["detail"]
    assert body["errors"]["non_field_errors"] == [body["detail"]]


def test_a_service_permission_denied_is_403_with_its_message(member, handler, session, category):
    response = as_user(handler).post("/api/v1/proposals/", draft_body(session, category), format="json")
    body = assert_error(response, 403, "permission_denied")
    assert body["detail"] == "此操作需要“政协委员”角色。"


def test_not_found_and_method_not_allowed(office_user):
    api = as_user(office_user)
    assert_error(api.get("/api/v1/proposals/999999/"), 404, "not_found")
    assert_error(api.get("/api/v1/proposals/?page=99"), 404, "not_found")
    body = assert_error(api.delete("/api/v1/proposals/"), 405, "method_not_allowed")
    assert "DELETE" in body["detail"]


def test_messages_follow_the_users_language(office_user):
    # given a user who chose English
    api = as_user(office_user)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # then DRF's messages are in English, and the code does not change
    assert assert_error(api.get("/api/v1/proposals/999999/"), 404, "not_found")["detail"] == "Not found."
    body = assert_error(api.get("/api/v1/proposals/?status=nonsense"), 400, "invalid")
    assert body["detail"] == "Invalid input." and list(body["errors"]) == ["status"]
    # and in Chinese by default
    assert assert_error(as_user(office_user).get("/api/v1/proposals/999999/"), 404)["detail"] == "未找到。"


def test_a_failed_sign_in_is_400_in_the_error_shape(handler):
    response = APIClient().post("/api/v1/auth/token/", {"username": "handler", "password": "wrong"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert body["errors"]["non_field_errors"] == [body["detail"]]


def test_a_stale_token_does_not_block_signing_in(handler):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token stale")
    response = client.post("/api/v1/auth/token/", {"username": "handler", "password": "pw-123456"}, format="json")
    assert response.status_code == 200 and response.json()["token"]


def test_the_calendar_error_keeps_the_shape_and_the_missing_year(handler):
    response = as_user(handler).get("/api/v1/calendar/deadline/", {"start": "2099-12-20", "amount": 15, "unit": "wd"})
    body = assert_error(response, 400, "calendar_year_missing")
    assert body["missing_year"] >= 2027 and "start" in body["errors"]


@pytest.mark.parametrize("url", ["/api/v1/proposals/0.5/", "/api/v1/notifications/0.5/read/", "/api/v1/nowhere/"])
def test_a_url_that_matches_no_api_route_is_a_json_404(office_user, url):
    # given a path with a non-integer id or no route at all (Django answers before DRF)
    response = as_user(office_user).get(url)
    # then it is the API's 404, in JSON, not the HTML page
    assert response["Content-Type"].startswith("application/json")
    assert assert_error(response, 404, "not_found")["detail"] == "未找到。"


def test_outside_the_api_a_404_is_still_a_page(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_form_body_with_too_many_fields_is_400(member, settings):
    # given Django's limit on form fields (1000 by default)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"cosigners={i}" for i in range(50))
    response = as_user(member).post("/api/v1/notifications/read-all/", body, content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, "request_too_large")


def test_choice_labels_follow_the_users_language(office_user, session, category, member):
    """The *_display labels come from a table kept per field and language (ChoiceLabel):
    a Chinese request after an English one (and back) gets each its own, as get_FOO_display."""
    from django.utils import translation

    from proposals import services

    proposal = services.proposal_create(actor=member, **{**draft_body(session, category), "session": session, "category": category})
    services.proposal_submit(actor=member, proposal=proposal)
    proposal.refresh_from_db()
    english = as_user(office_user)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for client, language in [(as_user(office_user), "zh-hans"), (english, "en"), (as_user(office_user), "zh-hans")]:
        row = client.get("/api/v1/proposals/").json()["results"][0]
        with translation.override(language):
            assert row["status_display"] == proposal.get_status_display(), (language, row)
            assert row["kind_display"] == proposal.get_kind_display(), (language, row)
    assert row["status_display"] != english.get(f"/api/v1/proposals/{proposal.pk}/").json()["status_display"]
