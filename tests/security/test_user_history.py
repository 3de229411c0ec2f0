import pytest
pytestmark = pytest.mark.django_db
def test_login_writes_no_user_history_and_no_hash(client, handler):
    before = handler.history.count()
    client.post("/accounts/login/", {"username": "handler", "password": "pw-123456"})
    handler.refresh_from_db()
    assert handler.last_login is not None
    assert handler.history.count() == before
    assert not hasattr(handler.history.model, "password") or "password" not in [f.name for f in handler.history.model._meta.fields]
