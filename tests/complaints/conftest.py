import pytest

from tests.factories import UserFactory
from workflow import sms
from complaints.roles import Role


@pytest.fixture(autouse=True)
def _sms_outbox(monkeypatch):
    """Messages to citizens are kept in workflow.sms.outbox. The test's transaction
    never commits, so they are sent at once here instead of on commit."""
    sms.outbox.clear()
    monkeypatch.setattr(sms, "send_on_commit", lambda *, phone, text: sms.send(phone=phone, text=text))
    yield
    sms.outbox.clear()


@pytest.fixture
def operator(hotline_dept):
    return UserFactory(username="operator", roles=[(hotline_dept, Role.OPERATOR)])


@pytest.fixture
def realestate_dept(db):
    from tests.factories import DepartmentFactory

    return DepartmentFactory(code="realestate", name="广元市朝天区不动产登记中心", short_name="区不动产登记中心")


@pytest.fixture
def re_handler(realestate_dept):
    return UserFactory(username="re_handler", roles=[(realestate_dept, Role.HANDLER)])


@pytest.fixture
def re_leader(realestate_dept):
    return UserFactory(username="re_leader", roles=[(realestate_dept, Role.DEPT_LEADER)])
