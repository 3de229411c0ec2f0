"""Every flow is wired completely: a new node or event cannot be half-wired.

Walks each case type's flow (workflow.selectors.flow_classes) and each
registered case model's event types (workflow.events)."""
import pytest
from django.urls import NoReverseMatch, reverse
from viewflow import this
from viewflow.workflow.flow import View

from workflow import events, registry
from workflow.flow.runtime import human_nodes
from workflow.selectors import flow_classes


def _flows():
    return list(flow_classes())


def test_there_are_flows_to_check():
    assert _flows(), "no case flow found"


@pytest.mark.parametrize("flow_class", _flows(), ids=lambda f: f.__name__)
def test_every_human_node_is_declared_once(flow_class):
    """Each human node has a title, a registered role, a deadline rule with a
    registered default (or an explicit callable / none), a page action and an
    API action that resolve."""
    instance = flow_class.instance
    assert flow_class.case_kind and flow_class.case_field, "a case flow names its case kind and case field"
    default_steps = {(kind, step) for kind, step, category, *_rest in registry.time_limit_defaults() if not category}
    views = [node for node in instance.nodes() if isinstance(node, View)]
    assert views, "a case flow has human nodes"
    undeclared = [node.name for node in views if getattr(node, "step", None) is None]
    assert not undeclared, f"human nodes without a declaration (use workflow.flow.runtime.human): {undeclared}"
    for node in human_nodes(flow_class):
        step = node.step
        where = f"{flow_class.__name__}.{node.name}"
        assert str(node.task_title) and str(node.task_title) != node.name.replace("_", " ").title(), f"{where}: no title"
        assert registry.role(str(step.role)) is not None, f"{where}: role {step.role!r} is not registered"
        if isinstance(step.deadline, str):
            assert (flow_class.case_kind, step.deadline) in default_steps, f"{where}: no default time limit for {step.deadline!r}"
        elif step.deadline is not None:
            assert callable(this.resolve(instance, step.deadline)), f"{where}: deadline callback does not resolve"
        if step.department is not None:
            assert callable(this.resolve(instance, step.department)), f"{where}: department callback does not resolve"
        for url_name in (step.page_action, step.api_action):
            try:
                reverse(url_name, args=[1])
            except NoReverseMatch:
                pytest.fail(f"{where}: action {url_name!r} does not resolve")


def test_nodes_without_deadline_are_the_deliberate_ones():
    """A human node with no deadline is a choice made in the flow, listed here."""
    without = {
        (f.__name__, n.name) for f in _flows() for n in human_nodes(f) if n.step.deadline is None
    }
    assert without == {("ProposalFlow", "submit")}


def test_every_event_type_has_a_label_and_a_visibility():
    assert events.registered_case_models(), "no case model registered its events"
    from django.apps import apps

    for label in events.registered_case_models():
        model = apps.get_model(label)
        declared = events.case_events(model)
        assert declared.types, f"{label}: no event types"
        for code, event_type in declared.types.items():
            assert str(event_type.label), f"{label}.{code}: no label"
            assert event_type.shown_to in (events.INTERNAL, events.PRIVATE, events.PUBLIC), f"{label}.{code}: visibility not declared"
            if event_type.shown_to == events.INTERNAL:
                assert not event_type.public_payload, f"{label}.{code}: internal event with public payload keys"
        # every field of the case is placed deliberately in the history's audiences or left internal
        field_names = {f.name for f in model._meta.concrete_fields}
        assert declared.public_fields <= field_names and declared.private_fields <= field_names
        assert not (declared.public_fields & declared.private_fields)


def test_every_registered_role_has_a_group_after_migrate(db):
    from django.contrib.auth.models import Group

    assert {spec.code for spec in registry.roles()} <= set(Group.objects.values_list("name", flat=True))



def test_the_engine_and_every_case_app_register_their_department_kinds():
    from workflow.models import Department

    kinds = {code for code, _label in registry.department_kind_choices()}
    assert {Department.Kind.GOVERNMENT, Department.Kind.SUPERVISION_OFFICE} <= kinds
    assert {"proposal_office", "committee", "hotline_centre"} <= kinds


def test_a_government_department_is_valid_in_the_admin_form(db):
    from workflow.models import Department

    department = Department(name="某局", short_name="某局", code="some-bureau")
    department.full_clean()  # the default kind must be one of the registered choices
