import pytest

from workflow import sms


@pytest.fixture(autouse=True)
def _sms_outbox(monkeypatch):
    """Messages to citizens are kept in workflow.sms.outbox. The test's transaction
    never commits, so they are sent at once here instead of on commit."""
    sms.outbox.clear()
    monkeypatch.setattr(sms, "send_on_commit", lambda *, phone, text, secrets=(): sms.send(phone=phone, text=text, secrets=secrets))
    yield
    sms.outbox.clear()
