"""The proposal's official documents (workflow.documents renders them):

* 答复函 (proposal_reply): a passed reply, in the letter format of GB/T 9704;
* 会办意见 (proposal_opinion): a co-handler's opinion to the lead, same format;
* 提案办理情况记录 (proposal_closure): the closure record (办理情况征询意见表).

Who may download is the case's own rule (proposals.selectors): whoever may
see the passed reply may download its letter; the public, the letters of
published proposals; working papers (opinions) only the office and the
handling departments; the closure record, with the member's ratings and
comments, the people the case's private audience covers.
"""
from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow import registry
from workflow.documents import BatchSource, CaseDocuments, chinese_date, register_batch_source, issuer_size_pt, letter_paragraphs, register_case_documents, seal_url, typeset_text
from workflow.models import Department, Membership
from workflow.rules import label_map_for
from workflow.selectors import user_roles

from . import selectors
from .models import Assignment, Cosigner, Evaluation, Proposal, Reply
from .roles import ProposalDepartmentKind, Role


# --- who may download ----------------------------------------------------------------------------
def _visible(user, proposal_id: int) -> bool:
    return bool(user and user.is_authenticated) and selectors.proposal_queryset(user=user).filter(pk=proposal_id).exists()


def _published(proposal_id: int) -> bool:
    return selectors.public_proposals().filter(pk=proposal_id).exists()


def _internal(user, proposal: Proposal) -> bool:
    """The office (and administrators) and the departments handling the case."""
    if not (user and user.is_authenticated):
        return False
    roles = user_roles(user=user)
    if user.is_superuser or {Role.PROPOSAL_OFFICE, Role.ADMIN} & roles:
        return True
    return Membership.objects.filter(
        user=user, role__in=[Role.HANDLER, Role.DEPT_LEADER], is_active=True,
        department__in=Assignment.objects.filter(proposal=proposal).values("department_id"),
    ).exists()


def _private(user, proposal: Proposal) -> bool:
    """Internal people, the proposal's own people (proposer, confirmed co-signers) and its supervisors."""
    if _internal(user, proposal):
        return True
    if not (user and user.is_authenticated):
        return False
    if proposal.proposer_id == user.pk or proposal.cosigners.filter(member=user, status=Cosigner.Status.CONFIRMED).exists():
        return True
    return selectors.user_is_supervising(user, proposal)


def reply_can_download(user, reply: Reply) -> bool:
    proposal_id = reply.assignment.proposal_id
    return _visible(user, proposal_id) or _published(proposal_id)


def opinion_can_download(user, assignment: Assignment) -> bool:
    return _visible(user, assignment.proposal_id) and _internal(user, assignment.proposal)


def closure_can_download(user, proposal: Proposal) -> bool:
    return _visible(user, proposal.pk) and _private(user, proposal)


# --- data ------------------------------------------------------------------------------------------
def _salutation(proposal: Proposal) -> str:
    if proposal.kind in (Proposal.Kind.MEMBER, Proposal.Kind.JOINT):
        names = [proposal.proposer.full_name or str(proposal.proposer)]
        if proposal.kind == Proposal.Kind.JOINT:
            names += [
                c.member.full_name or str(c.member)
                for c in proposal.cosigners.filter(status=Cosigner.Status.CONFIRMED).select_related("member").order_by("pk")
            ]
        return _("尊敬的%(names)s委员：") % {"names": _("委员、").join(names)}
    return f"{proposal.organisation_name or proposal.proposer}："


def _copy_to(proposal: Proposal) -> str:
    """抄送: the proposal office and the supervising unit."""
    names = list(
        Department.objects.filter(kind=ProposalDepartmentKind.PROPOSAL_OFFICE, is_active=True).order_by("pk").values_list("name", flat=True)[:1]
    )
    if proposal.supervising_unit_id:
        names.append(proposal.supervising_unit.name)
    return "，".join(names)


def _case_label(proposal: Proposal) -> str:
    return f"{proposal.session.year}-{proposal.number or proposal.pk}"


def reply_context(reply: Reply) -> dict:
    assignment = reply.assignment
    proposal, department = assignment.proposal, assignment.department
    return {
        "title": typeset_text(reply.title),
        "issuer": department.name,
        "issuer_size_pt": issuer_size_pt(department.name),
        "doc_number": reply.doc_number,
        "class_mark": _("%(code)s类") % {"code": reply.reply_class} if reply.reply_class else "",
        "salutation": _salutation(proposal),
        "paragraphs": letter_paragraphs(reply.body),
        "signer": department.name,
        "date": chinese_date(reply.signed_at or reply.replied_at),
        "seal_url": seal_url(department),
        "public": proposal.is_public,
        "contact_note": _("（联系人：%(person)s，电话：%(phone)s）") % {"person": reply.contact_person, "phone": reply.contact_phone},
        "copy_to": _copy_to(proposal),
    }


def opinion_context(assignment: Assignment) -> dict:
    proposal, department = assignment.proposal, assignment.department
    lead = proposal.assignments.filter(role=Assignment.Role.LEAD).select_related("department").first()
    return {
        "title": _("关于政协%(session)s第%(number)s号提案的会办意见") % {"session": proposal.session.name, "number": proposal.number},
        "issuer": department.name,
        "issuer_size_pt": issuer_size_pt(department.name),
        "doc_number": "",
        "class_mark": "",
        "salutation": f"{lead.department.name}：" if lead else "",
        "paragraphs": letter_paragraphs(assignment.opinion),
        "signer": department.name,
        "date": chinese_date(assignment.opinion_sent_at),
        "seal_url": seal_url(department),
        "public": False,
        "contact_note": (
            _("（联系人：%(person)s，电话：%(phone)s）") % {"person": department.contact_person, "phone": department.contact_phone}
            if department.contact_person else ""
        ),
        "copy_to": _copy_to(proposal),
    }


def closure_context(proposal: Proposal) -> dict:
    classes = label_map_for("reply_class")
    ratings = label_map_for("proposal_rating")
    grades = label_map_for("implementation_grade")
    assignments = list(proposal.assignments.select_related("department").order_by("role", "pk"))
    replies = list(
        Reply.objects.filter(assignment__proposal=proposal).select_related("assignment__department", "reviewed_by").order_by("round", "pk")
    )
    evaluations = list(
        Evaluation.objects.filter(Q(proposal=proposal) | Q(proposal__merged_into=proposal)).select_related("rater").order_by("round", "created_at")
    )
    proposers = [proposal.proposer.full_name or str(proposal.proposer)] + [
        c.member.full_name or str(c.member)
        for c in proposal.cosigners.filter(status=Cosigner.Status.CONFIRMED).select_related("member").order_by("pk")
    ]
    if proposal.organisation_name:
        proposers = [proposal.organisation_name]

    def review(r: Reply) -> str:
        if r.status == Reply.Status.PASSED:
            text = _("已通过")
            if r.original_class and r.original_class != r.reply_class:
                text += _("（答复类别由%(old)s改为%(new)s）") % {"old": r.original_class, "new": r.reply_class}
            return text
        if r.status == Reply.Status.RETURNED:
            return _("退回修改：%(note)s") % {"note": r.return_note}
        return r.get_status_display()

    fields = [
        (_("提案编号"), proposal.year_number or proposal.display_number),
        (_("届次"), proposal.session.name),
        (_("案由"), proposal.title),
        (_("提案人"), "、".join(proposers)),
        (_("类别"), str(proposal.category)),
        (_("办理方式"), proposal.get_handling_mode_display()),
        (_("承办单位"), "；".join(f"{a.department.name}（{a.get_role_display()}）" for a in assignments)),
        (_("交办日期"), chinese_date(proposal.assigned_at)),
        (_("重点提案"), _("是") if proposal.is_key else _("否")),
        (_("督办单位"), proposal.supervising_unit.name if proposal.supervising_unit_id else _("无")),
        (_("信息公开"), _("是") if proposal.is_public else _("否")),
    ]
    reply_rows = [
        (
            r.assignment.department.name, str(r.round), r.doc_number or "—",
            f"{r.reply_class} {classes.get(r.reply_class, '')}".strip(), chinese_date(r.signed_at) or "—", review(r),
        )
        for r in replies if r.status in (Reply.Status.PASSED, Reply.Status.RETURNED) or r.signed_at
    ]
    rating_rows = [
        (
            e.rater.full_name or str(e.rater), str(e.round), ratings.get(e.process_rating, e.process_rating),
            ratings.get(e.result_rating, e.result_rating), e.comment or _("无"), chinese_date(e.created_at),
        )
        for e in evaluations
    ]
    closing = [
        (_("落实情况"), f"{proposal.implementation_grade} {grades.get(proposal.implementation_grade, '')}".strip() if proposal.implementation_grade else _("未评定")),
        (_("办结日期"), chinese_date(proposal.closed_at) or _("未办结")),
        (_("办结说明"), proposal.close_note or _("无")),
    ]
    return {
        "title": _("提案办理情况记录"),
        "subtitle": _("%(committee)s%(session)s第%(number)s号提案") % {
            "committee": proposal.session.committee, "session": proposal.session.name, "number": proposal.number,
        },
        "sections": [
            {"heading": _("一、提案与交办"), "fields": fields},
            {"heading": _("二、答复与督办审核"), "columns": [_("承办单位"), _("轮次"), _("发文字号"), _("答复类别"), _("签发日期"), _("督办审核")], "rows": reply_rows,
             "widths": [26, 8, 20, 18, 16, 12]},
            {"heading": _("三、委员评价"), "columns": [_("评价人"), _("轮次"), _("办理过程"), _("办理结果"), _("意见"), _("评价日期")], "rows": rating_rows, "empty": _("尚无评价"),
             "widths": [16, 8, 14, 14, 32, 16]},
            {"heading": _("四、办结"), "fields": closing},
        ],
    }


def opinion_form_can_download(user, proposal: Proposal) -> bool:
    """The form goes to the member: the proposer (and confirmed co-signers), the office, the handling departments."""
    if not _visible(user, proposal.pk):
        return False
    if _internal(user, proposal):
        return True
    return proposal.proposer_id == user.pk or proposal.cosigners.filter(member=user, status=Cosigner.Status.CONFIRMED).exists()


FORM_STATUSES = (Proposal.Status.REPLIED, Proposal.Status.EVALUATED, Proposal.Status.REHANDLING, Proposal.Status.CLOSED)


def opinion_form_context(proposal: Proposal) -> dict:
    """办理情况征询意见表: what the member is asked to rate, with the boxes ticked once they rated."""
    classes = label_map_for("reply_class")
    ratings = label_map_for("proposal_rating")
    assignments = list(proposal.assignments.select_related("department").order_by("role", "pk"))
    latest: dict[int, Reply] = {}
    for r in Reply.objects.filter(assignment__proposal=proposal, status=Reply.Status.PASSED).select_related("assignment__department").order_by("round", "pk"):
        latest[r.assignment_id] = r
    evaluation = (
        Evaluation.objects.filter(proposal=proposal, rater_id=proposal.proposer_id).order_by("-round", "-created_at").first()
    )
    proposers = [proposal.organisation_name] if proposal.organisation_name else [proposal.proposer.full_name or str(proposal.proposer)] + [
        c.member.full_name or str(c.member)
        for c in proposal.cosigners.filter(status=Cosigner.Status.CONFIRMED).select_related("member").order_by("pk")
    ]
    office = Department.objects.filter(kind=ProposalDepartmentKind.PROPOSAL_OFFICE, is_active=True).order_by("pk").first()

    def boxes(field: str) -> list[dict]:
        chosen = getattr(evaluation, field, None)
        return [{"label": label, "checked": code == chosen} for code, label in ratings.items()]

    return {
        "title": _("提案办理情况征询意见表"),
        "subtitle": _("%(committee)s%(session)s") % {"committee": proposal.session.committee, "session": proposal.session.name},
        "issuer": office.name if office else "",
        "rows": [
            [(_("提案编号"), proposal.year_number or proposal.display_number), (_("提案人"), "、".join(proposers))],
            [(_("案由"), proposal.title)],
            [(_("承办单位"), "；".join(f"{a.department.name}（{a.get_role_display()}）" for a in assignments))],
        ],
        "replies": [
            {"department": r.assignment.department.name, "date": chinese_date(r.signed_at or r.replied_at), "number": r.doc_number or "",
             "class": f"{r.reply_class}类 {classes.get(r.reply_class, '')}".strip()}
            for r in latest.values()
        ],
        "ratings": [{"label": _("办理过程"), "choices": boxes("process_rating")}, {"label": _("办理结果"), "choices": boxes("result_rating")}],
        "comment": evaluation.comment if evaluation else "",
        "signed": (
            _("委员：%(name)s　　%(date)s") % {"name": evaluation.rater.full_name or evaluation.rater, "date": chinese_date(evaluation.created_at)}
            if evaluation else ""
        ),
        "footnote": _("请在相应方框内打“√”，对办理过程和办理结果分别评价，并将本表交回%(office)s（也可在平台上直接评价）。") % {
            "office": office.name if office else _("提案委员会"),
        },
    }


# --- versions and names ---------------------------------------------------------------------------------
def _history_version(obj, label: str, changed_at=None):
    row = obj.history.order_by("-history_id").values_list("history_id", "history_date").first()
    if row is None:
        return f"{label}:{obj.pk}", changed_at
    return f"{label}:{obj.pk}@h{row[0]}", row[1]


def _replies():
    return Reply.objects.select_related(
        "assignment__department", "assignment__proposal__session", "assignment__proposal__proposer",
        "assignment__proposal__supervising_unit",
    )


def _assignments():
    return Assignment.objects.select_related(
        "department", "proposal__session", "proposal__proposer", "proposal__supervising_unit",
    )


def _proposals():
    return Proposal.objects.select_related("session", "category", "proposer", "supervising_unit")


def _load_reply(pk: int) -> Reply:
    return _replies().get(pk=pk)


def _load_assignment(pk: int) -> Assignment:
    return _assignments().get(pk=pk)


def _load_proposal(pk: int) -> Proposal:
    return _proposals().get(pk=pk)


def _supervision_issuer(proposal: Proposal):
    """督办通知单 come from the supervising unit, else the proposal office."""
    if proposal.supervising_unit_id:
        return proposal.supervising_unit
    return Department.objects.filter(kind=ProposalDepartmentKind.PROPOSAL_OFFICE, is_active=True).order_by("pk").first()


def _supervises(user, proposal: Proposal) -> bool:
    roles = user_roles(user=user)
    return Role.PROPOSAL_OFFICE in roles or selectors.user_is_supervising(user, proposal)


def _sessions() -> list:
    from .models import Session

    return [(s.pk, f"{s.committee}{s.name}") for s in Session.objects.order_by("-year", "-pk")]


def _session_reply_ids(session_id: str) -> list[int]:
    return list(Reply.objects.filter(
        assignment__proposal__session_id=int(session_id), status=Reply.Status.PASSED, replied_at__isnull=False,
    ).values_list("pk", flat=True))


def _office(user) -> bool:
    return user.is_superuser or bool({Role.PROPOSAL_OFFICE, Role.ADMIN} & user_roles(user=user))


def register() -> None:
    registry.register_navigation(registry.NavEntry(
        "document-batches", gettext_lazy("批量生成文书"), frozenset({Role.PROPOSAL_OFFICE, Role.ADMIN}),
        gettext_lazy("整次会议的答复函打包下载"), order=80,
    ))
    register_batch_source(BatchSource(
        code="proposal_replies_by_session", label=gettext_lazy("一次会议的全部答复函"), kind="proposal_reply",
        choices=_sessions, object_ids=_session_reply_ids, can_start=_office,
    ))
    register_case_documents(CaseDocuments(
        model="proposals.Proposal", noun=gettext_lazy("提案"), number=lambda p: f"{_case_label(p)}号",
        title=lambda p: p.title, issuer=_supervision_issuer, supervises=_supervises,
    ))
    registry.register_document_kind(registry.DocumentKind(
        code="proposal_reply", label=gettext_lazy("答复函（PDF）"), model="proposals.Reply",
        template="documents/letter.html", context=reply_context, can_download=reply_can_download,
        available=lambda r: r.status == Reply.Status.PASSED and r.replied_at is not None,
        version=lambda r: _history_version(r, "reply"),
        filename=lambda r: f"答复函-{_case_label(r.assignment.proposal)}号-{r.assignment.department.short_name}",
        load=_load_reply, load_many=lambda pks: _replies().in_bulk(pks), app="proposals", order=10,
    ))
    registry.register_document_kind(registry.DocumentKind(
        code="proposal_opinion", label=gettext_lazy("会办意见（PDF）"), model="proposals.Assignment",
        template="documents/letter.html", context=opinion_context, can_download=opinion_can_download,
        available=lambda a: a.role == Assignment.Role.CO and bool(a.opinion) and a.opinion_sent_at is not None,
        version=lambda a: _history_version(a, "assignment"),
        filename=lambda a: f"会办意见-{_case_label(a.proposal)}号-{a.department.short_name}",
        load=_load_assignment, load_many=lambda pks: _assignments().in_bulk(pks), app="proposals", order=20,
    ))
    registry.register_document_kind(registry.DocumentKind(
        code="proposal_closure", label=gettext_lazy("办理情况记录（PDF）"), model="proposals.Proposal",
        template="documents/record.html", context=closure_context, can_download=closure_can_download,
        available=lambda p: p.status in (Proposal.Status.EVALUATED, Proposal.Status.CLOSED),
        version=lambda p: _history_version(p, "proposal"),
        filename=lambda p: f"提案办理情况记录-{_case_label(p)}号",
        load=_load_proposal, load_many=lambda pks: _proposals().in_bulk(pks), app="proposals", order=30,
    ))
    registry.register_document_kind(registry.DocumentKind(
        code="proposal_opinion_form", label=gettext_lazy("办理情况征询意见表（PDF）"), model="proposals.Proposal",
        template="documents/form.html", context=opinion_form_context, can_download=opinion_form_can_download,
        available=lambda p: p.status in FORM_STATUSES,
        version=lambda p: _history_version(p, "proposal"),
        filename=lambda p: f"办理情况征询意见表-{_case_label(p)}号",
        load=_load_proposal, load_many=lambda pks: _proposals().in_bulk(pks), app="proposals", order=25,
    ))
