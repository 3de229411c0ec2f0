import pytest

from proposals.models import Category
from tests.factories import UserFactory
from tests.proposals.factories import SessionFactory
from proposals.roles import Role


@pytest.fixture
def session(db):
    """六届四次会议 (2019), the current session."""
    return SessionFactory()


@pytest.fixture
def category(db):
    return Category.objects.get(name="政务服务")


@pytest.fixture
def member2(committee_dept):
    return UserFactory(username="member2", full_name="示例委员二", roles=[(committee_dept, Role.MEMBER)])


@pytest.fixture
def other_leader(hrss_dept):
    return UserFactory(username="leader_hrss", roles=[(hrss_dept, Role.DEPT_LEADER)])


@pytest.fixture
def key_leader(db):
    from tests.factories import DepartmentFactory

    gov = DepartmentFactory(code="gov-office", name="区政府办公室", short_name="区政府办")
    return UserFactory(username="keyleader", full_name="示例牵头领导", roles=[(gov, Role.KEY_LEADER)])
