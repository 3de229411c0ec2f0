"""Home page (inbox) response time and query count for a demo account."""
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from workflow.models import User


def run():
    client = Client()
    client.force_login(User.objects.get(username="handler1"))
    client.get("/")
    samples = []
    for _ in range(50):
        t0 = time.perf_counter()
        response = client.get("/")
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    return [
        {"name": "home_inbox_median", "value": round(statistics.median(samples), 2), "unit": "ms", "scale": "handler1, demo data, Django test client", "notes": "50 requests"},
        {"name": "home_inbox_queries", "value": len(ctx.captured_queries), "unit": "queries", "scale": "handler1, demo data", "notes": "fixed whatever the data size"},
    ]
