"""Far dates on the statistics pages are clear errors, never a 500 (the period arithmetic
would overflow): the dashboard, its export, the 通报 form and API."""
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [
    {"period": "month", "date": "9999-12-01"},
    {"period": "day", "date": "0001-01-01"},
    {"period": "custom", "start": "0001-01-01", "end": "9999-12-31"},
])
def test_far_dates(client, supervisor, query):
    client.force_login(supervisor)
    assert client.get("/supervision/dashboard/", query).status_code == 200
    assert client.post("/supervision/dashboard.xlsx?" + urlencode(query)).status_code == 200
    assert client.post("/supervision/reports/new/", query).status_code in (200, 400)
    response = client.post("/api/v1/reports/", query, content_type="application/json")
    assert response.status_code == 400
