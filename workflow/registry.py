"""What case apps register with the engine.

The engine names no case app. Each case app (settings.CASE_APPS) tells the
engine, from its AppConfig.ready(), what it brings:

* roles (code, label, how its tasks are scoped) and the permissions each
  role's group gets (a case app may grant permissions to the engine's own
  roles, e.g. proposals grants ``proposals.handle_proposal`` to handlers);
* department kinds (proposal office, hotline centre, ...);
* navigation entries of the home page;
* rule defaults (time limits, label scales), seeded after every migrate;
* event types of its case model, with label and visibility (events.py);
* the task model whose open tasks make up the inbox (see selectors), and
  how the supervision sweep treats it (register_supervision: case kind, the
  "severe" time-limit step, which open tasks it leaves alone);
* document kinds: the official documents (PDF) made about its cases, each
  with its template, context builder and download permission (workflow.documents).

Registration is idempotent (Django may call ready() more than once in tests).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


class RoleScope:
    """How the tasks routed to a role are shared.

    * ``department``: every holder of the role *in the task's department* may
      act (handlers, department leaders);
    * ``office``: every holder of the role may act, whatever department the
      task is about (the proposal office's review tasks);
    * ``personal``: a task is someone's own (assigned to a person: a member's
      rating); holders of the role see unassigned tasks of their department.
    """

    DEPARTMENT = "department"
    OFFICE = "office"
    PERSONAL = "personal"


class DirectoryScope:
    """Whom a role's holders may look up in the user directory (API /users/).

    * ``all``: everyone (those who assign cases and name officials);
    * ``peers``: the other holders of the same role (members inviting co-signers);
    * ``departments``: the people of their own departments (the default).
    """

    ALL = "all"
    PEERS = "peers"
    DEPARTMENTS = "departments"


@dataclass
class RoleSpec:
    code: str
    label: object  # lazy translation
    scope: str = RoleScope.PERSONAL
    permissions: set[str] = field(default_factory=set)
    app: str = ""
    directory: str = DirectoryScope.DEPARTMENTS


@dataclass(frozen=True)
class KindSpec:
    code: str
    label: object
    app: str = ""


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: object
    roles: frozenset
    description: object = ""
    order: int = 100
    all_roles: bool = False
    permission: str = ""  # shown to whoever holds this permission ("app.codename"), whatever their roles
    primary: bool = False  # in the top bar (else under 更多)
    public: bool = False  # a page for everyone, signed in or not (shown to visitors too)


_roles: dict[str, RoleSpec] = {}
_kinds: dict[str, KindSpec] = {}
_navigation: dict[str, NavEntry] = {}
_time_limits: list[tuple] = []
_label_scales: dict[str, tuple] = {}
_task_models: list = []
_document_series: dict[str, tuple] = {}
_document_kinds: dict[str, "DocumentKind"] = {}


# --- roles ----------------------------------------------------------------------
def register_role(
    code: str, label, *, scope: str = RoleScope.PERSONAL, permissions=(), app: str = "",
    directory: str = DirectoryScope.DEPARTMENTS,
) -> RoleSpec:
    spec = _roles.get(code)
    if spec is None:
        spec = _roles[code] = RoleSpec(code=str(code), label=label, scope=scope, app=app, directory=directory)
    spec.permissions.update(permissions)
    return spec


def register_roles(choices, *, scopes: dict | None = None, directory: dict | None = None, app: str = "") -> None:
    """Register every member of a TextChoices class as a role."""
    for member in choices:
        register_role(
            member.value, member.label, scope=(scopes or {}).get(member, RoleScope.PERSONAL), app=app,
            directory=(directory or {}).get(member, DirectoryScope.DEPARTMENTS),
        )


def grant_permissions(role: str, permissions) -> None:
    """Add default permissions to a registered role's group (app_label.codename)."""
    if role not in _roles:
        raise LookupError(f"role {role!r} is not registered")
    _roles[role].permissions.update(permissions)


def roles() -> list[RoleSpec]:
    return list(_roles.values())


def role(code: str) -> RoleSpec | None:
    return _roles.get(code)


def role_label(code: str) -> str:
    spec = _roles.get(code)
    return str(spec.label) if spec else code


def role_choices() -> list[tuple[str, object]]:
    """Membership.role's choices (a callable, so registered roles need no migration)."""
    return [(spec.code, spec.label) for spec in _roles.values()]


def roles_with_directory(directory: str) -> set[str]:
    return {code for code, spec in _roles.items() if spec.directory == directory}


# --- department kinds -------------------------------------------------------------
def register_department_kinds(choices, *, app: str = "") -> None:
    for member in choices:
        _kinds.setdefault(member.value, KindSpec(member.value, member.label, app))


def department_kind_choices() -> list[tuple[str, object]]:
    return [(k.code, k.label) for k in _kinds.values()]



# --- navigation ----------------------------------------------------------------------
def register_navigation(*entries: NavEntry) -> None:
    for entry in entries:
        _navigation[entry.url_name] = entry


def navigation() -> list[NavEntry]:
    return sorted(_navigation.values(), key=lambda e: e.order)


# --- rule defaults -------------------------------------------------------------------
def register_time_limits(rows) -> None:
    """(case_kind, step, category, name, amount, unit, warn_before_wd, note) rows."""
    for row in rows:
        if row not in _time_limits:
            _time_limits.append(row)


def register_label_scales(scales) -> None:
    """(code, name, note, [(choice code, label, is_negative)]) rows."""
    for scale in scales:
        _label_scales[scale[0]] = scale


def register_document_series(code: str, name: str, format: str = "{prefix}〔{year}〕{number}号") -> None:
    """A numbered document series and its default format (workflow.models.DocumentSeries)."""
    _document_series[code] = (code, name, format)


def document_series_defaults() -> list[tuple]:
    return list(_document_series.values())


def time_limit_defaults() -> list[tuple]:
    return list(_time_limits)


def label_scale_defaults() -> list[tuple]:
    return list(_label_scales.values())


# --- task models -----------------------------------------------------------------------
def register_task_model(model) -> None:
    """A concrete subclass of workflow.models.CaseTask; its open tasks feed the inbox."""
    if model not in _task_models:
        _task_models.append(model)
        from .services import register_claim_events

        register_claim_events(model)


def task_models() -> list:
    return list(_task_models)


# --- document kinds ---------------------------------------------------------------------
def _always(obj) -> bool:
    return True


@dataclass(frozen=True)
class DocumentKind:
    """An official document a case app makes about one of its objects (a case
    or one of its records, e.g. a reply), rendered by workflow.documents.

    * ``model``: "app_label.ModelName" of that object;
    * ``template``: an HTML template under templates/documents/;
    * ``context(obj) -> dict``: the template's data (the engine adds ``fonts``);
    * ``can_download(user, obj) -> bool``: the case's own permission (its selectors'
      scoping; the user may be anonymous for public documents);
    * ``available(obj) -> bool``: whether the document exists in the object's
      current state (a reply letter only once the reply passed review);
    * ``version(obj) -> (label, datetime | None)``: which state of the case a
      render came from (e.g. the latest history row), stored with the file;
    * ``filename(obj) -> str``: the download's file name;
    * ``load(pk)``: the object with what ``context`` reads (select_related);
    * ``load_many(pks) -> {pk: obj}``: the same for many objects in one query
      (bulk generation; missing objects are left out).
    """

    code: str
    label: Any
    model: str
    template: str
    context: Callable[[Any], dict]
    can_download: Callable[[Any, Any], bool]
    available: Callable[[Any], bool] = _always
    version: Callable[[Any], tuple] | None = None
    filename: Callable[[Any], str] | None = None
    load: Callable[[int], Any] | None = None
    load_many: Callable[[list], dict] | None = None
    app: str = ""
    order: int = 100


def register_document_kind(kind: DocumentKind) -> None:
    _document_kinds[kind.code] = kind


def document_kind(code: str) -> DocumentKind | None:
    return _document_kinds.get(code)


def document_kinds(model_label: str | None = None) -> list[DocumentKind]:
    """Every registered kind (those about objects of ``model_label`` when given), in order."""
    kinds = [k for k in _document_kinds.values() if model_label is None or k.model.lower() == model_label.lower()]
    return sorted(kinds, key=lambda k: (k.order, k.code))


# --- supervision -----------------------------------------------------------------------
@dataclass(frozen=True)
class SupervisionSpec:
    """How the deadline sweep (workflow.supervision) treats a case type's tasks.

    * ``case_kind``: the time-limit rules' case kind;
    * ``severe_step``: the time-limit step saying how many working days past
      the deadline a task is severely overdue (e.g. complaints' "reprimand");
    * ``exclude() -> Q``: open tasks the sweep leaves alone (e.g. a suspended
      complaint's clock is stopped); None for none.
    * ``pending_extension() -> Q``: open tasks whose department asked in time
      for a later deadline that is not decided yet: the sweep may warn about
      them but issues no urging notice or breach record until the decision
      (refused: the original deadline applies at the next sweep; approved: the
      new one). A Q on the task model (a subquery, not per task); None for none.
    """

    task_model: Any
    case_kind: str
    severe_step: str
    exclude: Callable[[], Any] | None = None
    pending_extension: Callable[[], Any] | None = None


_supervision: dict[str, SupervisionSpec] = {}


def register_supervision(task_model, *, case_kind: str, severe_step: str, exclude=None, pending_extension=None) -> None:
    """Put a registered task model under the deadline sweep; also declares the
    supervision event types on its case model (workflow.supervision)."""
    _supervision[task_model._meta.label_lower] = SupervisionSpec(task_model, case_kind, severe_step, exclude, pending_extension)
    from .supervision import register_supervision_events

    register_supervision_events(task_model)


def supervision_specs() -> list[SupervisionSpec]:
    return list(_supervision.values())


def supervision_spec(task_model) -> SupervisionSpec | None:
    return _supervision.get(task_model._meta.label_lower)


# --- case deadlines recomputed after a calendar correction -------------------------------
@dataclass(frozen=True)
class CaseDeadlineSpec:
    """A case object's deadline field set from the rules (e.g. a case's handling
    deadline, a department's sign-for deadline), recomputed by the sweep
    after a calendar correction (workflow.deadlines):

    * ``model`` / ``field``: where the deadline is stored; the services that set it
      from the rules call ``workflow.deadlines.deadlines_remember``;
    * ``pending() -> Q`` on the model: the objects whose deadline still governs an
      open step (a deadline of a step already done is history and stays);
    * ``case_path``: the field leading from the model to its case ("" when the
      model is the case);
    * ``nodes() -> flow nodes``: the nodes whose tasks copy this field as their
      deadline; the case's open tasks at those nodes holding the old value follow;
    * ``after(case_ids, now=...)``: refreshes what the case app derives from the field
      (e.g. a case's overall deadline from its departments'), or None.
    """

    model: Any
    field: str
    pending: Callable[[], Any]
    case_path: str = ""
    nodes: Callable[[], list] | None = None
    after: Callable[..., None] | None = None


_case_deadlines: list[CaseDeadlineSpec] = []


def register_case_deadline(model, field: str, *, pending, case_path: str = "", nodes=None, after=None) -> None:
    spec = CaseDeadlineSpec(model, field, pending, case_path, nodes, after)
    _case_deadlines[:] = [s for s in _case_deadlines if (s.model, s.field) != (model, field)] + [spec]


def case_deadline_specs() -> list[CaseDeadlineSpec]:
    return list(_case_deadlines)


# --- dashboard metrics ---------------------------------------------------------------------
@dataclass(frozen=True)
class MetricProvider:
    """A case type's figures on the supervision dashboard (workflow.dashboard).

    * ``code`` / ``label``: the case type (also the "case type" filter's choice);
    * ``access(user) -> None | "all" | set of department ids``: whose figures the
      user may see of this case type (None: none; a set: those departments' only);
    * ``compute(query) -> workflow.dashboard.ProviderFigures``: the figures per
      department for a workflow.dashboard.DashboardQuery, in a fixed number of
      aggregate queries (GROUP BY), scoped by the case app's own selectors;
    * ``filter_choices() -> dict``: {"category": [(id, label)], "channel": [...],
      "subtype": [...]} the case type understands (absent: it ignores that filter
      and is left out of the figures when the filter is set);
    * ``metrics``: its figures' definitions (workflow.dashboard.MetricDef);
    * ``daily``: optional workflow.daily_figures.DailySpec: the finished days' figures
      are kept in DailyFigure and summed instead of recounted (the case type's figures
      must then not depend on the user beyond the departments).
    """

    code: str
    label: Any
    access: Callable[[Any], Any]
    compute: Callable[[Any], Any]
    filter_choices: Callable[[], dict]
    metrics: tuple = ()  # its workflow.dashboard.MetricDef, in order (the ranking's choices)
    order: int = 100
    app: str = ""
    noun: Any = ""  # how a report's title names the case type ("关于…提案和投诉办理情况的通报"); else its label
    daily: Any = None  # a workflow.daily_figures.DailySpec: its period figures pre-aggregated per day


_metric_providers: dict[str, MetricProvider] = {}


def register_metric_provider(provider: MetricProvider) -> None:
    _metric_providers[provider.code] = provider


def metric_providers() -> list[MetricProvider]:
    return sorted(_metric_providers.values(), key=lambda p: (p.order, p.code))


# --- supervision notices by hand (督办单) ----------------------------------------------------
@dataclass(frozen=True)
class NoticeHooks:
    """What a case type tells the engine about supervision notices (workflow.notices).

    * ``code``: the case type in URLs and the API ("proposal", "complaint");
    * ``case_model``: its case model (the notices' events are declared on it);
    * ``may_issue(user, case) -> bool``: whether the user supervises this case
      (issues notices about it);
    * ``departments(case) -> list[Department]``: the departments that may be
      asked now (those handling the case; none once it is closed);
    * ``load(pk)``: the case, or None (defaults to the model's manager).
    """

    code: str
    case_model: Any
    may_issue: Callable[[Any, Any], bool]
    departments: Callable[[Any], list]
    load: Callable[[int], Any] | None = None


_notice_hooks: dict[str, NoticeHooks] = {}


def register_notice_hooks(case_model, *, code: str, may_issue, departments, load=None, issuer_roles=()) -> None:
    """Let supervisors issue supervision notices about this case type; also declares
    the notices' event types on the case model and the list page's navigation entry
    (for handlers, department leaders, supervisors and the case app's `issuer_roles`)."""
    _notice_hooks[code] = NoticeHooks(code, case_model, may_issue, departments, load)
    from .notices import register_notice_events, register_notice_navigation

    register_notice_events(case_model)
    register_notice_navigation(issuer_roles)


def notice_hooks(code: str) -> NoticeHooks | None:
    return _notice_hooks.get(code)


def notice_hooks_for(case) -> NoticeHooks | None:
    label = case._meta.label_lower
    return next((h for h in _notice_hooks.values() if h.case_model._meta.label_lower == label), None)
