import subprocess
import sys

import pytest
from django.conf import settings
from django.test.utils import CaptureQueriesContext
from django.db import connection

from proposals.roles import Role

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "登录" in body and 'lang="zh-hans"' in body
    assert "/static/vendor/bootstrap/bootstrap.min.css" in body
    assert "cdn" not in body.lower()


def test_english_is_selectable(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    body = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in body
    assert "Sign in" in body


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_login_with_wrong_password_shows_a_clear_error(client, handler):
    response = client.post("/accounts/login/", {"username": "handler", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


@pytest.mark.parametrize(
    "fixture,expected,absent",
    [
        ("member", "提案委员", "系统管理"),
        ("handler", "承办人员", "系统管理"),
        ("admin_user", "系统管理员", None),
    ],
)
def test_home_fits_the_role(request, client, fixture, expected, absent):
    user = request.getfixturevalue(fixture)
    request.getfixturevalue("login")(user)  # administrators with their second factor passed
    body = client.get("/").content.decode()
    assert 'data-testid="inbox"' in body
    assert "我的待办" in body
    if fixture == "admin_user":
        assert "/admin/" in body
    else:
        assert absent not in body
        assert expected[-2:] in body


def test_home_uses_a_fixed_number_of_queries(client, handler):
    client.force_login(handler)
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    assert len(ctx.captured_queries) <= 12


def test_departments_directory(client, handler, hrss_dept):
    client.force_login(handler)
    body = client.get("/departments/").content.decode()
    assert "广元市朝天区人力资源和社会保障局" in body


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_reports_a_broken_broker(client, settings):
    from config.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"


def test_api_requires_authentication(client):
    for url in ("/api/v1/me/", "/api/v1/departments/"):
        response = client.get(url)
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_api_token_authentication(client, handler):
    response = client.post("/api/v1/auth/token/", {"username": "handler", "password": "pw-123456"})
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["roles"] == ["handler"]
    assert me.json()["memberships"][0]["department"]["code"] == "approval"
    assert client.get("/api/v1/tasks/inbox/", HTTP_AUTHORIZATION=f"Token {token}").json() == []
    bad = client.post("/api/v1/auth/token/", {"username": "handler", "password": "x"})
    assert bad.status_code == 400


def test_schema_and_docs_are_served_locally(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    body = docs.content.decode()
    assert "swagger-ui" in body
    assert "cdn" not in body.lower() and "//unpkg" not in body
    # the assets the page loads are served by us
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


def test_vendored_assets_are_present():
    base = settings.BASE_DIR / "static" / "vendor"
    for path in ["bootstrap/bootstrap.min.css", "bootstrap/bootstrap.bundle.min.js", "htmx/htmx.min.js", "echarts/echarts.min.js"]:
        assert (base / path).stat().st_size > 10_000


def test_production_settings_pass_check_deploy():
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20 + "-a-real-looking-secret-key-for-checks-0123456789",
        "FIELD_ENCRYPTION_KEY": "00112233445566778899aabbccddeeff",
        "DJANGO_ALLOWED_HOSTS": "cases.example.org",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_ALLOWED_HOSTS": "x", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_home_inbox_queries_do_not_grow_with_tasks(client, office_user):
    """The office's queue holds review tasks; the page costs the same for 1 or 6 of them."""
    from proposals import services
    from proposals.models import Category, Session
    from tests.factories import DepartmentFactory, UserFactory

    committee = DepartmentFactory(code="cppcc-q", kind="committee")
    author = UserFactory(roles=[(committee, Role.MEMBER)])
    session = Session.objects.create(committee="c", name="s", year=2026)

    def add():
        p = services.proposal_create(actor=author, session=session, title="标题", analysis="分析", suggestions="建议",
                                     category=Category.objects.first(), contact_name="x", contact_phone="1")
        services.proposal_submit(actor=author, proposal=p)

    add()
    client.force_login(office_user)
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        body = client.get("/").content.decode()
    assert body.count('data-testid="task"') == 1
    for _ in range(5):
        add()
    with CaptureQueriesContext(connection) as six:
        body = client.get("/").content.decode()
    assert body.count('data-testid="task"') == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(client):
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in body and "登录" in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in body
