"""Forms of the proposal pages. They only shape input; the services validate
the domain rules (their ValidationErrors are put back on these forms)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from workflow.models import Department, SupervisionState, User
from workflow.web import MAX_INT, StyledForm, bool_choice, label_field, model_max_length

from . import selectors
from .models import Category, Consultation, Proposal, RejectionReason, Reply, Session
from .roles import Role
from .services import ReviewOutcome
from .services.review import MAX_PROPOSAL_NUMBER


def _label_field(scale: str, label, required=True, blank_label=None):
    return label_field(scale, label, required=required, blank_label=blank_label, with_code=scale != "proposal_rating")


def _len(field: str, model=Proposal) -> int:
    return model_max_length(model, field)


# --- drafting ----------------------------------------------------------------------------
class ProposalForm(StyledForm):
    """Draft or edit a proposal. Completeness and length rules live in the service
    (its messages are the clear Chinese ones, every problem at once), so nothing
    is required here: a draft keeps whatever was filled in, and 提交 reports every
    missing field in one round. The form only refuses choices that do not exist."""

    title = forms.CharField(label=_("案由（标题）"), required=False, widget=forms.TextInput(attrs={"maxlength": _len("title")}),
                            help_text=_("保存草稿只需填写案由，其余内容可以以后补充。"))
    analysis = forms.CharField(
        label=_("情况分析"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-count": "1"}),
        help_text=_("一事一案。建议约800字，一般不超过1500字。"),
    )
    suggestions = forms.CharField(
        label=_("具体建议"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-count": "1"}),
    )
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.none(), empty_label=_("请选择类别"), required=False,
                                      error_messages={"invalid_choice": _("所选类别不存在或已停用。")})
    contact_name = forms.CharField(label=_("联系人"), required=False, widget=forms.TextInput(attrs={"maxlength": _len("contact_name")}))
    contact_phone = forms.CharField(label=_("联系电话"), required=False, widget=forms.TextInput(attrs={"type": "tel", "maxlength": _len("contact_phone")}))
    session = forms.ModelChoiceField(label=_("届次"), queryset=Session.objects.none(), empty_label=None, required=False,
                                     error_messages={"invalid_choice": _("所选届次不存在。")})
    between_sessions = forms.BooleanField(label=_("闭会期间提出"), required=False)
    kind = forms.ChoiceField(label=_("提案类型"), choices=[], required=False)
    organisation_name = forms.CharField(label=_("提案单位"), required=False, widget=forms.TextInput(attrs={"maxlength": _len("organisation_name")}),
                                        help_text=_("党派团体、专委会或界别提案须填写"))
    cosigners = forms.ModelMultipleChoiceField(
        label=_("联名委员"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选联名人不是政协委员（或是您本人），不能联名。"),
                        "invalid_pk_value": _("联名委员选择有误。")},
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["session"].queryset = Session.objects.all()
        current = Session.objects.filter(is_current=True).first()
        if current and not self.initial.get("session"):
            self.initial["session"] = current.pk
        self.fields["kind"].choices = [(k, label) for k, label in Proposal.Kind.choices if k != Proposal.Kind.JOINT]
        self.fields["cosigners"].queryset = selectors.members_for_cosign(user=user)

    @classmethod
    def initial_for(cls, proposal: Proposal) -> dict:
        return {
            "title": proposal.title, "analysis": proposal.analysis, "suggestions": proposal.suggestions,
            "category": proposal.category_id, "contact_name": proposal.contact_name, "contact_phone": proposal.contact_phone,
            "session": proposal.session_id, "between_sessions": proposal.between_sessions,
            "kind": Proposal.Kind.MEMBER if proposal.kind == Proposal.Kind.JOINT else proposal.kind,
            "organisation_name": proposal.organisation_name,
            "cosigners": [c.member_id for c in proposal.cosigners.all()],
        }

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "session": d["session"], "title": d["title"], "analysis": d["analysis"], "suggestions": d["suggestions"],
            "category": d["category"], "contact_name": d["contact_name"], "contact_phone": d["contact_phone"],
            "kind": d["kind"] or Proposal.Kind.MEMBER, "organisation_name": d["organisation_name"], "between_sessions": d["between_sessions"],
            "cosigners": list(d["cosigners"]),
        }


class DeleteDraftForm(StyledForm):
    confirm = forms.BooleanField(label=_("我确认删除这份草稿，删除后不能恢复"), error_messages={"required": _("请勾选确认后再删除。")})


class WithdrawForm(StyledForm):
    reason = forms.CharField(label=_("撤回理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("提案委将看到撤回理由。撤回后提案不再审查，也不能恢复；如需重新提出，请另写一份提案。"))


class CosignForm(StyledForm):
    accept = forms.TypedChoiceField(label=_("是否联名"), choices=[("1", _("确认联名")), ("0", _("不联名"))], coerce=bool_choice)


class EmptyForm(StyledForm):
    """A button (submit, sign)."""


# --- office -------------------------------------------------------------------------------
class ReviewForm(StyledForm):
    outcome = forms.ChoiceField(
        label=_("审查结果"), widget=forms.RadioSelect,
        choices=[(ReviewOutcome.ACCEPT, _("立案")), (ReviewOutcome.MERGE, _("并案")),
                 (ReviewOutcome.FORWARD, _("转意见建议")), (ReviewOutcome.REJECT, _("不予立案"))],
        error_messages={"required": _("请选择审查结果。")},
    )
    number = forms.IntegerField(label=_("编号"), required=False, min_value=1, max_value=MAX_PROPOSAL_NUMBER, help_text=_("留空则自动取本届次下一个编号"))
    rejection_reason = forms.ModelChoiceField(label=_("不予立案理由"), queryset=RejectionReason.objects.none(), required=False, empty_label="—")
    merge_into = forms.ModelChoiceField(label=_("并入提案"), queryset=Proposal.objects.none(), required=False, empty_label="—")
    forward_to = forms.ModelChoiceField(label=_("转交单位"), queryset=Department.objects.none(), required=False, empty_label="—")
    note = forms.CharField(label=_("审查意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, proposal: Proposal, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rejection_reason"].queryset = RejectionReason.objects.filter(is_active=True)
        self.fields["merge_into"].queryset = (
            selectors.proposal_queryset(user=user)
            .filter(session_id=proposal.session_id, number__isnull=False,
                    status__in=[Proposal.Status.ACCEPTED, Proposal.Status.HANDLING])
            .exclude(pk=proposal.pk).order_by("number")
        )
        self.fields["forward_to"].queryset = Department.objects.filter(is_active=True, kind=Department.Kind.GOVERNMENT)


def key_leaders():
    return User.objects.filter(memberships__role=Role.KEY_LEADER, memberships__is_active=True, is_active=True).distinct().order_by("full_name", "username")


def supervision_units():
    return Department.objects.filter(is_active=True, kind=Department.Kind.SUPERVISION_OFFICE)


def government_departments():
    return Department.objects.filter(is_active=True, kind=Department.Kind.GOVERNMENT).order_by("code")


class AssignForm(StyledForm):
    mode = forms.ChoiceField(label=_("办理方式"), choices=Proposal.HandlingMode.choices, widget=forms.RadioSelect,
                             initial=Proposal.HandlingMode.SINGLE, error_messages={"required": _("请选择办理方式。")})
    lead = forms.ModelChoiceField(label=_("承办单位（单独办理）/ 主办单位"), queryset=Department.objects.none(), required=False, empty_label="—")
    co_handlers = forms.ModelMultipleChoiceField(label=_("会办单位"), queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    separate = forms.ModelMultipleChoiceField(label=_("分办单位"), queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    is_key = forms.BooleanField(label=_("重点提案"), required=False)
    leading_official = forms.ModelChoiceField(label=_("牵头领导"), queryset=User.objects.none(), required=False, empty_label="—")
    supervising_unit = forms.ModelChoiceField(label=_("督办单位"), queryset=Department.objects.none(), required=False, empty_label="—")
    is_public = forms.BooleanField(label=_("答复公开"), required=False, initial=True)
    note = forms.CharField(label=_("交办意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lead", "co_handlers", "separate"):
            self.fields[name].queryset = government_departments()
        self.fields["leading_official"].queryset = key_leaders()
        self.fields["supervising_unit"].queryset = supervision_units()

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        mode = d["mode"]
        return {
            "mode": mode,
            "lead": d["lead"] if mode in (Proposal.HandlingMode.SINGLE, Proposal.HandlingMode.LEAD_CO) else None,
            "co_handlers": list(d["co_handlers"]) if mode == Proposal.HandlingMode.LEAD_CO else [],
            "separate": list(d["separate"]) if mode == Proposal.HandlingMode.SEPARATE else [],
            "is_key": d["is_key"], "leading_official": d["leading_official"], "supervising_unit": d["supervising_unit"],
            "is_public": d["is_public"], "note": d["note"],
        }


class KeyForm(StyledForm):
    is_key = forms.BooleanField(label=_("重点提案"), required=False)
    leading_official = forms.ModelChoiceField(label=_("牵头领导"), queryset=User.objects.none(), required=False, empty_label="—")
    supervising_unit = forms.ModelChoiceField(label=_("督办单位"), queryset=Department.objects.none(), required=False, empty_label="—")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leading_official"].queryset = key_leaders()
        self.fields["supervising_unit"].queryset = supervision_units()


class PublicForm(StyledForm):
    is_public = forms.BooleanField(label=_("答复公开"), required=False)


class ReassignDecideForm(StyledForm):
    approve = forms.TypedChoiceField(label=_("审批"), choices=[("1", _("同意调整")), ("0", _("不同意"))], coerce=bool_choice,
                                     widget=forms.RadioSelect, error_messages={"required": _("请选择是否同意。")})
    new_department = forms.ModelChoiceField(label=_("新承办单位"), queryset=Department.objects.none(), required=False, empty_label="—")
    note = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_department"].queryset = government_departments()


class ExtensionDecideForm(StyledForm):
    approve = forms.TypedChoiceField(label=_("审批"), choices=[("1", _("同意延期")), ("0", _("不同意"))], coerce=bool_choice,
                                     widget=forms.RadioSelect, error_messages={"required": _("请选择是否同意。")})
    note = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReplyReviewForm(StyledForm):
    passed = forms.TypedChoiceField(label=_("审核结果"), choices=[("1", _("审核通过")), ("0", _("退回修改"))], coerce=bool_choice,
                                    widget=forms.RadioSelect, error_messages={"required": _("请选择审核结果。")})
    reply_class = forms.ChoiceField(label=_("答复类别（可更正）"), required=False)
    note = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reply_class"] = _label_field("reply_class", _("答复类别（可更正）"), required=False, blank_label=_("不更改"))
        self._style()


class CloseForm(StyledForm):
    implementation_grade = forms.ChoiceField(label=_("落实情况"))
    note = forms.CharField(label=_("办结说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["implementation_grade"] = _label_field("implementation_grade", _("落实情况"), required=False, blank_label=_("请选择"))
        self.order_fields(["implementation_grade", "note"])
        self._style()


class RehandleForm(StyledForm):
    note = forms.CharField(label=_("重办意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WaiveEvaluationForm(StyledForm):
    note = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawCosignerForm(StyledForm):
    member = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_INT)


# --- departments -------------------------------------------------------------------------------
class ReassignRequestForm(StyledForm):
    reason = forms.CharField(label=_("申请调整理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConsultationForm(StyledForm):
    date = forms.DateField(label=_("协商日期"), widget=forms.DateInput(attrs={"type": "date"}),
                           error_messages={"required": _("请填写协商日期。"), "invalid": _("日期格式应为 YYYY-MM-DD。")})
    mode = forms.ChoiceField(label=_("方式"), choices=Consultation.Mode.choices)
    participants = forms.CharField(label=_("参加人员"), required=False, max_length=_len("participants", Consultation))
    note = forms.CharField(label=_("协商情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OpinionForm(StyledForm):
    opinion = forms.CharField(label=_("会办意见"), required=False, widget=forms.Textarea(attrs={"rows": 6}))


class ReplyForm(StyledForm):
    reply_class = forms.ChoiceField(label=_("答复类别"))
    title = forms.CharField(label=_("标题"), required=False, max_length=_len("title", Reply))
    body = forms.CharField(label=_("答复正文"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 12}))
    contact_person = forms.CharField(label=_("联系人"), required=False, max_length=_len("contact_person", Reply))
    contact_phone = forms.CharField(label=_("联系电话"), required=False, max_length=_len("contact_phone", Reply), widget=forms.TextInput(attrs={"type": "tel"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reply_class"] = _label_field("reply_class", _("答复类别"), required=False, blank_label=_("请选择"))
        self.order_fields(["reply_class", "title", "body", "contact_person", "contact_phone"])
        self._style()


class ExtensionRequestForm(StyledForm):
    requested_until = forms.DateField(label=_("申请延至"), widget=forms.DateInput(attrs={"type": "date"}),
                                      error_messages={"required": _("请填写申请延至的日期。"), "invalid": _("日期格式应为 YYYY-MM-DD。")})
    reason = forms.CharField(label=_("延期理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SignOffForm(StyledForm):
    approve = forms.TypedChoiceField(label=_("签发"), choices=[("1", _("同意签发")), ("0", _("退回修改"))], coerce=bool_choice,
                                     widget=forms.RadioSelect, error_messages={"required": _("请选择签发或退回。")})
    doc_number = forms.CharField(label=_("发文字号"), required=False, max_length=_len("doc_number", Reply), help_text=_("留空则按本单位发文字号自动编号"))
    note = forms.CharField(label=_("修改意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- members -------------------------------------------------------------------------------------
class EvaluationForm(StyledForm):
    process_rating = forms.ChoiceField(label=_("对办理过程的评价"))
    result_rating = forms.ChoiceField(label=_("对办理结果的评价"))
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("不满意时请写明意见，以便重新办理。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process_rating"] = _label_field("proposal_rating", _("对办理过程的评价"), required=False, blank_label=_("请选择"))
        self.fields["result_rating"] = _label_field("proposal_rating", _("对办理结果的评价"), required=False, blank_label=_("请选择"))
        self.order_fields(["process_rating", "result_rating", "comment"])
        self._style()


# --- list ---------------------------------------------------------------------------------------
class ProposalFilterForm(StyledForm):
    q = forms.CharField(label=_("关键词或编号"), required=False)
    session = forms.ModelChoiceField(label=_("届次"), queryset=Session.objects.none(), required=False, empty_label=_("全部届次"))
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.none(), required=False, empty_label=_("全部类别"))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态"))] + list(Proposal.Status.choices))
    department = forms.ModelChoiceField(label=_("承办单位"), queryset=Department.objects.none(), required=False, empty_label=_("全部单位"))
    key = forms.ChoiceField(label=_("重点"), required=False, choices=[("", _("全部")), ("1", _("重点提案")), ("0", _("非重点提案"))])
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    deadline_state = forms.ChoiceField(label=_("期限状态"), required=False, choices=[("", _("全部期限状态"))] + list(SupervisionState.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.all()
        self.fields["category"].queryset = Category.objects.all()
        self.fields["department"].queryset = government_departments()

    def filters(self) -> selectors.ProposalFilters:
        if not self.is_valid():
            return selectors.ProposalFilters()
        d = self.cleaned_data
        return selectors.ProposalFilters(
            session=d["session"].pk if d["session"] else None,
            category=d["category"].pk if d["category"] else None,
            status=d["status"] or None,
            department=d["department"].pk if d["department"] else None,
            is_key={"1": True, "0": False}.get(d["key"]),
            overdue=d["overdue"] or None,
            deadline_state=d["deadline_state"] or None,
            q=(d["q"] or "").strip() or None,
        )
