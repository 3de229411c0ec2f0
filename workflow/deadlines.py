"""Case deadlines that follow the calendar.

A task's own deadline from a time-limit step keeps its basis on the task
(CaseTask.deadline_from ...) and the sweep recomputes it after a calendar
correction (workflow.supervision.recompute_calendar_deadlines). Many deadlines
live on the case objects instead, set by the case app's services from the rules
(a case's handling deadline, the sign-for or reply deadline of each department
it was handed to), and the tasks of those steps copy them. Here:

* ``deadlines_remember(objs=..., fields=...)``: a service that saved such a
  field calls it; a value computed by ``workdays.compute_deadline`` (a
  ``ComputedDeadline``) has its basis stored in ``DeadlineBasis``, any other
  value forgets the basis (it was set by hand and is never recomputed);
* ``case_deadlines_recompute(now=...)``: for each registered field
  (``registry.register_case_deadline``), set-wise per basis: the objects whose
  field still equals what was computed and whose step is still pending get the
  value on today's calendar, their case's open tasks at the nodes that copy the
  field and holding the old value follow,
  and each case gets a ``deadline_recomputed`` event. Run by the sweep before it
  evaluates states, and after a calendar import.
"""
from __future__ import annotations

import datetime as dt
import json

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from . import registry
from .models import CaseEvent, DeadlineBasis
from .workdays import CalendarYearMissing, compute_deadline

CHUNK = 5000  # ids per UPDATE ... WHERE pk IN (...): well under any database's parameter limit


def deadlines_remember(*, objs, fields) -> None:
    """Remember (or forget) the basis of each of `fields` of the saved `objs`
    (objects of one model). One query to store, one more only to forget."""
    objs = [o for o in objs if o.pk is not None]
    if not objs:
        return
    ct = ContentType.objects.get_for_model(objs[0], for_concrete_model=True)
    keep, drop = [], []
    for obj in objs:
        for name in fields:
            value = getattr(obj, name)
            basis = getattr(value, "basis", None)
            if basis:
                start, amount, unit = basis
                keep.append(DeadlineBasis(
                    content_type=ct, object_id=obj.pk, field=name, start=start, amount=amount, unit=unit, computed=value,
                ))
            else:
                drop.append((obj.pk, name))
    if keep:
        DeadlineBasis.objects.bulk_create(
            keep, update_conflicts=True, unique_fields=["content_type", "field", "object_id"],
            update_fields=["start", "amount", "unit", "computed"],
        )
    if drop:
        for name in {n for _, n in drop}:
            DeadlineBasis.objects.filter(content_type=ct, field=name, object_id__in=[pk for pk, n in drop if n == name]).delete()


def case_deadlines_recompute(*, now: dt.datetime) -> int:
    """Recompute every registered case deadline on today's calendar; returns how
    many objects moved."""
    return sum(_recompute(spec, now=now) for spec in registry.case_deadline_specs())


def _case_task_models(case_model) -> list:
    return [
        s.task_model for s in registry.supervision_specs()
        if s.task_model._meta.get_field(s.task_model.case_field).related_model is case_model
    ]


def _insert_events(case_model, case_ct, case_ids: list[int], *, type: str, payload: dict, now: dt.datetime) -> None:
    """One event per case, the same type and payload for all: one INSERT ... SELECT over
    the case table (a million events as model instances for bulk_create cost minutes
    of Python; this is one pass in the database)."""
    table, pk = case_model._meta.db_table, case_model._meta.pk.column
    placeholders = ", ".join(["%s"] * len(case_ids))
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{CaseEvent._meta.db_table}" (case_type_id, case_id, type, from_state, to_state, payload, created_at) '
            f'SELECT %s, "{pk}", %s, \'\', \'\', {cast}, %s FROM "{table}" WHERE "{pk}" IN ({placeholders})',
            [case_ct.pk, type, json.dumps(payload), connection.ops.adapt_datetimefield_value(now), *case_ids],
        )


def _recompute(spec, *, now: dt.datetime) -> int:
    from .supervision import EVENT_RECOMPUTED, _day, _sweep_lock

    model, name = spec.model, spec.field
    ct = ContentType.objects.get_for_model(model, for_concrete_model=True)
    still_computed = model.objects.filter(spec.pending()).filter(pk=OuterRef("object_id"), **{name: OuterRef("computed")})
    rows = DeadlineBasis.objects.filter(content_type=ct, field=name).filter(Exists(still_computed))
    case_model = model._meta.get_field(spec.case_path).related_model if spec.case_path else model
    case_ct = ContentType.objects.get_for_model(case_model, for_concrete_model=True)
    task_models = _case_task_models(case_model) if spec.nodes is not None else []
    nodes = list(spec.nodes()) if spec.nodes is not None else []
    label = str(model._meta.get_field(name).verbose_name)
    moved = 0
    for start, amount, unit, old in rows.values_list("start", "amount", "unit", "computed").distinct():
        try:
            new = compute_deadline(start, amount, unit)
        except CalendarYearMissing:
            continue  # never guess: the value computed then stays
        if new == old:
            continue
        with transaction.atomic():
            _sweep_lock(model)
            ids = list(rows.filter(start=start, amount=amount, unit=unit, computed=old).values_list("object_id", flat=True))
            case_ids: set[int] = set()
            for i in range(0, len(ids), CHUNK):
                chunk = ids[i:i + CHUNK]
                model.objects.filter(pk__in=chunk, **{name: old}).update(**{name: new})
                DeadlineBasis.objects.filter(content_type=ct, field=name, object_id__in=chunk).update(computed=new)
                case_ids.update(model.objects.filter(pk__in=chunk).values_list(f"{spec.case_path}_id", flat=True) if spec.case_path else chunk)
            if not ids:
                continue
            cases = sorted(case_ids)
            for task_model in task_models:
                for i in range(0, len(cases), CHUNK):
                    # Tasks whose deadline was copied from this field (a time-limit step's
                    # task has its own basis and is recomputed by the sweep itself).
                    task_model.objects.filter(
                        is_open=True, flow_task__in=nodes, deadline=old, deadline_from__isnull=True,
                        **{f"{task_model.case_field}_id__in": cases[i:i + CHUNK]},
                    ).update(deadline=new)
            payload = {"step": label, "from": _day(old), "to": _day(new)}
            for i in range(0, len(cases), CHUNK):
                _insert_events(case_model, case_ct, cases[i:i + CHUNK], type=EVENT_RECOMPUTED, payload=payload, now=now)
            if spec.after is not None:
                spec.after(case_ids)
            moved += len(ids)
    return moved
