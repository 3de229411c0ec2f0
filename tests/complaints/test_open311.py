"""Open311 GeoReport v2 conformance: every endpoint in JSON and XML, the error
cases, a complaint filed by a client and followed to its closing, and no
personal data in any answer."""
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from complaints import open311, services
from complaints.models import Category, Complaint, ComplaintTask, NotAcceptedReason, Open311Key
from tests.complaints import factories as f
from tests.factories import at

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
NUMBER = re.compile(r"^TS2026\d{6}$")
NAME, PHONE, EMAIL = "张三丰", "13912345678", "zhangsan@example.com"
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
    "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
    "lat", "long", "media_url",
]
UPDATE_FIELDS = ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"]


@pytest.fixture
def api_key(db):
    _row, key = open311.open311_key_issue(name="城市随手拍")
    return key


def post_data(api_key, **overrides):
    data = {
        "api_key": api_key, "jurisdiction_id": "chaotian.gov.cn", "service_code": "window_service",
        "lat": "32.647000", "long": "105.890000", "address_string": "区政务服务中心",
        "description": "不动产登记窗口不一次性告知材料\n前后跑了三次，每次只说一部分。",
        "attribute[window_number]": "3", "attribute[visit_count]": "3",
        "first_name": "三丰", "last_name": "张", "phone": PHONE, "email": EMAIL,
        "device_id": "device-1", "media_url": "https://img.example.com/1.jpg",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, fmt, data):
    return client.post(f"{BASE}/requests.{fmt}", data)


def get(client, path, fmt="json", **params):
    return client.get(f"{BASE}/{path}.{fmt}", params)


def parse(response):
    if response["Content-Type"].startswith("text/xml"):
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        return ET.fromstring(response.content)
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def assert_error(response, status, fmt, text=""):
    assert response.status_code == status
    body = parse(response)
    if fmt == "json":
        assert isinstance(body, list) and body and all(set(e) == {"code", "description"} for e in body)
        assert body[0]["code"] == status
        descriptions = [e["description"] for e in body]
    else:
        assert body.tag == "errors" and [e.tag for e in body] == ["error"] * len(body) and len(body)
        assert [c.tag for c in body[0]] == ["code", "description"]
        assert body[0].findtext("code") == str(status)
        descriptions = [e.findtext("description") for e in body]
    assert all(descriptions)
    assert text in " ".join(descriptions)


def no_personal_data(response):
    text = response.content.decode()
    for secret in (NAME, PHONE, EMAIL, "示例群众", "13800001234"):
        assert secret not in text, secret


def open_nodes(complaint):
    return sorted(t.flow_task.name for t in ComplaintTask.objects.filter(complaint=complaint, status__in=["NEW", "ASSIGNED"]))


# --- discovery and services -------------------------------------------------------------------
def test_discovery_json_and_xml(client):
    with at(2026, 3, 2, 9):
        body = parse(get(client, "discovery"))
        assert W3C.match(body["changeset"]) and body["contact"] and body["key_service"]
        (endpoint,) = body["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
        assert endpoint["formats"] == ["text/xml", "application/json"]

        root = parse(get(client, "discovery", "xml"))
        assert root.tag == "discovery" and W3C.match(root.findtext("changeset"))
        assert [e.tag for e in root.find("endpoints")] == ["endpoint"]
        assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_json_and_xml(client):
    Category.objects.filter(code="other").update(is_active=False)
    body = parse(get(client, "services"))
    codes = [s["service_code"] for s in body]
    assert "window_service" in codes and "approval" in codes and "other" not in codes
    window = next(s for s in body if s["service_code"] == "window_service")
    assert set(window) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert window["service_name"] == "窗口服务" and window["metadata"] is True and window["type"] == "realtime"
    assert next(s for s in body if s["service_code"] == "approval")["metadata"] is False

    root = parse(get(client, "services", "xml"))
    assert root.tag == "services" and {e.tag for e in root} == {"service"}
    service = next(s for s in root if s.findtext("service_code") == "window_service")
    assert [c.tag for c in service] == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    assert service.findtext("metadata") == "true" and service.findtext("type") == "realtime"
    assert next(s for s in root if s.findtext("service_code") == "approval").findtext("metadata") == "false"


def test_service_definition_json_and_xml(client):
    Category.objects.filter(code="approval").update(questions=[
        {"code": "matter", "label": "办理事项", "required": True, "type": "choice", "choices": ["不动产登记", "企业开办"]},
    ])
    body = parse(get(client, "services/window_service"))
    assert body["service_code"] == "window_service"
    first, second = body["attributes"]
    assert first == {
        "variable": True, "code": "window_number", "datatype": "string", "required": True,
        "datatype_description": first["datatype_description"], "order": 1, "description": "窗口号", "values": [],
    }
    assert second["code"] == "visit_count" and second["datatype"] == "number" and second["required"] is False and second["order"] == 2

    root = parse(get(client, "services/approval", "xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "approval"
    (attribute,) = root.find("attributes")
    assert attribute.tag == "attribute"
    assert [c.tag for c in attribute] == ["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"]
    assert attribute.findtext("variable") == "true" and attribute.findtext("required") == "true"
    assert attribute.findtext("datatype") == "singlevaluelist" and attribute.findtext("order") == "1"
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.find("values")] == [("不动产登记", "不动产登记"), ("企业开办", "企业开办")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_definition_is_404(client, fmt):
    assert_error(get(client, "services/no_such_thing", fmt), 404, fmt, "no_such_thing")


# --- filing ------------------------------------------------------------------------------------
def test_post_files_a_complaint_and_get_shows_it_open(client, api_key):
    with at(2026, 3, 2, 9):
        response = post(client, "json", post_data(api_key))
        assert response.status_code == 200
        (answer,) = parse(response)
        assert set(answer) == {"service_request_id", "token", "service_notice", "account_id"}
        assert NUMBER.match(answer["service_request_id"]) and answer["account_id"] is None and answer["service_notice"]
        no_personal_data(response)

        complaint = Complaint.objects.get(number=answer["service_request_id"])
        assert complaint.channel == "open311" and complaint.status == Complaint.Status.NEW
        assert complaint.title == "不动产登记窗口不一次性告知材料"
        assert complaint.citizen_name == NAME and complaint.citizen_phone == PHONE and complaint.citizen_email == EMAIL
        assert complaint.answers == {
            "window_number": "3", "visit_count": "3", "media_url": "https://img.example.com/1.jpg", "device_id": "device-1",
        }
        assert complaint.open311_token == answer["token"]
        assert open_nodes(complaint) == ["triage"]
        assert complaint.dispatch_due is not None
        assert ComplaintTask.objects.get(complaint=complaint, status="NEW").deadline == complaint.dispatch_due
        assert Open311Key.objects.get().last_used_at is not None

        for fmt in ("json", "xml"):
            response = get(client, f"requests/{complaint.number}", fmt)
            assert response.status_code == 200
            no_personal_data(response)
            if fmt == "json":
                (item,) = parse(response)
                assert list(item) == REQUEST_FIELDS
            else:
                root = parse(response)
                assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
                element = root[0]
                assert [c.tag for c in element] == REQUEST_FIELDS
                item = {c.tag: c.text for c in element}
                assert item["lat"] == "32.647" and item["long"] == "105.89"
            assert item["service_request_id"] == complaint.number and item["status"] == "open"
            assert item["service_code"] == "window_service" and item["service_name"] == "窗口服务"
            assert item["description"] == complaint.title and item["address"] == "区政务服务中心"
            assert item["agency_responsible"] is None and item["media_url"] == "https://img.example.com/1.jpg"
            for stamp in ("requested_datetime", "updated_datetime", "expected_datetime"):
                assert W3C.match(item[stamp]), stamp
            assert item["requested_datetime"] == "2026-03-02T09:00:00+08:00"
            assert item["expected_datetime"] > item["requested_datetime"]

        response = get(client, f"tokens/{answer['token']}")
        assert parse(response) == [{"service_request_id": complaint.number, "token": answer["token"]}]
        root = parse(get(client, f"tokens/{answer['token']}", "xml"))
        assert root.tag == "service_requests" and root.find("request/service_request_id").text == complaint.number


def test_post_xml_answer_and_address_only(client, api_key):
    with at(2026, 3, 2, 9):
        response = post(client, "xml", post_data(api_key, lat=None, long=None, service_code="approval", phone=None, email=None,
                                                 **{"attribute[window_number]": None, "attribute[visit_count]": None}))
        assert response.status_code == 200
        root = parse(response)
        assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
        assert [c.tag for c in root[0]] == ["service_request_id", "token", "service_notice", "account_id"]
        assert NUMBER.match(root[0].findtext("service_request_id")) and root[0].find("account_id").text is None
        complaint = Complaint.objects.get(number=root[0].findtext("service_request_id"))
        assert complaint.address == "区政务服务中心" and complaint.latitude is None


def test_post_is_csrf_exempt(api_key):
    with at(2026, 3, 2, 9):
        response = Client(enforce_csrf_checks=True).post(f"{BASE}/requests.json", post_data(api_key))
        assert response.status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_refusals(client, api_key, fmt):
    with at(2026, 3, 2, 9):
        assert_error(post(client, fmt, post_data(None)), 403, fmt, "api_key")
        assert_error(post(client, fmt, post_data("not-a-key")), 403, fmt, "api_key")
        assert_error(post(client, fmt, post_data(api_key, service_code=None)), 400, fmt, "service_code")
        assert_error(post(client, fmt, post_data(api_key, service_code="potholes")), 400, fmt, "potholes")
        assert_error(post(client, fmt, post_data(api_key, lat=None, long=None, address_string=None)), 400, fmt, "lat")
        assert_error(post(client, fmt, post_data(api_key, **{"attribute[window_number]": None})), 400, fmt, "attribute[window_number]")
        assert_error(post(client, fmt, post_data(api_key, lat="north")), 400, fmt, "lat")
        assert_error(post(client, fmt, post_data(api_key, description=None)), 400, fmt, "description")
        assert_error(post(client, fmt, post_data(api_key, media_url="javascript:alert(1)")), 400, fmt, "media_url")
        assert not Complaint.objects.exists()


def test_revoked_key_is_refused(client):
    out = io.StringIO()
    call_command("open311_key", "随手拍", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    row = Open311Key.objects.get()
    assert row.prefix == key[:8] and row.key_hash == open311.key_hash(key) and key not in row.key_hash
    with at(2026, 3, 2, 9):
        assert post(client, "json", post_data(key)).status_code == 200
        call_command("open311_key", "--revoke", row.prefix, stdout=io.StringIO())
        assert not Open311Key.objects.get().is_active
        assert_error(post(client, "json", post_data(key)), 403, "json", "api_key")
        assert_error(post(client, "xml", post_data(key)), 403, "xml", "api_key")
    with pytest.raises(CommandError):
        call_command("open311_key", "--revoke", "nothing1", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("open311_key", stdout=io.StringIO())


# --- reading -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_and_token_are_404(client, fmt):
    assert_error(get(client, "requests/TS2026999999", fmt), 404, fmt, "TS2026999999")
    assert_error(get(client, "tokens/nothing", fmt), 404, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("path", ["requests", "servicerequestupdates"])
def test_bad_dates_are_400(client, fmt, path):
    assert_error(get(client, path, fmt, start_date="yesterday"), 400, fmt, "start_date")
    assert_error(get(client, path, fmt, end_date="2026-13-45T00:00:00Z"), 400, fmt, "end_date")
    assert_error(get(client, path, fmt, start_date="2026-03-02T00:00:00Z", end_date="2026-03-01T00:00:00Z"), 400, fmt)


def test_requests_filters_window_and_order(client, dispatcher, calendar_years):
    calendar_years(2025)
    with at(2025, 11, 20, 9):
        old, _ = f.submit(category_code="approval")  # more than 90 days before "now"
    with at(2026, 3, 2, 9):
        first, _ = f.submit()
    with at(2026, 3, 2, 10):
        second, _ = f.submit(category_code="approval")
        services.complaint_not_accept(actor=dispatcher, complaint=second, reason=NotAcceptedReason.objects.get(code="petition"))
    with at(2026, 3, 3, 9):
        numbers = [r["service_request_id"] for r in parse(get(client, "requests"))]
        assert numbers == [second.number, first.number]  # newest first, 90 days by default
        numbers = [r["service_request_id"] for r in parse(get(client, "requests", start_date="2025-11-01T00:00:00+08:00"))]
        assert numbers == [second.number, first.number, old.number]
        # an offset whose "+" arrived as a space (not URL-encoded) is still read
        numbers = [r["service_request_id"] for r in parse(get(client, "requests", start_date="2026-03-02T09:30:00 08:00"))]
        assert numbers == [second.number]
        assert [r["service_request_id"] for r in parse(get(client, "requests", end_date="2026-03-02"))] == []
        assert [r["service_request_id"] for r in parse(get(client, "requests", status="open"))] == [first.number]
        closed = parse(get(client, "requests", status="closed"))
        assert [r["service_request_id"] for r in closed] == [second.number]
        assert closed[0]["status"] == "closed" and closed[0]["status_notes"].startswith("不予受理：属于信访事项")
        assert closed[0]["expected_datetime"] is None
        assert [r["service_request_id"] for r in parse(get(client, "requests", service_code="window_service"))] == [first.number]
        both = parse(get(client, "requests", service_request_id=f"{old.number},{first.number}", status="closed"))
        assert [r["service_request_id"] for r in both] == [first.number, old.number]  # overrides the other parameters
        assert_error(get(client, "requests", status="pending"), 400, "json", "status")
        root = parse(get(client, "requests", "xml", status="closed"))
        assert [r.findtext("status") for r in root] == ["closed"]


def test_list_is_capped(client, monkeypatch):
    monkeypatch.setattr(open311, "MAX_RESULTS", 2)
    with at(2026, 3, 2, 9):
        made = [f.submit()[0] for _ in range(3)]
        numbers = [r["service_request_id"] for r in parse(get(client, "requests"))]
        assert numbers == [made[2].number, made[1].number]
        assert len(parse(get(client, "servicerequestupdates"))) == 2
        assert parse(get(client, "discovery"))["max_requests"] == 2


def test_merged_and_split_are_closed_with_notes(client, dispatcher):
    with at(2026, 3, 2, 9):
        target, _ = f.submit()
        duplicate, _ = f.submit()
        services.complaint_merge(actor=dispatcher, complaint=duplicate, target=target)
        (item,) = parse(get(client, f"requests/{duplicate.number}"))
        assert item["status"] == "closed" and target.number in item["status_notes"]
        (item,) = parse(get(client, f"requests/{target.number}"))
        assert item["status"] == "open"


def test_followed_to_closing_with_updates(client, api_key, dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        (answer,) = parse(post(client, "json", post_data(api_key)))
        complaint = Complaint.objects.get(number=answer["service_request_id"])
    with at(2026, 3, 2, 10):
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
    with at(2026, 3, 3, 9):
        services.dispatch_sign(actor=re_handler, dispatch=complaint.dispatches.get())
        (item,) = parse(get(client, f"requests/{complaint.number}"))
        assert item["status"] == "open" and item["agency_responsible"] == realestate_dept.name
        assert item["expected_datetime"] == "2026-03-23T23:59:59+08:00"  # 15 working days from dispatch
    with at(2026, 3, 5, 9):
        body = f"{NAME}（{PHONE}）：您反映的问题已核实，已对窗口工作人员批评教育，实行一次性告知。"
        services.complaint_reply(actor=re_handler, complaint=complaint, body=body)
        services.complaint_review_reply(actor=dispatcher, complaint=Complaint.objects.get(pk=complaint.pk), approve=True)
    with at(2026, 3, 6, 9):
        services.complaint_rate_by_link(token=f.last_link_token(complaint), rating="satisfied")
    with at(2026, 3, 7, 9):
        for fmt in ("json", "xml"):
            response = get(client, f"requests/{complaint.number}", fmt)
            no_personal_data(response)
        (item,) = parse(get(client, f"requests/{complaint.number}"))
        assert item["status"] == "closed" and item["expected_datetime"] is None
        assert "已对窗口工作人员批评教育" in item["status_notes"] and "张**" in item["status_notes"]
        assert item["updated_datetime"] == "2026-03-06T09:00:00+08:00"

        response = get(client, "servicerequestupdates", start_date="2026-03-01T00:00:00+08:00")
        no_personal_data(response)
        updates = parse(response)
        assert all(list(u) == UPDATE_FIELDS for u in updates)
        assert all(u["service_request_id"] == complaint.number and W3C.match(u["updated_datetime"]) for u in updates)
        assert all(isinstance(u["update_id"], str) for u in updates)
        kinds = [u["description"].split("：")[0] for u in updates]
        assert kinds == ["受理", "派单", "承办单位签收", "答复", "评价", "办结"]
        assert [u["status"] for u in updates] == ["open"] * 5 + ["closed"]
        assert realestate_dept.short_name in updates[1]["description"]
        assert "已对窗口工作人员批评教育" in updates[3]["description"] and "满意" in updates[4]["description"]
        assert not any("撰写答复" in u["description"] or "审核" in u["description"] for u in updates)  # internal events stay inside

        window = parse(get(client, "servicerequestupdates", start_date="2026-03-05T00:00:00+08:00", end_date="2026-03-05T23:59:59+08:00"))
        assert [u["description"].split("：")[0] for u in window] == ["答复"] and window[0]["status"] == "open"
        assert parse(get(client, "servicerequestupdates", service_request_id="TS2026999999")) == []

        response = get(client, "servicerequestupdates", "xml", start_date="2026-03-01T00:00:00+08:00")
        no_personal_data(response)
        root = parse(response)
        assert root.tag == "service_request_updates" and {e.tag for e in root} == {"request_update"} and len(root) == 6
        assert [c.tag for c in root[0]] == UPDATE_FIELDS
        assert root[-1].findtext("status") == "closed" and W3C.match(root[-1].findtext("updated_datetime"))


def test_no_personal_data_anywhere(client, api_key, dispatcher):
    """Even a citizen who writes their own details into the text does not see them published."""
    with at(2026, 3, 2, 9):
        text = f"我是{NAME}，电话{PHONE}，邮箱{EMAIL}，身份证510802199001011234，窗口不一次性告知"
        response = post(client, "json", post_data(api_key, description=text))
        no_personal_data(response)
        (answer,) = parse(response)
        other, _ = f.submit(title="示例群众反映窗口问题 13800001234", phone="13800001234")
        for fmt in ("json", "xml"):
            for path in ("requests", f"requests/{answer['service_request_id']}", f"requests/{other.number}", "servicerequestupdates",
                         f"tokens/{answer['token']}", "services", "services/window_service", "discovery"):
                response = get(client, path, fmt)
                assert response.status_code == 200, path
                no_personal_data(response)
                assert "510802199001011234" not in response.content.decode()


def test_other_methods_are_refused(client):
    response = client.delete(f"{BASE}/services.json")
    assert_error(response, 405, "json")
    assert response["Allow"] == "GET, HEAD"
    assert client.head(f"{BASE}/services.json").status_code == 200
    assert get(client, "services", jurisdiction_id="anything").status_code == 200


def test_lists_cost_a_fixed_number_of_queries(client, dispatcher, realestate_dept, re_handler):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make_some():
        f.submit()
        f.dispatched(dispatcher, realestate_dept)
        f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_not_accept(actor=dispatcher, complaint=f.submit()[0], reason=NotAcceptedReason.objects.get(code="court"))

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert get(client, path).status_code == 200
        return len(queries)

    with at(2026, 3, 2, 9):
        make_some()
        few = count("requests"), count("servicerequestupdates")
        make_some()
        make_some()
        assert (count("requests"), count("servicerequestupdates")) == few
        assert len(parse(get(client, "requests"))) == 12


@pytest.mark.parametrize("query", [
    "end_date=0001-01-01", "start_date=0001-01-01T00:00:00%2B14:00", "end_date=9999-12-31T23:00-11:00",
])
def test_dates_at_the_edges_of_the_calendar_are_400_not_500(client, query):
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    assert client.get(f"/open311/v2/servicerequestupdates.json?{query}").status_code == 400


def test_control_characters_never_break_the_xml(client, dispatcher):
    import xml.etree.ElementTree as ET

    from tests.complaints import factories as cf

    with at(2026, 3, 2, 9):
        cf.submit(title="窗口\x0b无人", description="说明\x01内容")
        body = client.get("/open311/v2/requests.xml").content
    ET.fromstring(body)  # parses
