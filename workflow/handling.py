"""Extension requests and evaluations, for every case type.

The case type keeps its own tables (concrete subclasses of
workflow.models.ExtensionRequestBase / EvaluationBase) and its own
deadline owner (an assignment, a work order); these functions hold the rules
that do not depend on it: when a later date may be asked for, how a decision
is recorded, what cancels pending requests when a deadline is recomputed,
and how ratings on a label scale are checked.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ExtensionRequestBase
from .rules import label_codes, negative_codes
from .workdays import end_of_day


# --- extensions ---------------------------------------------------------------------
def extension_check_dates(*, deadline: dt.datetime, requested_until: dt.date, ceiling: dt.datetime, ceiling_text: str) -> None:
    """The requested date must be later than the current deadline and within the ceiling."""
    if end_of_day(requested_until) > ceiling:
        raise ValidationError({"requested_until": _("延期后最迟须在%(date)s前完成（%(limit)s）。") % {
            "date": timezone.localtime(ceiling).strftime("%Y-%m-%d"), "limit": ceiling_text,
        }})
    if end_of_day(requested_until) <= deadline:
        raise ValidationError({"requested_until": _("申请的日期须晚于现在的期限。")})


def extension_can_request(*, deadline: dt.datetime, pending: bool, now: dt.datetime | None = None) -> str:
    """Why a request cannot be made now ("" when it can): before the deadline, one at a time."""
    if (now or timezone.now()) > deadline:
        return _("已超过期限，须在期限届满前申请延期。")
    if pending:
        return _("已有待审批的延期申请。")
    return ""


def extension_require_pending(*, request: ExtensionRequestBase) -> None:
    if request.status != ExtensionRequestBase.Status.PENDING:
        raise ValidationError(_("该申请已审批。"))


def _decide(request: ExtensionRequestBase, *, actor, status: str, note: str) -> None:
    request.status = status
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


def extension_record_decision(*, request: ExtensionRequestBase, actor, approve: bool, note: str = "") -> ExtensionRequestBase:
    """Record the decision on a locked, pending request (a refusal needs a reason)."""
    extension_require_pending(request=request)
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("不同意延期须说明理由。")})
    status = ExtensionRequestBase.Status.APPROVED if approve else ExtensionRequestBase.Status.REFUSED
    _decide(request, actor=actor, status=status, note=note)
    return request


def extension_cancel_pending(*, requests, actor, note: str) -> list[ExtensionRequestBase]:
    """A deadline was recomputed (re-assignment, re-handling): pending requests no
    longer apply and are refused with `note`. `requests`: a queryset of one owner's."""
    cancelled = list(requests.select_for_update().filter(status=ExtensionRequestBase.Status.PENDING))
    for request in cancelled:
        _decide(request, actor=actor, status=ExtensionRequestBase.Status.REFUSED, note=note)
    return cancelled


# --- evaluations -----------------------------------------------------------------------
def evaluation_check_codes(*, scale: str, ratings: dict[str, str], messages: dict[str, str]) -> None:
    """Each rating (field -> code) must be an active code of the scale."""
    codes = label_codes(scale)
    errors = {field: messages[field] for field, code in ratings.items() if code not in codes}
    if errors:
        raise ValidationError(errors)


def evaluation_require_comment(*, scale: str, codes, comment: str, message: str) -> None:
    """A negative rating (不满意, 差评) must say why, so that the case can be handled again."""
    if evaluation_is_negative(scale=scale, codes=codes) and not (comment or "").strip():
        raise ValidationError({"comment": message})


def evaluation_is_negative(*, scale: str, codes) -> bool:
    """Is any of the codes negative on the scale (不满意, 差评), including switched-off choices?"""
    return bool(set(codes) & negative_codes(scale))
