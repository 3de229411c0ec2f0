"""Pages of the proposals app (namespace "proposals").

Thin views: get the object through the scoped selectors (a proposal the user
may not see is a 404), validate a form, call one service, redirect with a
message. Services refuse with ValidationError (shown on the form, HTTP 400)
or PermissionDenied (HTTP 403, left to Django). The role checks at the top of
the action views only make a wrong role a 403 whatever it posted; the
services check again, department by department.

Every action URL answers GET as well (workflow.web.run_action, as in the
complaints app): its form on its own page (proposal summary, the same card as
on the case page), or back to the case with a warning when the step is not
open for this user; a refused POST shows that page again with the errors and
the input kept, so a reload, a bookmark or a language switch never ends in a
405. The case page shows the same forms as cards, posting to these URLs.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflow.events import present_timeline
from workflow.rules import negative_codes, time_limit_text
from workflow.selectors import require_role
from workflow.web import (
    decision_refusal,
    apply_service_errors,
    bool_choice,
    bound_data,
    keyed_form,
    label_map,
    querystring_without_page,
    run_action,
)

from . import forms, permissions, selectors, services
from .models import Assignment, Cosigner, ExtensionRequest, Proposal, Reply
from .roles import Role

PAGE_SIZE = 20


# --- helpers --------------------------------------------------------------------------------
def _proposal_or_404(user, pk: int) -> Proposal:
    try:
        return selectors.proposal_get_or_deny(user=user, pk=pk)
    except Proposal.DoesNotExist:
        raise Http404(_("没有找到该提案，或您无权查看。"))


def _assignment_or_404(user, pk: int) -> tuple[Assignment, Proposal]:
    assignment = get_object_or_404(Assignment.objects.select_related("department"), pk=pk)
    proposal = _proposal_or_404(user, assignment.proposal_id)
    assignment.proposal = proposal
    return assignment, proposal


def _reply_or_404(user, pk: int) -> tuple[Reply, Proposal]:
    reply = get_object_or_404(Reply.objects.select_related("assignment__department"), pk=pk)
    proposal = _proposal_or_404(user, reply.assignment.proposal_id)
    reply.assignment.proposal = proposal
    return reply, proposal


def _extension_or_404(user, pk: int) -> tuple[ExtensionRequest, Proposal]:
    req = get_object_or_404(ExtensionRequest.objects.select_related("assignment__department"), pk=pk)
    proposal = _proposal_or_404(user, req.assignment.proposal_id)
    return req, proposal


def _detail_url(proposal) -> str:
    return reverse("proposals:detail", args=[proposal.pk])


def _timeline(entries: list, labels: dict) -> tuple[list[dict], list[dict]]:
    return present_timeline(model=Proposal, entries=entries, status_labels=dict(Proposal.Status.choices), labels=labels)


# --- detail page and its action forms --------------------------------------------------------
def _detail_context(request, proposal: Proposal, bound: dict | None = None) -> dict:
    bound = bound or {}
    user = request.user
    detail = selectors.proposal_detail(user=user, proposal=proposal)
    case = detail["case"]
    office = bool(permissions.can_manage(user))
    mine = detail["memberships"]
    labels = {s: label_map(s) for s in ("reply_class", "proposal_rating", "implementation_grade")}
    negative = negative_codes("proposal_rating")
    assignments = {a.pk: a for a in detail["assignments"]}
    replies = detail["replies"]
    for r in replies:
        r.class_label = labels["reply_class"].get(r.reply_class, r.reply_class)
    for ev in detail["evaluations"]:
        ev.process_label = labels["proposal_rating"].get(ev.process_rating, ev.process_rating)
        ev.result_label = labels["proposal_rating"].get(ev.result_rating, ev.result_rating)
    now = timezone.now()
    actions: list[dict] = []
    keys: set[str] = set()

    def add(key, template, title, url, form_factory, **extra):
        if key in keys:
            return
        keys.add(key)
        form = bound.get(key) or form_factory()
        actions.append({"key": key, "template": f"proposals/action_{template}.html", "title": title, "url": url, "form": form, **extra})

    def task_url(task, object_id) -> str:
        """The page that completes the task: the one its flow node declares (workflow.flow.runtime.human)."""
        return reverse(task.flow_task.step.page_action, args=[object_id])

    def current_reply(assignment_id):
        for r in replies:
            if r.assignment_id == assignment_id and r.round == case.handling_round:
                return r
        return None

    for task in detail["my_tasks"]:
        node = task.flow_task.name
        data = task.data or {}
        a = assignments.get(data.get("assignment_id"))
        if node == "cosign":
            add("cosign", "cosign", _("联名确认"), task_url(task, case.pk), lambda: keyed_form(forms.CosignForm, "cosign"), task=task)
        elif node == "submit":
            add("submit", "submit", _("提交提案"), task_url(task, case.pk), lambda: keyed_form(forms.EmptyForm, "submit"), task=task)
        elif node == "review":
            add("review", "review", _("立案审查"), task_url(task, case.pk),
                lambda: keyed_form(forms.ReviewForm, "review", proposal=case, user=user), task=task)
        elif node == "assign":
            add("assign", "assign", _("交办"), task_url(task, case.pk),
                lambda: keyed_form(forms.AssignForm, "assign", initial={"is_key": case.is_key, "is_public": case.is_public,
                                                                     "leading_official": case.leading_official_id, "supervising_unit": case.supervising_unit_id}), task=task)
        elif node == "sign" and a:
            add(f"sign-{a.pk}", "sign", _("签收：%(d)s") % {"d": a.department}, task_url(task, a.pk),
                lambda: keyed_form(forms.EmptyForm, f"sign-{a.pk}"), task=task, assignment=a)
            add(f"reassign-{a.pk}", "reassign", _("申请调整承办单位"), reverse("proposals:reassign", args=[a.pk]),
                lambda: keyed_form(forms.ReassignRequestForm, f"reassign-{a.pk}"), task=task, assignment=a)
        elif node == "reassign_decide" and a:
            add(f"reassigndecide-{a.pk}", "reassign_decide", _("审批调整申请：%(d)s") % {"d": a.department},
                task_url(task, a.pk), lambda: keyed_form(forms.ReassignDecideForm, f"reassigndecide-{a.pk}"), task=task, assignment=a)
        elif node == "co_opinion" and a:
            add(f"opinion-{a.pk}", "opinion", _("送会办意见：%(d)s") % {"d": a.department}, task_url(task, a.pk),
                lambda: keyed_form(forms.OpinionForm, f"opinion-{a.pk}"), task=task, assignment=a)
        elif node in ("draft_reply", "revise") and a:
            reply = current_reply(a.pk)
            if reply is not None:
                initial = {"reply_class": reply.reply_class, "title": reply.title, "body": reply.body,
                           "contact_person": reply.contact_person, "contact_phone": reply.contact_phone}
            else:
                initial = {"title": services.reply_default_title(case), "contact_person": str(user), "contact_phone": user.phone}
            co_opinions = [x for x in detail["assignments"] if x.role == Assignment.Role.CO] if a.role == Assignment.Role.LEAD else []
            add(f"reply-{a.pk}", "reply", _("撰写答复函：%(d)s") % {"d": a.department}, task_url(task, a.pk),
                lambda: keyed_form(forms.ReplyForm, f"reply-{a.pk}", initial=initial), task=task, assignment=a, reply=reply, co_opinions=co_opinions,
                preview_url=reverse("proposals:reply_preview", args=[a.pk]), page_only=True)
        elif node in ("sign_off", "revise_sign_off") and a:
            reply = current_reply(a.pk)
            if reply is not None:
                add(f"signoff-{reply.pk}", "sign_off", _("签发答复函：%(d)s") % {"d": a.department}, task_url(task, reply.pk),
                    lambda: keyed_form(forms.SignOffForm, f"signoff-{reply.pk}"), task=task, assignment=a, reply=reply)
        elif node == "supervision_review":
            reply = next((r for r in replies if r.pk == data.get("reply_id")), None)
            if reply is not None:
                add(f"replyreview-{reply.pk}", "reply_review", _("督办审核：%(d)s") % {"d": reply.assignment.department},
                    task_url(task, reply.pk), lambda: keyed_form(forms.ReplyReviewForm, f"replyreview-{reply.pk}"), task=task, reply=reply)
        elif node == "evaluate":
            rated = data.get("rated_proposal_id") or case.pk
            add(f"evaluate-{rated}", "evaluate", _("评价办理情况"), task_url(task, rated),
                lambda: keyed_form(forms.EvaluationForm, f"evaluate-{rated}"), task=task)
        elif node == "close":
            add("close", "close", _("办结"), task_url(task, case.pk), lambda: keyed_form(forms.CloseForm, "close"), task=task)
            dissatisfied = any(
                ev.round == case.handling_round and ({ev.process_rating, ev.result_rating} & negative) for ev in detail["evaluations"]
            )
            if dissatisfied:
                add("rehandle", "rehandle", _("退回重办"), reverse("proposals:rehandle", args=[case.pk]), lambda: keyed_form(forms.RehandleForm, "rehandle"), task=task,
                    limit=time_limit_text(case_kind="proposal", step="rehandle_reply"))

    # Actions that are not flow tasks.
    if proposal.status == Proposal.Status.DRAFT and proposal.proposer_id == user.pk:
        add("submit", "submit", _("提交提案"), reverse("proposals:submit", args=[proposal.pk]), lambda: keyed_form(forms.EmptyForm, "submit"),
            edit_url=reverse("proposals:edit", args=[proposal.pk]), delete_url=reverse("proposals:delete", args=[proposal.pk]))
    if permissions.can_delete_draft(user, proposal):
        add("delete", "delete", _("删除草稿"), reverse("proposals:delete", args=[proposal.pk]), lambda: keyed_form(forms.DeleteDraftForm, "delete"),
            page_only=True)
    if permissions.can_withdraw(user, proposal):
        add("withdrawproposal", "withdraw_proposal", _("撤回提案"), reverse("proposals:withdraw", args=[proposal.pk]),
            lambda: keyed_form(forms.WithdrawForm, "withdrawproposal"), page_only=True)
    is_open = case.status in Proposal.OPEN_STATUSES
    for a in detail["assignments"]:
        if (Role.HANDLER, a.department_id) not in mine or not is_open:
            continue
        if permissions.can_record_consultation(user, a, case):
            add(f"consult-{a.pk}", "consult", _("记录办理协商：%(d)s") % {"d": a.department}, reverse("proposals:consult", args=[a.pk]),
                lambda: keyed_form(forms.ConsultationForm, f"consult-{a.pk}", initial={"date": timezone.localdate(), "participants": ""}), assignment=a)
        pending = any(r.status == ExtensionRequest.Status.PENDING for r in a.extension_requests.all())
        if permissions.can_request_extension(user, a, pending=pending, now=now):
            add(f"extension-{a.pk}", "extension", _("申请延期答复：%(d)s") % {"d": a.department}, reverse("proposals:extension", args=[a.pk]),
                lambda: keyed_form(forms.ExtensionRequestForm, f"extension-{a.pk}"), assignment=a,
                limit=time_limit_text(case_kind="proposal", step="reply_extended"))
    if office:
        for a in detail["assignments"]:
            for req in a.extension_requests.all():
                if req.status == ExtensionRequest.Status.PENDING:
                    add(f"extdecide-{req.pk}", "extension_decide", _("审批延期申请：%(d)s") % {"d": a.department},
                        reverse("proposals:extension_decide", args=[req.pk]), lambda: keyed_form(forms.ExtensionDecideForm, f"extdecide-{req.pk}"), request_obj=req, assignment=a)
        assigning = "assign" in keys  # the assign form carries these choices itself
        if case.number and case.status != Proposal.Status.CLOSED and not assigning:
            add("key", "key", _("重点提案与督办"), reverse("proposals:set_supervision", args=[case.pk]),
                lambda: keyed_form(forms.KeyForm, "key", initial={"is_key": case.is_key, "leading_official": case.leading_official_id, "supervising_unit": case.supervising_unit_id}))
        if case.number and not assigning:
            add("public", "public", _("信息公开"), reverse("proposals:set_public", args=[case.pk]),
                lambda: keyed_form(forms.PublicForm, "public", initial={"is_public": case.is_public}))
    # The office may waive a rating the proposer did not give within the limit.
    if office and case.status == Proposal.Status.REPLIED and selectors.overdue_evaluation_tasks(user=user, proposal=case).exists():
        add("waive", "waive", _("委员逾期未评价"), reverse("proposals:waive_evaluation", args=[case.pk]),
            lambda: keyed_form(forms.WaiveEvaluationForm, "waive"))
    # The proposer may withdraw an unanswered co-sign invitation.
    if proposal.status == Proposal.Status.COSIGNING and proposal.proposer_id == user.pk:
        for c in detail["cosigners"]:
            if c.status == Cosigner.Status.INVITED:
                add(f"withdraw-{c.member_id}", "withdraw", _("撤回对%(name)s的联名邀请") % {"name": c.member},
                    reverse("proposals:withdraw_cosigner", args=[proposal.pk]) + f"?member={c.member_id}",
                    lambda c=c: keyed_form(forms.WithdrawCosignerForm, f"withdraw-{c.member_id}", initial={"member": c.member_id}))
    # A confirmed co-signer may add their own rating while the case awaits closure.
    if case.status in (Proposal.Status.REPLIED, Proposal.Status.EVALUATED):
        confirmed = any(c.member_id == user.pk and c.status == Cosigner.Status.CONFIRMED for c in detail["cosigners"])
        rated = any(ev.rater_id == user.pk and ev.proposal_id == proposal.pk and ev.round == case.handling_round for ev in detail["evaluations"])
        if confirmed and not rated:
            add(f"evaluate-{proposal.pk}", "evaluate", _("联名委员评价"), reverse("proposals:evaluate", args=[proposal.pk]),
                lambda: keyed_form(forms.EvaluationForm, f"evaluate-{proposal.pk}"))

    # Co-handler opinions and extension requests are working papers: the office
    # and the departments handling the case see them, the members see the replies.
    internal = detail["internal"]
    events, history = _timeline(detail["timeline"], labels)
    return {
        "proposal": proposal,
        "case": case,
        "detail": detail,
        "assignments": detail["assignments"],
        "replies": replies,
        "cosigners": detail["cosigners"],
        "evaluations": detail["evaluations"],
        "merged": detail["merged"],
        "actions": actions,
        "internal": internal,
        "events": events,
        "history": history,
        "grade_label": labels["implementation_grade"].get(case.implementation_grade, case.implementation_grade),
        "reply_overdue": bool(case.reply_deadline and case.reply_deadline < now and case.status in Proposal.OPEN_STATUSES),
        "now": now,
    }


def _run(request, proposal: Proposal, key: str, form, call, success, *, template: str, title, unavailable: str,
         done_url: str | None = None, extra=None):
    """One action URL (workflow.web.run_action): GET shows the form on its own page, the same
    card the case page shows, or goes back to the case with `unavailable` when the step is
    not open for this user; POST calls the service, then back to the case with the success
    message, or the page again with the errors (HTTP 400) and the input kept."""
    state: dict = {}

    def context() -> dict:
        if "ctx" not in state:
            # the form is bound on a POST, and on a GET that brings back a refused POST's input
            ctx = _detail_context(request, proposal, {key: form} if form.is_bound else None)
            action = next((a for a in ctx["actions"] if a["key"] == key), None)
            state["open"] = action is not None
            if action is None:  # the step closed meanwhile: the page still shows the service's refusal
                action = {"key": key, "template": f"proposals/action_{template}.html", "title": title,
                          "url": request.get_full_path(), "form": form}
            state["ctx"] = {**ctx, "action": action, "page": True, **(extra(action) if extra else {})}
        return state["ctx"]

    def closed() -> str | None:
        context()
        return None if state["open"] else unavailable

    return run_action(
        request, action={"key": key, "form": form}, call=call, success=success, done_url=done_url or _detail_url(proposal),
        page_template="proposals/action_page.html", context=context, unavailable=closed, error_status=400,
        back_url=_detail_url(proposal),
    )


# --- pages ------------------------------------------------------------------------------------
@login_required
def proposal_list(request):
    form = forms.ProposalFilterForm(request.GET or None)
    qs = selectors.proposal_list(user=request.user, filters=form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "proposals/list.html", {"form": form, "page": page, "querystring": querystring_without_page(request), "title": _("提案列表")})


@login_required
def supervision(request):
    permissions.require(permissions.can_view_supervision(request.user))
    qs = selectors.supervision_list(user=request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "proposals/supervision.html", {"page": page, "querystring": querystring_without_page(request)})


@login_required
def detail(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    return render(request, "proposals/detail.html", _detail_context(request, proposal))


# --- drafts: write, edit, delete, withdraw ------------------------------------------------------------
def _save_proposal(request, form, proposal: Proposal | None):
    """Create or update the draft and, with the 提交 button, submit it: all or nothing.
    The 提交 button checks completeness before anything is saved, so that every
    missing field is reported at once; 保存草稿 keeps whatever was filled in."""
    submit = request.POST.get("action") == "submit"
    kwargs = form.service_kwargs()
    with transaction.atomic():
        if proposal is None:
            proposal = services.proposal_create(actor=request.user, for_submission=submit, **kwargs)
        else:
            cosigners = kwargs.pop("cosigners")
            proposal = services.proposal_update(actor=request.user, proposal=proposal, cosigners=cosigners, for_submission=submit, **kwargs)
        if submit:
            proposal = services.proposal_submit(actor=request.user, proposal=proposal)
    messages.success(request, _submitted_message(proposal) if submit else _("草稿已保存，只有您本人可见。内容完整后请点“提交”。"))
    return redirect(_detail_url(proposal))


def _submitted_message(proposal: Proposal) -> str:
    if proposal.status == Proposal.Status.COSIGNING:
        return _("提案已提交，已邀请%(n)d位委员确认联名。全部联名委员答复后，提案将自动提交提案委审查，您无需再次提交。") % {
            "n": proposal.cosigners.count()}
    return _("提案已提交提案委，等待立案审查；审查结果会通知您。审查前您可以撤回。")


def _proposal_form_page(request, proposal: Proposal | None):
    initial = forms.ProposalForm.initial_for(proposal) if proposal else None
    form = forms.ProposalForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            return _save_proposal(request, form, proposal)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    status = 400 if request.method == "POST" else 200
    title = _("修改草稿") if proposal else _("撰写提案")
    return render(request, "proposals/form.html", {"form": form, "proposal": proposal, "title": title}, status=status)


@login_required
def proposal_new(request):
    permissions.require(permissions.can_write_proposal(request.user))
    return _proposal_form_page(request, None)


@login_required
def proposal_edit(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    if proposal.proposer_id != request.user.pk:
        raise PermissionDenied(_("只有领衔提案人可以修改草稿。"))
    if proposal.status != Proposal.Status.DRAFT:
        messages.warning(request, _("提案已提交，不能再修改。"))
        return redirect(_detail_url(proposal))
    return _proposal_form_page(request, proposal)


@login_required
def delete_draft(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    refused = decision_refusal(permissions.can_delete_draft(request.user, proposal))
    form = keyed_form(forms.DeleteDraftForm, "delete", bound_data(request))
    return _run(request, proposal, "delete", form, lambda d: services.proposal_delete_draft(actor=request.user, proposal=proposal),
                _("草稿“%(title)s”已删除。") % {"title": proposal.title}, template="delete", title=_("删除草稿"),
                unavailable=refused or _("该提案不是草稿，不能删除。"), done_url=reverse("proposals:list"))


@login_required
def withdraw(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    refused = decision_refusal(permissions.can_withdraw(request.user, proposal))
    form = keyed_form(forms.WithdrawForm, "withdrawproposal", bound_data(request))
    return _run(request, proposal, "withdrawproposal", form,
                lambda d: services.proposal_withdraw(actor=request.user, proposal=proposal, reason=d["reason"]),
                _("提案已撤回，提案委不再审查，办理到此结束。如需重新提出，请另写一份提案。"), template="withdraw_proposal",
                title=_("撤回提案"), unavailable=refused or _("只有待审查的提案可以撤回。"))


# --- actions on a proposal ------------------------------------------------------------------------
@login_required
def submit(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    if proposal.proposer_id != request.user.pk:
        raise PermissionDenied(_("只有领衔提案人可以提交提案。"))
    form = keyed_form(forms.EmptyForm, "submit", bound_data(request))
    return _run(request, proposal, "submit", form, lambda d: services.proposal_submit(actor=request.user, proposal=proposal),
                _submitted_message, template="submit", title=_("提交提案"), unavailable=_("提案已提交，无需再次提交。"))


@login_required
def cosign(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    if not Cosigner.objects.filter(proposal=proposal, member=request.user).exists():
        raise PermissionDenied(_("您没有被邀请联名此提案。"))
    form = keyed_form(forms.CosignForm, "cosign", bound_data(request))

    def success(cosigner) -> str:
        if cosigner.status != Cosigner.Status.CONFIRMED:
            return _("您已拒绝联名，提案人会看到您的答复。本提案不再需要您办理。")
        status = Proposal.objects.values_list("status", flat=True).get(pk=proposal.pk)
        if status == Proposal.Status.SUBMITTED:
            return _("您已确认联名。联名委员均已答复，提案已自动提交提案委审查。")
        if status == Proposal.Status.READY:
            return _("您已确认联名。联名委员均已答复，提案将由提案人提交。")
        return _("您已确认联名。全部联名委员答复后，提案将自动提交提案委审查。")

    return _run(request, proposal, "cosign", form,
                lambda d: services.cosigner_respond(actor=request.user, proposal=proposal, accept=d["accept"]),
                success, template="cosign", title=_("联名确认"), unavailable=_("您已答复过联名邀请，无需再次答复。"))


@login_required
def review(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    form = keyed_form(forms.ReviewForm, "review", bound_data(request), proposal=proposal, user=request.user)

    def success(result) -> str:
        outcome = form.cleaned_data["outcome"]
        if outcome == services.ReviewOutcome.ACCEPT:
            return _("审查结果已保存：已立案（编号%(number)s），提案人会收到通知。下一步请交办承办单位。") % {
                "number": Proposal.objects.get(pk=proposal.pk).display_number}
        if outcome == services.ReviewOutcome.REJECT:
            return _("审查结果已保存：不予立案，提案人会收到通知，办理到此结束。")
        if outcome == services.ReviewOutcome.MERGE:
            return _("审查结果已保存：已并入其他提案一并办理，提案人会收到通知。")
        return _("审查结果已保存：已转意见建议，提案人会收到通知。")

    return _run(request, proposal, "review", form, lambda d: services.proposal_review(
        actor=request.user, proposal=proposal, outcome=d["outcome"], note=d["note"], rejection_reason=d["rejection_reason"],
        merge_into=d["merge_into"], forward_to=d["forward_to"], number=d["number"],
    ), success, template="review", title=_("立案审查"), unavailable=_("该提案不在待审查状态。"))


@login_required
def assign(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    form = keyed_form(forms.AssignForm, "assign", bound_data(request))
    return _run(request, proposal, "assign", form,
                lambda d: services.proposal_assign(actor=request.user, proposal=proposal, **form.service_kwargs()),
                _("已交办。承办单位将收到签收通知，签收后开始办理；答复期限按工作日历自动计算。"),
                template="assign", title=_("交办"), unavailable=_("该提案不在待交办状态。"))


@login_required
def set_supervision(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    form = keyed_form(forms.KeyForm, "key", bound_data(request))
    success = (_("已设为重点提案：牵头领导和督办单位将在督办页面看到本提案。") if bool_choice(request.POST.get("is_key"))
               else _("重点提案设置已保存：本提案不是重点提案。"))
    return _run(request, proposal, "key", form, lambda d: services.proposal_set_supervision(
        actor=request.user, proposal=proposal, is_key=d["is_key"], leading_official=d["leading_official"], supervising_unit=d["supervising_unit"],
    ), success, template="key", title=_("重点提案与督办"), unavailable=_("该提案现在不能设置重点提案（未立案、正在交办或已办结）。"))


@login_required
def set_public(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    form = keyed_form(forms.PublicForm, "public", bound_data(request))
    success = (_("已设为答复公开：办结后答复函将在公开页面发布。") if bool_choice(request.POST.get("is_public"))
               else _("已设为答复不公开：答复函不会在公开页面发布。"))
    return _run(request, proposal, "public", form,
                lambda d: services.proposal_set_public(actor=request.user, proposal=proposal, is_public=d["is_public"]),
                success, template="public", title=_("信息公开"), unavailable=_("该提案现在不能设置信息公开（未立案或正在交办）。"))


@login_required
def evaluate(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    user = request.user
    if proposal.proposer_id != user.pk and not Cosigner.objects.filter(proposal=proposal, member=user, status=Cosigner.Status.CONFIRMED).exists():
        raise PermissionDenied(_("只有提案人和联名委员可以评价。"))
    key = f"evaluate-{proposal.pk}"
    form = keyed_form(forms.EvaluationForm, key, bound_data(request))
    return _run(request, proposal, key, form, lambda d: services.proposal_evaluate(
        actor=user, proposal=proposal, process_rating=d["process_rating"], result_rating=d["result_rating"], comment=d["comment"],
    ), _("感谢您的评价。提案委将据此办结；评价不满意的，可以退回承办单位重新办理。"),
        template="evaluate", title=_("评价办理情况"), unavailable=_("现在没有需要您评价的答复（尚未答复，或您已评价）。"))


@login_required
def close(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    form = keyed_form(forms.CloseForm, "close", bound_data(request))
    return _run(request, proposal, "close", form, lambda d: services.proposal_close(
        actor=request.user, proposal=proposal, implementation_grade=d["implementation_grade"], note=d["note"],
    ), _("提案已办结，办理到此结束；提案人会收到通知。"), template="close", title=_("办结"), unavailable=_("该提案现在不能办结。"))


@login_required
def waive_evaluation(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    form = keyed_form(forms.WaiveEvaluationForm, "waive", bound_data(request))
    return _run(request, proposal, "waive", form,
                lambda d: services.proposal_waive_evaluation(actor=request.user, proposal=proposal, note=d["note"]),
                _("已记录委员逾期未评价。现在可以办结本提案。"), template="waive", title=_("委员逾期未评价"),
                unavailable=_("没有逾期未评价的委员。"))


@login_required
def withdraw_cosigner(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    if proposal.proposer_id != request.user.pk:
        raise PermissionDenied(_("只有领衔提案人可以撤回联名邀请。"))
    member_id = request.POST.get("member") or request.GET.get("member", "")
    key = f"withdraw-{member_id}"
    form = keyed_form(forms.WithdrawCosignerForm, key, bound_data(request), initial={"member": member_id})

    def do(d):
        member = Cosigner.objects.filter(proposal=proposal, member_id=d["member"]).select_related("member").first()
        if member is None:
            raise ValidationError(_("该委员不在联名委员中。"))
        return services.cosigner_withdraw(actor=request.user, proposal=proposal, member=member.member)

    def success(cosigner) -> str:
        status = Proposal.objects.values_list("status", flat=True).get(pk=proposal.pk)
        if status == Proposal.Status.SUBMITTED:
            return _("已撤回对%(name)s的联名邀请。联名委员均已答复，提案已自动提交提案委审查。") % {"name": cosigner.member}
        return _("已撤回对%(name)s的联名邀请。其余联名委员答复后，提案将自动提交提案委审查。") % {"name": cosigner.member}

    return _run(request, proposal, key, form, do, success, template="withdraw", title=_("撤回联名邀请"),
                unavailable=_("没有可以撤回的联名邀请（该委员已答复，或不在联名委员中）。"))


@login_required
def rehandle(request, pk: int):
    proposal = _proposal_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    form = keyed_form(forms.RehandleForm, "rehandle", bound_data(request))
    return _run(request, proposal, "rehandle", form,
                lambda d: services.proposal_rehandle(actor=request.user, proposal=proposal, note=d["note"]),
                _("已退回承办单位重新办理。承办单位将收到通知，须在%(limit)s内重新答复。") % {
                    "limit": time_limit_text(case_kind="proposal", step="rehandle_reply")},
                template="rehandle", title=_("退回重办"), unavailable=_("只有委员评价不满意的提案可以退回重办。"))


# --- actions on an assignment ------------------------------------------------------------------------
@login_required
def sign(request, pk: int):
    assignment, proposal = _assignment_or_404(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=assignment.department)
    key = f"sign-{assignment.pk}"
    form = keyed_form(forms.EmptyForm, key, bound_data(request))
    success = (_("已签收。请在期限前把会办意见送主办单位。") if assignment.role == Assignment.Role.CO
               else _("已签收。请在答复期限前撰写答复函并提交单位领导签发。"))
    return _run(request, proposal, key, form, lambda d: services.assignment_sign(actor=request.user, assignment=assignment),
                success, template="sign", title=_("签收"), unavailable=_("该交办不在待签收状态。"))


@login_required
def reassign(request, pk: int):
    assignment, proposal = _assignment_or_404(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=assignment.department)
    key = f"reassign-{assignment.pk}"
    form = keyed_form(forms.ReassignRequestForm, key, bound_data(request))
    return _run(request, proposal, key, form,
                lambda d: services.assignment_request_reassign(actor=request.user, assignment=assignment, reason=d["reason"]),
                _("调整申请已提交，等待提案委审批；审批结果会通知本单位。"), template="reassign", title=_("申请调整承办单位"),
                unavailable=_("只有签收前可以申请调整承办单位。"))


@login_required
def reassign_decide(request, pk: int):
    assignment, proposal = _assignment_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    key = f"reassigndecide-{assignment.pk}"
    form = keyed_form(forms.ReassignDecideForm, key, bound_data(request))
    success = (_("已同意调整，新承办单位将收到签收通知。") if bool_choice(request.POST.get("approve"))
               else _("已不同意调整，原承办单位继续办理并会收到通知。"))
    return _run(request, proposal, key, form, lambda d: services.assignment_decide_reassign(
        actor=request.user, assignment=assignment, approve=d["approve"], new_department=d["new_department"], note=d["note"],
    ), success, template="reassign_decide", title=_("审批调整申请"), unavailable=_("没有待审批的调整申请。"))


@login_required
def consult(request, pk: int):
    assignment, proposal = _assignment_or_404(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=assignment.department)
    key = f"consult-{assignment.pk}"
    form = keyed_form(forms.ConsultationForm, key, bound_data(request))
    return _run(request, proposal, key, form, lambda d: services.consultation_record(
        actor=request.user, assignment=assignment, date=d["date"], mode=d["mode"], participants=d["participants"], note=d["note"],
    ), _("办理协商已记录，已列入办理记录。"), template="consult", title=_("记录办理协商"),
        unavailable=_("现在不能记录办理协商（尚未签收，或提案已答复）。"))


@login_required
def opinion(request, pk: int):
    assignment, proposal = _assignment_or_404(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=assignment.department)
    key = f"opinion-{assignment.pk}"
    form = keyed_form(forms.OpinionForm, key, bound_data(request))
    return _run(request, proposal, key, form,
                lambda d: services.assignment_send_opinion(actor=request.user, assignment=assignment, opinion=d["opinion"]),
                _("会办意见已送主办单位，本单位的会办工作已完成。"), template="opinion", title=_("送会办意见"),
                unavailable=_("没有待送的会办意见。"))


@login_required
def reply(request, pk: int):
    """Save the reply draft; with the 提交签发 button also submit it (both or neither)."""
    assignment, proposal = _assignment_or_404(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=assignment.department)
    key = f"reply-{assignment.pk}"
    form = keyed_form(forms.ReplyForm, key, bound_data(request))
    submit_too = request.POST.get("action") == "submit"

    def call(d):
        with transaction.atomic():
            services.reply_save_draft(actor=request.user, assignment=assignment, reply_class=d["reply_class"], body=d["body"],
                                      contact_person=d["contact_person"], contact_phone=d["contact_phone"], title=d["title"])
            if submit_too:
                services.reply_submit(actor=request.user, assignment=assignment)

    success = (_("答复函已提交单位领导签发；签发后送提案委督办审核。") if submit_too
               else _("答复函草稿已保存（尚未送签发）。写好后请点“提交签发”。"))
    return _run(request, proposal, key, form, call, success, template="reply", title=_("撰写答复函"),
                unavailable=_("现在没有待撰写的答复函。"), extra=lambda action: {"letter": _letter_preview(assignment, action["form"])})


@login_required
@require_POST
def reply_preview(request, pk: int):
    """The letter as the PDF will lay it out (same data and body template), from the
    draft being typed; htmx posts the reply form here and shows the answer."""
    assignment, proposal = _assignment_or_404(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=assignment.department)
    form = keyed_form(forms.ReplyForm, f"reply-{assignment.pk}", request.POST)
    form.is_valid()
    return render(request, "proposals/_letter_preview.html", {"letter": _letter_preview(assignment, form)})


def _letter_preview(assignment: Assignment, form) -> dict:
    """The reply letter's layout data (proposals.documents.reply_context) for an unsaved draft."""
    from workflow.documents import title_lines

    from .documents import reply_context

    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}

    def value(name):
        if form.is_bound:
            return data.get(name) if name in data else (form.data.get(form.add_prefix(name)) or "")
        return form.initial.get(name) or ""

    draft = Reply(assignment=assignment, reply_class=value("reply_class") or "", title=value("title") or "",
                  body=value("body") or "", contact_person=value("contact_person") or "", contact_phone=value("contact_phone") or "")
    letter = reply_context(draft)
    letter["title_lines"] = title_lines(str(letter["title"]))
    return letter


@login_required
def extension(request, pk: int):
    assignment, proposal = _assignment_or_404(request.user, pk)
    require_role(user=request.user, role=Role.HANDLER, department=assignment.department)
    key = f"extension-{assignment.pk}"
    form = keyed_form(forms.ExtensionRequestForm, key, bound_data(request))
    return _run(request, proposal, key, form, lambda d: services.extension_request(
        actor=request.user, assignment=assignment, requested_until=d["requested_until"], reason=d["reason"],
    ), _("延期申请已提交，等待提案委审批；审批前请按原期限办理。"), template="extension", title=_("申请延期答复"),
        unavailable=_("现在不能申请延期（已答复、已有待审批的申请或已过期限）。"))


# --- actions on a reply or an extension request ---------------------------------------------------------
@login_required
def sign_off(request, pk: int):
    reply_obj, proposal = _reply_or_404(request.user, pk)
    require_role(user=request.user, role=Role.DEPT_LEADER, department=reply_obj.assignment.department)
    key = f"signoff-{reply_obj.pk}"
    form = keyed_form(forms.SignOffForm, key, bound_data(request))
    success = (_("答复函已签发，已送提案委督办审核。") if request.POST.get("approve") == "1"
               else _("答复函已退回修改，承办人会收到通知；修改后需再次签发。"))
    return _run(request, proposal, key, form, lambda d: services.reply_sign_off(
        actor=request.user, reply=reply_obj, approve=d["approve"], note=d["note"], doc_number=d["doc_number"],
    ), success, template="sign_off", title=_("签发答复函"), unavailable=_("该答复函不在待签发状态。"))


@login_required
def reply_review(request, pk: int):
    reply_obj, proposal = _reply_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    key = f"replyreview-{reply_obj.pk}"
    form = keyed_form(forms.ReplyReviewForm, key, bound_data(request))
    success = (_("督办审核通过。全部答复函通过后将送达委员，并请其评价。") if request.POST.get("passed") == "1"
               else _("答复函已退回承办单位修改；修改并重新签发后再送督办审核。"))
    return _run(request, proposal, key, form, lambda d: services.reply_review(
        actor=request.user, reply=reply_obj, passed=d["passed"], note=d["note"], reply_class=d["reply_class"],
    ), success, template="reply_review", title=_("督办审核"), unavailable=_("该答复函不在待督办审核状态。"))


@login_required
def extension_decide(request, pk: int):
    req, proposal = _extension_or_404(request.user, pk)
    require_role(user=request.user, role=Role.PROPOSAL_OFFICE)
    key = f"extdecide-{req.pk}"
    form = keyed_form(forms.ExtensionDecideForm, key, bound_data(request))
    success = (_("已同意延期，承办单位的答复期限已顺延，并会收到通知。") if request.POST.get("approve") == "1"
               else _("已不同意延期，承办单位须在原期限内答复，并会收到通知。"))
    return _run(request, proposal, key, form, lambda d: services.extension_decide(
        actor=request.user, request=req, approve=d["approve"], note=d["note"],
    ), success, template="extension_decide", title=_("审批延期申请"), unavailable=_("该延期申请已审批。"))
