"""Staff pages of complaints (namespace "complaints", mounted at /complaints/).

Thin views: the case comes from the scoped selectors (complaint_get: 404 when
it does not exist, 403 when the user may not see it), the role is checked at
the top (a wrong role is a 403 whatever it posted), a form is validated and
one service called; its ValidationErrors go back on the form, its
PermissionDenied is a 403.

Every action URL shows its form on GET (so a link, a reload or a validation
error never strands the user), re-renders it with the errors after a refused
POST, and redirects to the case page with a message after success. The case
page shows the same forms as cards: one per open task of the user (the URL
its flow node declares) and one per action the permission predicates allow.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from workflow.exports import max_rows as export_max_rows
from workflow.events import present_timeline
from workflow.rules import time_limit_text
from workflow.selectors import require_role, user_has_role, user_roles
from workflow.web import decision_refusal, apply_service_errors, bound_data, export_post_only, keyed_form, label_map, querystring_without_page, run_action

from . import forms, permissions, routing, selectors, services
from .models import Appeal, Attachment, Complaint, ComplaintExtension, ComplaintRating, ComplaintReply, Dispatch, Suspension
from .roles import STAFF_ROLES, Role
from .redaction import mask_name

PAGE_SIZE = 20
INTAKE_SESSION_KEY = "complaints_intake_code"
RATING_SCALE = forms.RATING_SCALE


# --- helpers ---------------------------------------------------------------------------------
def _complaint(user, pk: int) -> Complaint:
    """The case as this user may see it (the citizen's free text masked for department users).
    Services re-read and lock the row themselves, so the masked copy is never saved."""
    return selectors.redact_for(user=user, complaints=[selectors.complaint_get(user=user, pk=pk)])[0]


def _dispatch(user, pk: int) -> tuple[Dispatch, Complaint]:
    dispatch = get_object_or_404(Dispatch.objects.select_related("department"), pk=pk)
    complaint = _complaint(user, dispatch.complaint_id)
    dispatch.complaint = complaint
    return dispatch, complaint


def _detail_url(complaint: Complaint) -> str:
    return reverse("complaints:detail", args=[complaint.pk])


def _my_task(user, complaint: Complaint, nodes, dispatch_id: int | None = None):
    """The user's open task of one of these flow nodes on this case (about this dispatch), or None."""
    for task in selectors.complaint_tasks(user=user, complaint=complaint):
        if task.flow_task.name in nodes and (dispatch_id is None or (task.data or {}).get("dispatch_id") == dispatch_id):
            return task
    return None


def _apply_errors(form, exc: ValidationError, rename: dict | None = None) -> None:
    """A service's errors on the form, with its keys renamed to this form's fields."""
    if rename and hasattr(exc, "error_dict"):
        exc = ValidationError({rename.get(k, k): v for k, v in exc.error_dict.items()})
    apply_service_errors(form, exc)


def _action(key: str, template: str, title, url: str, form, **extra) -> dict:
    return {"key": key, "template": f"complaints/action_{template}.html", "title": title, "url": url, "form": form, **extra}


def _run(request, complaint: Complaint, action: dict, call, success: str, *, unavailable: str | None = None):
    """GET: the form (or back to the case when the step is not open). POST: validate,
    call the service, redirect; or the form again with the errors (workflow.web.run_action)."""
    return run_action(
        request, action=action, call=call, success=success, done_url=_detail_url(complaint), unavailable=unavailable,
        page_template="complaints/action_page.html", context={"complaint": complaint},
        apply_errors=lambda form, exc: _apply_errors(form, exc, action.get("rename")),
    )


_bound = bound_data



def _why(why: str) -> str:
    if why == "same_phone":
        return _("同一来电号码")
    if why.startswith("similar:"):
        return _("同一地点、内容相似（相似度%(score)s）") % {"score": why.split(":", 1)[1]}
    return why


def _fill_template(complaint: Complaint) -> str:
    """The category's answer template with its placeholders filled."""
    template = complaint.category.answer_template or ""
    today = timezone.localdate()
    department = complaint.department
    values = {
        "{number}": complaint.number,
        "{citizen}": mask_name(complaint.citizen_name) or _("您"),
        "{department}": (department.name if department else ""),
        "{date}": _("%(y)d年%(m)d月%(d)d日") % {"y": today.year, "m": today.month, "d": today.day},
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def _co_dispatches(complaint: Complaint) -> list[Dispatch]:
    return list(complaint.dispatches.filter(role=Dispatch.Role.CO).exclude(status=Dispatch.Status.REDIRECTED).select_related("department"))


# --- action cards: one builder per action, used by the case page and by the action's own page -----
def _sign_action(dispatch: Dispatch, data=None, task=None) -> dict:
    key = f"sign-{dispatch.pk}"
    return _action(key, "sign", _("签收：%(d)s") % {"d": dispatch.department}, reverse("complaints:sign", args=[dispatch.pk]),
                   keyed_form(forms.SignForm, key, data), task=task, dispatch=dispatch,
                   return_limit=time_limit_text(case_kind=services.CASE_KIND, step="return"))


def _return_decide_action(dispatch: Dispatch, data=None, task=None) -> dict:
    key = f"returndecide-{dispatch.pk}"
    return _action(key, "return_decide", _("退单审核：%(d)s") % {"d": dispatch.department}, reverse("complaints:return_decide", args=[dispatch.pk]),
                   keyed_form(forms.ReturnDecideForm, key, data), task=task, dispatch=dispatch)


def _opinion_action(dispatch: Dispatch, data=None, task=None) -> dict:
    key = f"opinion-{dispatch.pk}"
    return _action(key, "opinion", _("协办意见：%(d)s") % {"d": dispatch.department}, reverse("complaints:opinion", args=[dispatch.pk]),
                   keyed_form(forms.OpinionForm, key, data), task=task, dispatch=dispatch)


def _reply_action(complaint: Complaint, data=None, task=None) -> dict:
    returned = complaint.current_reply(ComplaintReply.Status.RETURNED)
    if returned is not None:
        initial = {"body": returned.body, "findings": returned.findings}
    else:
        initial = {"body": _fill_template(complaint)}
    form = keyed_form(forms.ReplyForm, "reply", data, initial=initial)
    return _action("reply", "reply", _("撰写答复"), reverse("complaints:reply", args=[complaint.pk]), form, task=task,
                   returned=returned, co_dispatches=_co_dispatches(complaint))


def _sign_off_action(complaint: Complaint, data=None, task=None) -> dict:
    return _action("signoff", "sign_off", _("领导签发答复"), reverse("complaints:sign_off", args=[complaint.pk]),
                   keyed_form(forms.SignOffForm, "signoff", data), task=task, reply=complaint.current_reply(ComplaintReply.Status.DRAFT))


def _review_action(complaint: Complaint, data=None, task=None) -> dict:
    return _action("review", "review", _("答复审核"), reverse("complaints:review", args=[complaint.pk]),
                   keyed_form(forms.ReviewForm, "review", data), task=task, reply=complaint.current_reply(ComplaintReply.Status.SIGNED),
                   co_dispatches=_co_dispatches(complaint))


def _callback_action(complaint: Complaint, data=None, task=None) -> dict:
    followup = bool(task and task.flow_task.name == "followup")
    reply = complaint.replies.filter(status=ComplaintReply.Status.PASSED).order_by("-round", "-pk").first()
    return _action("callback", "callback", _("整改后回访") if followup else _("回访评价"), reverse("complaints:callback", args=[complaint.pk]),
                   keyed_form(forms.CallbackForm, "callback", data), task=task, reply=reply, followup=followup,
                   can_not_resolved=services.can_say_not_resolved(complaint))


def _rectify_action(complaint: Complaint, data=None, task=None) -> dict:
    bad = complaint.ratings.filter(is_bad=True, excluded=False).order_by("-created_at", "-pk").first()
    return _action("rectify", "rectify", _("差评整改反馈"), reverse("complaints:rectify", args=[complaint.pk]),
                   keyed_form(forms.RectifyForm, "rectify", data), task=task, bad_rating=bad,
                   rating_label=label_map(RATING_SCALE).get(bad.rating, bad.rating) if bad else "")


def _note_action(complaint: Complaint, data=None) -> dict:
    return _action("note", "note", _("记录办理情况"), reverse("complaints:note", args=[complaint.pk]), keyed_form(forms.NoteForm, "note", data))


def _instruct_action(complaint: Complaint, data=None) -> dict:
    return _action("instruct", "instruct", _("领导批示"), reverse("complaints:instruct", args=[complaint.pk]), keyed_form(forms.InstructForm, "instruct", data))


def _extension_action(complaint: Complaint, data=None) -> dict:
    return _action("extension", "extension", _("申请延期"), reverse("complaints:extension", args=[complaint.pk]),
                   keyed_form(forms.ExtensionForm, "extension", data),
                   ask_limit=time_limit_text(case_kind=services.CASE_KIND, step="extension_request"),
                   max_limit=time_limit_text(case_kind=services.CASE_KIND, step="extension_max"))


def _suspend_action(complaint: Complaint, data=None) -> dict:
    return _action("suspend", "suspend", _("申请挂起"), reverse("complaints:suspend", args=[complaint.pk]), keyed_form(forms.SuspendForm, "suspend", data))


def _resume_action(complaint: Complaint, data=None) -> dict:
    return _action("resume", "resume", _("恢复办理"), reverse("complaints:resume", args=[complaint.pk]), keyed_form(forms.ResumeForm, "resume", data))


def _extension_decide_action(request_obj: ComplaintExtension, data=None) -> dict:
    key = f"extdecide-{request_obj.pk}"
    return _action(key, "extension_decide", _("审批延期申请"), reverse("complaints:extension_decide", args=[request_obj.pk]),
                   keyed_form(forms.DecideForm, key, data), request_obj=request_obj)


def _suspension_decide_action(suspension: Suspension, data=None) -> dict:
    key = f"suspdecide-{suspension.pk}"
    return _action(key, "suspension_decide", _("审批挂起申请"), reverse("complaints:suspension_decide", args=[suspension.pk]),
                   keyed_form(forms.DecideForm, key, data), suspension=suspension)


def _appeal_action(rating: ComplaintRating, data=None) -> dict:
    key = f"appeal-{rating.pk}"
    return _action(key, "appeal", _("申诉差评"), reverse("complaints:appeal", args=[rating.pk]), keyed_form(forms.AppealForm, key, data),
                   rating=rating, rating_label=label_map(RATING_SCALE).get(rating.rating, rating.rating))


def _appeal_decide_action(appeal: Appeal, data=None) -> dict:
    key = f"appealdecide-{appeal.pk}"
    return _action(key, "appeal_decide", _("差评申诉复核"), reverse("complaints:appeal_decide", args=[appeal.pk]),
                   keyed_form(forms.AppealDecideForm, key, data), appeal=appeal,
                   rating_label=label_map(RATING_SCALE).get(appeal.rating.rating, appeal.rating.rating))


# --- the list --------------------------------------------------------------------------------
def _require_staff(user) -> None:
    if not (user_roles(user=user) & {str(r) for r in STAFF_ROLES}):
        raise PermissionDenied(_("只有热线、承办单位和督查人员可以查看投诉工单。"))


CHIP_STATUSES = (
    Complaint.Status.NEW, Complaint.Status.DISPATCHED, Complaint.Status.HANDLING, Complaint.Status.REVIEWING,
    Complaint.Status.REPLIED, Complaint.Status.RECTIFYING, Complaint.Status.CLOSED,
)


def _chips(request) -> list[dict]:
    current = request.GET
    base = reverse("complaints:list")
    chips = [{"label": _("全部"), "url": base, "active": not any(current.get(k) for k in ("status", "overdue", "suspended"))}]
    for status in CHIP_STATUSES:
        chips.append({"label": status.label, "url": f"{base}?status={status.value}", "active": current.get("status") == status.value, "testid": status.value})
    chips.append({"label": _("逾期"), "url": f"{base}?overdue=on", "active": bool(current.get("overdue")), "danger": True, "testid": "overdue"})
    chips.append({"label": _("挂起"), "url": f"{base}?suspended=on", "active": bool(current.get("suspended")), "testid": "suspended"})
    return chips


@login_required
def complaint_list(request):
    user = request.user
    _require_staff(user)
    form = forms.FilterForm(request.GET or None)
    qs = selectors.complaint_list(user=user, filters=form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    ratings = label_map(RATING_SCALE)
    page.object_list = selectors.redact_for(user=user, complaints=page.object_list)
    for c in page.object_list:
        c.overdue = c.is_overdue
        c.rating_label = ratings.get(c.rating, c.rating)
    return render(request, "complaints/list.html", {
        "form": form, "page": page, "querystring": querystring_without_page(request), "chips": _chips(request),
        "can_intake": user_has_role(user=user, role=Role.OPERATOR) or permissions.is_dispatcher(user),
        "can_requests": bool(permissions.can_decide_requests(user) or permissions.can_decide_appeal(user)),
    })


# --- the case page -----------------------------------------------------------------------------
TASK_ACTIONS = {
    "sign": _sign_action, "return_decide": _return_decide_action, "co_opinion": _opinion_action,
    "handle": _reply_action, "revise": _reply_action, "sign_off": _sign_off_action, "revise_sign_off": _sign_off_action,
    "review": _review_action, "callback": _callback_action, "followup": _callback_action, "rectify": _rectify_action,
}


def _actions(user, complaint: Complaint, detail: dict) -> list[dict]:
    actions: list[dict] = []
    keys: set[str] = set()
    dispatches = {d.pk: d for d in detail["dispatches"]}

    def add(action):
        if action["key"] not in keys:
            keys.add(action["key"])
            actions.append(action)

    for task in detail["my_tasks"]:
        node = task.flow_task.name
        step = task.flow_task.step
        if step.action_object == "dispatch_id":
            dispatch = dispatches.get((task.data or {}).get("dispatch_id"))
            if dispatch is not None:
                add(TASK_ACTIONS[node](dispatch, task=task))
        elif node == "triage":
            add(_action("triage", "triage", _("派单"), reverse(step.page_action, args=[complaint.pk]), None, task=task))
        elif node in TASK_ACTIONS:
            add(TASK_ACTIONS[node](complaint, task=task))

    # Actions that are not flow tasks, as the permission predicates allow them.
    if permissions.can_add_note(user, complaint):
        add(_note_action(complaint))
    if permissions.can_instruct(user, complaint):
        add(_instruct_action(complaint))
    if permissions.can_request_extension(user, complaint):
        add(_extension_action(complaint))
    if permissions.can_request_suspension(user, complaint):
        add(_suspend_action(complaint))
    if permissions.can_resume(user, complaint):
        add(_resume_action(complaint))
    if permissions.can_decide_requests(user):
        for req in detail["extensions"]:
            if req.status == ComplaintExtension.Status.PENDING:
                add(_extension_decide_action(req))
        for suspension in detail["suspensions"]:
            if suspension.status == Suspension.Status.PENDING:
                add(_suspension_decide_action(suspension))
    for rating in detail["ratings"]:
        if rating.is_bad and not rating.excluded and permissions.can_appeal(user, complaint, rating):
            add(_appeal_action(rating))
    if permissions.can_decide_appeal(user):
        for rating in detail["ratings"]:
            for appeal in rating.appeals.all():
                if appeal.status == Appeal.Status.PENDING:
                    appeal.rating = rating
                    add(_appeal_decide_action(appeal))
    return actions


@login_required
def detail(request, pk: int):
    user = request.user
    data = selectors.complaint_detail(user=user, pk=pk)
    complaint = data["complaint"]
    ratings = label_map(RATING_SCALE)
    indicator_names = label_map(forms.INDICATOR_SCALE)
    for r in data["ratings"]:
        r.label = ratings.get(r.rating, r.rating)
        r.indicator_rows = [(indicator_names.get(k, k), ratings.get(v, v)) for k, v in (r.indicators or {}).items()]
        r.appeal_list = list(r.appeals.all())
        for appeal in r.appeal_list:
            appeal.rating = r
    events, history = present_timeline(
        model=Complaint, entries=data["timeline"], status_labels=dict(Complaint.Status.choices), labels={RATING_SCALE: ratings},
    )
    labels = {q.get("code"): q.get("label") or q.get("code") for q in (complaint.category.questions or [])}
    answers = [(labels.get(code, code), value) for code, value in (complaint.answers or {}).items()]
    intake = request.session.get(INTAKE_SESSION_KEY)
    if intake and intake.get("pk") == complaint.pk:
        del request.session[INTAKE_SESSION_KEY]
    else:
        intake = None
    now = timezone.now()
    response = render(request, "complaints/detail.html", {
        **data,
        "actions": _actions(user, complaint, data),
        "answers": answers,
        "events": events,
        "history": history,
        "intake": intake,
        "overdue": complaint.is_overdue,
        "can_reveal": data["contact"]["masked"] and bool(permissions.can_reveal_contact(user, complaint)),
        "reveal_form": forms.RevealForm(auto_id="id_reveal_%s"),
        "now": now,
    })
    if intake:
        add_never_cache_headers(response)  # the query code is shown once
    return response


# --- the dispatcher ---------------------------------------------------------------------------
@login_required
def triage(request, pk: int):
    user = request.user
    complaint = _complaint(user, pk)
    require_role(user=user, role=Role.DISPATCHER)
    if request.method == "GET" and (complaint.status != Complaint.Status.NEW or _my_task(user, complaint, ("triage",)) is None):
        messages.warning(request, _("该工单不在待派单状态。"))
        return redirect(_detail_url(complaint))
    suggestion = routing.suggest_department(complaint)
    duplicates = [(other, _why(why)) for other, why in routing.possible_duplicates(complaint)]
    initial = {"outcome": forms.TriageForm.DISPATCH}
    if suggestion is not None:
        initial["department"] = suggestion.department.pk
    form = forms.TriageForm(_bound(request), complaint=complaint, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        outcome = d["outcome"]
        try:
            if outcome == form.DISPATCH:
                department = d.get("department")
                rule = suggestion.rule.name if suggestion and department and department.pk == suggestion.department.pk else ""
                services.complaint_dispatch(actor=user, complaint=complaint, department=department,
                                            co_departments=list(d.get("co_departments") or []), note=d["note"], suggested_rule=rule)
                success = _("已派单至%(d)s。") % {"d": department}
            elif outcome == form.NOT_ACCEPT:
                services.complaint_not_accept(actor=user, complaint=complaint, reason=d.get("reason"), note=d["note"])
                success = _("已不予受理，并已告知群众。")
            elif outcome == form.MERGE:
                number = (d.get("target") or "").strip().upper()
                target = selectors.complaint_list(user=user).filter(number=number).first() if number else None
                if number and target is None:
                    raise ValidationError({"target": _("没有找到编号为%(n)s的工单。") % {"n": number}})
                services.complaint_merge(actor=user, complaint=complaint, target=target, note=d["note"])
                success = _("已并入%(n)s。") % {"n": target.number}
            else:
                parts = services.complaint_split(actor=user, complaint=complaint, parts=form.parts(), note=d["note"])
                success = _("已拆分为%(numbers)s。") % {"numbers": "、".join(p.number for p in parts)}
        except ValidationError as exc:
            rename = {f"part_{i}": f"part_{i}_title" for i in range(1, forms.SPLIT_PARTS + 1)}
            _apply_errors(form, exc, rename)
        else:
            messages.success(request, success)
            return redirect(_detail_url(complaint))
    return render(request, "complaints/triage.html", {
        "complaint": complaint, "form": form, "suggestion": suggestion, "duplicates": duplicates,
        "contact": selectors.complaint_contact(user=user, complaint=complaint),
        "attachments": list(complaint.attachments.order_by("pk")),
        "answers": [(q.get("label") or q.get("code"), (complaint.answers or {}).get(q.get("code"), "")) for q in (complaint.category.questions or [])],
        "task": _my_task(user, complaint, ("triage",)), "now": timezone.now(),
    })


@login_required
def return_decide(request, pk: int):
    dispatch, complaint = _dispatch(request.user, pk)
    require_role(user=request.user, role=Role.DISPATCHER)
    task = _my_task(request.user, complaint, ("return_decide",), dispatch.pk)
    action = _return_decide_action(dispatch, _bound(request), task)
    success = _("已改派。") if request.POST.get("accept") == "1" else _("已认定退单不当，原单位继续办理。")
    return _run(request, complaint, action, lambda d: services.dispatch_return_decide(
        actor=request.user, dispatch=dispatch, accept=d["accept"], department=d["department"] if d["accept"] else None, note=d["note"],
    ), success, unavailable=None if task else _("该派单没有待审核的退单。"))


@login_required
def review(request, pk: int):
    complaint = _complaint(request.user, pk)
    require_role(user=request.user, role=Role.DISPATCHER)
    task = _my_task(request.user, complaint, ("review",))
    action = _review_action(complaint, _bound(request), task)
    success = _("答复已审核通过，已告知群众。") if request.POST.get("approve") == "1" else _("答复已退回承办单位修改。")
    return _run(request, complaint, action, lambda d: services.complaint_review_reply(
        actor=request.user, complaint=complaint, approve=d["approve"], note=d["note"],
    ), success, unavailable=None if task else _("工单没有待审核的答复。"))


@login_required
def callback(request, pk: int):
    complaint = _complaint(request.user, pk)
    require_role(user=request.user, role=Role.DISPATCHER)
    task = _my_task(request.user, complaint, ("callback", "followup"))
    action = _callback_action(complaint, _bound(request), task)

    def call(d):
        outcome = d["outcome"]
        if outcome == forms.CallbackForm.UNREACHABLE:
            services.complaint_callback(actor=request.user, complaint=complaint, unreachable=True, comment=d["comment"])
        elif outcome == forms.CallbackForm.NOT_RESOLVED:
            services.complaint_callback(actor=request.user, complaint=complaint, not_resolved=True, comment=d["comment"])
        else:
            services.complaint_callback(actor=request.user, complaint=complaint, rating=d["rating"], comment=d["comment"],
                                        indicators=action["form"].indicators())

    outcome = request.POST.get("outcome")
    success = {
        forms.CallbackForm.UNREACHABLE: _("已记录联系不上群众，工单办结。"),
        forms.CallbackForm.NOT_RESOLVED: _("已退回承办单位重新办理。"),
    }.get(outcome, _("回访评价已录入。"))
    return _run(request, complaint, action, call, success, unavailable=None if task else _("工单不在待回访状态。"))


@login_required
def extension_decide(request, pk: int):
    req = get_object_or_404(ComplaintExtension.objects.select_related("department", "requested_by"), pk=pk)
    complaint = _complaint(request.user, req.complaint_id)
    decision_refusal(permissions.can_decide_requests(request.user))
    action = _extension_decide_action(req, _bound(request))
    success = _("已同意延期。") if request.POST.get("approve") == "1" else _("已不同意延期。")
    return _run(request, complaint, action, lambda d: services.complaint_extension_decide(
        actor=request.user, request=req, approve=d["approve"], note=d["note"],
    ), success, unavailable=None if req.status == ComplaintExtension.Status.PENDING else _("该延期申请已审批。"))


@login_required
def suspension_decide(request, pk: int):
    suspension = get_object_or_404(Suspension.objects.select_related("department", "requested_by"), pk=pk)
    complaint = _complaint(request.user, suspension.complaint_id)
    decision_refusal(permissions.can_decide_requests(request.user))
    action = _suspension_decide_action(suspension, _bound(request))
    success = _("已同意挂起。") if request.POST.get("approve") == "1" else _("已不同意挂起。")
    return _run(request, complaint, action, lambda d: services.complaint_suspension_decide(
        actor=request.user, suspension=suspension, approve=d["approve"], note=d["note"],
    ), success, unavailable=None if suspension.status == Suspension.Status.PENDING else _("该挂起申请已审批。"))


@login_required
def appeal_decide(request, pk: int):
    appeal = get_object_or_404(Appeal.objects.select_related("department", "rating", "filed_by"), pk=pk)
    complaint = _complaint(request.user, appeal.complaint_id)
    decision_refusal(permissions.can_decide_appeal(request.user))
    action = _appeal_decide_action(appeal, _bound(request))
    return _run(request, complaint, action, lambda d: services.appeal_decide(
        actor=request.user, appeal=appeal, facts_true=d["facts_true"], reasonable=d["reasonable"], malicious=d["malicious"], note=d["note"],
    ), _("复核结果已保存。"), unavailable=None if appeal.status == Appeal.Status.PENDING else _("该申诉已复核。"))


@login_required
def requests_queue(request):
    user = request.user
    if not (permissions.can_decide_requests(user) or permissions.can_decide_appeal(user)):
        raise PermissionDenied(_("只有派单员或督查人员可以审批。"))
    pending = selectors.pending_requests(user=user)
    ratings = label_map(RATING_SCALE)
    for appeal in pending["appeals"]:
        appeal.rating_label = ratings.get(appeal.rating.rating, appeal.rating.rating)
    return render(request, "complaints/requests.html", {
        **pending, "show_requests": bool(permissions.can_decide_requests(user)), "show_appeals": bool(permissions.can_decide_appeal(user)),
    })


# --- the departments ---------------------------------------------------------------------------
@login_required
def sign(request, pk: int):
    dispatch, complaint = _dispatch(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=dispatch.department)
    task = _my_task(request.user, complaint, ("sign",), dispatch.pk)
    action = _sign_action(dispatch, _bound(request), task)
    returning = request.POST.get("decision") == "return"

    def call(d):
        if d["decision"] == "return":
            services.dispatch_return(actor=request.user, dispatch=dispatch, reason=d["reason"])
        else:
            services.dispatch_sign(actor=request.user, dispatch=dispatch)

    success = _("已退单，等待派单员审核。") if returning else _("已签收，请在办理期限内答复。")
    return _run(request, complaint, action, call, success, unavailable=None if task else _("该派单不在待签收状态。"))


@login_required
def opinion(request, pk: int):
    dispatch, complaint = _dispatch(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=dispatch.department)
    task = _my_task(request.user, complaint, ("co_opinion",), dispatch.pk)
    action = _opinion_action(dispatch, _bound(request), task)
    return _run(request, complaint, action, lambda d: services.dispatch_opinion(actor=request.user, dispatch=dispatch, opinion=d["opinion"]),
                _("协办意见已送主办单位。"), unavailable=None if task else _("没有待送的协办意见。"))


def _require_lead(user, complaint: Complaint, role: str) -> None:
    if complaint.department is None:
        raise PermissionDenied(_("工单尚未派单。"))
    require_role(user=user, role=role, department=complaint.department)


@login_required
def reply(request, pk: int):
    complaint = _complaint(request.user, pk)
    _require_lead(request.user, complaint, Role.HANDLER)
    task = _my_task(request.user, complaint, ("handle", "revise"))
    action = _reply_action(complaint, _bound(request), task)
    return _run(request, complaint, action, lambda d: services.complaint_reply(
        actor=request.user, complaint=complaint, body=d["body"], findings=d["findings"],
    ), _("答复已提交。"), unavailable=None if task else _("工单当前没有待撰写的答复。"))


@login_required
def sign_off(request, pk: int):
    complaint = _complaint(request.user, pk)
    _require_lead(request.user, complaint, Role.DEPT_LEADER)
    task = _my_task(request.user, complaint, ("sign_off", "revise_sign_off"))
    action = _sign_off_action(complaint, _bound(request), task)

    def call(d):
        if action["reply"] is None:
            raise ValidationError(_("没有待签发的答复。"))
        services.complaint_reply_sign_off(actor=request.user, reply=action["reply"], approve=d["approve"], note=d["note"])

    success = _("答复已签发。") if request.POST.get("approve") == "1" else _("答复已退回承办人修改。")
    return _run(request, complaint, action, call, success, unavailable=None if task and action["reply"] else _("没有待签发的答复。"))


@login_required
def rectify(request, pk: int):
    complaint = _complaint(request.user, pk)
    _require_lead(request.user, complaint, Role.HANDLER)
    task = _my_task(request.user, complaint, ("rectify",))
    action = _rectify_action(complaint, _bound(request), task)
    return _run(request, complaint, action, lambda d: services.complaint_rectify(actor=request.user, complaint=complaint, report=d["report"]),
                _("整改情况已反馈，等待群众再次评价。"), unavailable=None if task else _("工单不在整改中。"))


@login_required
def note(request, pk: int):
    complaint = _complaint(request.user, pk)
    refused = decision_refusal(permissions.can_add_note(request.user, complaint))
    action = _note_action(complaint, _bound(request))
    return _run(request, complaint, action, lambda d: services.complaint_add_note(
        actor=request.user, complaint=complaint, kind=d["kind"], text=d["text"], mode=d["mode"], contacted_at=d["contacted_at"],
        attachments=request.FILES.getlist("attachments"),
    ), _("办理记录已保存。"), unavailable=refused)


@login_required
def instruct(request, pk: int):
    complaint = _complaint(request.user, pk)
    refused = decision_refusal(permissions.can_instruct(request.user, complaint))
    action = _instruct_action(complaint, _bound(request))
    return _run(request, complaint, action, lambda d: services.complaint_instruct(actor=request.user, complaint=complaint, text=d["text"]),
                _("批示已保存，承办人将收到通知。"), unavailable=refused)


@login_required
def extension(request, pk: int):
    complaint = _complaint(request.user, pk)
    refused = decision_refusal(permissions.can_request_extension(request.user, complaint))
    action = _extension_action(complaint, _bound(request))
    return _run(request, complaint, action, lambda d: services.complaint_extension_request(
        actor=request.user, complaint=complaint, requested_until=d["requested_until"], reason=d["reason"],
    ), _("延期申请已提交，等待审批。"), unavailable=refused)


@login_required
def suspend(request, pk: int):
    complaint = _complaint(request.user, pk)
    refused = decision_refusal(permissions.can_request_suspension(request.user, complaint))
    action = _suspend_action(complaint, _bound(request))
    return _run(request, complaint, action, lambda d: services.complaint_suspension_request(
        actor=request.user, complaint=complaint, reason=d["reason"],
    ), _("挂起申请已提交，等待审批。"), unavailable=refused)


@login_required
def resume(request, pk: int):
    complaint = _complaint(request.user, pk)
    refused = decision_refusal(permissions.can_resume(request.user, complaint))
    action = _resume_action(complaint, _bound(request))
    return _run(request, complaint, action, lambda d: services.complaint_resume(actor=request.user, complaint=complaint, note=d["note"]),
                _("已恢复办理，办理期限已顺延。"), unavailable=refused)


@login_required
def appeal(request, pk: int):
    rating = get_object_or_404(ComplaintRating, pk=pk)
    complaint = _complaint(request.user, rating.complaint_id)
    refused = decision_refusal(permissions.can_appeal(request.user, complaint, rating))
    action = _appeal_action(rating, _bound(request))
    return _run(request, complaint, action, lambda d: services.appeal_file(actor=request.user, rating=rating, reason=d["reason"]),
                _("申诉已提交，等待督查人员复核。"), unavailable=refused)


@login_required
def reveal(request, pk: int):
    """The citizen's full contact details, on this response only (never in a URL), audited."""
    complaint = _complaint(request.user, pk)
    decision_refusal(permissions.can_reveal_contact(request.user, complaint))
    form = forms.RevealForm(_bound(request), auto_id="id_reveal_%s")
    contact = None
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.complaint_reveal_contact(actor=request.user, complaint=complaint, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
    response = render(request, "complaints/reveal.html", {"complaint": complaint, "form": form, "contact": contact})
    add_never_cache_headers(response)
    return response


@login_required
def attachment(request, pk: int):
    item = get_object_or_404(Attachment, pk=pk)
    _complaint(request.user, item.complaint_id)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("附件文件不存在。"))
    response = FileResponse(handle, as_attachment=True, filename=item.name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- intake (hotline, window) ----------------------------------------------------------------------
@login_required
def intake(request):
    user = request.user
    if not (user_has_role(user=user, role=Role.OPERATOR) or permissions.is_dispatcher(user)):
        raise PermissionDenied(_("只有热线或窗口受理员、派单员可以登记来电来访。"))
    form = forms.IntakeForm(_bound(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint, code = services.complaint_submit(actor=user, **form.service_kwargs(request.FILES.getlist("attachments")))
        except ValidationError as exc:
            _apply_errors(form, exc, forms.IntakeForm.SERVICE_KEYS)
        else:
            request.session[INTAKE_SESSION_KEY] = {"pk": complaint.pk, "number": complaint.number, "code": code}
            if complaint.status == Complaint.Status.CLOSED:
                messages.success(request, _("已登记并现场办结。"))
            else:
                messages.success(request, _("已登记，等待派单。"))
            return redirect(_detail_url(complaint))
    return render(request, "complaints/intake.html", {"form": form})


# --- the ledger (投诉受理台账) ------------------------------------------------------------------------
@login_required
def ledger(request):
    """Every lifecycle timestamp and whether each step was on time, filtered like the list; scoped by the user."""
    from . import ledger as ledger_rows

    _require_staff(request.user)
    form = forms.LedgerFilterForm(request.GET or None)
    page = Paginator(ledger_rows.ledger_queryset(user=request.user, filters=form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "complaints/ledger.html", {
        "form": form, "page": page, "rows": ledger_rows.ledger_rows(page.object_list, user=request.user),
        "querystring": querystring_without_page(request), "export_max": export_max_rows(),
    })


@login_required
@export_post_only("complaints:ledger")
def ledger_export(request):
    """The filtered ledger as an Excel workbook (workflow.exports: written at once when small,
    else in the background with a progress page); the file says when it was cut."""
    from workflow.export_views import export_response

    _require_staff(request.user)
    response = export_response(request, "complaint_ledger", request.GET)
    if "X-Export-Rows" in response:
        response["X-Ledger-Rows"] = response["X-Export-Rows"]
        response["X-Ledger-Truncated"] = response["X-Export-Truncated"]
    return response
