"""Drafting and co-signing (committee members)."""
from __future__ import annotations

from typing import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import services as engine
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
    require_status(proposal, [Proposal.Status.DRAFT], _("提案已提交，不能再修改。"))
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
        require_status(proposal, [Proposal.Status.DRAFT], _("提案已提交。"))
        _validate_content(title=proposal.title, analysis=proposal.analysis, suggestions=proposal.suggestions, contact_name=proposal.contact_name, contact_phone=proposal.contact_phone)
        _check_session_cutoff(proposal.session)
        proposal.submitted_at = timezone.now()
        has_cosigners = proposal.cosigners.exists()
        new_status = Proposal.Status.COSIGNING if has_cosigners else Proposal.Status.SUBMITTED
        _set_status(proposal, new_status, actor, "submitted_for_cosign" if has_cosigners else "submitted", extra_fields=["submitted_at"])
        ProposalFlow.start.run(proposal=proposal)
    if has_cosigners:
        _notify_users([c.member for c in proposal.cosigners.select_related("member")], "cosign_invited", proposal, name=str(proposal.proposer))
    else:
        _notify_users(_office_people(), "submitted", proposal)
    return proposal


def _submit_after_cosign(*, actor: User, proposal: Proposal) -> Proposal:
    task = _open_task(proposal, "submit")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        require_status(proposal, [Proposal.Status.READY], _("联名确认尚未完成。"))
        _check_session_cutoff(proposal.session)
        proposal.submitted_at = timezone.now()
        if not proposal.cosigners.filter(status=Cosigner.Status.CONFIRMED).exists() and proposal.kind == Proposal.Kind.JOINT:
            proposal.kind = Proposal.Kind.MEMBER
        _set_status(proposal, Proposal.Status.SUBMITTED, actor, "submitted", extra_fields=["submitted_at", "kind"])
    _notify_users(_office_people(), "submitted", proposal)
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
            _notify_users([proposal.proposer], "cosign_completed", proposal)
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
        if not proposal.cosigners.filter(status=Cosigner.Status.INVITED).exists():
            _set_status(proposal, Proposal.Status.READY, actor, "cosign_complete")
    _notify_users([member], "cosign_withdrawn", proposal, name=str(actor))
    return cosigner
