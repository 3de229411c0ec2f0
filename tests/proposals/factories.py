"""A proposal in any state, brought there through the real services.

Every builder returns a fresh Proposal; the flow process and its tasks exist
exactly as in production, because each step is the service a person would call
(`services.proposal_submit`, `services.assignment_sign`, ...), acting as the
person holding the role: the proposer, the proposal office, the department's
handler or leader (`role_user`, i.e. the fixtures' one user per role).

    draft(proposer=member)                      草稿
    submitted(proposer=member)                  待审查 (待联名确认 with cosigners=[...])
    accepted(number=28)                         已立案待交办
    assigned(lead=dept)                         办理中: single department
    assigned(lead=dept, co_handlers=[d2])       办理中: lead + co-handlers
    assigned(separate=[d1, d2])                 办理中: separate handlers
    signed(...)                                 every department has signed
    reply_drafted(...)                          co-handlers sent opinions, answering departments drafted
    reply_submitted(...)                        the drafts wait for the leaders' sign-off
    reply_signed(...)                           督办审核中: signed off, waiting for the office
    replied(...)                                已答复待评价: passed the office's review
    evaluated(...)                              已评价待办结 (every proposer rated)
    closed(...)                                 已办结
    rehandling(...)                             重办中 (rated dissatisfied, sent back)

Each builder also takes an existing proposal and brings it on from wherever it
is: `replied(p)` for an accepted `p` assigns, signs, drafts, ... Options of
any step can be passed to any later builder (`replied(lead=dept, number=5)`),
and so can the draft's fields when no proposal is given (`title=`, `proposer=`,
`cosigners=`, `session=`, ...). A joint proposal's invited co-signers all
confirm when it has to go beyond 待联名确认.

Time: a step runs at the current (possibly travelled) time, or at its own
`<step>_at=(2019, 3, 11, 9)`; steps are draft, submit, accept, assign, sign,
draft_reply, submit_reply, sign_off, pass_review, evaluate, close, rehandle.
`departments=[d]` limits the department steps (sign ... pass_review) to those
departments: the others wait.

One department's reply, for tests that walk the handling themselves:
`reply_draft(assignment)`, `write_reply(assignment, "B")` (drafted and
submitted for sign-off) and `reply_of(proposal, department)`.
"""
from __future__ import annotations

import contextlib

import factory

from proposals import services
from proposals.models import Assignment, Category, Cosigner, Evaluation, Proposal, Reply, Session
from tests.factories import at, role_user
from proposals.roles import Role

TITLE = "关于加快“最多跑一次”改革向纵深推进的建议"
ANALYSIS = "存在问题：“多头跑”“跑很多次”等现象依然存在。"
SUGGESTIONS = "建议：……"
CONTACT_PHONE = "0839-0000000"
REPLY_BODY = "一、推进情况……"


class SessionFactory(factory.django.DjangoModelFactory):
    """The plenary session the seed case belongs to (六届四次会议, 2019), current."""

    class Meta:
        model = Session
        django_get_or_create = ("committee", "name")

    committee = "政协广元市朝天区委员会"
    name = "六届四次会议"
    year = 2019
    is_current = True


def current_session() -> Session:
    return Session.objects.filter(is_current=True).order_by("pk").first() or SessionFactory()


def default_category() -> Category:
    return Category.objects.get(name="政务服务")


class ProposalFactory(factory.Factory):
    """A draft (草稿), saved by `services.proposal_create` as its proposer would."""

    class Meta:
        model = Proposal

    proposer = factory.LazyFunction(lambda: role_user(Role.MEMBER))
    session = factory.LazyFunction(current_session)
    category = factory.LazyFunction(default_category)
    title = TITLE
    analysis = ANALYSIS
    suggestions = SUGGESTIONS
    contact_name = "示例委员"
    contact_phone = CONTACT_PHONE
    cosigners = ()

    @classmethod
    def _create(cls, model_class, proposer, **fields):
        return services.proposal_create(actor=proposer, **fields)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("a draft is saved by services.proposal_create: use ProposalFactory() or draft()")


# --- the steps ---------------------------------------------------------------------------------
STEPS = (
    "submit", "accept", "assign", "sign", "draft_reply", "submit_reply", "sign_off", "pass_review", "evaluate", "close", "rehandle",
)
STEP_OPTIONS = {
    "accept": {"number"},
    "assign": {"lead", "co_handlers", "separate", "is_key", "leading_official", "supervising_unit", "is_public"},
    "draft_reply": {"reply_class", "reply_body", "opinion"},
    "evaluate": {"process_rating", "result_rating", "comment"},
    "close": {"implementation_grade", "close_note"},
    "rehandle": {"rehandle_note"},
}
OPTIONS = {"departments", "draft_at"} | {f"{step}_at" for step in STEPS} | set().union(*STEP_OPTIONS.values())
# Where each builder stops: its last step and the status it reaches (without departments=).
TARGETS = {
    "submitted": ("submit", None),
    "accepted": ("accept", Proposal.Status.ACCEPTED),
    "assigned": ("assign", Proposal.Status.HANDLING),
    "signed": ("sign", None),
    "reply_drafted": ("draft_reply", None),
    "reply_submitted": ("submit_reply", None),
    "reply_signed": ("sign_off", Proposal.Status.REVIEWING),
    "replied": ("pass_review", Proposal.Status.REPLIED),
    "evaluated": ("evaluate", Proposal.Status.EVALUATED),
    "closed": ("close", Proposal.Status.CLOSED),
    "rehandling": ("rehandle", Proposal.Status.REHANDLING),
}


def _when(options: dict, step: str):
    moment = options.get(f"{step}_at")
    return at(*moment) if moment else contextlib.nullcontext()


def _fresh(proposal: Proposal) -> Proposal:
    return Proposal.objects.get(pk=proposal.pk)


def _assignments(proposal: Proposal, options: dict, *statuses: str):
    qs = proposal.assignments.select_related("department").filter(status__in=statuses).order_by("pk")
    if options.get("departments") is not None:
        qs = qs.filter(department__in=options["departments"])
    return list(qs)


def _current_reply(assignment: Assignment) -> Reply | None:
    return Reply.objects.filter(assignment=assignment, round=assignment.proposal.handling_round).first()


def _submit(p: Proposal, options: dict) -> None:
    if p.status == Proposal.Status.DRAFT:
        services.proposal_submit(actor=p.proposer, proposal=p)


def _accept(p: Proposal, options: dict) -> None:
    if p.status == Proposal.Status.COSIGNING:
        for cosigner in p.cosigners.filter(status=Cosigner.Status.INVITED).select_related("member").order_by("pk"):
            services.cosigner_respond(actor=cosigner.member, proposal=p, accept=True)
        p = _fresh(p)
    if p.status == Proposal.Status.READY:
        p = services.proposal_submit(actor=p.proposer, proposal=p)
    if p.status == Proposal.Status.SUBMITTED:
        services.proposal_review(actor=role_user(Role.PROPOSAL_OFFICE), proposal=p, outcome="accept", number=options.get("number"))


def _assign(p: Proposal, options: dict) -> None:
    if p.status != Proposal.Status.ACCEPTED:
        return
    lead, co_handlers, separate = options.get("lead"), list(options.get("co_handlers") or ()), list(options.get("separate") or ())
    if separate:
        mode = Proposal.HandlingMode.SEPARATE
    elif co_handlers:
        mode = Proposal.HandlingMode.LEAD_CO
    elif lead is not None:
        mode = Proposal.HandlingMode.SINGLE
    else:
        raise TypeError("assigning needs lead= (with co_handlers= for lead + co) or separate=[...]")
    extra = {k: options[k] for k in ("is_key", "leading_official", "supervising_unit", "is_public") if k in options}
    services.proposal_assign(
        actor=role_user(Role.PROPOSAL_OFFICE), proposal=p, mode=mode, lead=lead, co_handlers=co_handlers, separate=separate, **extra,
    )


def _sign(p: Proposal, options: dict) -> None:
    for a in _assignments(p, options, Assignment.Status.ASSIGNED):
        services.assignment_sign(actor=role_user(Role.HANDLER, a.department), assignment=a)


def _draft_reply(p: Proposal, options: dict) -> None:
    for a in _assignments(p, options, Assignment.Status.SIGNED):
        handler = role_user(Role.HANDLER, a.department)
        if not a.answers:
            services.assignment_send_opinion(actor=handler, assignment=a, opinion=options.get("opinion", "会办意见：同意主办单位意见。"))
            continue
        reply = _current_reply(a)
        if reply is None or reply.status == Reply.Status.RETURNED:
            reply_draft(a, reply_class=options.get("reply_class", "A"), body=options.get("reply_body", REPLY_BODY))


def _submit_reply(p: Proposal, options: dict) -> None:
    for a in _assignments(p, options, Assignment.Status.SIGNED):
        reply = _current_reply(a) if a.answers else None
        if reply is not None and reply.status in (Reply.Status.DRAFT, Reply.Status.RETURNED):
            services.reply_submit(actor=role_user(Role.HANDLER, a.department), assignment=a)


def _sign_off(p: Proposal, options: dict) -> None:
    for a in _assignments(p, options, Assignment.Status.REPLY_SUBMITTED):
        services.reply_sign_off(actor=role_user(Role.DEPT_LEADER, a.department), reply=_current_reply(a), approve=True)


def _pass_review(p: Proposal, options: dict) -> None:
    office = role_user(Role.PROPOSAL_OFFICE)
    for a in _assignments(p, options, Assignment.Status.REPLY_SIGNED):
        reply = _current_reply(a)
        if reply is not None and reply.status == Reply.Status.SIGNED:
            services.reply_review(actor=office, reply=reply, passed=True)


def _evaluate(p: Proposal, options: dict) -> None:
    if p.status != Proposal.Status.REPLIED:
        return
    negative = options.get("result_rating") == "dissatisfied" or options.get("process_rating") == "dissatisfied"
    for rated in [p, *p.merged.order_by("pk")]:  # every proposer rates their own proposal
        if not Evaluation.objects.filter(proposal=rated, rater=rated.proposer, round=p.handling_round).exists():
            services.proposal_evaluate(
                actor=rated.proposer, proposal=rated, process_rating=options.get("process_rating", "satisfied"),
                result_rating=options.get("result_rating", "satisfied"), comment=options.get("comment", "问题未解决" if negative else ""),
            )


def _close(p: Proposal, options: dict) -> None:
    if p.status == Proposal.Status.EVALUATED:
        services.proposal_close(
            actor=role_user(Role.PROPOSAL_OFFICE), proposal=p, implementation_grade=options.get("implementation_grade", "A"),
            note=options.get("close_note", ""),
        )


def _rehandle(p: Proposal, options: dict) -> None:
    if p.status == Proposal.Status.EVALUATED:
        services.proposal_rehandle(actor=role_user(Role.PROPOSAL_OFFICE), proposal=p, note=options.get("rehandle_note", "请重新办理"))


RUN = {
    "submit": _submit, "accept": _accept, "assign": _assign, "sign": _sign, "draft_reply": _draft_reply,
    "submit_reply": _submit_reply, "sign_off": _sign_off, "pass_review": _pass_review, "evaluate": _evaluate, "close": _close,
    "rehandle": _rehandle,
}


def advance(proposal: Proposal | None, to: str, **kwargs) -> Proposal:
    """Bring `proposal` (or a new draft made of the remaining kwargs) to the state `to`."""
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in OPTIONS}
    if proposal is None:
        with _when(options, "draft"):
            proposal = ProposalFactory(**kwargs)
    elif kwargs:
        raise TypeError(f"unknown options {sorted(kwargs)} (a draft's fields are only for a new proposal)")
    last, status = TARGETS[to]
    steps = STEPS[: STEPS.index(last) + 1]
    if to == "rehandling":
        steps = STEPS[: STEPS.index("evaluate") + 1] + ("rehandle",)
        options.setdefault("result_rating", "dissatisfied")
    for step in steps:
        with _when(options, step):
            RUN[step](_fresh(proposal), options)
    proposal = _fresh(proposal)
    if to == "submitted":
        status = Proposal.Status.COSIGNING if proposal.cosigners.exists() else Proposal.Status.SUBMITTED
    if status is not None and options.get("departments") is None:
        assert proposal.status == status, f"{to}() left the proposal {proposal.get_status_display()} ({proposal.status}), not {status}"
    return proposal


# --- the builders, one per state ------------------------------------------------------------------
def draft(**fields) -> Proposal:
    """草稿: `draft(proposer=member, title=..., cosigners=[member2])`."""
    with _when(fields, "draft"):
        return ProposalFactory(**{k: v for k, v in fields.items() if k != "draft_at"})


def submitted(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "submitted", **kwargs)


def accepted(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "accepted", **kwargs)


def assigned(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "assigned", **kwargs)


def signed(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "signed", **kwargs)


def reply_drafted(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "reply_drafted", **kwargs)


def reply_submitted(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "reply_submitted", **kwargs)


def reply_signed(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "reply_signed", **kwargs)


def replied(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "replied", **kwargs)


def evaluated(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "evaluated", **kwargs)


def closed(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "closed", **kwargs)


def rehandling(proposal: Proposal | None = None, /, **kwargs) -> Proposal:
    return advance(proposal, "rehandling", **kwargs)


# --- one department's reply ----------------------------------------------------------------------
def reply_draft(assignment: Assignment, reply_class: str = "A", *, actor=None, body: str = REPLY_BODY, **fields) -> Reply:
    """The department's handler saves the reply letter of the current round."""
    assignment = Assignment.objects.select_related("department").get(pk=assignment.pk)
    values = {"contact_person": "示例联系人", "contact_phone": CONTACT_PHONE, **fields}
    return services.reply_save_draft(
        actor=actor or role_user(Role.HANDLER, assignment.department), assignment=assignment, reply_class=reply_class, body=body, **values,
    )


def write_reply(assignment: Assignment, reply_class: str = "A", *, actor=None, **fields) -> Reply:
    """The department's handler drafts the reply and submits it for the leader's sign-off."""
    assignment = Assignment.objects.select_related("department").get(pk=assignment.pk)
    actor = actor or role_user(Role.HANDLER, assignment.department)
    reply_draft(assignment, reply_class, actor=actor, **fields)
    return services.reply_submit(actor=actor, assignment=assignment)


def reply_of(proposal: Proposal, department=None) -> Reply:
    """The current round's reply (of `department`, when several answer)."""
    proposal = _fresh(proposal)
    replies = Reply.objects.filter(assignment__proposal=proposal, round=proposal.handling_round)
    if department is not None:
        replies = replies.filter(assignment__department=department)
    return replies.get()
