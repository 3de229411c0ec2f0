"""The complaint ledger (台账): rows, on-time flags, scoping, Excel export."""
import io

import pytest
from openpyxl import load_workbook

from complaints import ledger, services
from tests.complaints import factories as f
from tests.factories import at

pytestmark = pytest.mark.django_db


def test_ledger_rows_have_every_timestamp_and_on_time_flags(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        closed = f.replied(dispatcher, re_handler, realestate_dept)
        services.complaint_callback(actor=dispatcher, complaint=closed, rating="satisfied")
        waiting, _code = f.submit(title="自助电脑无法使用")
    with at(2026, 3, 5, 9):  # the waiting one is past its 1 WD dispatch limit
        rows = {r.complaint.number: r for r in ledger.ledger_rows(ledger.ledger_queryset(user=dispatcher), user=dispatcher)}
    done = rows[closed.number]
    assert done.dispatch_on_time and done.sign_on_time and done.reply_on_time and done.callback_on_time
    assert done.rating_label == "满意" and done.rectify_on_time is None
    assert rows[waiting.number].dispatch_on_time is False


def test_ledger_is_scoped_to_the_department(dispatcher, realestate_dept, re_handler, approval_dept, handler):
    with at(2026, 3, 2, 9):
        mine = f.dispatched(dispatcher, realestate_dept)
        f.dispatched(dispatcher, approval_dept)
        numbers = [c.number for c in ledger.ledger_queryset(user=re_handler)]
    assert numbers == [mine.number]


def test_ledger_export_is_a_workbook_with_a_fixed_number_of_queries(dispatcher, realestate_dept, re_handler, django_assert_max_num_queries):
    with at(2026, 3, 2, 9):
        for i in range(3):
            f.handling(dispatcher, re_handler, realestate_dept, phone=f"1380000{i:04d}")
        with django_assert_max_num_queries(8):
            data, count, truncated = ledger.ledger_xlsx(user=dispatcher)
    assert count == 3 and not truncated
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and "按时签收" in rows[0] and len(rows) == 4
    assert all("1380000" not in str(v) for row in rows for v in row)  # no personal data in the ledger


def test_ledger_page_and_export_through_the_urls(client, dispatcher, realestate_dept, re_handler, approval_dept, handler, django_assert_max_num_queries):
    with at(2026, 3, 2, 9):
        mine = f.handling(dispatcher, re_handler, realestate_dept)
        other = f.dispatched(dispatcher, approval_dept, phone="13900000001")
        client.force_login(re_handler)
        response = client.get("/complaints/ledger/")
        body = response.content.decode()
        assert response.status_code == 200 and mine.number in body and other.number not in body
        assert "13800001234" not in body
        response = client.post("/complaints/ledger.xlsx?status=handling")
        assert response.status_code == 200 and response["X-Ledger-Rows"] == "1"
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert [r[0] for r in sheet.iter_rows(values_only=True)][1:] == [mine.number]
        client.force_login(dispatcher)
        with django_assert_max_num_queries(14):
            assert client.get("/complaints/ledger/?overdue=on").status_code == 200


def test_ledger_refused_to_people_without_a_complaint_role(client, member):
    client.force_login(member)
    assert client.get("/complaints/ledger/").status_code == 403
    assert client.post("/complaints/ledger.xlsx").status_code == 403


def test_exports_answer_post_only_and_a_get_goes_back_to_the_list(client, dispatcher, supervisor):
    """An export is an audited act (and may start a background job): a GET (a link, a
    prefetch, an old bookmark) exports nothing and writes no audit row; it goes back to
    the list with the same filters and says how to export."""
    from workflow.models import SecurityEvent

    client.force_login(dispatcher)
    before = SecurityEvent.objects.count()
    response = client.get("/complaints/ledger.xlsx?status=handling")
    assert response.status_code == 302 and response["Location"] == "/complaints/ledger/?status=handling"
    assert SecurityEvent.objects.count() == before
    page = client.get(response["Location"])
    assert "导出Excel" in page.content.decode() and 'method="post" action="/complaints/ledger.xlsx?status=handling"' in page.content.decode()
    assert client.put("/complaints/ledger.xlsx").status_code == 405
    client.force_login(supervisor)
    before = SecurityEvent.objects.count()
    response = client.get("/supervision/dashboard.xlsx?period=year")
    assert response.status_code == 302 and response["Location"] == "/supervision/dashboard/?period=year"
    assert SecurityEvent.objects.count() == before
