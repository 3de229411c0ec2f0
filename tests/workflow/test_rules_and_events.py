import datetime as dt

import pytest

from workflow.models import Department

from workflow import rules, services
from workflow.models import CaseEvent, LabelChoice, TimeLimitRule

pytestmark = pytest.mark.django_db


def test_time_limits_are_seeded_from_rules_md():
    reply = rules.time_limit(case_kind="proposal", step="reply")
    assert (reply.amount, reply.unit) == (3, "months")
    assert rules.time_limit(case_kind="proposal", step="reassign_request").amount == 5
    assert rules.time_limit(case_kind="complaint", step="handle").amount == 15
    urgent = rules.time_limit(case_kind="complaint", step="handle", category="urgent")
    assert (urgent.amount, urgent.unit) == (2, "hours")
    # a category without its own rule falls back to the default
    assert rules.time_limit(case_kind="complaint", step="handle", category="no-such").amount == 15


def test_admin_edit_changes_the_deadline_and_is_audited():
    rule = TimeLimitRule.objects.get(case_kind="complaint", step="handle", category="")
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    assert rules.rule_deadline(case_kind="complaint", step="handle", start=start).date() == dt.date(2026, 3, 23)
    rule.amount = 5
    rule.save()
    assert rules.rule_deadline(case_kind="complaint", step="handle", start=start).date() == dt.date(2026, 3, 9)
    assert rule.history.count() == 2


def test_defaults_are_not_overwritten():
    rule = TimeLimitRule.objects.get(case_kind="complaint", step="handle", category="")
    rule.amount = 13
    rule.save()
    assert services.rules_seed_defaults() == 0
    rule.refresh_from_db()
    assert rule.amount == 13


def test_missing_rule_is_a_clear_error():
    with pytest.raises(rules.RuleMissing) as exc:
        rules.time_limit(case_kind="proposal", step="no_such_step")
    assert "未配置办理时限" in str(exc.value)


def test_label_scales():
    assert [c.code for c in rules.label_choices("reply_class")] == ["A", "B", "C"]
    assert [c.label for c in rules.label_choices("proposal_rating")] == ["满意", "基本满意", "不满意"]
    haocha = rules.label_choices("haocha_rating")
    assert len(haocha) == 5
    assert [c.label for c in haocha if c.is_negative] == ["不满意", "非常不满意"]
    assert rules.label_for("implementation_grade", "A") == "全部或主要问题已解决"
    assert LabelChoice.history.count() >= 14


@pytest.fixture
def department_events():
    """Declare event types for Department, as a case app declares its case's."""
    from workflow import events

    events.register_events(
        Department,
        [events.EventType("assigned", "交办", shown_to=events.PUBLIC, public_payload=frozenset({"mode"})),
         events.EventType("returned", "退回")],
        public_fields=["name"],
        private_fields=["contact_phone"],
    )
    yield events
    events._registry.pop(Department._meta.label_lower, None)


def test_event_log_and_timeline_merge(approval_dept, office_user, department_events):
    # Given a case-like audited object with an event written by a service
    services.event_record(case=approval_dept, type="assigned", actor=office_user, from_state="new", to_state="assigned", payload={"note": "交办"})
    approval_dept.contact_person = "示例联系人"
    approval_dept.save()
    # When the timeline is built for the people working the case
    timeline = department_events.case_timeline(case=approval_dept, audience=department_events.INTERNAL)
    # Then it has the creation, the event and the field change, in time order
    kinds = [(e.kind, e.title) for e in timeline]
    assert ("event", "assigned") in kinds
    assert ("history", "created") in kinds
    changed = [e for e in timeline if e.kind == "history" and e.title == "changed"]
    assert changed and changed[0].details["contact_person"]["new"] == "示例联系人"
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    event = CaseEvent.objects.get()
    assert event.actor == office_user and event.payload == {"note": "交办"}


def test_timeline_is_internal_unless_declared_public(approval_dept, office_user, department_events):
    # Given a public event with a private payload key, an internal event, and changes to fields of each level
    services.event_record(case=approval_dept, type="assigned", actor=office_user, payload={"mode": "single", "note": "内部意见"})
    services.event_record(case=approval_dept, type="returned", actor=office_user, payload={"note": "退回"})
    approval_dept.name, approval_dept.contact_phone, approval_dept.contact_person = "新名称", "13800000000", "某人"
    approval_dept.save()
    ev = department_events

    def seen(audience):
        entries = ev.case_timeline(case=approval_dept, audience=audience)
        fields = set()
        for e in entries:
            if e.kind == "history":
                fields |= set(e.details)
        return {e.title: e.details for e in entries if e.kind == "event"}, fields

    # Then the public sees the public event without its undeclared payload key, and only public fields
    events_, fields = seen(ev.PUBLIC)
    assert events_ == {"assigned": {"mode": "single"}} and fields == {"name"}
    # the case's own people also see the private fields, never internal ones
    events_, fields = seen(ev.PRIVATE)
    assert set(events_) == {"assigned"} and fields == {"name", "contact_phone"}
    # the people working the case see everything
    events_, fields = seen(ev.INTERNAL)
    assert set(events_) == {"assigned", "returned"} and fields == {"name", "contact_phone", "contact_person"}


def test_an_undeclared_event_type_is_refused(approval_dept, office_user, department_events):
    with pytest.raises(LookupError):
        services.event_record(case=approval_dept, type="made_up", actor=office_user)


def test_document_numbers_follow_the_series_format_an_administrator_sets(approval_dept):
    from django.core.exceptions import ValidationError

    from workflow.models import DocumentSeries

    def issue(typed=""):
        return services.document_number_issue(department=approval_dept, year=2019, typed=typed, is_used=lambda n: False)

    # Given the reply-letter series with its default format (registered by proposals)
    assert issue() == "朝审函〔2019〕1号"
    # When an administrator changes the format
    series = DocumentSeries.objects.get(code="letter")
    series.format = "{prefix}[{year}]{number}"
    series.full_clean()
    series.save()
    # Then the next number and the typed ones follow it
    assert issue() == "朝审函[2019]2"
    assert issue("朝审函[2019]7") == "朝审函[2019]7" and issue() == "朝审函[2019]8"
    with pytest.raises(ValidationError):
        issue("朝审函〔2019〕9号")
    # and a format without the number is refused
    series.format = "{prefix}〔{year}〕号"
    with pytest.raises(ValidationError):
        series.full_clean()
