"""The complaints REST API (/api/v1/): the whole life of a complaint through
the API alone, every branch (returns, extensions, suspensions, appeals,
sign-off, triage outcomes), refusals (wrong role, other department), the
citizen's personal data in every answer, bad input, the public endpoints
(submit, track with throttling, rate) and fixed-query lists."""
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from complaints import services
from complaints.models import (
    Appeal,
    Attachment,
    Complaint,
    ComplaintExtension,
    ComplaintRating,
    DepartmentSetting,
    Dispatch,
    Suspension,
)
from tests.complaints import factories as f
from tests.conftest import PASSWORD
from tests.factories import at
from workflow import sms
from workflow.models import CaseEvent

pytestmark = pytest.mark.django_db

PHONE = "13800001234"  # the factories' citizen phone
API = "/api/v1"


@pytest.fixture(autouse=True)
def _clear_cache():
    """The public lookup counts failures in the cache: every test starts afresh."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def token_client(user) -> APIClient:
    """A client authenticated the way another program would: with a token."""
    response = APIClient().post(f"{API}/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    return client


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content.decode())
    return response.json() if response.content else None


def error(response, status):
    assert response.status_code == status, (response.status_code, response.content.decode())
    body = response.json()
    assert set(body) == {"detail", "code", "errors"} and body["detail"], body
    return body


def task_action(client, node: str) -> str:
    """The API path of the user's one open complaint task of this kind (from /complaint-tasks/)."""
    tasks = ok(client.get(f"{API}/complaint-tasks/"))["results"]
    actions = [t["action"] for t in tasks if t["node"] == node]
    assert len(actions) == 1, tasks
    return f"{API}/" + actions[0]


def intake_body(**overrides) -> dict:
    body = {
        "channel": "hotline", "kind": "complaint", "category": f.category().pk, "title": f.SEED_PROBLEM["title"],
        "description": f.SEED_PROBLEM["description"], "hall": f.SEED_PROBLEM["hall"], "window": f.SEED_PROBLEM["window"],
        "answers": {"window_number": "3"}, "citizen_name": "示例群众", "citizen_phone": PHONE,
    }
    body.update(overrides)
    return body


def public_body(**overrides) -> dict:
    body = intake_body(**overrides)
    body.pop("channel")
    return body


# --- the whole life -------------------------------------------------------------------------------------
def test_hotline_complaint_through_the_api_alone(operator, dispatcher, realestate_dept, re_handler):
    api_operator, api_dispatcher, api_handler = token_client(operator), token_client(dispatcher), token_client(re_handler)
    with at(2026, 3, 2, 9):
        # given the operator takes a call: the answer carries the query code, once
        created = ok(api_operator.post(f"{API}/complaints/", intake_body(), format="json"), 201)
        cid = created["id"]
        assert created["channel"] == "hotline" and created["status"] == "new" and len(created["query_code"]) == 8
        # the number the operator typed comes back masked: nobody sees it whole without a reveal
        assert created["contact"]["citizen_phone"] == "138****1234" and created["contact"]["masked"] is True
        assert Complaint.objects.get(pk=cid).received_by == operator
        assert "query_code" not in ok(api_operator.get(f"{API}/complaints/{cid}/"))
        # when the dispatcher asks for suggestions and dispatches from its task
        suggestions = ok(api_dispatcher.get(f"{API}/complaints/{cid}/suggestions/"))
        assert suggestions["department"] is None and suggestions["duplicates"] == []
        triage_url = task_action(api_dispatcher, "triage")
        assert triage_url == f"{API}/complaints/{cid}/triage/"
        dispatched = ok(api_dispatcher.post(triage_url, {"outcome": "dispatch", "department": realestate_dept.pk}, format="json"))
        assert dispatched["status"] == "dispatched" and dispatched["department"]["id"] == realestate_dept.pk
        [dispatch] = dispatched["dispatches"]
    with at(2026, 3, 2, 10):
        # and the department signs and replies
        sign_url = task_action(api_handler, "sign")
        assert sign_url == f"{API}/complaint-dispatches/{dispatch['id']}/sign/"
        assert ok(api_handler.post(sign_url))["status"] == "signed"
        reply_url = task_action(api_handler, "handle")
        assert reply_url == f"{API}/complaints/{cid}/reply/"
        replied = ok(api_handler.post(reply_url, {"body": "经核实，已对窗口工作人员批评教育，实行一次性告知制度。", "findings": "情况属实"}, format="json"))
        assert replied["status"] == "reviewing"
    with at(2026, 3, 3, 9):
        # and the dispatcher passes the reply, then calls the citizen back
        review_url = task_action(api_dispatcher, "review")
        assert review_url == f"{API}/complaints/{cid}/review/"
        assert ok(api_dispatcher.post(review_url, {"approve": True}, format="json"))["status"] == "replied"
        callback_url = task_action(api_dispatcher, "callback")
        closed = ok(api_dispatcher.post(callback_url, {
            "rating": "满意", "indicators": {"overall": "satisfied", "attitude": "very_satisfied"}, "comment": "态度很好",
        }, format="json"))
    # then it is closed with the rating, and the record is complete
    assert closed["status"] == "closed" and closed["rating"] == "satisfied"
    [rating] = closed["ratings"]
    assert rating["source"] == "callback" and rating["indicators"] == {"overall": "satisfied", "attitude": "very_satisfied"}
    assert [r["status"] for r in closed["replies"]] == ["passed"] and closed["my_tasks"] == []
    types = [e["type"] for e in closed["timeline"]]
    assert types[0] == "received" and types[-1] == "closed" and {"dispatched", "signed", "reply_passed", "replied"} <= set(types)
    complaint = Complaint.objects.get(pk=cid)
    assert complaint.process.status == "DONE" and complaint.called_back_at is not None


def test_public_complaint_tracked_and_rated_by_link(dispatcher, realestate_dept, re_handler):
    anonymous = APIClient()
    with at(2026, 3, 2, 9):
        # given a citizen files a complaint on the public endpoint (a stale token does not matter)
        anonymous.credentials(HTTP_AUTHORIZATION="Token nonsense")
        result = ok(anonymous.post(f"{API}/public/complaints/", public_body(), format="json"), 201)
        anonymous.credentials()
        number, code = result["number"], result["query_code"]
        assert number.startswith("TS2026") and result["status"] == "new" and result["expected_dispatch"].startswith("2026-03-03")
        complaint = Complaint.objects.get(number=number)
        assert complaint.channel == "web" and complaint.received_by is None
        # when it is dispatched, signed and replied through the API
        ok(as_user(dispatcher).post(f"{API}/complaints/{complaint.pk}/triage/", {"outcome": "dispatch", "department": realestate_dept.pk}, format="json"))
        ok(as_user(re_handler).post(f"{API}/complaint-dispatches/{complaint.dispatches.get().pk}/sign/"))
        ok(as_user(re_handler).post(f"{API}/complaints/{complaint.pk}/reply/", {"body": "已实行一次性告知。"}, format="json"))
        ok(as_user(dispatcher).post(f"{API}/complaints/{complaint.pk}/review/", {"approve": True}, format="json"))
        # then the citizen sees the public progress with the number and code (lower case is fine)
        progress = ok(anonymous.post(f"{API}/public/complaints/track/", {"number": number.lower(), "code": code.lower()}, format="json"))
    assert progress["status"] == "replied" and progress["reply"]["body"] == "已实行一次性告知。"
    assert progress["department"] == str(realestate_dept)
    assert [s["type"] for s in progress["steps"]] == ["received", "dispatched", "signed", "replied"]
    assert progress["steps"][1]["text"] == "派单" and "区不动产登记中心" in progress["steps"][1]["details"]
    assert "re_handler" not in str(progress) and "dispatcher" not in str(progress)
    # and rates through the one-time link in the text message
    token = f.last_link_token(complaint)
    with at(2026, 3, 3, 9):
        info = ok(anonymous.get(f"{API}/public/complaints/rate/{token}/"))
        assert info["number"] == number and info["purpose"] == "rate" and info["can_say_not_resolved"] is True
        assert [c["code"] for c in info["haocha_rating"]][:2] == ["very_satisfied", "satisfied"]
        refused = error(anonymous.post(f"{API}/public/complaints/rate/{token}/", {"rating": "dissatisfied"}, format="json"), 400)
        assert list(refused["errors"]) == ["comment"]
        rated = ok(anonymous.post(f"{API}/public/complaints/rate/{token}/", {"rating": "非常满意"}, format="json"))
        assert rated["status"] == "closed"
        # and the used link is a 404 like any unknown one
        used = anonymous.get(f"{API}/public/complaints/rate/{token}/")
        unknown = anonymous.get(f"{API}/public/complaints/rate/not-a-token/")
        assert used.status_code == unknown.status_code == 404 and used.json() == unknown.json()
        assert anonymous.post(f"{API}/public/complaints/rate/{token}/", {"rating": "satisfied"}, format="json").status_code == 404
    assert ComplaintRating.objects.get(complaint=complaint).source == "link"


def test_citizen_says_not_resolved_by_link(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        token = f.last_link_token(complaint)
    with at(2026, 3, 4, 9):
        anonymous = APIClient()
        missing = error(anonymous.post(f"{API}/public/complaints/rate/{token}/", {"not_resolved": True}, format="json"), 400)
        assert list(missing["errors"]) == ["reason"]
        result = ok(anonymous.post(f"{API}/public/complaints/rate/{token}/", {"not_resolved": True, "reason": "还是没有一次性告知"}, format="json"))
        assert result["status"] == "handling"
        assert task_action(as_user(re_handler), "revise") == f"{API}/complaints/{complaint.pk}/reply/"


def test_public_submission_with_attachment_as_multipart(dispatcher):
    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(image, format="PNG")
    image.name = "现场照片.png"
    image.seek(0)
    fake = io.BytesIO(b"MZ this is not an image")
    fake.name = "photo.jpg"
    body = {k: v for k, v in public_body().items() if k != "answers"}
    body["answers.window_number"] = "3"
    with at(2026, 3, 2, 9):
        refused = error(APIClient().post(f"{API}/public/complaints/", {**body, "attachments": [fake]}, format="multipart"), 400)
        assert list(refused["errors"]) == ["attachments"] and Complaint.objects.count() == 0
        result = ok(APIClient().post(f"{API}/public/complaints/", {**body, "attachments": [image]}, format="multipart"), 201)
    complaint = Complaint.objects.get(number=result["number"])
    assert complaint.answers == {"window_number": "3"}
    [attachment] = complaint.attachments.all()
    assert attachment.content_type == "image/png" and attachment.name == "现场照片.png"
    detail = ok(as_user(dispatcher).get(f"{API}/complaints/{complaint.pk}/"))
    assert detail["attachments"][0]["name"] == "现场照片.png" and detail["attachments"][0]["size"] == attachment.size


# --- the public lookup ------------------------------------------------------------------------------------
def test_track_wrong_code_and_unknown_number_look_the_same_and_are_throttled(settings):
    settings.COMPLAINT_LOOKUP_MAX_FAILURES = 3
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
    anonymous = APIClient()
    track = f"{API}/public/complaints/track/"
    right = ok(anonymous.post(track, {"number": complaint.number, "code": code}, format="json"))
    assert right["number"] == complaint.number and right["status"] == "new" and right["reply"] is None
    # a right answer does not count against the client; wrong ones do
    wrong_code = anonymous.post(track, {"number": complaint.number, "code": "ZZZZZZZZ"}, format="json")
    unknown = anonymous.post(track, {"number": "TS2026999999", "code": code}, format="json")
    assert wrong_code.status_code == unknown.status_code == 404
    assert wrong_code.json() == unknown.json() and wrong_code.content == unknown.content
    assert anonymous.post(track, {"number": complaint.number, "code": "ZZZZZZZY"}, format="json").status_code == 404
    # the (MAX+1)th wrong guess is refused with Retry-After, and so is even the right code now
    refused = anonymous.post(track, {"number": complaint.number, "code": "ZZZZZZZX"}, format="json")
    body = error(refused, 429)
    assert body["code"] == "throttled" and 0 < int(refused["Retry-After"]) <= settings.COMPLAINT_LOOKUP_WINDOW_SECONDS
    assert anonymous.post(track, {"number": complaint.number, "code": code}, format="json").status_code == 429
    # another client address is not affected
    other = APIClient(REMOTE_ADDR="10.0.0.2")
    assert other.post(track, {"number": complaint.number, "code": code}, format="json").status_code == 200
    # and a malformed request is a 400 that says nothing about the case
    assert error(other.post(track, {"number": complaint.number}, format="json"), 400)["errors"] == {"code": ["该字段是必填项。"]}


def test_invalid_rating_links_are_throttled(settings):
    settings.COMPLAINT_LOOKUP_MAX_FAILURES = 2
    anonymous = APIClient()
    for token in ("a", "b"):
        assert anonymous.get(f"{API}/public/complaints/rate/{token}/").status_code == 404
    response = anonymous.get(f"{API}/public/complaints/rate/c/")
    assert response.status_code == 429 and response["Retry-After"]


# --- branches ---------------------------------------------------------------------------------------------
def test_return_and_return_decision(dispatcher, approval_dept, handler, realestate_dept, re_handler):
    api_dispatcher, api_handler, api_re = as_user(dispatcher), as_user(handler), as_user(re_handler)
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, approval_dept)
        dispatch = complaint.dispatches.get()
        durl = f"{API}/complaint-dispatches/{dispatch.pk}"
        # a return needs a reason
        assert error(api_handler.post(f"{durl}/return/", {"reason": " "}, format="json"), 400)["errors"] == {"reason": ["退单须说明理由。"]}
        returned = ok(api_handler.post(f"{durl}/return/", {"reason": "不动产登记属不动产登记中心职责"}, format="json"))
        assert returned["status"] == "returned" and returned["return_reason"] == "不动产登记属不动产登记中心职责"
        # the dispatcher's ruling is its task; the handler may not rule
        decision_url = task_action(api_dispatcher, "return_decide")
        assert decision_url == f"{durl}/return-decision/"
        assert api_handler.post(decision_url, {"accept": True, "department": realestate_dept.pk}, format="json").status_code == 403
        same = error(api_dispatcher.post(decision_url, {"accept": True, "department": approval_dept.pk}, format="json"), 400)
        assert list(same["errors"]) == ["department"]
        new = ok(api_dispatcher.post(decision_url, {"accept": True, "department": realestate_dept.pk}, format="json"))
        assert new["department"]["id"] == realestate_dept.pk and new["status"] == "dispatched" and new["id"] != dispatch.pk
        # then the new department signs; the returned dispatch stays as the record of the return
        assert task_action(api_re, "sign") == f"{API}/complaint-dispatches/{new['id']}/sign/"
        # and the old department no longer sees the case
        assert api_handler.get(f"{API}/complaints/{complaint.pk}/").status_code == 403
        # an improper return: the department must sign after all
        ok(api_re.post(f"{API}/complaint-dispatches/{new['id']}/return/", {"reason": "不归我们管"}, format="json"))
        no_note = error(api_dispatcher.post(f"{API}/complaint-dispatches/{new['id']}/return-decision/", {"accept": False}, format="json"), 400)
        assert list(no_note["errors"]) == ["note"]
        improper = ok(api_dispatcher.post(f"{API}/complaint-dispatches/{new['id']}/return-decision/", {"accept": False, "note": "属本单位窗口服务"}, format="json"))
        assert improper["return_improper"] is True and improper["status"] == "dispatched"
        assert ok(api_re.post(f"{API}/complaint-dispatches/{new['id']}/sign/"))["status"] == "signed"
    assert Complaint.objects.get(pk=complaint.pk).status == Complaint.Status.HANDLING


def test_extension_request_and_decision(dispatcher, supervisor, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
    url = f"{API}/complaints/{complaint.pk}"
    with at(2026, 3, 16, 9):
        api_handler = as_user(re_handler)
        too_late = error(api_handler.post(f"{url}/extension/", {"requested_until": "2026-05-30", "reason": "需第三方鉴定"}, format="json"), 400)
        assert list(too_late["errors"]) == ["requested_until"]
        ext = ok(api_handler.post(f"{url}/extension/", {"requested_until": "2026-03-30", "reason": "需第三方鉴定"}, format="json"), 201)
        assert ext["status"] == "pending" and ext["department"]["id"] == realestate_dept.pk
        # the handler cannot approve its own request; a supervisor can
        assert as_user(re_handler).post(f"{API}/complaint-extensions/{ext['id']}/decide/", {"approve": True}, format="json").status_code == 403
        pending = ok(as_user(supervisor).get(f"{API}/complaint-extensions/?status=pending"))
        assert [e["id"] for e in pending["results"]] == [ext["id"]]
        decided = ok(as_user(supervisor).post(f"{API}/complaint-extensions/{ext['id']}/decide/", {"approve": True, "note": "同意"}, format="json"))
        assert decided["status"] == "approved" and decided["decided_by"]["id"] == supervisor.pk
        again = error(as_user(dispatcher).post(f"{API}/complaint-extensions/{ext['id']}/decide/", {"approve": True}, format="json"), 400)
        assert again["detail"] == "该申请已审批。"
    detail = ok(as_user(re_handler).get(f"{url}/"))
    assert detail["deadline"].startswith("2026-03-30") and detail["extensions"][0]["status"] == "approved"


def test_suspension_decision_and_resume(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        deadline = Complaint.objects.get(pk=complaint.pk).deadline
    url = f"{API}/complaints/{complaint.pk}"
    api_handler, api_dispatcher = as_user(re_handler), as_user(dispatcher)
    with at(2026, 3, 3, 9):
        assert error(api_handler.post(f"{url}/suspend/", {"reason": ""}, format="json"), 400)["errors"] == {"reason": ["请说明挂起理由（等待群众补充材料、第三方鉴定等）。"]}
        suspension = ok(api_handler.post(f"{url}/suspend/", {"reason": "等待群众补充购房合同"}, format="json"), 201)
        assert suspension["status"] == "pending"
        assert api_handler.post(f"{API}/complaint-suspensions/{suspension['id']}/decide/", {"approve": True}, format="json").status_code == 403
        active = ok(api_dispatcher.post(f"{API}/complaint-suspensions/{suspension['id']}/decide/", {"approve": True}, format="json"))
        assert active["status"] == "active" and active["started_at"]
        assert ok(api_handler.get(f"{url}/"))["is_suspended"] is True
        # a suspended case cannot be answered
        assert error(api_handler.post(f"{url}/reply/", {"body": "答复"}, format="json"), 400)["detail"] == "工单已挂起，请先恢复办理再答复。"
    with at(2026, 3, 6, 9):
        resumed = ok(api_handler.post(f"{url}/resume/", {"note": "材料已补齐"}, format="json"))
    assert resumed["is_suspended"] is False and resumed["suspended_seconds"] == 3 * 24 * 3600
    assert resumed["deadline"] > deadline.isoformat()[:10]
    assert Suspension.objects.get(pk=suspension["id"]).status == Suspension.Status.ENDED
    assert error(api_handler.post(f"{url}/resume/", {}, format="json"), 400)["detail"] == "工单没有挂起。"


def test_bad_review_rectified_appealed_and_upheld(dispatcher, supervisor, realestate_dept, re_handler, re_leader):
    api_dispatcher, api_handler, api_supervisor = as_user(dispatcher), as_user(re_handler), as_user(supervisor)
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        url = f"{API}/complaints/{complaint.pk}"
        # a bad review without a reason is refused, with one needs rectification
        assert list(error(api_dispatcher.post(f"{url}/callback/", {"rating": "dissatisfied"}, format="json"), 400)["errors"]) == ["comment"]
        bad = ok(api_dispatcher.post(f"{url}/callback/", {"rating": "very_dissatisfied", "comment": "工作人员态度恶劣"}, format="json"))
        assert bad["status"] == "rectifying" and bad["rating"] == "very_dissatisfied"
        [rating] = bad["ratings"]
        assert rating["is_bad"] is True
        # the department rectifies and appeals the review
        ok(api_handler.post(f"{url}/rectify/", {"report": "已调取录像核实，工作人员态度并无不当，已向群众说明。"}, format="json"))
        assert api_dispatcher.post(f"{API}/complaint-ratings/{rating['id']}/appeal/", {"reason": "x"}, format="json").status_code == 403
        assert list(error(as_user(re_leader).post(f"{API}/complaint-ratings/{rating['id']}/appeal/", {"reason": ""}, format="json"), 400)["errors"]) == ["reason"]
        appeal = ok(as_user(re_leader).post(f"{API}/complaint-ratings/{rating['id']}/appeal/", {"reason": "录像显示工作人员态度正常"}, format="json"), 201)
        assert appeal["status"] == "pending" and appeal["rating"] == rating["id"]
        again = error(api_handler.post(f"{API}/complaint-ratings/{rating['id']}/appeal/", {"reason": "再次申诉"}, format="json"), 400)
        assert again["detail"] == "该差评已申诉过。"
    with at(2026, 3, 4, 9):
        # the supervisor sees the pending appeal and decides; the dispatcher may not
        assert [a["id"] for a in ok(api_supervisor.get(f"{API}/complaint-appeals/?status=pending"))["results"]] == [appeal["id"]]
        decision = {"facts_true": False, "reasonable": False, "malicious": False, "note": "经调取录像，差评与事实不符"}
        assert api_dispatcher.post(f"{API}/complaint-appeals/{appeal['id']}/decide/", decision, format="json").status_code == 403
        assert list(error(api_supervisor.post(f"{API}/complaint-appeals/{appeal['id']}/decide/", {**decision, "note": ""}, format="json"), 400)["errors"]) == ["note"]
        upheld = ok(api_supervisor.post(f"{API}/complaint-appeals/{appeal['id']}/decide/", decision, format="json"))
    # then the review no longer counts
    assert upheld["status"] == "upheld"
    assert ComplaintRating.objects.get(pk=rating["id"]).excluded is True
    detail = ok(api_dispatcher.get(f"{url}/"))
    assert detail["rating"] == "" and detail["ratings"][0]["excluded"] is True and detail["ratings"][0]["appeals"] == [appeal["id"]]
    assert ok(api_dispatcher.get(f"{API}/complaints/?bad=true"))["count"] == 0


def test_reply_signed_off_by_the_leader(dispatcher, realestate_dept, re_handler, re_leader):
    DepartmentSetting.objects.create(department=realestate_dept, requires_sign_off=True)
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        url = f"{API}/complaints/{complaint.pk}"
        ok(as_user(re_handler).post(f"{url}/reply/", {"body": "初稿"}, format="json"))
        sign_off_url = task_action(as_user(re_leader), "sign_off")
        assert sign_off_url == f"{url}/sign-off/"
        assert as_user(re_handler).post(sign_off_url, {"approve": True}, format="json").status_code == 403
        assert list(error(as_user(re_leader).post(sign_off_url, {"approve": False}, format="json"), 400)["errors"]) == ["note"]
        returned = ok(as_user(re_leader).post(sign_off_url, {"approve": False, "note": "请写明整改措施"}, format="json"))
        assert returned["status"] == "handling" and returned["replies"][0]["status"] == "returned"
        ok(as_user(re_handler).post(f"{url}/reply/", {"body": "修改稿：实行一次性告知"}, format="json"))
        signed = ok(as_user(re_leader).post(sign_off_url, {"approve": True}, format="json"))
        assert signed["status"] == "reviewing"
        # a leader's instruction is recorded too
        note = ok(as_user(re_leader).post(f"{url}/instruct/", {"text": "务必当面向群众说明"}, format="json"), 201)
        assert note["kind"] == "instruction" and note["author"]["id"] == re_leader.pk
        # and nothing is left to sign off
        assert error(as_user(re_leader).post(sign_off_url, {"approve": True}, format="json"), 400)["detail"] == "该工单没有待签发的答复。"


def test_co_handling_department_sends_its_opinion(dispatcher, realestate_dept, re_handler, approval_dept, handler):
    with at(2026, 3, 2, 9):
        complaint = f.submit()[0]
        dispatched = ok(as_user(dispatcher).post(f"{API}/complaints/{complaint.pk}/triage/", {
            "outcome": "dispatch", "department": realestate_dept.pk, "co_departments": [approval_dept.pk],
        }, format="json"))
        co = next(d for d in dispatched["dispatches"] if d["role"] == "co")
        ok(as_user(handler).post(f"{API}/complaint-dispatches/{co['id']}/sign/"))
        assert task_action(as_user(handler), "co_opinion") == f"{API}/complaint-dispatches/{co['id']}/opinion/"
        done = ok(as_user(handler).post(f"{API}/complaint-dispatches/{co['id']}/opinion/", {"opinion": "同意主办单位意见"}, format="json"))
    assert done["status"] == "done" and done["opinion"] == "同意主办单位意见"


def test_triage_not_accepted_merged_and_split(dispatcher):
    api = as_user(dispatcher)
    with at(2026, 3, 2, 9):
        first, second, third, fourth = (f.submit(phone=f"1380000{i:04d}")[0] for i in range(4))
        missing = error(api.post(f"{API}/complaints/{first.pk}/triage/", {"outcome": "not_accept"}, format="json"), 400)
        assert list(missing["errors"]) == ["reason"]
        not_accepted = ok(api.post(f"{API}/complaints/{first.pk}/triage/", {"outcome": "not_accept", "reason": "petition"}, format="json"))
        assert not_accepted["status"] == "not_accepted" and not_accepted["not_accepted_reason"]["code"] == "petition"
        merged = ok(api.post(f"{API}/complaints/{second.pk}/triage/", {"outcome": "merge", "target": third.pk}, format="json"))
        assert merged["status"] == "merged" and merged["merged_into"]["id"] == third.pk
        one_part = error(api.post(f"{API}/complaints/{fourth.pk}/triage/", {"outcome": "split", "parts": [{"title": "一", "description": "一"}]}, format="json"), 400)
        assert list(one_part["errors"]) == ["parts"]
        split = ok(api.post(f"{API}/complaints/{fourth.pk}/triage/", {"outcome": "split", "parts": [
            {"title": "窗口不一次性告知", "description": "材料说明不清"}, {"title": "自助机故障", "description": "叫号机坏了", "category": f.category("self_service").pk},
        ]}, format="json"))
    assert split["status"] == "split" and len(split["parts"]) == 2
    assert Complaint.objects.filter(split_from=fourth).count() == 2
    # the outcome of a case already triaged is a 400
    assert api.post(f"{API}/complaints/{first.pk}/triage/", {"outcome": "not_accept", "reason": "petition"}, format="json").status_code == 400


def test_on_the_spot_resolution_at_the_window(operator):
    with at(2026, 3, 2, 9):
        body = intake_body(channel="window", resolve_on_spot={"reply": "当场补办，一次性告知所需材料", "rating": "satisfied"})
        closed = ok(as_user(operator).post(f"{API}/complaints/", body, format="json"), 201)
    assert closed["status"] == "closed" and closed["resolved_on_spot"] is True and closed["ratings"][0]["source"] == "on_spot"


# --- refusals -----------------------------------------------------------------------------------------------
def refused(client, url, body=None, method="post"):
    response = getattr(client, method)(url, body or {}, format="json")
    assert response.status_code == 403, (url, response.status_code, response.content.decode())
    assert response.json()["code"] == "permission_denied" and response.json()["detail"]


def test_every_action_refuses_the_wrong_role(operator, dispatcher, supervisor, realestate_dept, re_handler, re_leader):
    api_operator, api_handler, api_leader = as_user(operator), as_user(re_handler), as_user(re_leader)
    api_dispatcher, api_supervisor = as_user(dispatcher), as_user(supervisor)
    with at(2026, 3, 2, 9):
        refused(api_handler, f"{API}/complaints/", intake_body())
        refused(api_supervisor, f"{API}/complaints/", intake_body())
        complaint = f.submit()[0]
        url = f"{API}/complaints/{complaint.pk}"
        refused(api_operator, f"{url}/triage/", {"outcome": "dispatch", "department": realestate_dept.pk})
        refused(api_supervisor, f"{url}/triage/", {"outcome": "dispatch", "department": realestate_dept.pk})
        refused(api_operator, f"{url}/suggestions/", method="get")
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
        dispatch = complaint.dispatches.get()
        refused(api_leader, f"{API}/complaint-dispatches/{dispatch.pk}/sign/")
        refused(api_dispatcher, f"{API}/complaint-dispatches/{dispatch.pk}/sign/")
        refused(api_leader, f"{API}/complaint-dispatches/{dispatch.pk}/return/", {"reason": "不归我们"})
        services.dispatch_sign(actor=re_handler, dispatch=dispatch)
        refused(api_leader, f"{url}/reply/", {"body": "答复"})
        refused(api_dispatcher, f"{url}/reply/", {"body": "答复"})
        refused(api_handler, f"{url}/instruct/", {"text": "批示"})
        refused(api_leader, f"{url}/extension/", {"requested_until": "2026-03-30", "reason": "理由"})
        refused(api_leader, f"{url}/suspend/", {"reason": "理由"})
        refused(api_operator, f"{url}/note/", {"text": "记录"})
        services.complaint_reply(actor=re_handler, complaint=complaint, body="答复")
        refused(api_handler, f"{url}/review/", {"approve": True})
        refused(api_operator, f"{url}/review/", {"approve": True})
        services.complaint_review_reply(actor=dispatcher, complaint=complaint, approve=True)
        refused(api_handler, f"{url}/callback/", {"rating": "satisfied"})
        refused(api_supervisor, f"{url}/callback/", {"rating": "satisfied"})
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REPLIED and complaint.ratings.count() == 0 and complaint.notes.count() == 0
    assert Complaint.objects.count() == 1 and ComplaintExtension.objects.count() == 0 and Suspension.objects.count() == 0


def test_another_departments_handler_cannot_see_or_act(dispatcher, realestate_dept, re_handler, approval_dept, handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        dispatch = complaint.dispatches.get()
        ext = services.complaint_extension_request(actor=re_handler, complaint=complaint, requested_until=__import__("datetime").date(2026, 3, 30), reason="理由")
    other = as_user(handler)  # the approval bureau's handler
    for path in (
        f"/complaints/{complaint.pk}/", f"/complaint-dispatches/{dispatch.pk}/", f"/complaint-extensions/{ext.pk}/",
    ):
        response = other.get(API + path)
        assert response.status_code == 403, path
        assert response.json()["detail"] == "您无权查看此工单。"
    refused(other, f"{API}/complaint-dispatches/{dispatch.pk}/sign/")
    refused(other, f"{API}/complaints/{complaint.pk}/reply/", {"body": "答复"})
    refused(other, f"{API}/complaints/{complaint.pk}/reveal-contact/")
    # and the lists say nothing about it
    for path in ("/complaints/", "/complaint-dispatches/", "/complaint-extensions/", "/complaint-tasks/", "/complaint-appeals/"):
        assert ok(other.get(API + path))["count"] == 0, path
    # a complaint that does not exist, or an odd id, is a 404
    for path in ("/complaints/999999/", "/complaints/abc/", f"/complaints/{10 ** 30}/", "/complaint-dispatches/0/", "/complaint-ratings/999/"):
        assert other.get(API + path).status_code == 404, path
    # without credentials: 401
    assert APIClient().get(f"{API}/complaints/").status_code == 401


# --- personal data ------------------------------------------------------------------------------------------
def test_the_citizens_phone_is_masked_in_every_answer_to_a_department(dispatcher, supervisor, realestate_dept, re_handler, re_leader):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
    dispatch = complaint.dispatches.get()
    paths = [
        "/complaints/", f"/complaints/{complaint.pk}/", "/complaint-tasks/", "/complaint-dispatches/",
        f"/complaint-dispatches/{dispatch.pk}/", f"/complaints/?q={complaint.number}",
    ]
    for user in (re_handler, re_leader, supervisor):
        client = token_client(user)
        for path in paths:
            response = client.get(API + path)
            assert response.status_code == 200, (user, path)
            body = response.content.decode()
            assert PHONE not in body and "示例群众" not in body, (user.username, path)
        detail = ok(client.get(f"{API}/complaints/{complaint.pk}/"))
        assert detail["contact"]["citizen_phone"] == "138****1234" and detail["contact"]["masked"] is True
        assert detail["citizen_name"] == "示***" and detail["history"] == []
    # signing it changes nothing
    with at(2026, 3, 2, 10):
        body = as_user(re_handler).post(f"{API}/complaint-dispatches/{dispatch.pk}/sign/").content.decode()
        assert PHONE not in body
        # the department reveals the full details when it must: audited
        revealed = ok(as_user(re_handler).post(f"{API}/complaints/{complaint.pk}/reveal-contact/", {"reason": "需电话联系核实"}, format="json"))
    assert revealed["citizen_phone"] == PHONE
    event = CaseEvent.objects.get(type="contact_revealed")
    assert event.actor == re_handler and event.payload == {"reason": "需电话联系核实"}
    # the hotline sees the citizen's name, and the number masked too: it reveals it to call back
    api_dispatcher = as_user(dispatcher)
    row = ok(api_dispatcher.get(f"{API}/complaints/"))["results"][0]
    assert row["citizen_phone"] == "138****1234" and row["citizen_name"] == "示例群众"
    assert ok(api_dispatcher.get(f"{API}/complaints/{complaint.pk}/"))["contact"] == {
        "citizen_name": "示例群众", "citizen_phone": "138****1234", "citizen_id_number": "", "citizen_email": "", "citizen_address": "", "masked": True,
    }
    assert PHONE not in api_dispatcher.get(f"{API}/complaints/").content.decode()
    revealed = ok(api_dispatcher.post(f"{API}/complaints/{complaint.pk}/reveal-contact/", {"reason": "回访"}, format="json"))
    assert revealed["citizen_phone"] == PHONE
    assert CaseEvent.objects.filter(type="contact_revealed", actor=dispatcher).exists()


# --- bad input --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": ""}, "title"),
    ({"description": "   "}, "description"),
    ({"title": "题" * 121}, "title"),
    ({"citizen_phone": "abc"}, "citizen_phone"),
    ({"citizen_id_number": "123"}, "citizen_id_number"),
    ({"category": 999999}, "category"),
    ({"category": "x"}, "category"),
    ({"kind": "nonsense"}, "kind"),
    ({"channel": "web"}, "channel"),
    ({"answers": {}}, "answer_window_number"),
    ({"hall": "", "window": "", "address": ""}, "address"),
    ({"latitude": "abc", "longitude": 1}, "latitude"),
    ({"resolve_on_spot": {"reply": "处理", "rating": "perfect"}}, "resolve_on_spot.rating"),
    ({"resolve_on_spot": {"reply": " ", "rating": "satisfied"}}, "reply"),
])
def test_bad_intake_is_refused_with_field_errors_and_nothing_saved(operator, overrides, field):
    with at(2026, 3, 2, 9):
        response = as_user(operator).post(f"{API}/complaints/", intake_body(**overrides), format="json")
    body = error(response, 400)
    assert field in body["errors"], body
    assert Complaint.objects.count() == 0 and CaseEvent.objects.count() == 0 and sms.outbox == []


@pytest.mark.parametrize("body", [
    {"outcome": "whatever"}, {"outcome": "dispatch", "department": "abc"}, {"outcome": "dispatch", "department": 10 ** 30},
    {"outcome": "dispatch"}, {"outcome": "dispatch", "co_departments": "x"}, {"outcome": "merge", "target": 999999},
    {"outcome": "not_accept", "reason": "a\u0000b"}, {"outcome": "split", "parts": "x"},
])
def test_bad_triage_is_400_and_changes_nothing(dispatcher, body):
    with at(2026, 3, 2, 9):
        complaint = f.submit()[0]
        error(as_user(dispatcher).post(f"{API}/complaints/{complaint.pk}/triage/", body, format="json"), 400)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NEW and not Dispatch.objects.exists()


def test_bad_callback_and_list_queries(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        api = as_user(dispatcher)
        url = f"{API}/complaints/{complaint.pk}/callback/"
        assert list(error(api.post(url, {"rating": "perfect"}, format="json"), 400)["errors"]) == ["rating"]
        assert list(error(api.post(url, {"rating": "satisfied", "indicators": {"speed": "satisfied"}}, format="json"), 400)["errors"]) == ["indicators"]
        assert error(api.post(url, {"unreachable": True, "not_resolved": True}, format="json"), 400)["errors"]["non_field_errors"]
        assert list(error(api.post(url, {}, format="json"), 400)["errors"]) == ["rating"]
        assert list(error(api.post(url, {"not_resolved": True}, format="json"), 400)["errors"]) == ["comment"]
    assert Complaint.objects.get(pk=complaint.pk).status == Complaint.Status.REPLIED and not ComplaintRating.objects.exists()
    for query in ("status=nonsense", "overdue=perhaps", "department=abc", "received_from=yesterday", "q=a%00b"):
        assert api.get(f"{API}/complaints/?{query}").status_code == 400, query
    for query in ("q=²", "rating=satisfied", "overdue=false", f"department={realestate_dept.pk}&status=replied"):
        assert api.get(f"{API}/complaints/?{query}").status_code == 200, query


def test_unreachable_citizen_closes_unrated(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        closed = ok(as_user(dispatcher).post(f"{API}/complaints/{complaint.pk}/callback/", {"unreachable": True, "comment": "三次未接"}, format="json"))
    assert closed["status"] == "closed" and closed["ratings"] == []


# --- lists ------------------------------------------------------------------------------------------------------
def test_list_costs_the_same_number_of_queries_for_1_and_10(dispatcher, supervisor, realestate_dept, re_handler):
    def count(user, query=""):
        client = token_client(user)
        with CaptureQueriesContext(connection) as ctx:
            data = ok(client.get(f"{API}/complaints/" + query))
        return len(ctx.captured_queries), data["count"]

    def make(n):
        with at(2026, 3, 2, 9):
            for i in range(n):
                f.dispatched(dispatcher, realestate_dept, title=f"窗口问题{i}")

    make(1)
    one = {u.username: count(u) for u in (dispatcher, supervisor, re_handler)}
    filtered_one = count(dispatcher, f"?department={realestate_dept.pk}&overdue=true&q=窗口&kind=complaint")
    tasks_one = _count_tasks(re_handler)
    make(9)
    ten = {u.username: count(u) for u in (dispatcher, supervisor, re_handler)}
    filtered_ten = count(dispatcher, f"?department={realestate_dept.pk}&overdue=true&q=窗口&kind=complaint")
    assert {k: v[0] for k, v in one.items()} == {k: v[0] for k, v in ten.items()}
    assert {k: v[1] for k, v in ten.items()} == {"dispatcher": 10, "supervisor": 10, "re_handler": 10}
    assert filtered_one[0] == filtered_ten[0] and filtered_ten[1] == 10  # overdue now (the clock is past 3 March)
    assert tasks_one[0] == _count_tasks(re_handler)[0]


def _count_tasks(user):
    client = token_client(user)
    with CaptureQueriesContext(connection) as ctx:
        data = ok(client.get(f"{API}/complaint-tasks/"))
    return len(ctx.captured_queries), data["count"]


def test_list_filters_and_rows(dispatcher, realestate_dept, re_handler, approval_dept):
    with at(2026, 3, 2, 9):
        f.dispatched(dispatcher, realestate_dept, title="不动产窗口")
        f.dispatched(dispatcher, approval_dept, title="审批窗口")
        new = f.submit(title="尚未派单", kind="consultation")[0]
        api = as_user(dispatcher)
        assert ok(api.get(f"{API}/complaints/?department={approval_dept.pk}"))["count"] == 1
        assert ok(api.get(f"{API}/complaints/?status=new"))["results"][0]["number"] == new.number
        assert ok(api.get(f"{API}/complaints/?kind=consultation"))["count"] == 1
        assert ok(api.get(f"{API}/complaints/?q={new.number.lower()}"))["count"] == 1
        assert ok(api.get(f"{API}/complaints/?q=窗口"))["count"] == 2
        assert ok(api.get(f"{API}/complaints/?overdue=true"))["count"] == 0
        assert ok(api.get(f"{API}/complaints/?received_from=2026-03-03"))["count"] == 0
        row = ok(api.get(f"{API}/complaints/?department={realestate_dept.pk}"))["results"][0]
        assert row["overdue"] is False and row["department"]["name"] and row["status_display"] == "已派单待签收"
        assert ok(as_user(re_handler).get(f"{API}/complaints/"))["count"] == 1


def test_options_categories_and_suggestions(dispatcher, realestate_dept, re_handler, hotline_dept):
    from complaints.models import RoutingRule

    api = as_user(dispatcher)
    options = ok(api.get(f"{API}/complaint-options/"))
    assert [c["label"] for c in options["haocha_rating"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [c["is_negative"] for c in options["haocha_rating"]] == [False, False, False, True, True]
    assert {c["code"] for c in options["staff_channels"]} == {"hotline", "window", "review"}
    assert "petition" in {r["code"] for r in options["not_accepted_reasons"]}
    assert [d["id"] for d in options["departments"]] == [realestate_dept.pk]  # the departments with a handler
    categories = ok(api.get(f"{API}/complaint-categories/"))
    window = next(c for c in categories if c["code"] == "window_service")
    assert window["questions"][0]["code"] == "window_number" and window["questions"][0]["required"] is True
    # routing rules and possible duplicates for the dispatcher
    RoutingRule.objects.create(name="不动产", keywords="过户 不动产", department=realestate_dept)
    with at(2026, 3, 2, 9):
        earlier = f.submit()[0]
        complaint = f.submit()[0]
        suggestions = ok(api.get(f"{API}/complaints/{complaint.pk}/suggestions/"))
        assert suggestions["department"]["id"] == realestate_dept.pk and suggestions["rule"] == "不动产"
        assert [(d["id"], d["reason"]) for d in suggestions["duplicates"]] == [(earlier.pk, "same_phone")]
        # dispatching to the suggested department records the rule
        ok(api.post(f"{API}/complaints/{complaint.pk}/triage/", {"outcome": "dispatch", "department": realestate_dept.pk}, format="json"))
    assert Dispatch.objects.get(complaint=complaint).suggested_rule == "不动产"


def test_notes_and_contacts_recorded(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        url = f"{API}/complaints/{complaint.pk}/note/"
        api = as_user(re_handler)
        missing = error(api.post(url, {"kind": "contact", "text": "已电话联系"}, format="json"), 400)
        assert set(missing["errors"]) == {"mode", "contacted_at"}
        note = ok(api.post(url, {"kind": "contact", "text": "已电话联系", "mode": "phone", "contacted_at": "2026-03-02T09:00:00+08:00"}, format="json"), 201)
        assert note["kind"] == "contact" and note["department"]["id"] == realestate_dept.pk
        ok(as_user(dispatcher).post(url, {"text": "群众再次来电催办"}, format="json"), 201)
    assert [n["kind"] for n in ok(api.get(f"{API}/complaints/{complaint.pk}/"))["notes"]] == ["contact", "note"]


def test_schema_lists_the_complaint_endpoints(client):
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in (
        "/api/v1/complaints/", "/api/v1/complaints/{id}/", "/api/v1/complaints/{id}/triage/", "/api/v1/complaints/{id}/reply/",
        "/api/v1/complaints/{id}/sign-off/", "/api/v1/complaints/{id}/review/", "/api/v1/complaints/{id}/callback/",
        "/api/v1/complaints/{id}/rectify/", "/api/v1/complaints/{id}/note/", "/api/v1/complaints/{id}/instruct/",
        "/api/v1/complaints/{id}/reveal-contact/", "/api/v1/complaints/{id}/extension/", "/api/v1/complaints/{id}/suspend/",
        "/api/v1/complaints/{id}/resume/", "/api/v1/complaints/{id}/suggestions/", "/api/v1/complaint-dispatches/{id}/sign/",
        "/api/v1/complaint-dispatches/{id}/return/", "/api/v1/complaint-dispatches/{id}/return-decision/",
        "/api/v1/complaint-dispatches/{id}/opinion/", "/api/v1/complaint-extensions/{id}/decide/",
        "/api/v1/complaint-suspensions/{id}/decide/", "/api/v1/complaint-ratings/{id}/appeal/", "/api/v1/complaint-appeals/",
        "/api/v1/complaint-appeals/{id}/decide/", "/api/v1/complaint-tasks/", "/api/v1/complaint-categories/",
        "/api/v1/complaint-options/", "/api/v1/public/complaints/", "/api/v1/public/complaints/track/",
        "/api/v1/public/complaints/rate/{token}/",
    ):
        assert path in paths, path
    for path in ("/api/v1/public/complaints/", "/api/v1/public/complaints/track/", "/api/v1/public/complaints/rate/{token}/"):
        for method, operation in paths[path].items():
            assert all(not s for s in operation["security"]), (method, path)
    assert "429" in paths["/api/v1/public/complaints/track/"]["post"]["responses"]
    assert Appeal.objects.count() == Attachment.objects.count() == 0


LONE_SURROGATE = "\\ud800"  # as written in a JSON body: valid JSON, not encodable as UTF-8


@pytest.mark.parametrize("url, raw", [
    ("/complaints/{pk}/triage/", '{"outcome": "%s"}' % LONE_SURROGATE),
    ("/complaints/{pk}/triage/", '{"outcome": "not_accept", "reason": "x%s"}' % LONE_SURROGATE),
    ("/complaints/{pk}/triage/", '{"outcome": "split", "parts": [{"title": "%s", "description": "a"}, {"title": "b", "description": "b"}]}' % LONE_SURROGATE),
    ("/complaints/{pk}/callback/", '{"rating": "%s"}' % LONE_SURROGATE),
    ("/complaints/{pk}/callback/", '{"rating": "satisfied", "indicators": {"%s": "satisfied"}}' % LONE_SURROGATE),
    ("/complaints/{pk}/note/", '{"kind": "%s", "text": "a"}' % LONE_SURROGATE),
    ("/complaints/", '{"channel": "%s"}' % LONE_SURROGATE),
    ("/complaints/", '{"channel": "hotline", "answers": {"%s": 1}}' % LONE_SURROGATE),
    ("/public/complaints/", '{"kind": "%s"}' % LONE_SURROGATE),
    ("/public/complaints/track/", '{"number": "TS%s", "code": "A"}' % LONE_SURROGATE),
    ("/public/complaints/track/", '{"number": 1e400, "code": "A"}'),
    ("/public/complaints/rate/x/", '{"rating": "%s"}' % LONE_SURROGATE),
])
def test_odd_bodies_are_400_or_404_not_500(dispatcher, url, raw):
    with at(2026, 3, 2, 9):
        complaint = f.submit()[0]
        response = as_user(dispatcher).post(API + url.format(pk=complaint.pk), raw, content_type="application/json")
    assert response.status_code in (400, 404), response.content
    response.content.decode("utf-8")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.NEW


def test_a_handling_record_with_attachments_through_the_api(dispatcher, realestate_dept, re_handler):
    from tests.complaints.test_branches import _png

    with at(2026, 3, 2, 9):
        complaint = f.handling(dispatcher, re_handler, realestate_dept)
        response = as_user(re_handler).post(f"{API}/complaints/{complaint.pk}/note/", {"kind": "finding", "text": "现场照片", "attachments": [_png()]}, format="multipart")
    assert response.status_code == 201, response.content
    assert complaint.attachments.get().note_id == response.json()["id"]
