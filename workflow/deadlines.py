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

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import JSONObject

from . import registry
from .bulk_sql import insert_history, insert_select
from .models import CaseEvent, DeadlineBasis
from .workdays import CalendarYearMissing, compute_deadline

HISTORY_REASON = "工作日历调整，期限重新计算"  # the change reason of the history rows the recompute writes


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


def _recompute(spec, *, now: dt.datetime) -> int:
    """One registered field: per distinct basis whose deadline moved, a few statements
    over every object concerned (the events, the tasks, the objects, their bases), each
    one pass in the database, however many objects (no id travels through Python unless
    the case app's `after` hook needs the cases)."""
    from .supervision import EVENT_RECOMPUTED, _day, _sweep_lock

    model, name = spec.model, spec.field
    ct = ContentType.objects.get_for_model(model, for_concrete_model=True)
    still_computed = model.objects.filter(spec.pending()).filter(pk=OuterRef("object_id"), **{name: OuterRef("computed")})
    rows = DeadlineBasis.objects.filter(content_type=ct, field=name).filter(Exists(still_computed))
    case_model = model._meta.get_field(spec.case_path).related_model if spec.case_path else model
    case_ct = ContentType.objects.get_for_model(case_model, for_concrete_model=True)
    case_column = f"{spec.case_path}_id" if spec.case_path else "pk"
    task_models = _case_task_models(case_model) if spec.nodes is not None else []
    nodes = list(spec.nodes()) if spec.nodes is not None else []
    label = str(model._meta.get_field(name).verbose_name)
    moved = 0
    for start, amount, unit, old in list(rows.values_list("start", "amount", "unit", "computed").distinct()):
        try:
            new = compute_deadline(start, amount, unit)
        except CalendarYearMissing:
            continue  # never guess: the value computed then stays
        if new == old:
            continue
        basis = DeadlineBasis.objects.filter(content_type=ct, field=name, start=start, amount=amount, unit=unit)
        with transaction.atomic():
            _sweep_lock(model)
            # The objects whose step is pending and whose field still holds what was computed.
            objects = model.objects.filter(spec.pending()).filter(pk__in=basis.filter(computed=old).values("object_id"), **{name: old})
            cases = objects.order_by().values(case_column)
            case_ids = set(objects.values_list(case_column, flat=True)) if spec.after is not None else None
            insert_select(CaseEvent, case_model.objects.filter(pk__in=cases), {
                "case_type": Value(case_ct.pk), "case_id": F("pk"), "type": Value(EVENT_RECOMPUTED),
                "from_state": Value(""), "to_state": Value(""),
                "payload": JSONObject(**{"step": Value(label), "from": Value(_day(old)), "to": Value(_day(new))}),
                "created_at": Value(now),
            })
            for task_model in task_models:
                # Tasks whose deadline was copied from this field (a time-limit step's
                # task has its own basis and is recomputed by the sweep itself).
                task_model.objects.filter(
                    is_open=True, flow_task__in=nodes, deadline=old, deadline_from__isnull=True,
                    **{f"{task_model.case_field}_id__in": cases},
                ).update(deadline=new)
            count = objects.update(**{name: new})
            if not count:
                continue
            moved_now = model.objects.filter(spec.pending()).filter(**{name: new}).values("pk")
            if hasattr(model._meta, "simple_history_manager_attribute"):
                # QuerySet.update() writes no history: the objects as they are now, set-wise.
                insert_history(model, model.objects.filter(pk__in=moved_now).filter(
                    pk__in=basis.filter(computed=old).values("object_id")), now=now, reason=HISTORY_REASON)
            basis.filter(computed=old, object_id__in=moved_now).update(computed=new)
            if spec.after is not None:
                spec.after(case_ids, now=now)
            moved += count
    return moved
