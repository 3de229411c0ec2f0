"""The event registry and the timeline, for every case type.

Each case app declares its event types once (`register_events`): a label, who
may see the event, and which payload keys may be shown outside the case's
working circle. Internal is the default, so a new event type or payload key
never reaches a committee member or a citizen by accident. Recording an
event of an undeclared type is an error (`event_record` refuses it).

Who sees what in a case's timeline (the case's selector decides which
audience a viewer is):

* ``INTERNAL``: the office and the departments handling the case: everything;
* ``PRIVATE``: the case's own people (the proposer, a confirmed co-signer,
  supervisors of the case): events shown to PRIVATE or PUBLIC, their public
  payload keys, and the fields declared public or private in the change
  history (e.g. the contact phone);
* ``PUBLIC``: anyone else allowed to open the case: events shown to PUBLIC,
  their public payload keys, and the history of fields declared public.

The presenter (`present_timeline`) turns entries into rows for pages and the
API, with labels in the active language.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _

INTERNAL, PRIVATE, PUBLIC = "internal", "private", "public"

# Payload keys the engine's presenter understands (values shown when the key may be shown).
DEPARTMENT_KEYS = ("department", "from_department", "to_department")


# The audiences from the narrowest to the widest.
_WIDTH = {INTERNAL: 0, PRIVATE: 1, PUBLIC: 2}


@dataclass(frozen=True)
class EventType:
    code: str
    label: object
    shown_to: str = INTERNAL  # the widest audience that sees the event: INTERNAL, PRIVATE or PUBLIC
    public_payload: frozenset = frozenset()  # payload keys shown outside INTERNAL
    describe: Callable | None = None  # (payload, labels) -> list of strings for the details column

    def visible_to(self, audience: str) -> bool:
        return _WIDTH[audience] <= _WIDTH[self.shown_to]


@dataclass
class CaseEvents:
    types: dict[str, EventType] = field(default_factory=dict)
    public_fields: frozenset = frozenset()
    private_fields: frozenset = frozenset()


_registry: dict[str, CaseEvents] = {}


def _key(model) -> str:
    return model._meta.label_lower


def register_events(model, types, *, public_fields=(), private_fields=()) -> None:
    """Declare a case model's event types and which of its fields' changes
    PUBLIC and PRIVATE viewers may see in the change history."""
    entry = _registry.setdefault(_key(model), CaseEvents())
    for t in types:
        entry.types[t.code] = t
    entry.public_fields = entry.public_fields | frozenset(public_fields)
    entry.private_fields = entry.private_fields | frozenset(private_fields)


def case_events(model) -> CaseEvents:
    return _registry.get(_key(model), CaseEvents())


def registered_case_models() -> list[str]:
    return list(_registry)


def event_type(model, code: str) -> EventType | None:
    return case_events(model).types.get(code)


# --- recording ---------------------------------------------------------------------
def event_record(
    *, case: models.Model, type: str, actor, from_state: str = "", to_state: str = "",
    payload: dict | None = None, at: dt.datetime | None = None,
):
    """Write one row of a case's event log (inside the service's transaction); an event that
    changes the status writes a row of the audit trail too (workflow.audit.audit_case_status)."""
    from django.utils import timezone

    from .models import CaseEvent

    if event_type(case.__class__, type) is None:
        raise LookupError(f"event type {type!r} is not registered for {case._meta.label}")
    event = CaseEvent.objects.create(
        case_type=ContentType.objects.get_for_model(case, for_concrete_model=True),
        case_id=case.pk,
        type=type,
        actor=actor if actor and actor.is_authenticated else None,
        from_state=from_state or "",
        to_state=to_state or "",
        payload=payload or {},
        created_at=at or timezone.now(),
    )
    if to_state and to_state != from_state:
        # A change of the case's status is also a row of the audit trail (who, which case, from → to).
        from .audit import audit_case_status

        audit_case_status(case=case, actor=actor, from_state=from_state, to_state=to_state, event_type=type)
    return event


# --- reading ---------------------------------------------------------------------------
@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # "event" or "history"
    title: str
    actor: str = ""
    from_state: str = ""
    to_state: str = ""
    details: dict = field(default_factory=dict)


def case_timeline(*, case: models.Model, audience: str, events_only: bool = False) -> list[TimelineEntry]:
    """The case's event log and its change history (simple-history), oldest
    first, cut to what `audience` may see (see the module docstring)."""
    registered = case_events(case.__class__)
    ct = ContentType.objects.get_for_model(case, for_concrete_model=True)
    from .models import CaseEvent

    entries: list[TimelineEntry] = []
    for ev in CaseEvent.objects.filter(case_type=ct, case_id=case.pk).select_related("actor"):
        declared = registered.types.get(ev.type)
        details = dict(ev.payload or {})
        if audience != INTERNAL:
            if declared is None or not declared.visible_to(audience):
                continue
            details = {k: v for k, v in details.items() if k in declared.public_payload}
        entries.append(TimelineEntry(
            at=ev.created_at, kind="event", title=ev.type, actor=str(ev.actor or ""),
            from_state=ev.from_state, to_state=ev.to_state, details=details,
        ))
    history = None if events_only else getattr(case, "history", None)
    if history is not None:
        if audience == INTERNAL:
            visible = None
        elif audience == PRIVATE:
            visible = registered.public_fields | registered.private_fields
        else:
            visible = registered.public_fields
        records = list(history.all().select_related("history_user").order_by("history_date", "history_id"))
        previous = None
        for record in records:
            changes = {}
            if previous is not None:
                delta = record.diff_against(previous)
                changes = {
                    c.field: {"old": _plain(c.old), "new": _plain(c.new)}
                    for c in delta.changes if visible is None or c.field in visible
                }
            title = {"+": "created", "~": "changed", "-": "deleted"}.get(record.history_type, "changed")
            if previous is None or changes or record.history_type != "~":
                entries.append(TimelineEntry(
                    at=record.history_date, kind="history", title=title,
                    actor=str(record.history_user or ""), details=changes,
                ))
            previous = record
    entries.sort(key=lambda e: (e.at, 0 if e.kind == "event" else 1))
    return entries


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def present_timeline(*, model, entries: list[TimelineEntry], status_labels: dict, labels: dict | None = None):
    """Rows for pages and the API: (events, history), labels in the active language.

    Engine payload keys (department ids, dates, document numbers, notes) are
    described here; an event type's own `describe` adds the rest."""
    from .models import Department

    registered = case_events(model)
    dept_ids = set()
    for e in entries:
        if e.kind != "event":
            continue
        for key in DEPARTMENT_KEYS:
            if isinstance(e.details.get(key), int):
                dept_ids.add(e.details[key])
        dept_ids.update(d for d in e.details.get("departments") or [] if isinstance(d, int))
    depts = Department.objects.in_bulk(dept_ids) if dept_ids else {}
    field_names = {f.name: str(getattr(f, "verbose_name", f.name)) for f in model._meta.get_fields() if hasattr(f, "verbose_name")}
    events, history = [], []
    for e in entries:
        if e.kind != "event":
            changes = [
                {"field": field_names.get(name, name), "old": v.get("old"), "new": v.get("new")}
                for name, v in (e.details or {}).items()
            ]
            history.append({"at": e.at, "actor": e.actor, "title": {"created": _("创建"), "deleted": _("删除")}.get(e.title, _("修改")), "changes": changes})
            continue
        d = e.details or {}
        declared = registered.types.get(e.title)
        parts = []
        dept = depts.get(d.get("department"))
        if dept:
            parts.append(str(dept))
        if d.get("departments"):
            parts.append("、".join(str(depts.get(i, i)) for i in d["departments"]))
        if d.get("from_department") and d.get("to_department") and d["from_department"] != d["to_department"]:
            parts.append(_("%(a)s → %(b)s") % {"a": depts.get(d["from_department"], ""), "b": depts.get(d["to_department"], "")})
        if d.get("until"):
            parts.append(_("延至%(d)s") % {"d": d["until"]})
        if d.get("doc_number"):
            parts.append(d["doc_number"])
        if declared and declared.describe:
            parts.extend(declared.describe(d, labels or {}))
        note = d.get("note") or d.get("reason") or ""
        events.append({
            "at": e.at, "actor": e.actor or _("系统"), "type": e.title,
            "text": str(declared.label) if declared else e.title,
            "details": "；".join(str(p) for p in parts if p), "note": note,
            "to_state": str(status_labels.get(e.to_state, "")),
        })
    return events, history
