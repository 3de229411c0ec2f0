"""The proposal lists to Excel (workflow.exports): the proposal list (its
filters) and the supervision list (key and overdue proposals), through their
own selectors (proposals.selectors.proposal_list / supervision_list), so a
department exports only the proposals it may see.

Each row has every lifecycle timestamp stored: created, submitted, reviewed
(立案审查), assigned, signed for (each department), reply signed off (签发),
supervision review (督办审核), replied, rated, closed. A chunk of rows costs a
fixed number of queries: the page's query, its assignments, their replies,
the evaluations and the two label scales.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.exports import ExportKind, register_export
from workflow.rules import label_map_for

from . import permissions, selectors
from .models import Assignment, Evaluation, Reply


def _with_history(qs):
    return qs.prefetch_related(
        Prefetch("assignments__replies", queryset=Reply.objects.order_by("round", "pk"), to_attr="export_replies"),
        Prefetch("evaluations", queryset=Evaluation.objects.order_by("round", "created_at", "pk"), to_attr="export_evaluations"),
    )


def _list_clean(params: dict):
    from .forms import ProposalFilterForm

    form = ProposalFilterForm(params)
    if not form.is_valid():
        raise ValidationError([f"{form.fields[name].label}：{' '.join(errors)}" if name in form.fields else " ".join(errors)
                               for name, errors in form.errors.items()])
    return form.filters()


def _list_queryset(*, user, filters):
    return _with_history(selectors.proposal_list(user=user, filters=filters))


def _supervision_queryset(*, user, filters):
    return _with_history(selectors.supervision_list(user=user))


def columns() -> list[str]:
    return [
        _("编号"), _("届次"), _("案由"), _("提案类型"), _("类别"), _("领衔提案人/提案单位"), _("状态"), _("重点提案"), _("逾期"),
        _("办理方式"), _("主办（单独）单位"), _("会办/分办单位"), _("督办单位"), _("牵头领导"),
        _("创建时间"), _("提交时间"), _("审查（立案）时间"), _("交办时间"), _("答复期限"), _("签收时间"),
        _("答复签发时间"), _("督办审核时间"), _("答复时间"), _("答复类别"), _("评价时间"), _("办理过程评价"), _("办理结果评价"),
        _("办结时间"), _("落实情况"), _("办理轮次"), _("信息公开"),
    ]


def _first(values):
    values = [v for v in values if v is not None]
    return min(values) if values else None


def _last(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


def rows(proposals, *, user, now) -> list[list]:
    ratings = label_map_for("proposal_rating")
    grades = label_map_for("implementation_grade")
    result = []
    for p in proposals:
        assignments = [a for a in p.assignments.all() if a.status != Assignment.Status.REASSIGNED_AWAY]
        main = [a for a in assignments if a.role in (Assignment.Role.SINGLE, Assignment.Role.LEAD)]
        others = [a for a in assignments if a.role not in (Assignment.Role.SINGLE, Assignment.Role.LEAD)]
        replies = [r for a in assignments for r in getattr(a, "export_replies", [])]
        evaluations = getattr(p, "export_evaluations", [])
        last_eval = evaluations[-1] if evaluations else None
        last_reply = max(replies, key=lambda r: (r.round, r.replied_at or r.signed_at or r.updated_at)) if replies else None
        result.append([
            p.year_number or "", str(p.session), p.title, p.get_kind_display(),
            p.category.name if p.category_id else "", p.waiting_party, p.get_status_display(), _("是") if p.is_key else "",
            _("是") if getattr(p, "overdue", False) else "",
            p.get_handling_mode_display() if p.handling_mode else "",
            "、".join(str(a.department) for a in main) or "", "、".join(f"{a.department}（{a.get_role_display()}）" for a in others),
            str(p.supervising_unit or ""), str(p.leading_official or ""),
            p.created_at, p.submitted_at, p.reviewed_at, p.assigned_at, p.reply_deadline, _first(a.signed_at for a in assignments),
            _last(r.signed_at for r in replies), _last(r.reviewed_at for r in replies), _last(r.replied_at for r in replies),
            last_reply.reply_class if last_reply else "",
            last_eval.created_at if last_eval else None,
            ratings.get(last_eval.process_rating, last_eval.process_rating) if last_eval else "",
            ratings.get(last_eval.result_rating, last_eval.result_rating) if last_eval else "",
            p.closed_at, grades.get(p.implementation_grade, p.implementation_grade), p.handling_round, _("是") if p.is_public else _("否"),
        ])
    return result


def register() -> None:
    from .forms import ProposalFilterForm

    register_export(ExportKind(
        code="proposal_list", label=gettext_lazy("提案列表"), params=tuple(ProposalFilterForm.base_fields),
        can_export=lambda user: user.is_authenticated, clean=_list_clean, queryset=_list_queryset, columns=columns, rows=rows,
        list_url="proposals:list", param_labels={name: f.label for name, f in ProposalFilterForm.base_fields.items()},
    ))
    register_export(ExportKind(
        code="proposal_supervision", label=gettext_lazy("重点与逾期提案"), params=(),
        can_export=lambda user: bool(permissions.can_view_supervision(user)), clean=lambda params: None,
        queryset=_supervision_queryset, columns=columns, rows=rows, list_url="proposals:supervision",
    ))
