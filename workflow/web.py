"""Shared support for the pages of every case type: styled forms, fields over
label scales, service errors on forms, small request helpers."""
from __future__ import annotations

import time

from django import forms
from django.core.exceptions import ValidationError

from .rules import label_choices

# The largest value of PostgreSQL's integer columns: ids and numbers in forms and the API.
MAX_INT = 2147483647


def statistics_date_validators() -> list:
    """Dates a statistics period may start from (dashboard, 通报): years 2000 to 2099, so
    a far date is a clear error rather than an overflow in the period's arithmetic."""
    import datetime as dt

    from django.core.validators import MaxValueValidator, MinValueValidator
    from django.utils.translation import gettext_lazy

    return [
        MinValueValidator(dt.date(2000, 1, 1), message=gettext_lazy("日期须在2000年至2099年之间。")),
        MaxValueValidator(dt.date(2099, 12, 31), message=gettext_lazy("日期须在2000年至2099年之间。")),
    ]


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


STASH_KEY = "workflow:form-stash"
STASH_SECONDS = 30 * 60  # how long a refused form's input comes back on its page
STASH_MAX_CHARS = 20_000  # a refused form larger than this is not kept (sessions stay small)
STASH_SKIP = {"csrfmiddlewaretoken", "password", "otp", "token"}


def bound_data(request):
    """The data the action's form is bound to: the POST, or, on a GET of the page whose
    POST was last refused (a language switch, the address bar, coming back within
    STASH_SECONDS), that POST's input, kept in the session by run_action so nothing
    typed is lost; a successful POST there forgets it. None for a fresh form."""
    if request.method == "POST":
        return request.POST
    session = getattr(request, "session", None)
    stash = session.get(STASH_KEY) if session is not None else None
    if stash and stash.get("path") == request.path and time.time() - stash.get("at", 0) < STASH_SECONDS:
        from django.http import QueryDict

        data = QueryDict(mutable=True)
        for key, values in stash["data"].items():
            data.setlist(key, values)
        return data
    return None


def _stash_refused(request, form) -> None:
    """Keep a refused POST's input and errors for the GETs of the same page (bound_data)."""
    data = {k: v for k, v in request.POST.lists() if k not in STASH_SKIP}
    if sum(len(x) for values in data.values() for x in values) <= STASH_MAX_CHARS and hasattr(request, "session"):
        errors = {field: [e["message"] for e in errs] for field, errs in form.errors.get_json_data().items()}
        request.session[STASH_KEY] = {"path": request.path, "data": data, "errors": errors, "at": time.time()}


def _stash_errors(request, form) -> None:
    """On a GET that brought back a refused input: its errors again (the service's too,
    which a GET cannot re-run), on the form the page shows."""
    stash = (getattr(request, "session", None) or {}).get(STASH_KEY) or {}
    if not form.is_bound or stash.get("path") != request.path:
        return
    form.is_valid()  # the form's own checks, in the page's language now
    for field, messages in (stash.get("errors") or {}).items():
        key = field if field in form.fields else None
        present = set(form.errors.get(field, [])) if key else set(form.non_field_errors())
        for message in messages:
            if message not in present:  # a service's refusal, as it was worded then
                form.add_error(key, message)


def _stash_clear(request) -> None:
    session = getattr(request, "session", None)
    if session is not None and (session.get(STASH_KEY) or {}).get("path") == request.path:
        del session[STASH_KEY]


def run_action(request, *, action: dict, call, success: str, done_url: str, page_template: str, context: dict,
               unavailable: str | None = None, error_status: int = 200, apply_errors=None, back_url: str | None = None):
    """The one runner behind every action URL of a case.

    GET shows the action's form on its own page, or goes back to the case
    (back_url, else done_url) with a warning when the step is not open for this user (a
    wrong role was refused with 403 before). POST validates, calls the
    service and goes back to the case with the success message, or shows the
    same page again with the errors and the user's input (error_status). The
    URL therefore always answers GET: a reload, a bookmark or a language
    switch after a refused POST shows the form again, never a 405, and the
    GET shows the refused input and its errors again (kept in the session until
    the page succeeds or for STASH_SECONDS: bound_data).

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
                _stash_clear(request)
                messages.success(request, success(result) if callable(success) else success)
                return redirect(done_url)
        status = error_status
        _stash_refused(request, action["form"])
    elif unavailable:
        messages.warning(request, unavailable)
        return redirect(back_url or done_url)
    else:
        _stash_errors(request, action["form"])
    context = dict(context() if callable(context) else context)
    action = context.pop("action", None) or action
    return render(request, page_template, {**context, "action": action, "now": timezone.now()}, status=status)


def export_post_only(list_url_name: str):
    """A list's 导出Excel view answers POST only: an export is an audited act (and may
    start a background job), never the side effect of a GET that a link, a prefetch or
    a crawler makes. A GET (an old bookmark) goes back to the list with the same filters
    and says how to export, rather than a bare 405."""
    from functools import wraps

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                return view(request, *args, **kwargs)
            from django.contrib import messages
            from django.shortcuts import redirect
            from django.urls import reverse
            from django.utils.translation import gettext as _

            if request.method not in ("GET", "HEAD"):
                from django.http import HttpResponseNotAllowed

                return HttpResponseNotAllowed(["POST"])
            messages.info(request, _("请点击页面上的“导出Excel”按钮导出。"))
            query = request.GET.urlencode()
            return redirect(reverse(list_url_name) + (f"?{query}" if query else ""))

        return wrapped

    return decorate
