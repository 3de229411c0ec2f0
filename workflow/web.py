"""Shared support for the pages of every case type: styled forms, fields over
label scales, service errors on forms, small request helpers."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .rules import label_choices

# The largest value of PostgreSQL's integer columns: ids and numbers in forms and the API.
MAX_INT = 2147483647


def model_max_length(model, field: str) -> int:
    """A form or serializer field's max_length, taken from the model's column."""
    return model._meta.get_field(field).max_length


def label_field(scale: str, label, required=True, blank_label=None, with_code=True):
    """A select over a labelled scale (rules as data: workflow.rules.label_choices)."""
    choices = [(c.code, f"{c.code} {c.label}" if with_code else c.label) for c in label_choices(scale)]
    if blank_label is not None:
        choices = [("", blank_label)] + choices
    return forms.ChoiceField(label=label, choices=choices, required=required)


def bool_choice(value) -> bool:
    return str(value) in {"1", "true", "True", "yes", "on"}


def label_map(scale: str) -> dict[str, str]:
    return {c.code: c.label for c in label_choices(scale)}


class BootstrapMixin:
    """Bootstrap 5 classes on every widget (the templates render the fields)."""

    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            if css not in widget.attrs.get("class", "").split():
                widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def add_error(self, field, error):
        """Also mark the widgets of fields with errors (Bootstrap's is-invalid)."""
        super().add_error(field, error)
        for name in self._errors or {}:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "").split()
                if "is-invalid" not in classes:
                    widget.attrs["class"] = " ".join(classes + ["is-invalid"])


def keyed_form(cls, key: str, data=None, **kwargs):
    """Several forms share one page: keep their HTML ids apart (names stay plain)."""
    return cls(data, auto_id=f"id_{key}_%s", **kwargs)


def apply_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (unknown fields become form errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
