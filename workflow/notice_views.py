"""Pages of supervision notices by hand (督办单, workflow.notices): issue one
about a case, the list (the department's to sign and answer, the issuer's
own), sign for one and answer one. Thin: forms in, one service call."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import notices
from .web import MAX_INT, StyledForm, apply_service_errors


class NoticeIssueForm(StyledForm):
    department = forms.TypedChoiceField(label=gettext_lazy("被督办单位"), coerce=int)
    requirement = forms.CharField(
        label=gettext_lazy("督办要求"), max_length=notices.REQUIREMENT_MAX, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("写明需要办理的事项和要求，对方须书面答复。"),
    )
    deadline = forms.DateField(
        label=gettext_lazy("答复期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("须为今天以后的工作日，当日24时前答复。"),
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, str(d)) for d in departments]


class NoticeRespondForm(StyledForm):
    response = forms.CharField(
        label=gettext_lazy("书面答复"), max_length=notices.RESPONSE_MAX, widget=forms.Textarea(attrs={"rows": 6}),
    )


@login_required
def notice_new(request, case_type: str, case_id: int):
    """GET: the form; POST: issue the notice (errors shown on the same page)."""
    case = notices.case_for(code=case_type, pk=case_id)
    if case is None:
        raise Http404
    if not notices.can_issue(user=request.user, case=case):
        raise PermissionDenied(_("只有该案件的督查人员或牵头领导可以下发督办单。"))
    departments = notices.department_choices(case)
    form = NoticeIssueForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            notices.supervision_notice_issue(
                actor=request.user, case=case, department=d["department"], requirement=d["requirement"], deadline=d["deadline"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("督办单已下发。"))
            return redirect(case.get_absolute_url())
    return render(request, "workflow/notice_new.html", {"case": case, "form": form, "departments": departments})


@login_required
def notice_list(request):
    # ?department=&status= (the dashboard's links): a filter inside the reader's own scope
    dept, status = request.GET.get("department", ""), request.GET.get("status", "")
    rows = notices.notice_list(
        user=request.user, department=int(dept) if dept.isdecimal() and int(dept) <= MAX_INT else None, status=status,
    )
    mine = [n for n in rows if n.issued_by_id == request.user.pk]
    for n in rows:
        n.can_answer = notices.can_answer(user=request.user, notice=n)
    from .selectors import user_membership_pairs

    answerer = any(role in notices.ANSWERING_ROLES for role, _dept in user_membership_pairs(user=request.user))
    return render(request, "workflow/notice_list.html", {
        "to_answer": [n for n in rows if n.can_answer], "issued": mine, "answerer": answerer,
        "filtered": dept.isdecimal() or status in notices.NoticeStatus.LABELS,
    })


@login_required
def notice_sign(request, pk: int):
    """GET: the notice and a sign-for button; POST: sign for it."""
    notice = notices.notice_get(user=request.user, pk=pk)
    if not notices.can_answer(user=request.user, notice=notice):
        raise PermissionDenied(_("只有被督办单位的承办人员或单位领导可以签收、答复督办单。"))
    error = ""
    if request.method == "POST":
        try:
            notices.supervision_notice_sign(actor=request.user, notice=notice)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("已签收督办单，请在答复期限前书面答复。"))
            return redirect("supervision-notices")
    return render(request, "workflow/notice_act.html", {"notice": notice, "act": "sign", "error": error})


@login_required
def notice_respond(request, pk: int):
    """GET: the answer form; POST: answer the notice (once)."""
    notice = notices.notice_get(user=request.user, pk=pk)
    if not notices.can_answer(user=request.user, notice=notice):
        raise PermissionDenied(_("只有被督办单位的承办人员或单位领导可以签收、答复督办单。"))
    form = NoticeRespondForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notices.supervision_notice_respond(actor=request.user, notice=notice, response=form.cleaned_data["response"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已答复督办单。"))
            return redirect("supervision-notices")
    return render(request, "workflow/notice_act.html", {"notice": notice, "act": "respond", "form": form})
