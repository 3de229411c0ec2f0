"""Forms of the complaint staff pages. They only shape input; the services
validate the domain rules (their ValidationErrors are put back on these
forms with workflow.web.apply_service_errors).

Forms with several outcomes (triage, call-back, sign or return, intake with
on-the-spot resolution) validate only the fields of the chosen outcome, so
they work without JavaScript; the pages hide the other fields when it runs."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from workflow.models import Department, SupervisionState
from workflow.web import StyledForm, bool_choice, label_field, model_max_length

from . import selectors
from .models import Channel, Complaint, HandlingNote, Kind, NotAcceptedReason

RATING_SCALE = "haocha_rating"
INDICATOR_SCALE = "haocha_indicator"
SPLIT_PARTS = 4
# The sub-ratings asked at the call-back (RULES.md, on site); their labels are rows of the haocha_indicator scale.
CALLBACK_INDICATORS = ("overall", "efficiency", "attitude", "level")


def indicator_choices(codes) -> list[tuple[str, str]]:
    """(code, label) of the active indicators among `codes`, labels from the rules table."""
    from workflow.web import label_map

    labels = label_map(INDICATOR_SCALE)
    return [(code, labels[code]) for code in codes if code in labels]
DATE_INVALID = _("日期格式应为 YYYY-MM-DD。")
DATETIME_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def departments():
    """The departments a case can be dispatched to."""
    return Department.objects.filter(is_active=True, kind=Department.Kind.GOVERNMENT).order_by("code")


def _yes_no(label, yes, no, required_message):
    return forms.TypedChoiceField(
        label=label, choices=[("1", yes), ("0", no)], coerce=bool_choice, widget=forms.RadioSelect,
        error_messages={"required": required_message},
    )


def _text(label, rows=3, required=False, **kwargs):
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class EmptyForm(StyledForm):
    """A button."""


# --- the list ---------------------------------------------------------------------------------
class FilterForm(StyledForm):
    q = forms.CharField(label=_("编号或标题"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态"))] + list(Complaint.Status.choices))
    department = forms.ModelChoiceField(label=_("承办单位"), queryset=Department.objects.none(), required=False, empty_label=_("全部单位"))
    category = forms.ModelChoiceField(label=_("类别"), queryset=selectors.categories().none(), required=False, empty_label=_("全部类别"))
    channel = forms.ChoiceField(label=_("来源渠道"), required=False, choices=[("", _("全部渠道"))] + list(Channel.choices))
    kind = forms.ChoiceField(label=_("诉求类型"), required=False, choices=[("", _("全部类型"))] + list(Kind.choices))
    rating = forms.ChoiceField(label=_("评价"), required=False)
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    suspended = forms.BooleanField(label=_("只看挂起"), required=False)
    deadline_state = forms.ChoiceField(label=_("期限状态"), required=False, choices=[("", _("全部期限状态"))] + list(SupervisionState.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments()
        self.fields["category"].queryset = selectors.categories()
        self.fields["rating"] = label_field(RATING_SCALE, _("评价"), required=False, blank_label=_("全部评价"), with_code=False)
        self._style()

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "q": (d["q"] or "").strip(), "status": d["status"], "department": d["department"].pk if d["department"] else None,
            "category": d["category"].pk if d["category"] else None, "channel": d["channel"], "kind": d["kind"],
            "rating": d["rating"], "overdue": d["overdue"], "suspended": d["suspended"], "deadline_state": d["deadline_state"],
        }


class LedgerFilterForm(FilterForm):
    received_from = forms.DateField(label=_("受理日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    received_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def filters(self) -> dict:
        filters = super().filters()
        if filters:
            filters["received_from"] = self.cleaned_data["received_from"]
            filters["received_to"] = self.cleaned_data["received_to"]
        return filters


# --- intake (hotline, window) ------------------------------------------------------------------
class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; their content is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [f for f in data if f]
        return [data] if data else []


def question_fields() -> dict[str, dict]:
    """The extra questions of every active category, one field per question code:
    {code: {"label", "type", "choices", "categories": [pk...], "required_in": [pk...]}}."""
    fields: dict[str, dict] = {}
    for category in selectors.categories():
        for q in category.questions or []:
            code = q.get("code")
            if not code:
                continue
            entry = fields.setdefault(code, {"labels": [], "type": q.get("type", "text"), "choices": [], "categories": [], "required_in": []})
            label = q.get("label") or code
            if label not in entry["labels"]:
                entry["labels"].append(label)
            if entry["type"] != q.get("type", "text"):
                entry["type"] = "text"  # the same code asked differently: free text, the service checks it
            for choice in q.get("choices") or []:
                if choice not in entry["choices"]:
                    entry["choices"].append(choice)
            entry["categories"].append(category.pk)
            if q.get("required"):
                entry["required_in"].append(category.pk)
    return fields


class IntakeForm(StyledForm):
    channel = forms.ChoiceField(label=_("来源渠道"), choices=[(Channel.HOTLINE, Channel.HOTLINE.label), (Channel.WINDOW, Channel.WINDOW.label)],
                                widget=forms.RadioSelect, initial=Channel.HOTLINE)
    kind = forms.ChoiceField(label=_("诉求类型"), choices=Kind.choices, initial=Kind.COMPLAINT)
    category = forms.ModelChoiceField(label=_("类别"), queryset=selectors.categories().none(), empty_label=_("请选择类别"),
                                      error_messages={"required": _("请选择类别。")})
    title = forms.CharField(label=_("诉求概要"), required=False, max_length=model_max_length(Complaint, "title"))
    description = _text(_("事情经过"), rows=6)
    hall = forms.CharField(label=_("服务大厅"), required=False, max_length=model_max_length(Complaint, "hall"))
    window = forms.CharField(label=_("窗口"), required=False, max_length=model_max_length(Complaint, "window"))
    address = forms.CharField(label=_("地址"), required=False, max_length=model_max_length(Complaint, "address"))
    occurred_at = forms.DateTimeField(label=_("发生时间"), required=False, input_formats=DATETIME_INPUT,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                      error_messages={"invalid": _("时间格式应为 YYYY-MM-DD HH:MM。")})
    citizen_name = forms.CharField(label=_("姓名"), required=False, max_length=model_max_length(Complaint, "citizen_name"))
    citizen_phone = forms.CharField(label=_("电话"), required=False, max_length=model_max_length(Complaint, "citizen_phone"),
                                    widget=forms.TextInput(attrs={"type": "tel"}))
    citizen_id_number = forms.CharField(label=_("身份证号"), required=False, max_length=18)
    citizen_email = forms.CharField(label=_("电子邮箱"), required=False, max_length=254)
    citizen_address = forms.CharField(label=_("联系地址"), required=False, max_length=model_max_length(Complaint, "citizen_address"))
    attachments = MultipleFileField(label=_("附件"), required=False, help_text=_("图片（JPG、PNG、GIF、WebP）或PDF，可多选"))
    resolve_on_spot = forms.BooleanField(label=_("现场办结（当场解决并请群众评价）"), required=False)
    spot_reply = _text(_("处理结果"), rows=3)
    spot_rating = forms.ChoiceField(label=_("群众的现场评价"), required=False)
    spot_comment = _text(_("群众意见"), rows=2)

    # Service error keys that are named differently here.
    SERVICE_KEYS = {"reply": "spot_reply", "rating": "spot_rating", "latitude": "address"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.categories()
        self.fields["spot_rating"] = label_field(RATING_SCALE, _("群众的现场评价"), required=False, blank_label=_("请选择"), with_code=False)
        self.questions = question_fields()
        for code, q in self.questions.items():
            label = " / ".join(q["labels"])
            if q["type"] == "choice" and q["choices"]:
                field = forms.ChoiceField(label=label, required=False, choices=[("", _("请选择"))] + [(c, c) for c in q["choices"]])
            elif q["type"] == "number":
                field = forms.CharField(label=label, required=False, max_length=200, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
            else:
                field = forms.CharField(label=label, required=False, max_length=200)
            field.widget.attrs["data-categories"] = " ".join(str(pk) for pk in q["categories"])
            field.widget.attrs["data-required-in"] = " ".join(str(pk) for pk in q["required_in"])
            self.fields[f"answer_{code}"] = field
        self._style()

    def answer_fields(self):
        return [self[f"answer_{code}"] for code in self.questions]

    def service_kwargs(self, files) -> dict:
        d = self.cleaned_data
        category = d["category"]
        asked = {q.get("code") for q in (category.questions or [])} if category else set()
        answers = {code: d.get(f"answer_{code}", "") for code in asked}
        kwargs = {
            "channel": d["channel"], "kind": d["kind"], "category": category, "title": d["title"], "description": d["description"],
            "hall": d["hall"].strip(), "window": d["window"].strip(), "address": d["address"].strip(), "occurred_at": d["occurred_at"],
            "answers": answers, "citizen_name": d["citizen_name"], "citizen_phone": d["citizen_phone"],
            "citizen_id_number": d["citizen_id_number"].strip(), "citizen_email": d["citizen_email"].strip(),
            "citizen_address": d["citizen_address"], "attachments": files,
        }
        if d["resolve_on_spot"]:
            kwargs["resolve_on_spot"] = {"reply": d["spot_reply"], "rating": d["spot_rating"], "comment": d["spot_comment"]}
        return kwargs


# --- the dispatcher ----------------------------------------------------------------------------
class ReasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.text}（{obj.redirect_to}）" if obj.redirect_to else obj.text


class TriageForm(StyledForm):
    DISPATCH, NOT_ACCEPT, MERGE, SPLIT = "dispatch", "not_accept", "merge", "split"
    outcome = forms.ChoiceField(
        label=_("派单结果"), widget=forms.RadioSelect, initial="dispatch",
        choices=[("dispatch", _("派单")), ("not_accept", _("不予受理")), ("merge", _("并案")), ("split", _("拆分"))],
        error_messages={"required": _("请选择派单结果。")},
    )
    department = forms.ModelChoiceField(label=_("主办单位"), queryset=Department.objects.none(), required=False, empty_label=_("请选择"))
    co_departments = forms.ModelMultipleChoiceField(label=_("协办单位"), queryset=Department.objects.none(), required=False,
                                                    widget=forms.CheckboxSelectMultiple)
    reason = ReasonChoiceField(label=_("不予受理理由（告知去向）"), queryset=NotAcceptedReason.objects.none(), required=False,
                               empty_label=_("请选择"), widget=forms.RadioSelect)
    target = forms.CharField(label=_("并入工单编号"), required=False, max_length=20, widget=forms.TextInput(attrs={"placeholder": "TS2026000001"}))
    note = _text(_("派单意见"), rows=2)

    OUTCOME_FIELDS = {
        "dispatch": ("department", "co_departments"),
        "not_accept": ("reason",),
        "merge": ("target",),
    }

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments()
        self.fields["co_departments"].queryset = departments()
        self.fields["reason"].queryset = NotAcceptedReason.objects.filter(is_active=True)
        for i in range(1, SPLIT_PARTS + 1):
            self.fields[f"part_{i}_title"] = forms.CharField(label=_("第%(n)d件标题") % {"n": i}, required=False,
                                                             max_length=model_max_length(Complaint, "title"))
            self.fields[f"part_{i}_description"] = _text(_("第%(n)d件内容") % {"n": i}, rows=2)
            self.fields[f"part_{i}_category"] = forms.ModelChoiceField(label=_("第%(n)d件类别") % {"n": i}, queryset=selectors.categories(),
                                                                       required=False, empty_label=_("同原件"))
        self._style()

    def part_rows(self):
        return [(i, self[f"part_{i}_title"], self[f"part_{i}_description"], self[f"part_{i}_category"]) for i in range(1, SPLIT_PARTS + 1)]

    def parts(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {"title": d.get(f"part_{i}_title", ""), "description": d.get(f"part_{i}_description", ""), "category": d.get(f"part_{i}_category")}
            for i in range(1, SPLIT_PARTS + 1)
        ]

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        # Only the chosen outcome's fields count: what was typed in the others is dropped.
        for other, names in self.OUTCOME_FIELDS.items():
            if other != outcome:
                for name in names:
                    self.errors.pop(name, None)
                    data.pop(name, None)
        if outcome != self.SPLIT:
            for i in range(1, SPLIT_PARTS + 1):
                for suffix in ("title", "description", "category"):
                    self.errors.pop(f"part_{i}_{suffix}", None)
        return data


class SignForm(StyledForm):
    decision = forms.ChoiceField(label=_("签收或退单"), widget=forms.RadioSelect, initial="sign",
                                 choices=[("sign", _("签收办理")), ("return", _("退单"))], error_messages={"required": _("请选择签收或退单。")})
    reason = _text(_("退单理由"), rows=2, help_text=_("不属于本单位职责的，写明理由和建议的承办单位"))


class ReturnDecideForm(StyledForm):
    accept = _yes_no(_("审核退单"), _("退单成立，改派其他单位"), _("退单不当，原单位继续办理"), _("请选择改派或认定退单不当。"))
    department = forms.ModelChoiceField(label=_("改派单位"), queryset=Department.objects.none(), required=False, empty_label=_("请选择"))
    note = _text(_("意见"), rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments()


class OpinionForm(StyledForm):
    opinion = _text(_("协办意见"), rows=5)


# --- the reply ---------------------------------------------------------------------------------
class ReplyForm(StyledForm):
    body = forms.CharField(label=_("答复内容"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 10, "data-preview": "body"}))
    findings = forms.CharField(label=_("核实情况"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 4, "data-preview": "findings"}),
                               help_text=_("内部记录，群众看不到"))


class SignOffForm(StyledForm):
    approve = _yes_no(_("签发"), _("同意签发"), _("退回修改"), _("请选择签发或退回。"))
    note = _text(_("签发意见"), rows=2)


class ReviewForm(StyledForm):
    approve = _yes_no(_("审核结果"), _("审核通过，答复群众"), _("退回承办单位修改"), _("请选择审核结果。"))
    note = _text(_("审核意见"), rows=2, help_text=_("退回时须写明理由"))


class CallbackForm(StyledForm):
    RATED, UNREACHABLE, NOT_RESOLVED = "rated", "unreachable", "not_resolved"
    outcome = forms.ChoiceField(
        label=_("回访结果"), widget=forms.RadioSelect, initial="rated",
        choices=[("rated", _("录入群众评价")), ("unreachable", _("联系不上")), ("not_resolved", _("群众反馈未解决"))],
        error_messages={"required": _("请选择回访结果。")},
    )
    rating = forms.ChoiceField(label=_("评价"), required=False)
    comment = _text(_("群众意见"), rows=3, help_text=_("不满意、非常不满意或未解决时须写明原因"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"] = label_field(RATING_SCALE, _("评价"), required=False, blank_label=_("请选择"), with_code=False)
        self.indicator_codes = [code for code, _label in indicator_choices(CALLBACK_INDICATORS)]
        for code, label in indicator_choices(CALLBACK_INDICATORS):
            self.fields[f"ind_{code}"] = label_field(RATING_SCALE, label, required=False, blank_label=_("未评"), with_code=False)
        self.order_fields(["outcome", "rating", *[f"ind_{c}" for c in self.indicator_codes], "comment"])
        self._style()

    def indicator_fields(self):
        return [self[f"ind_{code}"] for code in self.indicator_codes]

    def indicators(self) -> dict:
        return {code: self.cleaned_data.get(f"ind_{code}") for code in self.indicator_codes if self.cleaned_data.get(f"ind_{code}")}


class RectifyForm(StyledForm):
    report = _text(_("整改情况"), rows=6)


# --- handling records and requests ----------------------------------------------------------------
class NoteForm(StyledForm):
    kind = forms.ChoiceField(label=_("记录类型"), widget=forms.RadioSelect, initial=HandlingNote.Kind.NOTE,
                             choices=[(k, label) for k, label in HandlingNote.Kind.choices if k != HandlingNote.Kind.INSTRUCTION])
    mode = forms.ChoiceField(label=_("联系方式"), required=False, choices=[("", _("请选择"))] + list(HandlingNote.Mode.choices))
    contacted_at = forms.DateTimeField(label=_("联系时间"), required=False, input_formats=DATETIME_INPUT,
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                       error_messages={"invalid": _("时间格式应为 YYYY-MM-DD HH:MM。")})
    text = _text(_("内容"), rows=3)
    attachments = MultipleFileField(label=_("附件"), required=False, help_text=_("现场照片、材料等：图片或PDF，内容会被检查"))

    def clean(self):
        data = super().clean()
        if data.get("kind") != HandlingNote.Kind.CONTACT:
            self.errors.pop("contacted_at", None)
            data["mode"], data["contacted_at"] = "", None
        return data


class InstructForm(StyledForm):
    text = _text(_("批示内容"), rows=3)


class RevealForm(StyledForm):
    reason = forms.CharField(label=_("查看事由"), required=False, max_length=200, help_text=_("将记入办理过程，供审计"),
                             widget=forms.TextInput(attrs={"placeholder": _("查看事由（选填）")}))


class ExtensionForm(StyledForm):
    requested_until = forms.DateField(label=_("申请延至"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                      error_messages={"invalid": DATE_INVALID})
    reason = _text(_("延期理由"), rows=2)


class SuspendForm(StyledForm):
    reason = _text(_("挂起理由"), rows=2, help_text=_("如等待群众补充材料、等待第三方鉴定等"))


class ResumeForm(StyledForm):
    note = _text(_("说明"), rows=2)


class DecideForm(StyledForm):
    approve = _yes_no(_("审批"), _("同意"), _("不同意"), _("请选择是否同意。"))
    note = _text(_("审批意见"), rows=2)


class AppealForm(StyledForm):
    reason = _text(_("申诉理由"), rows=4, help_text=_("差评与事实不符或属恶意差评的依据"))


class AppealDecideForm(StyledForm):
    facts_true = _yes_no(_("差评反映的情况是否属实"), _("属实"), _("不属实"), _("请选择差评反映的情况是否属实。"))
    reasonable = _yes_no(_("差评是否合理"), _("合理"), _("不合理"), _("请选择差评是否合理。"))
    malicious = _yes_no(_("是否恶意差评"), _("是"), _("否"), _("请选择是否恶意差评。"))
    note = _text(_("复核意见"), rows=3)
