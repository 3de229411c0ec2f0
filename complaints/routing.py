"""Suggestions for the dispatcher: the department (routing rules, as data)
and possible duplicates (same phone, or same place with similar text, within
the rules table's window). Reads only."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from rapidfuzz import fuzz

from workflow import crypto
from workflow.models import Department
from workflow.rules import time_limit

from .models import Complaint, RoutingRule


@dataclass(frozen=True)
class RouteSuggestion:
    department: Department
    rule: RoutingRule


def suggest_department(complaint: Complaint) -> RouteSuggestion | None:
    """The first active rule (by priority) whose every given condition matches."""
    text = f"{complaint.title} {complaint.description}"
    place = complaint.place
    for rule in RoutingRule.objects.filter(is_active=True, department__is_active=True).select_related("department", "category"):
        if rule.category_id and rule.category_id != complaint.category_id:
            continue
        keywords = rule.keyword_list()
        if keywords and not any(k in text for k in keywords):
            continue
        if rule.area and rule.area not in place:
            continue
        if not (rule.category_id or keywords or rule.area):
            continue  # a rule with no condition would route everything: ignored
        return RouteSuggestion(rule.department, rule)
    return None


# partial_ratio's cost grows with the product of the lengths: compare the opening
# of each text (a title and the start of what happened say what it is about).
SIMILARITY_CHARS = 200


def similarity(a: str, b: str) -> float:
    """0-100: how alike two texts are (rapidfuzz's partial ratio works for
    Chinese without segmentation, since it compares character runs)."""
    return fuzz.partial_ratio(a[:SIMILARITY_CHARS], b[:SIMILARITY_CHARS])


def _window_start(received_at: dt.datetime) -> dt.datetime:
    rule = time_limit(case_kind="complaint", step="duplicate_window")
    return received_at - dt.timedelta(days=rule.amount)


def similar_open(*, text: str, hall: str = "", address: str = "", exclude_pk: int | None = None, since: dt.datetime, limit: int = 5) -> list[tuple[Complaint, float]]:
    """Open complaints at the same place (hall or address) with similar text, most similar first."""
    place_q = Q()
    if hall:
        place_q |= Q(hall=hall)
    if address:
        place_q |= Q(address=address)
    if not place_q:
        return []
    candidates = (
        Complaint.objects.filter(place_q, status__in=Complaint.OPEN_STATUSES, received_at__gte=since)
        .exclude(pk=exclude_pk).only("pk", "number", "title", "description", "hall", "address", "status", "received_at", "citizen_name", "citizen_phone", "citizen_email", "citizen_id_number")
        .order_by("-received_at")[:200]
    )
    threshold = settings.COMPLAINT_DUPLICATE_SIMILARITY
    scored = [(c, similarity(text, f"{c.title} {c.description}")) for c in candidates]
    scored = [(c, s) for c, s in scored if s >= threshold]
    scored.sort(key=lambda cs: -cs[1])
    return scored[:limit]


def possible_duplicates(complaint: Complaint, limit: int = 5) -> list[tuple[Complaint, str]]:
    """Complaints within the window from the same phone, or at the same place with similar text."""
    since = _window_start(complaint.received_at)
    found: dict[int, tuple[Complaint, str]] = {}
    if complaint.citizen_phone:
        # the phone is stored encrypted: the same phone is the same blind index (any configured key)
        same_phone = (
            Complaint.objects.filter(citizen_phone_index__in=crypto.blind_index_candidates(complaint.citizen_phone), received_at__gte=since)
            .exclude(pk=complaint.pk).exclude(status__in=[Complaint.Status.MERGED, Complaint.Status.SPLIT])
            .order_by("-received_at")[:limit]
        )
        for other in same_phone:
            found[other.pk] = (other, "same_phone")
    text = f"{complaint.title} {complaint.description}"
    for other, score in similar_open(text=text, hall=complaint.hall, address=complaint.address, exclude_pk=complaint.pk, since=since, limit=limit):
        found.setdefault(other.pk, (other, f"similar:{round(score)}"))
    return list(found.values())[:limit]
