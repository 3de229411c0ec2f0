"""The engine's own lists that export to Excel (workflow.exports): urging
notices (催办单) and supervision notices (督办单), through their selectors
(workflow.supervision.urging_notices_for, workflow.notices.notices_for), so a
department exports only its own notices."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exports import ExportKind, register_export


def _case_label(notice) -> str:
    case = notice.case  # prefetched per chunk: one query per case type
    return str(case) if case is not None else str(notice.case_id)


def _case_kind(notice) -> str:
    model = notice.case_type.model_class() if notice.case_type_id else None
    return str(model._meta.verbose_name) if model else ""


def _person(user) -> str:
    return str(user) if user is not None else ""


# --- urging notices (催办单) ----------------------------------------------------------------------
class UrgingFilterForm(forms.Form):
    unsigned = forms.BooleanField(required=False)


def _urging_clean(params: dict) -> dict:
    form = UrgingFilterForm(params)
    if not form.is_valid():
        raise ValidationError(_("筛选条件有误。"))
    return {"unsigned": form.cleaned_data["unsigned"]}


def _urging_queryset(*, user, filters):
    from .supervision import urging_notices_for

    return urging_notices_for(user=user, unsigned_only=bool(filters.get("unsigned"))).select_related("case_type").prefetch_related("case")


def _urging_columns() -> list:
    return [_("案件类型"), _("案件"), _("承办单位"), _("环节"), _("办理期限"), _("催办时间"), _("签收时间"), _("签收人"), _("状态")]


def _urging_rows(notices, *, user, now) -> list:
    return [[
        _case_kind(n), _case_label(n), str(n.department or ""), n.step, n.deadline, n.issued_at, n.signed_at, _person(n.signed_by),
        _("已签收") if n.signed_at else _("待签收"),
    ] for n in notices]


# --- supervision notices (督办单) ---------------------------------------------------------------
def _notice_clean(params: dict) -> dict:
    return {}


def _notice_queryset(*, user, filters):
    from .notices import notices_for

    return notices_for(user=user).prefetch_related("case")


def _notice_columns() -> list:
    return [
        _("案件类型"), _("案件"), _("被督办单位"), _("督办人"), _("下发时间"), _("答复期限"), _("签收时间"), _("签收人"),
        _("答复时间"), _("答复人"), _("状态"), _("逾期答复"), _("督办要求"), _("书面答复"),
    ]


def _notice_rows(notices, *, user, now) -> list:
    from .notices import annotate_status

    return [[
        _case_kind(n), _case_label(n), str(n.department), _person(n.issued_by), n.issued_at, n.deadline, n.signed_at, _person(n.signed_by),
        n.responded_at, _person(n.responded_by), str(n.status_label), _("是") if n.responded_late else "", n.requirement, n.response,
    ] for n in annotate_status(notices, now=now)]


def register_engine_exports() -> None:
    register_export(ExportKind(
        code="urging_notices", label=gettext_lazy("催办单"), params=("unsigned",), can_export=lambda user: user.is_authenticated,
        clean=_urging_clean, queryset=_urging_queryset, columns=_urging_columns, rows=_urging_rows, list_url="supervision-urging",
        param_labels={"unsigned": gettext_lazy("只含待签收")},
    ))
    register_export(ExportKind(
        code="supervision_notices", label=gettext_lazy("督办单"), params=(), can_export=lambda user: user.is_authenticated,
        clean=_notice_clean, queryset=_notice_queryset, columns=_notice_columns, rows=_notice_rows, list_url="supervision-notices",
    ))
