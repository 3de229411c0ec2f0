"""State changes of proposals. Each public function is one transaction that
checks the actor's role and department, checks the current state, saves with
update_fields (history is kept), writes the event log and, where a flow task
is owed, completes it (so the flow moves on in the same transaction).

Refusals raise django.core.exceptions.ValidationError (shown as form errors /
HTTP 400) or PermissionDenied (HTTP 403), with messages in Chinese.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import services as engine
from workflow.flow.runtime import OPEN_TASK, flow_step, open_task, step_deadline
from workflow.models import Department, User
from workflow.rules import label_codes, negative_codes, time_limit_text
from workflow.selectors import require_role, user_has_role
from workflow.workdays import end_of_day

from ..models import (
    Assignment,
    Category,
    Consultation,
    Cosigner,
    Evaluation,
    ExtensionRequest,
    Proposal,
    ProposalTask,
    RejectionReason,
    Reply,
    Session,
)
from .. import permissions
from ..roles import Role

CASE_KIND = "proposal"  # the time-limit rules' case kind


# --- checks, events, people: the engine's, for proposals ------------------------------
_require_status = engine.require_status


def _deadline(step: str, start: dt.datetime) -> dt.datetime:
    return step_deadline(case_kind=CASE_KIND, step=step, start=start)


def _event(proposal: Proposal, type: str, actor, from_state="", to_state="", **payload):
    engine.event_record(case=proposal, type=type, actor=actor, from_state=from_state, to_state=to_state, payload=payload)


def _set_status(proposal: Proposal, status: str, actor, event: str, extra_fields=(), **payload):
    engine.case_set_status(case=proposal, status=status, actor=actor, event=event, extra_fields=extra_fields, **payload)


def _notify_users(users, title: str, body: str = "", url: str = "", kind: str = "proposal"):
    engine.notify_on_commit(users=users, kind=kind, title=title, body=body, url=url)


def _department_people(department: Department, role: str) -> list[User]:
    return engine.role_people(role=role, department=department)


def _office_people() -> list[User]:
    return engine.role_people(role=Role.PROPOSAL_OFFICE)


def _url(proposal: Proposal) -> str:
    return proposal.get_absolute_url()


# --- flow plumbing: the engine's runtime, for the proposal flow ------------------------
def _node(name: str):
    from ..flows import ProposalFlow

    return getattr(ProposalFlow, name)


def _open_task(proposal: Proposal, nodes, **data) -> ProposalTask:
    names = [nodes] if isinstance(nodes, str) else list(nodes)
    return open_task(task_model=ProposalTask, case_field="proposal", case=proposal, nodes=[_node(n) for n in names], **data)


def _flow_step(task: ProposalTask, actor: User):
    return flow_step(task, actor, busy_message=_("该提案正由他人同时办理，请稍后刷新重试。"))


# --- what the flow's runtime splits are made of (reads only) -------------------------
def flow_cosigner_items(*, proposal: Proposal) -> list[dict]:
    return [{"user_id": c.member_id, "cosigner_id": c.pk} for c in proposal.cosigners.order_by("pk")]


def flow_assignment_items(*, proposal: Proposal) -> list[dict]:
    return [
        {"assignment_id": a.pk}
        for a in proposal.assignments.exclude(status=Assignment.Status.REASSIGNED_AWAY).order_by("pk")
    ]


def flow_review_items(*, proposal: Proposal) -> list[dict]:
    """One supervision review per signed reply of the current round."""
    round_ = Proposal.objects.values_list("handling_round", flat=True).get(pk=proposal.pk)
    replies = Reply.objects.filter(assignment__proposal_id=proposal.pk, round=round_, status=Reply.Status.SIGNED)
    return [{"assignment_id": r.assignment_id, "reply_id": r.pk} for r in replies.order_by("pk")]


def _raters(proposal: Proposal) -> list[tuple[Proposal, User]]:
    """Every proposer of the case: the proposal's own and those merged into it."""
    result = [(proposal, proposal.proposer)]
    for merged in proposal.merged.select_related("proposer").order_by("pk"):
        result.append((merged, merged.proposer))
    return result


def flow_rater_items(*, proposal: Proposal) -> list[dict]:
    """One rating task per proposer (of this proposal and of those merged into it)."""
    return [{"user_id": user.pk, "rated_proposal_id": p.pk} for p, user in _raters(proposal)]


def flow_rehandle_items(*, proposal: Proposal) -> list[dict]:
    return [
        {"assignment_id": a.pk}
        for a in proposal.assignments.exclude(role=Assignment.Role.CO).exclude(status=Assignment.Status.REASSIGNED_AWAY).order_by("pk")
    ]


# --- automatic steps (flow Function nodes; no acting person) ------------------------
def proposal_begin_review(*, proposal: Proposal) -> Proposal:
    """Every answering department has signed its reply: supervision review starts."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _require_status(proposal, [Proposal.Status.HANDLING, Proposal.Status.REHANDLING], _("提案不在办理中。"))
    _set_status(proposal, Proposal.Status.REVIEWING, None, "replies_signed")
    return proposal


def proposal_deliver_replies(*, proposal: Proposal) -> Proposal:
    """Every reply passed review: deliver them to the proposers and ask each to rate."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _require_status(proposal, [Proposal.Status.REVIEWING], _("提案不在督办审核中。"))
    now = timezone.now()
    for reply in Reply.objects.select_for_update().filter(assignment__proposal=proposal, round=proposal.handling_round, status=Reply.Status.PASSED):
        reply.replied_at = now  # saved one by one so that history records the delivery
        reply.save(update_fields=["replied_at"])
    _set_status(proposal, Proposal.Status.REPLIED, None, "replied")
    raters = _raters(proposal)
    for merged, _user in raters[1:]:
        _event(merged, "replied", None, payload_target=proposal.pk)
    for rated, user in raters:
        # Each person is sent to the proposal they can open (a merged one shows the target's replies).
        cosigners = [c.member for c in rated.cosigners.filter(status=Cosigner.Status.CONFIRMED).select_related("member")]
        _notify_users(
            [user] + cosigners, _("提案%(number)s已答复，请评价") % {"number": proposal.display_number}, proposal.title, _url(rated),
        )
    return proposal


# --- drafting and co-signing (committee members) -----------------------------------------
def _validate_content(*, title: str, analysis: str, suggestions: str, contact_name: str, contact_phone: str) -> None:
    from ..models import TEXT_MAX, TITLE_MAX

    errors = {}
    if not (title or "").strip():
        errors["title"] = _("请填写案由（标题）。")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("案由不能超过%(max)d个字（现有%(n)d个）。") % {"max": TITLE_MAX, "n": len(title)}
    for field, label, value in (("analysis", _("情况分析"), analysis), ("suggestions", _("具体建议"), suggestions)):
        if not (value or "").strip():
            errors[field] = _("请填写%(label)s。") % {"label": label}
        elif len(value) > TEXT_MAX:
            errors[field] = _("%(label)s不能超过%(max)d个字（现有%(n)d个），请精简或按“一事一案”拆分。") % {"label": label, "max": TEXT_MAX, "n": len(value)}
    if not (contact_name or "").strip():
        errors["contact_name"] = _("请填写联系人。")
    if not (contact_phone or "").strip():
        errors["contact_phone"] = _("请填写联系电话。")
    if errors:
        raise ValidationError(errors)
    engine.check_lengths(model=Proposal, values={"contact_name": contact_name, "contact_phone": contact_phone})


def _validate_cosigners(proposer: User, cosigners: Iterable[User]) -> list[User]:
    result, errors = [], []
    for user in cosigners:
        if user.pk == proposer.pk:
            errors.append(_("领衔提案人不能同时作为联名委员。"))
        elif not user_has_role(user=user, role=Role.MEMBER):
            errors.append(_("“%(name)s”不是政协委员，不能联名。") % {"name": user})
        elif user not in result:
            result.append(user)
    if errors:
        raise ValidationError({"cosigners": errors})
    return result


@transaction.atomic
def proposal_create(
    *, actor: User, session: Session, title: str, analysis: str, suggestions: str, category: Category,
    contact_name: str, contact_phone: str, kind: str = Proposal.Kind.MEMBER, organisation_name: str = "",
    between_sessions: bool = False, cosigners: Iterable[User] = (),
) -> Proposal:
    """Save a draft proposal (草稿). Nothing is sent anywhere yet."""
    require_role(user=actor, role=Role.MEMBER)
    _validate_content(title=title, analysis=analysis, suggestions=suggestions, contact_name=contact_name, contact_phone=contact_phone)
    cosigner_users = _validate_cosigners(actor, cosigners)
    engine.check_lengths(model=Proposal, values={"organisation_name": organisation_name})
    if kind in (Proposal.Kind.ORGANISATION, Proposal.Kind.COMMITTEE, Proposal.Kind.GROUP) and not organisation_name.strip():
        raise ValidationError({"organisation_name": _("党派团体、专委会或界别提案须填写提案单位名称。")})
    if cosigner_users and kind == Proposal.Kind.MEMBER:
        kind = Proposal.Kind.JOINT
    proposal = Proposal.objects.create(
        session=session, title=title.strip(), analysis=analysis, suggestions=suggestions, category=category,
        contact_name=contact_name, contact_phone=contact_phone, kind=kind, organisation_name=organisation_name,
        between_sessions=between_sessions, proposer=actor,
    )
    for user in cosigner_users:
        Cosigner.objects.create(proposal=proposal, member=user)
    _event(proposal, "drafted", actor, "", proposal.status)
    return proposal


@transaction.atomic
def proposal_update(*, actor: User, proposal: Proposal, cosigners: Iterable[User] | None = None, **fields) -> Proposal:
    """Edit a draft (only the proposer, only while it is a draft)."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    permissions.require(permissions.can_edit_draft(actor, proposal))
    _require_status(proposal, [Proposal.Status.DRAFT], _("提案已提交，不能再修改。"))
    allowed = {"session", "title", "analysis", "suggestions", "category", "contact_name", "contact_phone", "kind", "organisation_name", "between_sessions"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    for key, value in fields.items():
        setattr(proposal, key, value)
    _validate_content(title=proposal.title, analysis=proposal.analysis, suggestions=proposal.suggestions, contact_name=proposal.contact_name, contact_phone=proposal.contact_phone)
    engine.check_lengths(model=Proposal, values={"organisation_name": proposal.organisation_name})
    if proposal.kind in (Proposal.Kind.ORGANISATION, Proposal.Kind.COMMITTEE, Proposal.Kind.GROUP) and not (proposal.organisation_name or "").strip():
        raise ValidationError({"organisation_name": _("党派团体、专委会或界别提案须填写提案单位名称。")})
    if cosigners is not None:
        users = _validate_cosigners(actor, cosigners)
        proposal.cosigners.exclude(member__in=users).delete()
        existing = set(proposal.cosigners.values_list("member_id", flat=True))
        for user in users:
            if user.pk not in existing:
                Cosigner.objects.create(proposal=proposal, member=user)
        if users and proposal.kind == Proposal.Kind.MEMBER:
            proposal.kind = Proposal.Kind.JOINT
            fields["kind"] = proposal.kind
        elif not users and proposal.kind == Proposal.Kind.JOINT:
            proposal.kind = Proposal.Kind.MEMBER
            fields["kind"] = proposal.kind
    proposal.save(update_fields=list(fields) or None)
    _event(proposal, "draft_updated", actor, payload_fields=sorted(fields))
    return proposal


def _check_session_cutoff(session: Session) -> None:
    """Proposals after the cut-off (default 5 December) count for the next plenary session."""
    if session.cutoff and timezone.localdate() > session.cutoff:
        raise ValidationError({"session": _(
            "%(session)s的提案已于%(date)s截止，之后提交的提案计入下一次全会：请改选下一届次后再提交。"
        ) % {"session": session.name, "date": session.cutoff.strftime("%Y-%m-%d")}})


def proposal_submit(*, actor: User, proposal: Proposal) -> Proposal:
    """Submit a draft: to the co-signers first when there are any, else to the proposal office.
    After every co-signer has answered, the proposer submits again (status 待提交)."""
    proposal = Proposal.objects.get(pk=proposal.pk)
    if proposal.proposer_id != actor.pk:
        raise PermissionDenied(_("只有领衔提案人可以提交提案。"))
    if proposal.status == Proposal.Status.READY:
        return _submit_after_cosign(actor=actor, proposal=proposal)
    from ..flows import ProposalFlow

    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _require_status(proposal, [Proposal.Status.DRAFT], _("提案已提交。"))
        _validate_content(title=proposal.title, analysis=proposal.analysis, suggestions=proposal.suggestions, contact_name=proposal.contact_name, contact_phone=proposal.contact_phone)
        _check_session_cutoff(proposal.session)
        proposal.submitted_at = timezone.now()
        has_cosigners = proposal.cosigners.exists()
        new_status = Proposal.Status.COSIGNING if has_cosigners else Proposal.Status.SUBMITTED
        _set_status(proposal, new_status, actor, "submitted_for_cosign" if has_cosigners else "submitted", extra_fields=["submitted_at"])
        ProposalFlow.start.run(proposal=proposal)
    if has_cosigners:
        _notify_users([c.member for c in proposal.cosigners.select_related("member")], _("%(name)s邀请您联名提案") % {"name": proposal.proposer}, proposal.title, _url(proposal))
    else:
        _notify_users(_office_people(), _("新提案待审查"), proposal.title, _url(proposal))
    return proposal


def _submit_after_cosign(*, actor: User, proposal: Proposal) -> Proposal:
    task = _open_task(proposal, "submit")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _require_status(proposal, [Proposal.Status.READY], _("联名确认尚未完成。"))
        _check_session_cutoff(proposal.session)
        proposal.submitted_at = timezone.now()
        if not proposal.cosigners.filter(status=Cosigner.Status.CONFIRMED).exists() and proposal.kind == Proposal.Kind.JOINT:
            proposal.kind = Proposal.Kind.MEMBER
        _set_status(proposal, Proposal.Status.SUBMITTED, actor, "submitted", extra_fields=["submitted_at", "kind"])
    _notify_users(_office_people(), _("新提案待审查"), proposal.title, _url(proposal))
    return proposal


def cosigner_respond(*, actor: User, proposal: Proposal, accept: bool) -> Cosigner:
    """A co-signer confirms (or declines) in their own inbox."""
    cosigner = Cosigner.objects.filter(proposal=proposal, member=actor).first()
    if cosigner is None:
        raise PermissionDenied(_("您没有被邀请联名此提案。"))
    task = _open_task(proposal, "cosign", user_id=actor.pk)
    with _flow_step(task, actor):
        cosigner = Cosigner.objects.select_for_update().get(pk=cosigner.pk)
        if cosigner.status != Cosigner.Status.INVITED:
            raise ValidationError(_("您已答复过联名邀请。"))
        cosigner.status = Cosigner.Status.CONFIRMED if accept else Cosigner.Status.DECLINED
        cosigner.responded_at = timezone.now()
        cosigner.save(update_fields=["status", "responded_at"])
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _event(proposal, "cosign_confirmed" if accept else "cosign_declined", actor, member=actor.pk)
        if not proposal.cosigners.filter(status=Cosigner.Status.INVITED).exists():
            _set_status(proposal, Proposal.Status.READY, actor, "cosign_complete")
            _notify_users([proposal.proposer], _("联名确认已完成，请提交提案"), proposal.title, _url(proposal))
    return cosigner


def cosigner_withdraw(*, actor: User, proposal: Proposal, member: User) -> Cosigner:
    """The proposer withdraws an unanswered invitation (the co-signer is away, say),
    so that the proposal does not wait for them. Completes their co-sign task."""
    proposal = Proposal.objects.get(pk=proposal.pk)
    permissions.require(permissions.can_withdraw_cosigner(actor, proposal))
    cosigner = Cosigner.objects.filter(proposal=proposal, member=member).first()
    if cosigner is None:
        raise ValidationError(_("“%(name)s”不在联名委员中。") % {"name": member})
    task = _open_task(proposal, "cosign", user_id=member.pk)
    with _flow_step(task, actor):
        cosigner = Cosigner.objects.select_for_update().get(pk=cosigner.pk)
        if cosigner.status != Cosigner.Status.INVITED:
            raise ValidationError(_("“%(name)s”已答复联名邀请，不能撤回。") % {"name": member})
        cosigner.status = Cosigner.Status.DECLINED
        cosigner.responded_at = timezone.now()
        cosigner.save(update_fields=["status", "responded_at"])
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _event(proposal, "cosign_withdrawn", actor, member=member.pk)
        if not proposal.cosigners.filter(status=Cosigner.Status.INVITED).exists():
            _set_status(proposal, Proposal.Status.READY, actor, "cosign_complete")
    _notify_users([member], _("%(name)s已撤回联名邀请") % {"name": actor}, proposal.title)
    return cosigner


# --- review (立案审查) --------------------------------------------------------------------
class ReviewOutcome:
    ACCEPT = "accept"
    REJECT = "reject"
    MERGE = "merge"
    FORWARD = "forward"
    ALL = (ACCEPT, REJECT, MERGE, FORWARD)


def _lock_session(session_id: int) -> None:
    """Serialise numbering per session. NO KEY: proposals referring to the
    session can still be saved meanwhile (their foreign-key checks need KEY SHARE)."""
    Session.objects.select_for_update(no_key=True).get(pk=session_id)


def _next_number(session: Session) -> int:
    last = Proposal.objects.filter(session=session).aggregate(m=Max("number"))["m"] or 0
    return last + 1


def proposal_review(
    *, actor: User, proposal: Proposal, outcome: str, note: str = "", rejection_reason: RejectionReason | None = None,
    merge_into: Proposal | None = None, forward_to: Department | None = None, number: int | None = None,
) -> Proposal:
    """立案 / 不予立案 (with a reason) / 并案 into an accepted proposal / 转意见建议 to a department."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    if outcome not in ReviewOutcome.ALL:
        raise ValidationError({"outcome": _("审查结果无效。")})
    if outcome == ReviewOutcome.REJECT and rejection_reason is None:
        raise ValidationError({"rejection_reason": _("不予立案须选择理由。")})
    if outcome == ReviewOutcome.MERGE and merge_into is None:
        raise ValidationError({"merge_into": _("并案须选择并入的提案。")})
    if outcome == ReviewOutcome.FORWARD and forward_to is None:
        raise ValidationError({"forward_to": _("转意见建议须选择转交单位。")})
    if outcome == ReviewOutcome.FORWARD and (not forward_to.is_active or forward_to.kind != Department.Kind.GOVERNMENT):
        raise ValidationError({"forward_to": _("“%(d)s”不是可承办意见建议的单位。") % {"d": forward_to}})
    task = _open_task(proposal, "review")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _require_status(proposal, [Proposal.Status.SUBMITTED], _("该提案不在待审查状态。"))
        proposal.reviewed_at = timezone.now()
        proposal.review_note = note
        fields = ["reviewed_at", "review_note"]
        notice = ""
        if outcome == ReviewOutcome.ACCEPT:
            _lock_session(proposal.session_id)
            wanted = number or _next_number(proposal.session)
            if Proposal.objects.filter(session=proposal.session, number=wanted).exclude(pk=proposal.pk).exists():
                raise ValidationError({"number": _("本届次已有第%(n)d号提案。") % {"n": wanted}})
            proposal.number = wanted
            fields.append("number")
            status, event = Proposal.Status.ACCEPTED, "accepted"
            notice = _("您的提案已立案，编号%(number)s") % {"number": proposal.display_number}
        elif outcome == ReviewOutcome.REJECT:
            proposal.rejection_reason = rejection_reason
            fields.append("rejection_reason")
            status, event = Proposal.Status.REJECTED, "rejected"
            notice = _("您的提案不予立案：%(reason)s") % {"reason": rejection_reason.text}
        elif outcome == ReviewOutcome.MERGE:
            target = Proposal.objects.select_for_update().get(pk=merge_into.pk)
            if target.pk == proposal.pk or target.session_id != proposal.session_id:
                raise ValidationError({"merge_into": _("只能并入本届次的其他提案。")})
            if target.number is None or target.status in (Proposal.Status.CLOSED, Proposal.Status.REJECTED, Proposal.Status.MERGED, Proposal.Status.FORWARDED):
                raise ValidationError({"merge_into": _("只能并入已立案且尚未办结的提案。")})
            if target.status in (Proposal.Status.REPLIED, Proposal.Status.EVALUATED):
                raise ValidationError({"merge_into": _("该提案已答复，不能再并入。")})
            proposal.merged_into = target
            fields.append("merged_into")
            status, event = Proposal.Status.MERGED, "merged"
            _event(target, "merged_in", actor, payload_merged=proposal.pk)
            notice = _("您的提案已并入%(number)s《%(title)s》一并办理，答复将同样送达您。") % {"number": target.display_number, "title": target.title}
        else:
            proposal.forwarded_to = forward_to
            fields.append("forwarded_to")
            status, event = Proposal.Status.FORWARDED, "forwarded"
            notice = _("您的提案已转%(dept)s作为意见建议参考办理。") % {"dept": forward_to}
        proposal.save(update_fields=fields)
        _set_status(proposal, status, actor, event, note=note)
    _notify_users([proposal.proposer], notice, proposal.title, _url(proposal))
    if outcome == ReviewOutcome.FORWARD:
        _notify_users(_department_people(forward_to, Role.HANDLER), _("转来意见建议：%(title)s") % {"title": proposal.title}, note, _url(proposal))
    return proposal


# --- assignment (交办) ---------------------------------------------------------------------
def _check_departments(departments: list[Department]) -> None:
    seen = set()
    for d in departments:
        if d.pk in seen:
            raise ValidationError({"departments": _("同一单位不能重复交办：%(d)s") % {"d": d}})
        seen.add(d.pk)
        if not d.is_active or d.kind != Department.Kind.GOVERNMENT:
            raise ValidationError({"departments": _("“%(d)s”不是可承办提案的单位。") % {"d": d}})


def _supervision_fields(proposal, *, is_key, leading_official, supervising_unit) -> list[str]:
    if is_key and (leading_official is None or supervising_unit is None):
        raise ValidationError({"is_key": _("重点提案须指定牵头领导和督办单位。")})
    if leading_official is not None and not user_has_role(user=leading_official, role=Role.KEY_LEADER):
        raise ValidationError({"leading_official": _("“%(u)s”不是牵头领导。") % {"u": leading_official}})
    if supervising_unit is not None and supervising_unit.kind != Department.Kind.SUPERVISION_OFFICE:
        raise ValidationError({"supervising_unit": _("督办单位须为督查室等督办机构。")})
    proposal.is_key = is_key
    proposal.leading_official = leading_official
    proposal.supervising_unit = supervising_unit
    return ["is_key", "leading_official", "supervising_unit"]


def proposal_assign(
    *, actor: User, proposal: Proposal, mode: str, lead: Department | None = None, co_handlers: Iterable[Department] = (),
    separate: Iterable[Department] = (), is_key: bool = False, leading_official: User | None = None,
    supervising_unit: Department | None = None, is_public: bool = True, note: str = "", at: dt.datetime | None = None,
) -> Proposal:
    """交办: single department, lead + co-handlers, or separate handlers; deadlines in working days."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    co_handlers, separate = list(co_handlers), list(separate)
    if mode == Proposal.HandlingMode.SINGLE:
        if lead is None or co_handlers or separate:
            raise ValidationError({"lead": _("单独办理须且只能选择一个承办单位。")})
        plan = [(lead, Assignment.Role.SINGLE)]
    elif mode == Proposal.HandlingMode.LEAD_CO:
        if lead is None or not co_handlers or separate:
            raise ValidationError({"co_handlers": _("主办+会办须选择一个主办单位和至少一个会办单位。")})
        plan = [(lead, Assignment.Role.LEAD)] + [(d, Assignment.Role.CO) for d in co_handlers]
    elif mode == Proposal.HandlingMode.SEPARATE:
        if len(separate) < 2 or lead is not None or co_handlers:
            raise ValidationError({"separate": _("分办须选择至少两个承办单位。")})
        plan = [(d, Assignment.Role.SEPARATE) for d in separate]
    else:
        raise ValidationError({"mode": _("办理方式无效。")})
    _check_departments([d for d, _r in plan])
    task = _open_task(proposal, "assign")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _require_status(proposal, [Proposal.Status.ACCEPTED], _("只有已立案的提案可以交办。"))
        now = at or timezone.now()
        reply_deadline = _deadline("reply", now)
        co_deadline = _deadline("co_opinion", now)
        reassign_deadline = _deadline("reassign_request", now)
        for d, role in plan:  # one by one: bulk_create would write no history rows
            Assignment.objects.create(
                proposal=proposal, department=d, role=role, assigned_at=now, reassign_deadline=reassign_deadline,
                deadline=co_deadline if role == Assignment.Role.CO else reply_deadline,
            )
        fields = _supervision_fields(proposal, is_key=is_key, leading_official=leading_official, supervising_unit=supervising_unit)
        proposal.handling_mode = mode
        proposal.assigned_at = now
        proposal.reply_deadline = reply_deadline
        proposal.is_public = is_public
        proposal.save(update_fields=fields + ["handling_mode", "assigned_at", "reply_deadline", "is_public"])
        _set_status(proposal, Proposal.Status.HANDLING, actor, "assigned", mode=mode, departments=[d.pk for d, _r in plan], note=note)
    for department, role in plan:
        _notify_users(_department_people(department, Role.HANDLER), _("交办提案%(number)s，请签收") % {"number": proposal.display_number}, proposal.title, _url(proposal))
    _notify_users([proposal.proposer], _("您的提案%(number)s已交办") % {"number": proposal.display_number}, proposal.title, _url(proposal))
    return proposal


@transaction.atomic
def proposal_set_supervision(
    *, actor: User, proposal: Proposal, is_key: bool, leading_official: User | None = None, supervising_unit: Department | None = None,
) -> Proposal:
    """Mark (or unmark) a key proposal with its leading official and supervising unit."""
    permissions.require(permissions.can_manage(actor))
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.number is None:
        raise ValidationError(_("只有已立案的提案可以设为重点提案。"))
    if proposal.status == Proposal.Status.CLOSED:
        raise ValidationError(_("提案已办结，不能再设置重点督办。"))
    fields = _supervision_fields(proposal, is_key=is_key, leading_official=leading_official, supervising_unit=supervising_unit)
    proposal.save(update_fields=fields)
    _event(proposal, "key_set" if is_key else "key_unset", actor, leading_official=getattr(leading_official, "pk", None), supervising_unit=getattr(supervising_unit, "pk", None))
    if is_key:
        _notify_users([leading_official], _("您牵头督办重点提案%(number)s") % {"number": proposal.display_number}, proposal.title, _url(proposal))
    return proposal


@transaction.atomic
def proposal_set_public(*, actor: User, proposal: Proposal, is_public: bool) -> Proposal:
    permissions.require(permissions.can_manage(actor))
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    proposal.is_public = is_public
    proposal.save(update_fields=["is_public"])
    _event(proposal, "public_set" if is_public else "public_unset", actor)
    return proposal


# --- department handling -------------------------------------------------------------------
def _lock_assignment(assignment: Assignment, department_id: int | None = None) -> Assignment:
    """Lock the assignment row. With department_id (the department whose
    people were allowed to act), refuse when it has been re-assigned since."""
    locked = Assignment.objects.select_for_update().select_related("proposal", "department").get(pk=assignment.pk)
    if department_id is not None and locked.department_id != department_id:
        raise PermissionDenied(_("该提案已调整给其他单位办理。"))
    return locked


def _refresh_reply_deadline(proposal_id: int) -> None:
    """The proposal's reply deadline is the latest of its answering departments'."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    latest = (
        proposal.assignments.exclude(role=Assignment.Role.CO).exclude(status=Assignment.Status.REASSIGNED_AWAY)
        .aggregate(m=Max("deadline"))["m"]
    )
    if latest and latest != proposal.reply_deadline:
        proposal.reply_deadline = latest
        proposal.save(update_fields=["reply_deadline"])


def _current_assignment(assignment: Assignment) -> Assignment:
    """The assignment as it is now: the caller's object may predate a re-assignment."""
    return Assignment.objects.select_related("proposal", "department").get(pk=assignment.pk)


def assignment_sign(*, actor: User, assignment: Assignment) -> Assignment:
    """签收."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    task = _open_task(assignment.proposal, "sign", assignment_id=assignment.pk)
    with _flow_step(task, actor) as activation:
        assignment = _lock_assignment(assignment, assignment.department_id)
        _require_status(assignment, [Assignment.Status.ASSIGNED], _("该交办不在待签收状态。"))
        assignment.status = Assignment.Status.SIGNED
        assignment.signed_at = timezone.now()
        assignment.signed_by = actor
        assignment.save(update_fields=["status", "signed_at", "signed_by"])
        _event(assignment.proposal, "signed", actor, department=assignment.department_id)
    return assignment


def assignment_request_reassign(*, actor: User, assignment: Assignment, reason: str) -> Assignment:
    """申请调整: within the window after assignment, with a reason. The office decides."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("申请调整须说明理由。")})
    now = timezone.now()
    if now > assignment.reassign_deadline:
        raise ValidationError({"reason": _("已超过申请调整期限（%(deadline)s前），不再受理，请按交办意见办理。") % {"deadline": timezone.localtime(assignment.reassign_deadline).strftime("%Y-%m-%d")}})
    task = _open_task(assignment.proposal, "sign", assignment_id=assignment.pk)
    with _flow_step(task, actor) as activation:
        assignment = _lock_assignment(assignment, assignment.department_id)
        _require_status(assignment, [Assignment.Status.ASSIGNED], _("签收后不能再申请调整。"))
        assignment.status = Assignment.Status.REASSIGN_REQUESTED
        assignment.reassign_reason = reason.strip()
        assignment.reassign_requested_at = now
        assignment.save(update_fields=["status", "reassign_reason", "reassign_requested_at"])
        _event(assignment.proposal, "reassign_requested", actor, department=assignment.department_id, reason=reason)
    _notify_users(_office_people(), _("%(dept)s申请调整提案%(number)s") % {"dept": assignment.department, "number": assignment.proposal.display_number}, reason, _url(assignment.proposal))
    return assignment


def assignment_decide_reassign(
    *, actor: User, assignment: Assignment, approve: bool, new_department: Department | None = None, note: str = "",
) -> Assignment:
    """The office approves (choosing the new department) or refuses a re-assignment request."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    if approve and new_department is None:
        raise ValidationError({"new_department": _("同意调整须选择新的承办单位。")})
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("不同意调整须说明理由。")})
    task = _open_task(assignment.proposal, "reassign_decide", assignment_id=assignment.pk)
    with _flow_step(task, actor) as activation:
        assignment = _lock_assignment(assignment)
        _require_status(assignment, [Assignment.Status.REASSIGN_REQUESTED], _("没有待审批的调整申请。"))
        old_department = assignment.department
        fields = ["status"]
        if approve:
            if new_department.pk == assignment.department_id:
                raise ValidationError({"new_department": _("请选择另一个承办单位。")})
            others = assignment.proposal.assignments.exclude(pk=assignment.pk).exclude(status=Assignment.Status.REASSIGNED_AWAY)
            _check_departments([new_department] + [a.department for a in others])
            now = timezone.now()
            assignment.department = new_department
            assignment.assigned_at = now
            assignment.reassign_deadline = _deadline("reassign_request", now)
            assignment.deadline = _deadline("co_opinion" if assignment.role == Assignment.Role.CO else "reply", now)
            fields += ["department", "assigned_at", "reassign_deadline", "deadline"]
        assignment.status = Assignment.Status.ASSIGNED
        assignment.save(update_fields=fields)
        if approve:
            _cancel_pending_extensions(assignment, actor, _("承办单位已调整，期限已重新计算"))
        if approve:
            _refresh_reply_deadline(assignment.proposal_id)
        _event(assignment.proposal, "reassign_approved" if approve else "reassign_refused", actor,
               from_department=old_department.pk, to_department=assignment.department_id, note=note)
    _notify_users(_department_people(old_department, Role.HANDLER), _("调整申请已%(result)s") % {"result": _("同意") if approve else _("不同意")}, note, _url(assignment.proposal))
    if approve:
        _notify_users(_department_people(new_department, Role.HANDLER), _("交办提案%(number)s，请签收") % {"number": assignment.proposal.display_number}, assignment.proposal.title, _url(assignment.proposal))
    return assignment


@transaction.atomic
def consultation_record(
    *, actor: User, assignment: Assignment, date: dt.date, mode: str, participants: str, note: str = "",
) -> Consultation:
    """办理协商 with the member: date, mode, who took part."""
    assignment = _current_assignment(assignment)
    permissions.require(permissions.can_handle_for(actor, assignment.department))
    assignment = _lock_assignment(assignment, assignment.department_id)
    if assignment.status in (Assignment.Status.ASSIGNED, Assignment.Status.REASSIGN_REQUESTED, Assignment.Status.REASSIGNED_AWAY):
        raise ValidationError(_("请先签收提案再记录协商。"))
    if assignment.proposal.status in (Proposal.Status.CLOSED, Proposal.Status.REPLIED, Proposal.Status.EVALUATED):
        raise ValidationError(_("提案已答复，不能再补记办理协商。"))
    if mode not in Consultation.Mode.values:
        raise ValidationError({"mode": _("协商方式无效。")})
    if not (participants or "").strip():
        raise ValidationError({"participants": _("请填写参加人员。")})
    engine.check_lengths(model=Consultation, values={"participants": participants.strip()})
    if date > timezone.localdate():
        raise ValidationError({"date": _("协商日期不能晚于今天。")})
    if date < timezone.localtime(assignment.assigned_at).date():
        raise ValidationError({"date": _("协商日期不能早于交办日期。")})
    consultation = Consultation.objects.create(assignment=assignment, date=date, mode=mode, participants=participants.strip(), note=note, recorded_by=actor)
    _event(assignment.proposal, "consulted", actor, department=assignment.department_id, date=date.isoformat(), mode=mode)
    return consultation


def assignment_send_opinion(*, actor: User, assignment: Assignment, opinion: str) -> Assignment:
    """会办意见 to the lead department."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    if assignment.role != Assignment.Role.CO:
        raise ValidationError(_("只有会办单位送会办意见。"))
    if not (opinion or "").strip():
        raise ValidationError({"opinion": _("请填写会办意见。")})
    task = _open_task(assignment.proposal, "co_opinion", assignment_id=assignment.pk)
    with _flow_step(task, actor):
        assignment = _lock_assignment(assignment, assignment.department_id)
        _require_status(assignment, [Assignment.Status.SIGNED], _("会办意见已送出或尚未签收。"))
        assignment.opinion = opinion.strip()
        assignment.opinion_sent_at = timezone.now()
        assignment.status = Assignment.Status.OPINION_SENT
        assignment.save(update_fields=["opinion", "opinion_sent_at", "status"])
        _event(assignment.proposal, "opinion_sent", actor, department=assignment.department_id)
    lead = assignment.proposal.assignments.filter(role=Assignment.Role.LEAD).select_related("department").first()
    if lead:
        _notify_users(_department_people(lead.department, Role.HANDLER), _("%(dept)s已送会办意见") % {"dept": assignment.department}, assignment.proposal.title, _url(assignment.proposal))
    return assignment


def reply_default_title(proposal: Proposal) -> str:
    return _("关于政协%(session)s第%(number)s号提案的答复") % {"session": proposal.session.name, "number": proposal.number}


@transaction.atomic
def reply_save_draft(
    *, actor: User, assignment: Assignment, reply_class: str, body: str, contact_person: str, contact_phone: str, title: str = "",
) -> Reply:
    """Write or revise the reply letter of the current round (not yet submitted)."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    assignment = _lock_assignment(assignment, assignment.department_id)
    if not assignment.answers:
        raise ValidationError(_("会办单位不单独答复，请送会办意见。"))
    if assignment.status not in (Assignment.Status.SIGNED,):
        raise ValidationError(_("当前不能编辑答复（%(status)s）。") % {"status": assignment.get_status_display()})
    errors = {}
    if reply_class not in label_codes("reply_class"):
        errors["reply_class"] = _("请选择答复类别。")
    if not (body or "").strip():
        errors["body"] = _("请填写答复正文。")
    if not (contact_person or "").strip():
        errors["contact_person"] = _("请填写联系人。")
    if not (contact_phone or "").strip():
        errors["contact_phone"] = _("请填写联系电话。")
    if errors:
        raise ValidationError(errors)
    engine.check_lengths(model=Reply, values={"title": title, "contact_person": contact_person.strip(), "contact_phone": contact_phone.strip()})
    proposal = assignment.proposal
    reply = Reply.objects.select_for_update().filter(assignment=assignment, round=proposal.handling_round).first()
    values = {
        "reply_class": reply_class, "body": body, "contact_person": contact_person.strip(),
        "contact_phone": contact_phone.strip(), "title": (title or "").strip() or reply_default_title(proposal),
    }
    if reply is None:
        reply = Reply.objects.create(assignment=assignment, round=proposal.handling_round, drafted_by=actor, **values)
        _event(proposal, "reply_drafted", actor, department=assignment.department_id, reply=reply.pk)
    else:
        if reply.status not in (Reply.Status.DRAFT, Reply.Status.RETURNED):
            raise ValidationError(_("答复已提交，不能再修改。"))
        for k, v in values.items():
            setattr(reply, k, v)
        reply.save(update_fields=list(values) + ["updated_at"])
        _event(proposal, "reply_revised", actor, department=assignment.department_id, reply=reply.pk)
    return reply


def reply_submit(*, actor: User, assignment: Assignment) -> Reply:
    """Send the draft to the department leader for sign-off (签发)."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    task = _open_task(assignment.proposal, ["draft_reply", "revise"], assignment_id=assignment.pk)
    with _flow_step(task, actor):
        assignment = _lock_assignment(assignment, assignment.department_id)
        proposal = assignment.proposal
        reply = Reply.objects.select_for_update().filter(assignment=assignment, round=proposal.handling_round).first()
        if reply is None:
            raise ValidationError(_("请先撰写答复函。"))
        if reply.status not in (Reply.Status.DRAFT, Reply.Status.RETURNED):
            raise ValidationError(_("答复已提交。"))
        if assignment.role == Assignment.Role.LEAD:
            missing = proposal.assignments.filter(role=Assignment.Role.CO).exclude(status__in=[Assignment.Status.OPINION_SENT, Assignment.Status.REASSIGNED_AWAY])
            if missing.exists():
                names = "、".join(str(a.department) for a in missing.select_related("department"))
                raise ValidationError(_("会办单位（%(names)s）的意见尚未送达，主办单位须综合会办意见后答复。") % {"names": names})
        reply.status = Reply.Status.SUBMITTED
        reply.save(update_fields=["status", "updated_at"])
        assignment.status = Assignment.Status.REPLY_SUBMITTED
        assignment.save(update_fields=["status"])
        _event(proposal, "reply_submitted", actor, department=assignment.department_id, reply=reply.pk)
    _notify_users(_department_people(assignment.department, Role.DEPT_LEADER), _("答复函待签发：%(title)s") % {"title": reply.title}, "", _url(proposal))
    return reply


def _next_doc_number(department: Department, year: int, typed: str = "") -> str:
    """The department's reply-letter series (the engine's document numbers)."""
    return engine.document_number_issue(
        department=department, year=year, typed=typed, is_used=lambda number: Reply.objects.filter(doc_number=number).exists(),
    )


def reply_sign_off(*, actor: User, reply: Reply, approve: bool, note: str = "", doc_number: str = "") -> Reply:
    """签发 by the department leader (the document number comes from the department's series), or return."""
    assignment = Assignment.objects.select_related("proposal", "department").get(pk=Reply.objects.values_list("assignment_id", flat=True).get(pk=reply.pk))
    require_role(user=actor, role=Role.DEPT_LEADER, department=assignment.department)
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("退回须说明修改意见。")})
    task = _open_task(assignment.proposal, ["sign_off", "revise_sign_off"], assignment_id=assignment.pk)
    with _flow_step(task, actor) as activation:
        reply = Reply.objects.select_for_update().select_related("assignment__department", "assignment__proposal").get(pk=reply.pk)
        assignment = _lock_assignment(reply.assignment, assignment.department_id)
        _require_status(reply, [Reply.Status.SUBMITTED], _("答复函不在待签发状态。"))
        now = timezone.now()
        if approve:
            if not reply.doc_number:
                reply.doc_number = _next_doc_number(assignment.department, timezone.localtime(now).year, (doc_number or "").strip())
            reply.status = Reply.Status.SIGNED
            reply.signed_by, reply.signed_at, reply.return_note = actor, now, ""
            assignment.status = Assignment.Status.REPLY_SIGNED
        else:
            reply.status = Reply.Status.RETURNED
            reply.return_note = note.strip()
            assignment.status = Assignment.Status.SIGNED
        reply.save(update_fields=["status", "doc_number", "signed_by", "signed_at", "return_note", "updated_at"])
        assignment.save(update_fields=["status"])
        _event(assignment.proposal, "reply_signed" if approve else "reply_returned_by_leader", actor, department=assignment.department_id, reply=reply.pk, note=note, doc_number=reply.doc_number)
    if not approve:
        _notify_users(_department_people(assignment.department, Role.HANDLER), _("答复函被退回修改"), note, _url(assignment.proposal))
    return reply


def reply_review(*, actor: User, reply: Reply, passed: bool, note: str = "", reply_class: str = "") -> Reply:
    """督办审核: pass (optionally correcting the A/B/C class) or return with reasons."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    if not passed and not (note or "").strip():
        raise ValidationError({"note": _("退回须说明理由。")})
    if reply_class and reply_class not in label_codes("reply_class"):
        raise ValidationError({"reply_class": _("答复类别无效。")})
    assignment = reply.assignment
    task = _open_task(assignment.proposal, "supervision_review", reply_id=reply.pk)
    with _flow_step(task, actor) as activation:
        reply = Reply.objects.select_for_update().get(pk=reply.pk)
        assignment = _lock_assignment(reply.assignment)
        _require_status(reply, [Reply.Status.SIGNED], _("答复函不在待审核状态。"))
        now = timezone.now()
        if reply_class and reply_class != reply.reply_class:
            reply.original_class = reply.original_class or reply.reply_class
            reply.reply_class = reply_class
        reply.reviewed_by, reply.reviewed_at = actor, now
        if passed:
            reply.status = Reply.Status.PASSED
            assignment.status = Assignment.Status.DONE
        else:
            reply.status = Reply.Status.RETURNED
            reply.return_note = note.strip()
            assignment.status = Assignment.Status.SIGNED
        reply.save(update_fields=["status", "reply_class", "original_class", "reviewed_by", "reviewed_at", "return_note", "updated_at"])
        assignment.save(update_fields=["status"])
        _event(assignment.proposal, "reply_passed" if passed else "reply_returned", actor, department=assignment.department_id, reply=reply.pk, note=note, reply_class=reply.reply_class, original_class=reply.original_class)
    if not passed:
        _notify_users(_department_people(assignment.department, Role.HANDLER), _("答复函督办审核未通过，请修改"), note, _url(assignment.proposal))
    return reply


# --- extensions -----------------------------------------------------------------------------------
def _check_extension_ceiling(assignment: Assignment, until: dt.date) -> None:
    """An extended reply is due at the latest `reply_extended` (6 months by default) after assignment."""
    ceiling = _deadline("reply_extended", assignment.assigned_at)
    if end_of_day(until) > ceiling:
        raise ValidationError({"requested_until": _("延期后最迟须在%(date)s前答复（交办后%(limit)s）。") % {
            "date": timezone.localtime(ceiling).strftime("%Y-%m-%d"),
            "limit": time_limit_text(case_kind="proposal", step="reply_extended"),
        }})


@transaction.atomic
def extension_request(*, actor: User, assignment: Assignment, requested_until: dt.date, reason: str) -> ExtensionRequest:
    """Explain in advance and ask for a later reply date (at most 6 months after assignment)."""
    assignment = _current_assignment(assignment)
    permissions.require(permissions.can_handle_for(actor, assignment.department))
    assignment = _lock_assignment(assignment, assignment.department_id)
    pending = assignment.extension_requests.filter(status=ExtensionRequest.Status.PENDING).exists()
    decision = permissions.can_request_extension(actor, assignment, pending=pending)
    if not decision:
        raise ValidationError(decision.reason)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明延期理由。")})
    _check_extension_ceiling(assignment, requested_until)
    if end_of_day(requested_until) <= assignment.deadline:
        raise ValidationError({"requested_until": _("申请的日期须晚于现在的答复期限。")})
    req = ExtensionRequest.objects.create(assignment=assignment, reason=reason.strip(), requested_until=requested_until, requested_by=actor)
    _event(assignment.proposal, "extension_requested", actor, department=assignment.department_id, until=requested_until.isoformat())
    _notify_users(_office_people(), _("%(dept)s申请延期答复") % {"dept": assignment.department}, reason, _url(assignment.proposal))
    return req


@transaction.atomic
def extension_decide(*, actor: User, request: ExtensionRequest, approve: bool, note: str = "") -> ExtensionRequest:
    permissions.require(permissions.can_manage(actor))
    req = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != ExtensionRequest.Status.PENDING:
        raise ValidationError(_("该申请已审批。"))
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("不同意延期须说明理由。")})
    assignment = _lock_assignment(req.assignment)
    if approve and assignment.status in (Assignment.Status.DONE, Assignment.Status.REASSIGNED_AWAY):
        raise ValidationError(_("该单位已答复，无需延期。"))
    if approve and end_of_day(req.requested_until) <= assignment.deadline:
        raise ValidationError(_("申请的日期已不晚于现在的答复期限（交办调整或重办后期限已变），无需批准。"))
    if approve:
        _check_extension_ceiling(assignment, req.requested_until)
    req.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REFUSED
    req.decided_by, req.decided_at, req.decision_note = actor, timezone.now(), note
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve:
        assignment.deadline = end_of_day(req.requested_until)
        assignment.extended = True
        assignment.save(update_fields=["deadline", "extended"])
        ProposalTask.objects.filter(
            proposal=assignment.proposal, status__in=OPEN_TASK, data__assignment_id=assignment.pk,
            flow_task__in=[_node("draft_reply"), _node("revise")],
        ).update(deadline=assignment.deadline)
        _refresh_reply_deadline(assignment.proposal_id)
    _event(assignment.proposal, "extension_approved" if approve else "extension_refused", actor, department=assignment.department_id, until=req.requested_until.isoformat(), note=note)
    _notify_users(_department_people(assignment.department, Role.HANDLER), _("延期申请已%(r)s") % {"r": _("同意") if approve else _("不同意")}, note, _url(assignment.proposal))
    return req


def _cancel_pending_extensions(assignment: Assignment, actor: User, note: str) -> None:
    """Deadlines were recomputed (re-assignment, re-handling): a pending request no longer applies."""
    for req in assignment.extension_requests.select_for_update().filter(status=ExtensionRequest.Status.PENDING):
        req.status = ExtensionRequest.Status.REFUSED
        req.decided_by, req.decided_at, req.decision_note = actor, timezone.now(), note
        req.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _event(assignment.proposal, "extension_refused", actor, department=assignment.department_id, until=req.requested_until.isoformat(), note=note)


# --- evaluation and closure ------------------------------------------------------------------------
def proposal_evaluate(
    *, actor: User, proposal: Proposal, process_rating: str, result_rating: str, comment: str = "",
) -> Evaluation:
    """The member rates the handling process and the result. The proposer (of
    this proposal or of one merged into it) completes their evaluation task;
    a confirmed co-signer may add their own rating while the case awaits closure."""
    codes = label_codes("proposal_rating")
    errors = {}
    if process_rating not in codes:
        errors["process_rating"] = _("请选择对办理过程的评价。")
    if result_rating not in codes:
        errors["result_rating"] = _("请选择对办理结果的评价。")
    if errors:
        raise ValidationError(errors)
    proposal = Proposal.objects.select_related("merged_into").get(pk=proposal.pk)  # the caller's copy may predate a merge
    case = proposal.merged_into if proposal.merged_into_id else proposal
    is_proposer = proposal.proposer_id == actor.pk
    is_cosigner = Cosigner.objects.filter(proposal=proposal, member=actor, status=Cosigner.Status.CONFIRMED).exists()
    if not (is_proposer or is_cosigner):
        raise PermissionDenied(_("只有提案人和联名委员可以评价。"))
    dissatisfied = negative_codes("proposal_rating")

    def _save(case_locked: Proposal) -> Evaluation:
        if case_locked.status not in (Proposal.Status.REPLIED, Proposal.Status.EVALUATED):
            raise ValidationError(_("提案尚未答复或已办结，当前不能评价。"))
        if Evaluation.objects.filter(proposal=proposal, rater=actor, round=case_locked.handling_round).exists():
            raise ValidationError(_("您已评价过本轮办理。"))
        if (process_rating in dissatisfied or result_rating in dissatisfied) and not (comment or "").strip():
            raise ValidationError({"comment": _("评价不满意时请写明意见，以便重新办理。")})
        evaluation = Evaluation.objects.create(
            proposal=proposal, rater=actor, round=case_locked.handling_round, process_rating=process_rating,
            result_rating=result_rating, comment=(comment or "").strip(), created_at=timezone.now(),
        )
        _event(case_locked, "evaluated", actor, rated_proposal=proposal.pk, process=process_rating, result=result_rating)
        return evaluation

    if is_proposer:
        task = _open_task(case, "evaluate", user_id=actor.pk, rated_proposal_id=proposal.pk)
        with _flow_step(task, actor):
            case_locked = Proposal.objects.select_for_update().get(pk=case.pk)
            evaluation = _save(case_locked)
            others = ProposalTask.objects.filter(proposal=case_locked, flow_task__in=[_node("evaluate")], status__in=OPEN_TASK).exclude(pk=task.pk)
            if not others.exists():
                _set_status(case_locked, Proposal.Status.EVALUATED, actor, "evaluation_complete")
        if case.status != Proposal.Status.CLOSED:
            _notify_users(_office_people(), _("提案%(number)s已评价：%(r)s") % {"number": case.display_number, "r": result_rating}, comment, _url(case))
        return evaluation
    with transaction.atomic():
        case_locked = Proposal.objects.select_for_update().get(pk=case.pk)
        return _save(case_locked)


def proposal_waive_evaluation(*, actor: User, proposal: Proposal, note: str) -> Proposal:
    """A proposer did not rate within the limit (15 WD by default): the office
    records that and lets the case go on to closure. Only overdue evaluation
    tasks are waived; nobody's rating is invented."""
    permissions.require(permissions.can_manage(actor))
    if not (note or "").strip():
        raise ValidationError({"note": _("请说明情况（例如已电话联系委员未回复）。")})
    proposal = Proposal.objects.get(pk=proposal.pk)
    now = timezone.now()
    overdue = list(
        ProposalTask.objects.filter(proposal=proposal, flow_task=_node("evaluate"), status__in=OPEN_TASK, deadline__lt=now).order_by("pk")
    )
    if not overdue:
        raise ValidationError(_("没有超过评价期限的待评价任务：委员仍在评价期限内。"))
    with transaction.atomic():
        for task in overdue:
            with _flow_step(task, actor):
                case = Proposal.objects.select_for_update().get(pk=proposal.pk)
                _event(case, "evaluation_waived", actor, rater=task.data.get("user_id"), rated_proposal=task.data.get("rated_proposal_id"), note=note.strip())
                others = ProposalTask.objects.filter(proposal=case, flow_task=_node("evaluate"), status__in=OPEN_TASK).exclude(pk=task.pk)
                if not others.exists():
                    _set_status(case, Proposal.Status.EVALUATED, actor, "evaluation_complete")
    return Proposal.objects.get(pk=proposal.pk)


def proposal_close(*, actor: User, proposal: Proposal, implementation_grade: str, note: str = "") -> Proposal:
    """办结 with the implementation grade (落实情况). Merged proposals close with it."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    if implementation_grade not in label_codes("implementation_grade"):
        raise ValidationError({"implementation_grade": _("请评定落实情况。")})
    task = _open_task(proposal, "close")
    with _flow_step(task, actor) as activation:
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _require_status(proposal, [Proposal.Status.EVALUATED], _("提案尚未完成评价。"))
        dissatisfied = _current_round_dissatisfied(proposal)
        if dissatisfied and not (note or "").strip():
            raise ValidationError({"note": _("有委员不满意：办结须写明说明，或退回重办。")})
        now = timezone.now()
        for case in [proposal, *Proposal.objects.select_for_update().filter(merged_into=proposal)]:
            case.implementation_grade = implementation_grade
            case.closed_at = now
            case.close_note = note
            fields = ["implementation_grade", "closed_at", "close_note"]
            if case.pk == proposal.pk:
                case.save(update_fields=fields)
                _set_status(case, Proposal.Status.CLOSED, actor, "closed", grade=implementation_grade, note=note)
            else:
                case.save(update_fields=fields)
                _event(case, "closed", actor, grade=implementation_grade, target=proposal.pk)
    _notify_users([u for _p, u in _raters(proposal)], _("提案%(number)s已办结") % {"number": proposal.display_number}, note, _url(proposal))
    return proposal


def _current_round_dissatisfied(proposal: Proposal) -> bool:
    negative = negative_codes("proposal_rating")
    return Evaluation.objects.filter(
        Q(proposal=proposal) | Q(proposal__merged_into=proposal), round=proposal.handling_round
    ).filter(Q(process_rating__in=negative) | Q(result_rating__in=negative)).exists()


def proposal_rehandle(*, actor: User, proposal: Proposal, note: str = "", at: dt.datetime | None = None) -> Proposal:
    """重办 after 不满意: the answering departments reply again within the re-handling limit."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    task = _open_task(proposal, "close")
    with _flow_step(task, actor) as activation:
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _require_status(proposal, [Proposal.Status.EVALUATED], _("提案尚未完成评价。"))
        if not _current_round_dissatisfied(proposal):
            raise ValidationError(_("没有委员评价不满意，不能重办。"))
        now = at or timezone.now()
        deadline = _deadline("rehandle_reply", now)
        answering = proposal.assignments.exclude(role=Assignment.Role.CO).exclude(status=Assignment.Status.REASSIGNED_AWAY)
        for assignment in answering.select_for_update():
            assignment.status = Assignment.Status.SIGNED
            assignment.deadline = deadline
            assignment.extended = False  # a new round with its own limit
            assignment.save(update_fields=["status", "deadline", "extended"])
            _cancel_pending_extensions(assignment, actor, _("提案重办，期限已重新计算"))
        proposal.handling_round += 1
        proposal.reply_deadline = deadline
        proposal.save(update_fields=["handling_round", "reply_deadline"])
        _set_status(proposal, Proposal.Status.REHANDLING, actor, "rehandling", note=note, round=proposal.handling_round)
    for assignment in answering.select_related("department"):
        _notify_users(_department_people(assignment.department, Role.HANDLER), _("提案%(number)s委员不满意，请重新办理") % {"number": proposal.display_number}, note, _url(proposal))
    return proposal
