"""Drafting and co-signing (committee members)."""
from __future__ import annotations

from typing import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.models import User
from workflow.selectors import require_role, user_has_role
from workflow.services import require_status

from .. import permissions
from ..models import (
    Category,
    Cosigner,
    Proposal,
    Session,
)
from ..roles import Role
from ._common import (
    _event,
    _flow_step,
    _notify_users,
    _office_people,
    _open_task,
    _set_status,
)

WITHDRAW_REASON_MAX = 500


def _validate_content(*, title: str, analysis: str, suggestions: str, contact_name: str, contact_phone: str,
                      category=None, kind: str = "", organisation_name: str = "", complete: bool = True) -> None:
    """Every problem of the proposal's content at once (one round of corrections).

    A draft (complete=False) keeps whatever was filled in: only the title is
    needed (to find the draft again) and nothing may be over-long. Submission
    (complete=True) checks completeness too: category, both texts, contact
    details and, for a party/committee/group proposal, the unit's name."""
    from ..models import TEXT_MAX, TITLE_MAX

    errors = {}
    if not (title or "").strip():
        errors["title"] = _("请填写案由（标题）。")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("案由不能超过%(max)d个字（现有%(n)d个）。") % {"max": TITLE_MAX, "n": len(title)}
    for field, label, value in (("analysis", _("情况分析"), analysis), ("suggestions", _("具体建议"), suggestions)):
        if complete and not (value or "").strip():
            errors[field] = _("请填写%(label)s。") % {"label": label}
        elif len(value or "") > TEXT_MAX:
            errors[field] = _("%(label)s不能超过%(max)d个字（现有%(n)d个），请精简或按“一事一案”拆分。") % {"label": label, "max": TEXT_MAX, "n": len(value)}
    if complete:
        if category is None:
            errors["category"] = _("请选择提案类别。")
        if not (contact_name or "").strip():
            errors["contact_name"] = _("请填写联系人。")
        if not (contact_phone or "").strip():
            errors["contact_phone"] = _("请填写联系电话。")
        if kind in (Proposal.Kind.ORGANISATION, Proposal.Kind.COMMITTEE, Proposal.Kind.GROUP) and not (organisation_name or "").strip():
            errors["organisation_name"] = _("党派团体、专委会或界别提案须填写提案单位名称。")
    for field, value in (("contact_name", contact_name), ("contact_phone", contact_phone), ("organisation_name", organisation_name)):
        limit = Proposal._meta.get_field(field).max_length
        if field not in errors and len(value or "") > limit:
            errors[field] = _("不能超过%(max)d个字（现有%(n)d个）。") % {"max": limit, "n": len(value)}
    if errors:
        raise ValidationError(errors)


def _validate_proposal(proposal: Proposal, *, complete: bool) -> None:
    _validate_content(
        title=proposal.title, analysis=proposal.analysis, suggestions=proposal.suggestions, contact_name=proposal.contact_name,
        contact_phone=proposal.contact_phone, category=proposal.category, kind=proposal.kind,
        organisation_name=proposal.organisation_name, complete=complete,
    )


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
    *, actor: User, session: Session, title: str, analysis: str = "", suggestions: str = "", category: Category | None = None,
    contact_name: str = "", contact_phone: str = "", kind: str = Proposal.Kind.MEMBER, organisation_name: str = "",
    between_sessions: bool = False, cosigners: Iterable[User] = (), for_submission: bool = False,
) -> Proposal:
    """Save a draft proposal (草稿) with whatever is filled in (the title at least).
    Nothing is sent anywhere yet; proposal_submit checks completeness.
    for_submission=True (the form's 提交 button) checks completeness here too, so that
    every missing thing is reported in one round."""
    require_role(user=actor, role=Role.MEMBER)
    analysis, suggestions = analysis or "", suggestions or ""
    contact_name, contact_phone, organisation_name = contact_name or "", contact_phone or "", organisation_name or ""
    errors = {}
    if session is None:
        errors["session"] = _("请选择届次。")
    try:
        _validate_content(title=title or "", analysis=analysis, suggestions=suggestions, contact_name=contact_name,
                          contact_phone=contact_phone, category=category, kind=kind, organisation_name=organisation_name,
                          complete=for_submission)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if for_submission and session is not None:
        try:
            _check_session_cutoff(session)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    try:
        cosigner_users = _validate_cosigners(actor, cosigners)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
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
def proposal_update(*, actor: User, proposal: Proposal, cosigners: Iterable[User] | None = None, for_submission: bool = False,
                    **fields) -> Proposal:
    """Edit a draft (only the proposer, only while it is a draft). Like proposal_create,
    a draft keeps whatever is filled in (for_submission: completeness too)."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    permissions.require(permissions.can_edit_draft(actor, proposal))
    require_status(proposal, [Proposal.Status.DRAFT], _("提案已提交，不能再修改。"))
    allowed = {"session", "title", "analysis", "suggestions", "category", "contact_name", "contact_phone", "kind", "organisation_name", "between_sessions"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    for key, value in fields.items():
        if key in ("analysis", "suggestions", "contact_name", "contact_phone", "organisation_name") and value is None:
            value = ""
        setattr(proposal, key, value)
    errors = {}
    if proposal.session_id is None:
        errors["session"] = _("请选择届次。")
    try:
        _validate_proposal(proposal, complete=for_submission)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if for_submission and proposal.session_id is not None:
        try:
            _check_session_cutoff(proposal.session)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    users = None
    if cosigners is not None:
        try:
            users = _validate_cosigners(actor, cosigners)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    if users is not None:
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


def proposal_delete_draft(*, actor: User, proposal: Proposal) -> None:
    """Delete a draft for good (only the proposer, only a draft: it was never sent to
    anyone). The audit trail keeps one row saying who deleted which draft; the
    draft's own event log goes with it."""
    from workflow.audit import audit_case_status
    from workflow.models import CaseEvent
    from django.contrib.contenttypes.models import ContentType

    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        permissions.require(permissions.can_delete_draft(actor, proposal))
        audit_case_status(case=proposal, actor=actor, from_state=proposal.status, to_state="deleted", event_type="draft_deleted")
        CaseEvent.objects.filter(case_type=ContentType.objects.get_for_model(Proposal), case_id=proposal.pk).delete()
        proposal.delete()


def _check_session_cutoff(session: Session) -> None:
    """Proposals after the cut-off (default 5 December) count for the next plenary session."""
    if session.cutoff and timezone.localdate() > session.cutoff:
        raise ValidationError({"session": _(
            "%(session)s的提案已于%(date)s截止，之后提交的提案计入下一次全会：请改选下一届次后再提交。"
        ) % {"session": session.name, "date": session.cutoff.strftime("%Y-%m-%d")}})


def proposal_submit(*, actor: User, proposal: Proposal) -> Proposal:
    """Submit a draft: to the co-signers first when there are any, else to the proposal office.
    With co-signers, the proposal goes to the office by itself once the last one has
    answered (_submit_when_cosigned); the proposer submits again (status 待提交) only
    when that automatic submission was refused (the session's cut-off passed meanwhile)."""
    from ..flows import ProposalFlow

    with transaction.atomic():
        # One read (issue 11): the locked row with what the checks and the flow's
        # first gateway read (session, category, co-signers: check_cosigners
        # answers from the prefetched list, the same rows in this transaction).
        proposal = (
            Proposal.objects.select_for_update(of=("self",)).select_related("session", "category")
            .prefetch_related("cosigners").get(pk=proposal.pk)
        )
        if proposal.proposer_id != actor.pk:
            raise PermissionDenied(_("只有领衔提案人可以提交提案。"))
        if proposal.status == Proposal.Status.READY:
            return _submit_after_cosign(actor=actor, proposal=proposal)
        require_status(proposal, [Proposal.Status.DRAFT], _("提案已提交。"))
        errors = {}
        try:
            _validate_proposal(proposal, complete=True)
        except ValidationError as exc:
            errors.update(exc.error_dict)
        try:
            _check_session_cutoff(proposal.session)
        except ValidationError as exc:
            errors.update(exc.error_dict)
        if errors:
            raise ValidationError(errors)
        proposal.submitted_at = timezone.now()
        has_cosigners = proposal.cosigners.exists()
        new_status = Proposal.Status.COSIGNING if has_cosigners else Proposal.Status.SUBMITTED
        _set_status(proposal, new_status, actor, "submitted_for_cosign" if has_cosigners else "submitted", extra_fields=["submitted_at"])
        ProposalFlow.start.run(proposal=proposal)
        # The notices in the same transaction (issue 11: one transaction per intake).
        if has_cosigners:
            _notify_users([c.member for c in proposal.cosigners.select_related("member")], "cosign_invited", proposal,
                          in_transaction=True, name=str(proposal.proposer))
        else:
            _notify_users(_office_people(), "submitted", proposal, in_transaction=True)
    return proposal


def _submit_after_cosign(*, actor: User, proposal: Proposal, automatic: bool = False) -> Proposal:
    task = _open_task(proposal, "submit")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        require_status(proposal, [Proposal.Status.READY], _("联名确认尚未完成。"))
        _check_session_cutoff(proposal.session)
        proposal.submitted_at = timezone.now()
        if not proposal.cosigners.filter(status=Cosigner.Status.CONFIRMED).exists() and proposal.kind == Proposal.Kind.JOINT:
            proposal.kind = Proposal.Kind.MEMBER
        _set_status(proposal, Proposal.Status.SUBMITTED, actor, "submitted_after_cosign" if automatic else "submitted",
                    extra_fields=["submitted_at", "kind"])
    _notify_users(_office_people(), "submitted", proposal)
    if automatic:
        _notify_users([proposal.proposer], "auto_submitted", proposal)
    return proposal


def _submit_when_cosigned(proposal: Proposal) -> Proposal:
    """The last co-signer has answered: the proposer chose to submit when inviting them,
    so the proposal goes to the office now (the proposer's 提交 task is completed in
    their name). When that is refused (the session's cut-off passed meanwhile), the
    proposer is told and the 提交 task stays in their inbox."""
    proposal = Proposal.objects.select_related("proposer", "session").get(pk=proposal.pk)
    if proposal.status != Proposal.Status.READY:
        return proposal
    try:
        with transaction.atomic():
            return _submit_after_cosign(actor=proposal.proposer, proposal=proposal, automatic=True)
    except ValidationError as exc:
        _notify_users([proposal.proposer], "auto_submit_failed", proposal, text=" ".join(exc.messages))
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
        complete = not proposal.cosigners.filter(status=Cosigner.Status.INVITED).exists()
        if complete:
            _set_status(proposal, Proposal.Status.READY, actor, "cosign_complete")
    if complete:
        _submit_when_cosigned(proposal)
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
    with _flow_step(task, actor, on_behalf=True):  # the invited member's task, withdrawn by the proposer
        cosigner = Cosigner.objects.select_for_update().get(pk=cosigner.pk)
        if cosigner.status != Cosigner.Status.INVITED:
            raise ValidationError(_("“%(name)s”已答复联名邀请，不能撤回。") % {"name": member})
        cosigner.status = Cosigner.Status.DECLINED
        cosigner.responded_at = timezone.now()
        cosigner.save(update_fields=["status", "responded_at"])
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        _event(proposal, "cosign_withdrawn", actor, member=member.pk)
        complete = not proposal.cosigners.filter(status=Cosigner.Status.INVITED).exists()
        if complete:
            _set_status(proposal, Proposal.Status.READY, actor, "cosign_complete")
    _notify_users([member], "cosign_withdrawn", proposal, name=str(actor))
    if complete:
        _submit_when_cosigned(proposal)
    return cosigner


def proposal_withdraw(*, actor: User, proposal: Proposal, reason: str) -> Proposal:
    """The proposer withdraws a submitted proposal before the office has reviewed it.
    The office's 立案审查 task is completed in the proposer's name and the flow ends
    (as for a proposal not accepted): nothing stays in anyone's inbox."""
    proposal = Proposal.objects.get(pk=proposal.pk)
    permissions.require(permissions.can_withdraw(actor, proposal))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明撤回理由。")})
    if len(reason) > WITHDRAW_REASON_MAX:
        raise ValidationError({"reason": _("撤回理由不能超过%(max)d个字（现有%(n)d个）。") % {"max": WITHDRAW_REASON_MAX, "n": len(reason)}})
    task = _open_task(proposal, "review")
    with _flow_step(task, actor, on_behalf=True):  # the office's task, ended by the proposer's withdrawal
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        require_status(proposal, [Proposal.Status.SUBMITTED], _("提案已审查，不能再撤回。"))
        _set_status(proposal, Proposal.Status.WITHDRAWN, actor, "withdrawn", reason=reason)
    _notify_users(_office_people(), "withdrawn", proposal, text=reason)
    return proposal
