import pytest

from tests.factories import DepartmentFactory, UserFactory
from workflow.models import Department
from complaints.roles import ComplaintDepartmentKind, ComplaintRole
from proposals.roles import ProposalDepartmentKind, Role

PASSWORD = "pw-123456"


@pytest.fixture
def approval_dept(db):
    return DepartmentFactory(code="approval", name="广元市朝天区行政审批和数据局", short_name="区行政审批局", doc_number_prefix="朝审函")


@pytest.fixture
def hrss_dept(db):
    return DepartmentFactory(code="hrss", name="广元市朝天区人力资源和社会保障局", short_name="区人社局", doc_number_prefix="朝人社函")


@pytest.fixture
def office_dept(db):
    return DepartmentFactory(code="proposal-office", name="区政协提案委员会", short_name="提案委", kind=ProposalDepartmentKind.PROPOSAL_OFFICE)


@pytest.fixture
def committee_dept(db):
    return DepartmentFactory(code="cppcc", name="政协朝天区委员会", short_name="区政协", kind=ProposalDepartmentKind.COMMITTEE)


@pytest.fixture
def supervision_dept(db):
    return DepartmentFactory(code="supervision", name="区政府督查室", short_name="督查室", kind=Department.Kind.SUPERVISION_OFFICE)


@pytest.fixture
def hotline_dept(db):
    return DepartmentFactory(code="hotline", name="12345热线中心", short_name="热线中心", kind=ComplaintDepartmentKind.HOTLINE_CENTRE)


@pytest.fixture
def member(committee_dept):
    return UserFactory(username="member", roles=[(committee_dept, Role.MEMBER)])


@pytest.fixture
def office_user(office_dept):
    return UserFactory(username="office", roles=[(office_dept, Role.PROPOSAL_OFFICE)])


@pytest.fixture
def handler(approval_dept):
    return UserFactory(username="handler", roles=[(approval_dept, Role.HANDLER)])


@pytest.fixture
def dept_leader(approval_dept):
    return UserFactory(username="leader", roles=[(approval_dept, Role.DEPT_LEADER)])


@pytest.fixture
def other_handler(hrss_dept):
    return UserFactory(username="handler_hrss", roles=[(hrss_dept, Role.HANDLER)])


@pytest.fixture
def dispatcher(hotline_dept):
    return UserFactory(username="dispatcher", roles=[(hotline_dept, ComplaintRole.DISPATCHER)])


@pytest.fixture
def supervisor(supervision_dept):
    return UserFactory(username="supervisor", roles=[(supervision_dept, Role.SUPERVISOR)])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def login(client):
    """Sign a user in; administrators (who need the second factor) as if they had passed it."""
    from tests.factories import sign_in_verified
    from workflow import second_factor

    def _login(user):
        if second_factor.required(user):
            return sign_in_verified(client, user)
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def calendar_years(db):
    """The test settings seed only the calendar years the tests use
    (settings.CALENDAR_SEED_YEARS); a test needing another year seeds it:
    `calendar_years(2020)`. Returns the years newly seeded."""
    from workflow import services as engine

    def seed(*years: int) -> list[int]:
        return engine.calendar_seed_from_library(actor=None, years=list(years))

    return seed


@pytest.fixture(autouse=True)
def _fresh_calendar(monkeypatch):
    """The working-day calendar is held in memory per process: a test whose
    calendar rows were rolled back must not leave them to the next test.
    The once-a-second check for other processes' changes is off (changes made
    in this process reload at once): on a slow run it fell due inside a
    query-count test and added a query. tests/workflow/test_calendar_memory.py
    turns it back on to test it."""
    from workflow import workdays

    monkeypatch.setattr(workdays.calendar_cache, "check_seconds", float("inf"))
    workdays.calendar_reset()
    yield
    workdays.calendar_reset()


@pytest.fixture(autouse=True)
def _fresh_time_limits(monkeypatch):
    """The active time limits are held in memory per process (workflow.rules),
    like the calendar: each test starts without them, and the once-a-second
    check for other processes' changes is off (changes made in this process,
    bulk ones included, reload at once)."""
    from workflow import rules

    monkeypatch.setattr(rules.time_limits_cache, "check_seconds", float("inf"))
    rules.time_limits_reset()
    yield
    rules.time_limits_reset()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English leaves English active in the thread: start every test in Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def operator(hotline_dept):
    return UserFactory(username="operator", roles=[(hotline_dept, ComplaintRole.OPERATOR)])


@pytest.fixture
def realestate_dept(db):
    return DepartmentFactory(code="realestate", name="广元市朝天区不动产登记中心", short_name="区不动产登记中心")


@pytest.fixture
def re_handler(realestate_dept):
    return UserFactory(username="re_handler", roles=[(realestate_dept, Role.HANDLER)])


@pytest.fixture
def re_leader(realestate_dept):
    return UserFactory(username="re_leader", roles=[(realestate_dept, Role.DEPT_LEADER)])
