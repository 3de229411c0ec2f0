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


def decision_refusal(decision) -> str | None:
    """A permission predicate's decision on a page: a refusal of *who* is a 403; a refusal
    of *when* is returned as its reason (the page goes back to the case, or shows it), None
    when allowed."""
    from django.core.exceptions import PermissionDenied

    if decision:
        return None
    if decision.forbidden:
        raise PermissionDenied(decision.reason)
    return decision.reason


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- an action on its own page (every case type) --------------------------------------------
def action_card(key: str, template: str, title, url: str, form, **extra) -> dict:
    """One action as the case page's card and the action's own page show it."""
    return {"key": key, "template": template, "title": title, "url": url, "form": form, **extra}


def bound_data(request):
    """The POST data when the request is one (the action's form is bound), else None."""
    return request.POST if request.method == "POST" else None


def run_action(request, *, action: dict, call, success: str, done_url: str, page_template: str, context: dict,
               unavailable: str | None = None, error_status: int = 200, apply_errors=None, back_url: str | None = None):
    """The one runner behind every action URL of a case.

    GET shows the action's form on its own page, or goes back to the case
    (back_url, else done_url) with a warning when the step is not open for this user (a
    wrong role was refused with 403 before). POST validates, calls the
    service and goes back to the case with the success message, or shows the
    same page again with the errors and the user's input (error_status). The
    URL therefore always answers GET: a reload, a bookmark or a language
    switch after a refused POST shows the form again, never a 405.

    `context` and `unavailable` may be callables, evaluated only when the page is
    shown (a successful POST does not build the page); a context may carry the
    full "action" to show (the POST needs only action["form"])."""
    from django.contrib import messages
    from django.shortcuts import redirect, render
    from django.utils import timezone

    status = 200
    if callable(unavailable) and request.method != "POST":
        unavailable = unavailable()
    if request.method == "POST":
        form = action["form"]
        if form.is_valid():
            try:
                result = call(form.cleaned_data)
            except ValidationError as exc:
                (apply_errors or apply_service_errors)(form, exc)
            else:
                messages.success(request, success(result) if callable(success) else success)
                return redirect(done_url)
        status = error_status
    elif unavailable:
        messages.warning(request, unavailable)
        return redirect(back_url or done_url)
    context = dict(context() if callable(context) else context)
    action = context.pop("action", None) or action
    return render(request, page_template, {**context, "action": action, "now": timezone.now()}, status=status)
