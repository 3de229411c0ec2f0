"""The audit trail (issue 12, 等保 level 3): one append-only, hash-chained log.

Every sign-in, sign-out, failure, lockout, password and token event, case
state change, permission change, export and reveal of personal data is one
row of workflow.SecurityEvent, written by `append` and by nothing else:

* **numbered and chained**: each row gets the next `sequence` and the `hash`
  of the row before as `prev_hash`; its own `hash` is SM3 over a canonical
  serialisation of its fields (workflow.audit_chain). `audit_verify`
  recomputes the chain and names the first row that was edited, deleted or
  inserted;
* **serialised**: appending takes the chain lock first (PostgreSQL: a
  transaction-level advisory lock; SQLite: one writer at a time, and the
  unique sequence refuses a fork either way), so two writers never chain to
  the same row. The lock is held until the caller's transaction ends;
* **append-only**: the model refuses save() of an existing row and delete(),
  the admin is read-only, and on PostgreSQL a trigger refuses UPDATE and
  DELETE. `audit_purge` alone deletes, rows older than AUDIT_RETENTION_DAYS
  (at least 180), and records itself; verify then anchors at the first row
  left, whose prev_hash the purge row states.

The event writers (`audit_reveal`, `audit_export`, `audit_case_status`, the
receivers of workflow/security_events.py) say who did what; the audit
administrator's page (workflow/audit_views.py) searches and exports.
See docs/security.md and docs/decisions/0007-audit-chain.md.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import ipaddress
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit_chain import FIELDS, GENESIS, canonical_detail, canonical_ip, row_hash
from .models import SecurityEvent

Kind = SecurityEvent.Kind

# The key of PostgreSQL's advisory lock that serialises appends (any constant no other code uses).
CHAIN_LOCK_KEY = 0x41554449  # "AUDI"
MIN_RETENTION_DAYS = 180
PROTECT_TRIGGER = "workflow.SecurityEvent:securityevent_append_only"

# --- the request being served (set by workflow.security_middleware.AuditContextMiddleware) --------
_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)


@contextlib.contextmanager
def request_context(request):
    """Rows written while serving `request` carry its client address and browser, and its
    user when the writer names no actor (a group changed in the admin)."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def current_request():
    return _request.get()


def current_actor():
    """Who is acting: the user named by workflow.security.acting, else the request's user."""
    from . import security

    actor = security.current_actor()
    if actor is None:
        request = current_request()
        actor = getattr(request, "user", None) if request is not None else None
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


# --- appending ---------------------------------------------------------------------------------
def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite serialises writers (IMMEDIATE transactions, config/settings/base.py sqlite_options);
    # should two ever read the same head, the unique sequence refuses the second insert.


def _clean_ip(value) -> tuple[str | None, str]:
    """(the address, "" ) or (None, the raw text) when it is not an address (a forged header)."""
    if not value:
        return None, ""
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return None, str(value)[:64]
    return canonical_ip(value), ""


def _row(event: SecurityEvent) -> dict:
    return {name: getattr(event, name) for name in FIELDS}


def append(
    *, kind: str, actor=None, username: str = "", request=None, obj: models.Model | None = None,
    object_type: str = "", object_id: str = "", object_repr: str = "", detail: dict | None = None,
) -> SecurityEvent:
    """Write one row of the audit trail: numbered, chained, inside the caller's transaction.

    `actor` is the user the row is about (who signed in, who acted); `username` the name given
    when there is no such user (a failed sign-in); `request` (default: the request being
    served) gives the client address and browser; `obj` what the event is about (a case, an
    account, a group), or object_type / object_id / object_repr when it is not a model row."""
    from . import security

    if request is None:
        request = current_request()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if not username and user is not None:
        username = user.get_username()
    detail = dict(detail or {})
    ip, raw_ip = _clean_ip(security.client_ip(request) if request is not None else None)
    if raw_ip:
        detail["ip_raw"] = raw_ip
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
        object_repr = object_repr or _label(obj)
    event = SecurityEvent(
        kind=kind, username=(username or "")[:150], user=user, ip_address=ip,
        user_agent=(security.client_user_agent(request) if request is not None else "")[:255],
        object_type=object_type[:100], object_id=str(object_id)[:64], object_repr=str(object_repr)[:200],
        detail=canonical_detail(detail),
    )
    # Inside the caller's transaction without a savepoint of its own (issue 11: two
    # statements fewer per row): a failure here fails the caller's transaction,
    # which nothing catches to carry on; alone, it is its own transaction.
    with transaction.atomic(savepoint=False):
        _lock_chain()
        head = SecurityEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
        event.sequence, event.prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
        event.created_at = timezone.now()  # after the lock: times follow the sequence
        event.hash = row_hash(_row(event), event.prev_hash)
        event._appending = True
        event.save(force_insert=True)
        del event._appending
    return event


def _label(obj: models.Model) -> str:
    """How people name the object: a case's number as written (TS2026000001, 第28号), else str()."""
    if getattr(obj, "number", None):
        return str(getattr(obj, "display_number", None) or obj.number)
    return str(obj)


# --- what the rest of the platform records -------------------------------------------------------
def audit_case_status(*, case: models.Model, actor, from_state: str, to_state: str, event_type: str) -> SecurityEvent:
    """A case moved from one status to another (workflow.events.event_record calls this for every
    event that changes the status; the case's own timeline keeps the event itself)."""
    return append(
        kind=Kind.CASE_STATUS_CHANGED, actor=actor, obj=case,
        detail={"case_kind": case._meta.label_lower, "from": from_state or "", "to": to_state or "", "event": event_type},
    )


def audit_reveal(*, actor, obj: models.Model, fields: list[str], reason: str = "", request=None) -> SecurityEvent:
    """Someone was shown personal data in full (a citizen's phone number, e-mail, ID number)
    that is otherwise masked for them: which record, which fields, why."""
    return append(
        kind=Kind.PERSONAL_DATA_REVEALED, actor=actor, obj=obj, request=request,
        detail={"fields": sorted(fields), "reason": (reason or "").strip()[:500]},
    )


def audit_export(*, actor, what: str, rows: int, filters: dict | None = None, truncated: bool = False, request=None) -> SecurityEvent:
    """Someone exported data (the complaint ledger, the audit trail itself): what, how many
    rows and with which filters."""
    clean = {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v) if isinstance(v, models.Model) else v)
             for k, v in (filters or {}).items() if v not in (None, "", [], ())}
    return append(
        kind=Kind.DATA_EXPORTED, actor=actor, request=request, object_type="export", object_id=what, object_repr=what,
        detail={"what": what, "rows": rows, "truncated": truncated, "filters": _plain(clean)},
    )


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# --- verifying ---------------------------------------------------------------------------------
@dataclass
class Problem:
    sequence: int
    reason: str

    def __str__(self):
        return f"#{self.sequence}: {self.reason}"


@dataclass
class Verification:
    rows: int = 0
    first: int | None = None
    last: int | None = None
    head_hash: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _anchor_problem(first: dict) -> Problem | None:
    """The first row left must start the chain: sequence 1 after GENESIS, or (after a purge) the
    row right after the last purged one, whose hash the latest purge row states."""
    if first["sequence"] == 1:
        if first["prev_hash"] != GENESIS:
            return Problem(1, "the first row does not start the chain (prev_hash is not GENESIS)")
        return None
    purge = SecurityEvent.objects.filter(kind=Kind.AUDIT_PURGED).order_by("-sequence").values("detail").first()
    through = (purge or {}).get("detail", {}).get("through_sequence")
    if through != first["sequence"] - 1:
        return Problem(first["sequence"] - 1, "row missing: rows before #%d were deleted, not by a purge" % first["sequence"])
    if (purge or {}).get("detail", {}).get("through_hash") != first["prev_hash"]:
        return Problem(first["sequence"], "prev_hash does not match the last purged row's hash stated by the purge")
    return None


def audit_verify(*, max_problems: int = 20, chunk_size: int = 2000) -> Verification:
    """Recompute the chain, oldest first: each row's hash, its link to the row before, no gaps.
    Problems name the sequence number: an edited row (its hash), a row replaced with a
    recomputed hash (the next row's link), a deleted row (the gap), an inserted one (its hash)."""
    result = Verification()
    expected_sequence = prev_hash = None
    rows = SecurityEvent.objects.order_by("sequence").values("prev_hash", "hash", *FIELDS)
    for row in rows.iterator(chunk_size=chunk_size):
        sequence = row["sequence"]
        if result.first is None:
            result.first = sequence
            problem = _anchor_problem(row)
            if problem:
                result.problems.append(problem)
        else:
            if sequence != expected_sequence:
                missing = f"#{expected_sequence}" if sequence == expected_sequence + 1 else f"#{expected_sequence}–#{sequence - 1}"
                result.problems.append(Problem(expected_sequence, f"row missing: {missing} deleted"))
            elif row["prev_hash"] != prev_hash:
                result.problems.append(Problem(sequence, f"prev_hash does not match the hash of #{sequence - 1} (that row was replaced, or this one inserted)"))
        if row_hash(row, row["prev_hash"]) != row["hash"]:
            result.problems.append(Problem(sequence, "contents do not match the row's hash (edited or inserted)"))
        result.rows += 1
        result.last, result.head_hash = sequence, row["hash"]
        expected_sequence, prev_hash = sequence + 1, row["hash"]
        if len(result.problems) >= max_problems:
            break
    return result


# --- purging ---------------------------------------------------------------------------------
def retention_days() -> int:
    days = settings.AUDIT_RETENTION_DAYS
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(f"AUDIT_RETENTION_DAYS={days}: the audit trail is kept at least {MIN_RETENTION_DAYS} days")
    return days


@dataclass
class Purge:
    deleted: int
    through_sequence: int
    event: SecurityEvent


def audit_purge(*, actor=None, before: dt.datetime, now: dt.datetime | None = None) -> Purge:
    """Delete the rows written before `before`, which must be at least AUDIT_RETENTION_DAYS ago,
    and record the purge (the last purged row's sequence and hash: verify anchors there).
    Refused while the chain does not verify: a purge must not destroy the evidence."""
    now = now or timezone.now()
    days = retention_days()
    limit = now - dt.timedelta(days=days)
    if before > limit:
        raise ValidationError(
            _("审计记录至少保留%(days)d天：只能清理%(limit)s之前的记录。")
            % {"days": days, "limit": timezone.localtime(limit).strftime("%Y-%m-%d %H:%M")}
        )
    # Its own savepoint: a refusal below (a broken chain) leaves the caller's transaction usable.
    with transaction.atomic():
        _lock_chain()
        check = audit_verify(max_problems=1)
        if not check.ok:
            raise ValidationError(_("审计链校验未通过（%(problem)s），不能清理。请先运行 audit_verify。") % {"problem": check.problems[0]})
        first = SecurityEvent.objects.order_by("sequence").values("sequence", "prev_hash").first()
        deleted, through, through_hash = 0, 0, GENESIS
        if first is not None:
            young = SecurityEvent.objects.filter(created_at__gte=before).order_by("sequence").values_list("sequence", flat=True).first()
            # Every row numbered below the first young one is older than `before` (times follow the sequence).
            through = young - 1 if young is not None else check.last
            if through < first["sequence"]:
                through, through_hash = first["sequence"] - 1, first["prev_hash"]
            else:
                through_hash = SecurityEvent.objects.values_list("hash", flat=True).get(sequence=through)
                old = SecurityEvent.objects.filter(sequence__lte=through)
                import pgtrigger

                with pgtrigger.ignore(PROTECT_TRIGGER):
                    deleted, _counts = models.QuerySet.delete(old)
        event = append(
            kind=Kind.AUDIT_PURGED, actor=actor,
            detail={
                "before": before.isoformat(), "retention_days": days, "deleted": deleted,
                "through_sequence": through, "through_hash": through_hash,
            },
        )
    return Purge(deleted=deleted, through_sequence=through, event=event)
