"""Forms of the public complaint pages (no account).

The forms only read the request into Python values; what is required and
what is valid is decided by the services (complaints.services), whose
ValidationError dicts are put back on the form field by field. So almost
every field here is optional at the form level: a missing title is reported
by complaint_submit, together with every other problem, in one pass.
"""
from __future__ import annotations

import decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.rules import label_choices
from workflow.web import StyledForm

from .models import TEXT_MAX, TITLE_MAX, Category, Complaint, Kind
from .services import RATING_SCALE

# The sub-ratings asked on the rating page; labels are rows of the haocha_indicator scale.
INDICATORS = ("overall", "efficiency", "attitude")


def _max_length(field: str) -> int:
    return Complaint._meta.get_field(field).max_length


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by content in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [f for f in data if f]
        return [data] if data else []


def _input(max_length: int | None = None, **attrs) -> forms.TextInput:
    if max_length:
        attrs["maxlength"] = max_length
    return forms.TextInput(attrs=attrs)


class ComplaintSubmitForm(StyledForm):
    """The public form. The category's extra questions are not fields here:
    they are read per category by `answers()` (see `question_groups`)."""

    kind = forms.ChoiceField(label=gettext_lazy("诉求类型"), choices=Kind.choices, required=False, widget=forms.RadioSelect)
    category = forms.ModelChoiceField(label=gettext_lazy("类别"), queryset=None, required=False, empty_label=gettext_lazy("请选择"))
    title = forms.CharField(label=gettext_lazy("一句话概括"), required=False, widget=_input(TITLE_MAX, placeholder=gettext_lazy("例如：窗口工作人员不一次性告知所需材料")))
    description = forms.CharField(
        label=gettext_lazy("事情经过"), required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": TEXT_MAX, "data-count": "1"}),
        help_text=gettext_lazy("什么时候、在哪里、发生了什么、希望怎样解决。"),
    )
    hall = forms.CharField(label=gettext_lazy("服务大厅"), required=False, widget=_input(_max_length("hall"), placeholder=gettext_lazy("例如：区政务服务中心")))
    window = forms.CharField(label=gettext_lazy("窗口"), required=False, widget=_input(_max_length("window")))
    address = forms.CharField(label=gettext_lazy("地址"), required=False, widget=_input(_max_length("address"), autocomplete="street-address"))
    latitude = forms.CharField(label=gettext_lazy("纬度"), required=False, widget=_input(20, inputmode="decimal"))
    longitude = forms.CharField(label=gettext_lazy("经度"), required=False, widget=_input(20, inputmode="decimal"))
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("发生时间"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    citizen_name = forms.CharField(label=gettext_lazy("称呼（选填）"), required=False, widget=_input(_max_length("citizen_name"), autocomplete="name"))
    citizen_phone = forms.CharField(
        label=gettext_lazy("手机号码（选填）"), required=False,
        widget=_input(_max_length("citizen_phone"), autocomplete="tel", inputmode="tel", type="tel"),
        help_text=gettext_lazy("留下电话才能收到受理、答复和评价的短信；不留也可以提交，凭编号和查询码查询进度。"),
    )
    citizen_email = forms.CharField(label=gettext_lazy("电子邮箱（选填）"), required=False, widget=_input(_max_length("citizen_email"), autocomplete="email", inputmode="email", type="email"))
    attachments = MultipleFileField(label=gettext_lazy("附件（选填）"), required=False)

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        self.fields["category"].queryset = Category.objects.filter(pk__in=[c.pk for c in self.categories])
        self.fields["attachments"].widget.attrs["accept"] = "image/jpeg,image/png,image/gif,image/webp,application/pdf,.jpg,.jpeg,.png,.gif,.webp,.pdf"
        self.fields["attachments"].help_text = _("可上传图片（JPG、PNG、GIF、WebP）或PDF文件，最多%(n)d个，每个不超过%(mb)s MB。") % {
            "n": settings.COMPLAINT_ATTACHMENT_MAX_FILES, "mb": _megabytes(settings.COMPLAINT_ATTACHMENT_MAX_BYTES),
        }
        self.answer_errors: dict[str, list[str]] = {}

    def _coordinate(self, name: str):
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = decimal.Decimal(raw)
        except decimal.InvalidOperation:
            raise forms.ValidationError(_("请填写数字，例如 32.64。"))
        if not value.is_finite() or abs(value) > 180:
            raise forms.ValidationError(_("请填写数字，例如 32.64。"))
        return value.quantize(decimal.Decimal("0.000001"), rounding=decimal.ROUND_HALF_UP)

    def clean_latitude(self):
        return self._coordinate("latitude")

    def clean_longitude(self):
        return self._coordinate("longitude")

    def clean_occurred_at(self):
        value = self.cleaned_data.get("occurred_at")
        if value and value > timezone.now():
            raise forms.ValidationError(_("发生时间不能晚于现在。"))
        if value and value.year < 1900:
            raise forms.ValidationError(_("请填写正确的发生时间。"))
        return value

    # --- the category's extra questions ------------------------------------------------
    def chosen_category(self):
        if not self.is_bound:
            return None
        raw = self.data.get("category") or ""
        return next((c for c in self.categories if str(c.pk) == raw), None)

    @staticmethod
    def answer_input_name(category, code: str) -> str:
        """Each category's questions have their own inputs (two categories may ask the same code)."""
        return f"c{category.pk}-answer_{code}"

    def answers(self) -> dict:
        """The answers to the chosen category's questions only."""
        category = self.chosen_category()
        if category is None or not self.is_bound:
            return {}
        return {
            q.get("code"): (self.data.get(self.answer_input_name(category, q.get("code"))) or "").strip()
            for q in category.questions or [] if q.get("code")
        }

    def question_groups(self) -> list[dict]:
        """Every category with questions, for the template: the chosen one's errors attached."""
        chosen = self.chosen_category()
        groups = []
        for category in self.categories:
            questions = []
            for q in category.questions or []:
                code = q.get("code")
                if not code:
                    continue
                name = self.answer_input_name(category, code)
                questions.append({
                    "code": code, "name": name, "id": f"id_{name}", "label": q.get("label") or code,
                    "required": bool(q.get("required")), "type": q.get("type") or "text", "choices": q.get("choices") or [],
                    "value": (self.data.get(name) or "") if self.is_bound else "",
                    "errors": self.answer_errors.get(f"answer_{code}", []) if category == chosen else [],
                })
            if questions:
                groups.append({"category": category, "questions": questions, "chosen": category == chosen})
        return groups

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "", "category": data.get("category"),
            "title": data.get("title", ""), "description": data.get("description", ""),
            "hall": data.get("hall", "").strip(), "window": data.get("window", "").strip(), "address": data.get("address", "").strip(),
            "latitude": data.get("latitude"), "longitude": data.get("longitude"), "occurred_at": data.get("occurred_at"),
            "answers": self.answers(), "citizen_name": data.get("citizen_name", ""), "citizen_phone": data.get("citizen_phone", ""),
            "citizen_email": data.get("citizen_email", "").strip(), "attachments": data.get("attachments") or [],
        }

    def add_service_errors(self, errors: dict[str, list]) -> None:
        """A service's errors, keyed by field; a field the form already refused keeps its own message."""
        for field, messages in errors.items():
            if field.startswith("answer_"):
                self.answer_errors.setdefault(field, []).extend(str(m) for m in messages)
                continue
            if field in self.fields and field in self.errors:
                continue
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or bool(self.answer_errors)


def _megabytes(size: int) -> str:
    mb = size / 1024 / 1024
    return f"{mb:.0f}" if mb >= 1 and mb == int(mb) else f"{mb:.1f}"


class TrackForm(StyledForm):
    number = forms.CharField(
        label=gettext_lazy("工单编号"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "TS2026000123", "spellcheck": "false"}),
        error_messages={"required": gettext_lazy("请填写工单编号。")},
    )
    code = forms.CharField(
        label=gettext_lazy("查询码"), max_length=16,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        help_text=gettext_lazy("受理时显示的8位查询码（留了电话的，短信中也有）。"),
        error_messages={"required": gettext_lazy("请填写查询码。")},
    )


def rating_choices() -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in label_choices(RATING_SCALE)]


class RateForm(StyledForm):
    rating = forms.ChoiceField(label=gettext_lazy("您对办理结果是否满意"), required=False, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=gettext_lazy("意见和建议"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
        help_text=gettext_lazy("选择“不满意”或“非常不满意”时必须说明原因，以便承办单位整改。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = rating_choices()
        self.fields["rating"].choices = choices
        from .forms import indicator_choices

        self.indicator_codes = [code for code, _label in indicator_choices(INDICATORS)]
        for key, label in indicator_choices(INDICATORS):
            self.fields[f"indicator_{key}"] = forms.ChoiceField(
                label=label, required=False, choices=[("", _("不评"))] + choices,
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def indicator_fields(self):
        return [self[f"indicator_{key}"] for key in self.indicator_codes]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "rating": data.get("rating") or "", "comment": data.get("comment") or "",
            "indicators": {key: data.get(f"indicator_{key}") for key in self.indicator_codes if data.get(f"indicator_{key}")},
        }


class NotResolvedForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("哪些问题没有解决"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
    )


def mark_for_screen_readers(form, required=()) -> None:
    """aria attributes from the form's state: required marks, help and error texts tied to their inputs."""
    for name, field in form.fields.items():
        attrs = field.widget.attrs
        bound = form[name]
        described = []
        if field.help_text:
            described.append(f"{bound.auto_id}_help")
        if form.is_bound and form.errors.get(name):
            described.append(f"{bound.auto_id}_errors")
            attrs["aria-invalid"] = "true"
        if described and not isinstance(field.widget, forms.RadioSelect):
            attrs["aria-describedby"] = " ".join(described)
        if name in required:
            attrs["data-required"] = "1"
            if not isinstance(field.widget, forms.RadioSelect):
                attrs["aria-required"] = "true"
