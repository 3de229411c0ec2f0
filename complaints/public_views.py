"""Public complaint pages for citizens without an account (namespace
"complaints_public", mounted at /complaint/).

Thin views: read the form, call one service or selector, redirect. The
services decide what is required and valid; their errors are shown on the
form (HTTP 200), never as a 500. Nothing personal ever goes into a URL: the
query code is posted (track) or kept in the session (submitted), and the
case number is the only identifier in an address.

Guessing is throttled per client address (complaints/throttle.py): a wrong
number or query code at `track` and an invalid rating link count as
failures; past the limit the answer is 429 with Retry-After, without looking
at what was sent.
"""
from __future__ import annotations

import datetime as dt
import time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from workflow import documents
from workflow.document_views import StoredFileChanged, changed_file_response, read_checked
from workflow.events import present_timeline
from workflow.rules import time_limit_text
from workflow.web import label_map

from . import selectors, services, throttle
from .attachments import check_uploads
from .documents import PUBLIC_NOTICE
from .models import Channel, CitizenLink, Complaint, ComplaintReply
from .public_forms import ComplaintSubmitForm, NotResolvedForm, RateForm, TrackForm, mark_for_screen_readers

RESULT_KEY = "complaints_public_result"
SIMILAR_TEXT_MAX = 1000
# Marked as required on the page; the service decides (the place depends on the kind).
SUBMIT_REQUIRED = ("kind", "category", "title", "description")


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages_] for field, messages_ in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _wait_text(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return _("尝试次数过多，为保护群众信息，请%(minutes)d分钟后再试。") % {"minutes": minutes}


def _throttled(request, template: str, seconds: int, context: dict | None = None):
    response = render(request, template, {**(context or {}), "throttled": _wait_text(seconds)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


# --- submit ---------------------------------------------------------------------------------
class _DryRun(Exception):
    """Rolls back a validation-only run of complaint_submit."""


def _errors_without_saving(kwargs: dict) -> dict[str, list[str]]:
    """The service's own errors when the form already refused a value, so that
    the citizen sees every problem at once. Nothing is kept: the run is rolled
    back, and the uploads are checked apart so that no file is written."""
    errors: dict[str, list[str]] = {}
    try:
        with transaction.atomic():
            services.complaint_submit(actor=None, channel=Channel.WEB, **{**kwargs, "attachments": []})
            raise _DryRun
    except _DryRun:
        pass
    except ValidationError as exc:
        errors.update(_error_dict(exc))
    try:
        check_uploads(kwargs.get("attachments") or [])
    except ValidationError as exc:
        errors.update(_error_dict(exc))
    return errors


def _dispatch_limit_text() -> str:
    try:
        return time_limit_text(case_kind="complaint", step="dispatch")
    except Exception:  # a missing rule is shown to staff on their home page; the citizen just sees no limit
        return ""


def _handle_limit_text(kind: str) -> str:
    try:
        return time_limit_text(case_kind="complaint", step="handle", category=kind)
    except Exception:
        return ""


@never_cache
@require_http_methods(["GET", "POST"])
def submit(request):
    categories = list(selectors.categories())
    if request.method == "POST":
        # Each filing sends an SMS: a few per address and per phone in the window.
        phone = (request.POST.get("citizen_phone") or "").strip()
        wait = throttle.retry_after(request, "submit", subject=phone)
        if wait > 0:
            return _throttled(request, "complaints/public/submit.html", wait, {
                "form": ComplaintSubmitForm(categories=categories, initial={"kind": "complaint"}),
            })
        form = ComplaintSubmitForm(request.POST, request.FILES, categories=categories)
        form.is_valid()
        kwargs = form.service_kwargs()
        if form.errors:
            form.add_service_errors(_errors_without_saving(kwargs))
        else:
            try:
                complaint, code = services.complaint_submit(actor=None, channel=Channel.WEB, **kwargs)
            except ValidationError as exc:
                form.add_service_errors(_error_dict(exc))
            else:
                throttle.hit(request, "submit", subject=complaint.citizen_phone)
                request.session[RESULT_KEY] = {
                    "type": "submitted", "number": complaint.number, "code": code,
                    "dispatch_due": complaint.dispatch_due.isoformat() if complaint.dispatch_due else "",
                    "kind": complaint.get_kind_display(), "handle_limit": _handle_limit_text(complaint.kind),
                    "has_phone": bool(complaint.citizen_phone),
                }
                return redirect("complaints_public:submitted")
    else:
        form = ComplaintSubmitForm(categories=categories, initial={"kind": "complaint"})
    mark_for_screen_readers(form, required=SUBMIT_REQUIRED)
    return render(request, "complaints/public/submit.html", {
        "form": form, "question_groups": form.question_groups(), "dispatch_limit": _dispatch_limit_text(),
        "category_descriptions": {str(c.pk): c.description for c in categories if c.description},
        "files_to_choose_again": request.method == "POST" and bool(request.FILES),
    })


@never_cache
def submitted(request):
    """The case number and query code, shown once (a reload says they were shown)."""
    result = request.session.pop(RESULT_KEY, None)
    if result and result.get("dispatch_due"):
        result["dispatch_due"] = dt.datetime.fromisoformat(result["dispatch_due"])
    return render(request, "complaints/public/submitted.html", {"result": result})


@require_http_methods(["GET", "POST"])
def similar(request):
    """HTML fragment: open complaints at the same place with similar text (number, title, status).
    The page asks by POST so that what the citizen is typing stays out of URLs and logs."""
    if throttle.retry_after(request, "similar") > 0:
        return render(request, "complaints/public/_similar.html", {"similar": []})
    throttle.hit(request, "similar")
    params = request.POST if request.method == "POST" else request.GET
    text = (params.get("text") or f"{params.get('title', '')} {params.get('description', '')}").strip()[:SIMILAR_TEXT_MAX]
    found = selectors.similar_open_public(text=text, hall=(params.get("hall") or "")[:64], address=(params.get("address") or "")[:200])
    return render(request, "complaints/public/_similar.html", {"similar": found})


@require_POST
def follow(request, number: str):
    """附议: the citizen adds their voice to an open complaint instead of filing a new one."""
    # Each address may add a few follows per window (the same counter as wrong
    # guesses, its own scope), so that a follower count cannot be pumped up.
    if throttle.retry_after(request, "follow") > 0:
        messages.error(request, _("操作过于频繁，请稍后再试。"))
        return redirect("complaints_public:submit")
    throttle.hit(request, "follow")
    complaint = selectors.public_open_complaint(number=number)
    if complaint is None:
        messages.error(request, _("没有找到该诉求，或该诉求已办结，请提交新的诉求。"))
        return redirect("complaints_public:submit")
    try:
        complaint = services.complaint_follow(complaint=complaint, citizen_phone=(request.POST.get("citizen_phone") or "").strip())
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("complaints_public:submit")
    request.session[RESULT_KEY] = {"type": "followed", "number": complaint.number, "title": complaint.title}
    return redirect("complaints_public:submitted")


# --- track ---------------------------------------------------------------------------------
def _public_steps(progress) -> list[dict]:
    """The public events with their labels; never who did it, never notes."""
    rows, _history = present_timeline(
        model=Complaint, entries=progress.steps, status_labels=dict(Complaint.Status.choices),
        labels={services.RATING_SCALE: label_map(services.RATING_SCALE)},
    )
    return [{"at": r["at"], "text": r["text"], "details": r["details"]} for r in rows]


@never_cache
@require_http_methods(["GET", "POST"])
def track(request):
    """Number + query code → progress. Posted, so that the code never lands in a URL.
    An unknown number and a wrong code get the same answer."""
    if request.method == "POST":
        number = (request.POST.get("number") or "").strip()
        wait = throttle.retry_after(request, "lookup", subject=number)
        if wait > 0:
            return _throttled(request, "complaints/public/track.html", wait, {"form": TrackForm()})
        form = TrackForm(request.POST)
        if form.is_valid():
            progress = selectors.complaint_progress(number=form.cleaned_data["number"], code=form.cleaned_data["code"])
            if progress is not None:
                complaint = progress.complaint
                _grant_download(request, complaint)
                return render(request, "complaints/public/progress.html", {
                    "progress": progress, "complaint": complaint, "case": progress.case, "steps": _public_steps(progress),
                    "has_phone": bool(complaint.citizen_phone),
                    "parts": list(complaint.parts.only("number", "status").order_by("pk")) if complaint.status == Complaint.Status.SPLIT else [],
                })
            throttle.record_failure(request, "lookup", subject=number)
            form.add_error(None, _("编号或查询码不正确，请核对后重试。"))
    else:
        form = TrackForm()
    mark_for_screen_readers(form, required=("number", "code"))
    return render(request, "complaints/public/track.html", {"form": form})


# --- the reply notice, for the citizen who looked the case up ---------------------------------
TRACKED_KEY = "complaints_public_tracked"
TRACKED_SECONDS = 30 * 60


def _grant_download(request, complaint: Complaint) -> None:
    """Number and query code checked: this browser may download the case's reply notice for 30 minutes."""
    now = int(time.time())
    grants = {pk: t for pk, t in (request.session.get(TRACKED_KEY) or {}).items() if now - t < TRACKED_SECONDS}
    grants[str(complaint.pk)] = now
    request.session[TRACKED_KEY] = dict(list(grants.items())[-10:])


def _public_reply(complaint: Complaint):
    """The reply the progress page shows (as complaints.selectors.complaint_progress)."""
    case = complaint.merged_into or complaint
    if not (case.replied_at or case.status == Complaint.Status.CLOSED):
        return None
    return case.replies.filter(status=ComplaintReply.Status.PASSED).order_by("-round", "-pk").first()


@never_cache
@require_http_methods(["GET"])
def reply_notice_pdf(request, number: str):
    """GET /complaint/<number>/notice.pdf: the reply notice (答复告知书) as PDF, redacted as
    the progress page is, for the browser that entered this case's number and query code
    in the last 30 minutes; 403 for anyone else (an unknown number gets the same answer)."""
    granted = request.session.get(TRACKED_KEY) or {}
    complaint = Complaint.objects.select_related("merged_into").filter(number=(number or "").strip().upper()[:20]).first()
    issued_at = granted.get(str(complaint.pk)) if complaint is not None else None
    if issued_at is None or time.time() - issued_at >= TRACKED_SECONDS:
        raise PermissionDenied(_("请先在“查询进度”页输入编号和查询码，再下载答复告知书。"))
    if complaint.merged_into_id:
        # The merged case's notice is a letter to its own requester (their title, their dates):
        # this citizen reads the shared reply on the progress page instead.
        raise Http404(_("您的诉求已与同类诉求合并办理，答复内容请在进度页查看。"))
    reply = _public_reply(complaint)
    if reply is None:
        raise Http404(_("该诉求尚未答复，暂无答复告知书。"))
    doc = documents.document_issue(actor=None, case=reply, kind=PUBLIC_NOTICE)
    try:
        response = HttpResponse(read_checked(documents.document_read, doc), content_type="application/pdf")
    except StoredFileChanged as exc:
        return changed_file_response(request, exc)
    response["Content-Disposition"] = content_disposition_header(True, f"答复告知书-{complaint.number}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


# --- rate ----------------------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def rate(request, token: str):
    """The one-time link: rate the reply, or (before rating) say it is not resolved.
    Unknown, used and expired links get one and the same page."""
    wait = throttle.retry_after(request, "rate")
    if wait > 0:
        return _throttled(request, "complaints/public/rate_invalid.html", wait)
    link = services.link_get(token=token)
    if link is None:
        throttle.record_failure(request, "rate")
        return render(request, "complaints/public/rate_invalid.html")
    complaint = link.complaint
    may_say_not_resolved = link.purpose == CitizenLink.Purpose.RATE and services.can_say_not_resolved(complaint)
    form, not_resolved_form = RateForm(), NotResolvedForm()
    page_errors: list[str] = []
    if request.method == "POST":
        if request.POST.get("action") == "not_resolved":
            not_resolved_form = NotResolvedForm(request.POST)
            not_resolved_form.is_valid()
            try:
                services.complaint_not_resolved(token=token, reason=not_resolved_form.cleaned_data.get("reason", ""))
            except ValidationError as exc:
                errors = _error_dict(exc)
                for field, messages_ in errors.items():
                    for message in messages_:
                        if field in ("reason", "comment"):
                            not_resolved_form.add_error("reason", message)
                        else:  # the window has passed, or a follow-up link
                            page_errors.append(message)
            else:
                messages.success(request, _("已收到您“问题没有解决”的反馈，诉求%(number)s已退回承办单位重新办理。可凭编号和查询码查询进度。") % {"number": complaint.number})
                return redirect(reverse("complaints_public:track"))
        else:
            form = RateForm(request.POST)
            form.is_valid()
            try:
                services.complaint_rate_by_link(token=token, **form.service_kwargs())
            except ValidationError as exc:
                errors = _error_dict(exc)
                for field, messages_ in errors.items():
                    name = field if field in form.fields else f"indicator_{field}"
                    for message in messages_:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(request, _("感谢您的评价！诉求%(number)s的评价已提交。") % {"number": complaint.number})
                return redirect(reverse("complaints_public:track"))
    mark_for_screen_readers(form, required=("rating",))
    mark_for_screen_readers(not_resolved_form, required=("reason",))
    return render(request, "complaints/public/rate.html", {
        "link": link, "complaint": complaint, "reply": selectors.link_reply(link=link), "form": form,
        "not_resolved_form": not_resolved_form, "may_say_not_resolved": may_say_not_resolved,
        "followup": link.purpose == CitizenLink.Purpose.FOLLOWUP, "page_errors": page_errors,
    })
