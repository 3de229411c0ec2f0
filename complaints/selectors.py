"""Reads of complaints, always scoped by the requesting user.

The hotline (dispatchers, operators) and supervisors see every complaint;
a department's handlers and leaders see the complaints dispatched to their
department (a dispatch moved elsewhere after a return no longer counts).
The citizen's phone, ID number, e-mail and contact address are masked for
everyone, here and not in templates (the name for everyone but the hotline);
revealing them is a service (audited): complaints.services.complaint_reveal_contact.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from workflow import crypto, events
from workflow.flow.runtime import OPEN_TASK
from workflow.selectors import open_tasks
from workflow.sms import mask_phone
from workflow.supervision import cases_in_state

from . import permissions
from .redaction import mask_address, mask_email, mask_id_number, mask_name, redact
from .models import Appeal, Complaint, ComplaintExtension, ComplaintReply, ComplaintTask, Dispatch, Suspension
from .services._common import secret_hash

PHONE_SEARCH_RE = re.compile(r"^\+?[0-9][0-9\- ]{6,19}$")
FILTERS = ("status", "department", "category", "channel", "kind", "overdue", "rating", "suspended", "q", "bad", "received_from", "received_to", "deadline_state")


def _scope(qs: QuerySet, user) -> QuerySet:
    if permissions.sees_all(user):
        return qs
    departments = permissions.user_department_ids(user, permissions.Role.HANDLER) | permissions.user_department_ids(user, permissions.Role.DEPT_LEADER)
    if not departments:
        return qs.none()
    dispatched = Dispatch.objects.filter(department_id__in=departments).exclude(status=Dispatch.Status.REDIRECTED).values("complaint_id")
    return qs.filter(pk__in=dispatched)


def complaint_list(*, user, filters: dict | None = None) -> QuerySet[Complaint]:
    """The complaints the user may see, filtered (see FILTERS), newest first."""
    filters = filters or {}
    qs = with_overdue(_scope(Complaint.objects.all(), user).select_related("category", "department"))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("department"):
        qs = qs.filter(department_id=filters["department"])
    if filters.get("category"):
        qs = qs.filter(category_id=filters["category"])
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("rating"):
        qs = qs.filter(rating=filters["rating"])
    if filters.get("bad"):
        qs = qs.filter(ratings__is_bad=True, ratings__excluded=False).distinct()
    if filters.get("suspended"):
        qs = qs.filter(suspended_since__isnull=False)
    if filters.get("overdue"):
        qs = qs.filter(overdue_q(timezone.now()))
    if filters.get("deadline_state"):
        # Complaints with an open task in that supervision state now (unknown values match nothing).
        qs = qs.filter(pk__in=cases_in_state(ComplaintTask, str(filters["deadline_state"])))
    if filters.get("received_from"):
        qs = qs.filter(received_at__date__gte=filters["received_from"])
    if filters.get("received_to"):
        qs = qs.filter(received_at__date__lte=filters["received_to"])
    if filters.get("q"):
        q = filters["q"].strip()
        match = Q(number=q.upper()) | Q(title__icontains=q)
        if permissions.is_hotline(user) and PHONE_SEARCH_RE.match(q):
            # A caller's earlier complaints by their phone: its blind index, for the hotline only
            # (a department could otherwise test a guessed number against its cases' masked ones).
            match |= Q(citizen_phone_index__in=crypto.blind_index_candidates(q))
        qs = qs.filter(match)
    return qs.order_by("-received_at", "-pk")


def overdue_q(now: dt.datetime) -> Q:
    """Open and past its handling deadline (a suspended case's clock is stopped), or undispatched past the dispatch limit."""
    handling = Q(status__in=[Complaint.Status.DISPATCHED, Complaint.Status.HANDLING, Complaint.Status.REVIEWING], deadline__lt=now, suspended_since__isnull=True)
    undispatched = Q(status=Complaint.Status.NEW, dispatch_due__lt=now)
    rectifying = Q(status=Complaint.Status.RECTIFYING, rectify_due__lt=now, suspended_since__isnull=True)
    return handling | undispatched | rectifying


def with_overdue(qs: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """Each complaint with `is_overdue`: the one definition (overdue_q), computed in the same query."""
    from django.db.models import BooleanField, Case, Value, When

    return qs.annotate(is_overdue=Case(When(overdue_q(now or timezone.now()), then=Value(True)), default=Value(False), output_field=BooleanField()))


def complaint_get(*, user, pk: int) -> Complaint:
    """One complaint the user may see: 404 when it does not exist, 403 when it is not theirs."""
    complaint = with_overdue(Complaint.objects).select_related("category", "department", "merged_into", "split_from", "not_accepted_reason").filter(pk=pk).first()
    if complaint is None:
        raise Http404
    decision = permissions.can_view(user, complaint)
    if not decision:
        raise PermissionDenied(decision.reason)
    return complaint


def complaint_contact(*, user, complaint: Complaint) -> dict:
    """The citizen's details as every member of staff sees them: phone, ID number, e-mail
    and contact address masked for everyone (the whole values only through the audited
    reveal); the name whole for the hotline, who address the citizen, masked for the others."""
    return {
        "citizen_name": complaint.citizen_name if permissions.is_hotline(user) else mask_name(complaint.citizen_name),
        "citizen_phone": mask_phone(complaint.citizen_phone) if complaint.citizen_phone else "",
        "citizen_id_number": mask_id_number(complaint.citizen_id_number) if complaint.citizen_id_number else "",
        "citizen_email": mask_email(complaint.citizen_email),
        "citizen_address": mask_address(complaint.citizen_address),
        "masked": True,
    }


def redact_for(*, user, complaints) -> list[Complaint]:
    """The citizen's free text (title, description, answers) masked as the contact is:
    a phone number written into the description must not undo the masking. Phone, ID
    numbers and e-mails for everyone; the citizen's name too for all but the hotline.
    In place; returns the list."""
    complaints = list(complaints)
    names = not permissions.is_hotline(user)
    for c in complaints:
        c.title = redact(c.title, c, names=names)
        c.description = redact(c.description, c, names=names)
        c.answers = {k: redact(str(v), c, names=names) for k, v in (c.answers or {}).items()}
    return complaints


def complaint_detail(*, user, pk: int) -> dict:
    """Everything the case page (and the API's detail) shows this user."""
    complaint = redact_for(user=user, complaints=[complaint_get(user=user, pk=pk)])[0]
    dispatches = list(complaint.dispatches.select_related("department", "dispatched_by").order_by("pk"))
    return {
        "complaint": complaint,
        "contact": complaint_contact(user=user, complaint=complaint),
        "dispatches": dispatches,
        "replies": list(complaint.replies.select_related("written_by", "signed_by", "reviewed_by").order_by("round", "pk")),
        "ratings": _ratings_for(user, complaint),
        "notes": list(complaint.notes.select_related("author", "department").order_by("created_at", "pk")),
        "attachments": list(complaint.attachments.order_by("pk")),
        "extensions": list(complaint.extension_requests.select_related("requested_by", "decided_by").order_by("-requested_at")),
        "suspensions": list(complaint.suspensions.select_related("requested_by", "decided_by").order_by("-requested_at")),
        "merged": list(complaint.merged.only("pk", "number", "title")),
        "parts": list(complaint.parts.only("pk", "number", "title", "status")),
        "my_tasks": list(open_tasks(user=user, task_model=ComplaintTask, case=complaint)),
        "timeline": events.case_timeline(case=complaint, audience=events.INTERNAL, events_only=not permissions.is_hotline(user)),
    }


def _ratings_for(user, complaint: Complaint) -> list:
    ratings = list(complaint.ratings.select_related("recorded_by").prefetch_related("appeals").order_by("created_at", "pk"))
    names = not permissions.is_hotline(user)
    for rating in ratings:
        rating.comment = redact(rating.comment, complaint, names=names)
    return ratings


def complaint_tasks(*, user, complaint: Complaint | None = None) -> QuerySet[ComplaintTask]:
    return open_tasks(user=user, task_model=ComplaintTask, case=complaint)


def pending_requests(*, user) -> dict:
    """What waits for a dispatcher's or supervisor's decision: extensions, suspensions, and (supervisors) appeals."""
    result = {"extensions": [], "suspensions": [], "appeals": []}
    if permissions.can_decide_requests(user):
        result["extensions"] = list(ComplaintExtension.objects.filter(status=ComplaintExtension.Status.PENDING).select_related("complaint", "department").order_by("requested_at")[:100])
        result["suspensions"] = list(Suspension.objects.filter(status=Suspension.Status.PENDING).select_related("complaint", "department").order_by("requested_at")[:100])
    if permissions.can_decide_appeal(user):
        result["appeals"] = list(Appeal.objects.filter(status=Appeal.Status.PENDING).select_related("complaint", "department", "rating").order_by("filed_at")[:100])
    return result


def categories() -> QuerySet:
    from .models import Category

    return Category.objects.filter(is_active=True).order_by("ordering", "code")


# --- the citizen's view (no account) ----------------------------------------------------
@dataclass
class Progress:
    complaint: Complaint
    case: Complaint  # the case followed (the merge target, when merged)
    steps: list
    reply: ComplaintReply | None
    expected: dt.datetime | None
    can_follow_up: bool


def complaint_progress(*, number: str, code: str) -> Progress | None:
    """What the citizen sees with the case number and query code: None for an
    unknown number and for a wrong code alike. Events are the PUBLIC ones;
    no staff names, no internal notes."""
    number = (number or "").strip().upper()
    code = (code or "").strip().upper()
    if not number or not code or len(number) > 20 or len(code) > 16:
        return None
    complaint = Complaint.objects.select_related("category", "department", "merged_into", "not_accepted_reason").filter(number=number).first()
    if complaint is None or complaint.query_code_hash != secret_hash(code):
        return None
    case = complaint.merged_into or complaint
    steps = events.case_timeline(case=complaint, audience=events.PUBLIC, events_only=True)
    if case.pk != complaint.pk:
        steps = sorted(steps + events.case_timeline(case=case, audience=events.PUBLIC, events_only=True), key=lambda e: e.at)
    reply = case.replies.filter(status=ComplaintReply.Status.PASSED).order_by("-round", "-pk").first() if case.replied_at or case.status == Complaint.Status.CLOSED else None
    return Progress(
        complaint=complaint, case=case, steps=steps, reply=reply,
        expected=case.deadline if case.status in Complaint.OPEN_STATUSES else None,
        can_follow_up=permissions.can_say_not_resolved(case),
    )


def public_open_complaint(*, number: str) -> Complaint | None:
    """An open complaint by its number, for a citizen who follows it (附议): nothing else is read."""
    number = (number or "").strip().upper()
    if not number or len(number) > 20:
        return None
    return Complaint.objects.filter(number=number, status__in=Complaint.OPEN_STATUSES).only("pk", "number", "title", "status").first()


def link_reply(*, link) -> ComplaintReply | None:
    """The reply a one-time rating link asks the citizen to rate (the round's passed reply)."""
    return link.complaint.replies.filter(round=link.round, status=ComplaintReply.Status.PASSED).order_by("-pk").first()


def similar_open_public(*, text: str, hall: str = "", address: str = "") -> list[dict]:
    """For the public form: open complaints at the same place with similar text, as
    number, title and status only (nothing personal)."""
    from .routing import _window_start, similar_open

    if len((text or "").strip()) < 4 or not (hall or address):
        return []
    found = similar_open(text=text, hall=hall.strip(), address=address.strip(), since=_window_start(timezone.now()))
    return [{"pk": c.pk, "number": c.number, "title": c.safe_title, "status": c.get_status_display(), "score": round(s)} for c, s in found]


def open_task_count_by_node(*, complaint: Complaint) -> dict[str, int]:
    counts: dict[str, int] = {}
    for task in ComplaintTask.objects.filter(complaint=complaint, status__in=OPEN_TASK).only("flow_task"):
        counts[task.flow_task.name] = counts.get(task.flow_task.name, 0) + 1
    return counts


