"""Reads of proposals, always scoped to what the requesting user may see.

Who sees what:
* proposal office staff and administrators: every proposal except other people's drafts;
* a committee member: their own proposals (drafts included), those they were
  invited to co-sign, and the proposals their own were merged into;
* department handlers and leaders: proposals assigned to their department
  (and those forwarded to it as opinions);
* supervisors: proposals their office supervises and every key proposal;
* leading officials: the key proposals they lead.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from workflow import events
from workflow.models import Membership, User
from workflow.selectors import open_tasks, user_has_role, user_membership_pairs, user_roles
from workflow.selectors import overdue_tasks as engine_overdue_tasks
from workflow.supervision import cases_in_state

from .models import Assignment, Cosigner, Evaluation, ExtensionRequest, Proposal, ProposalTask, Reply
from .roles import Role


# Every list's order: newest session first, then by number. One index on the
# proposal table answers it (Proposal.session_year, proposal_list_order_idx).
LIST_ORDER = ("-session_year", "number", "-created_at")

def _scope_ids(user: User) -> QuerySet | None:
    """The ids of the proposals the user may see, as one UNION of indexed
    lookups (None means everything: office, admin).

    Each branch reads one index (proposer, merged_into, co-signer, assignment
    department, forwarded_to, supervising unit, is_key, leading official);
    the list then looks the ids up by primary key. An OR of these conditions,
    or a join across assignments, makes the database read every proposal to
    decide (issue 11, at 100,000 proposals)."""
    roles = user_roles(user=user)
    if user.is_superuser or Role.ADMIN in roles or Role.PROPOSAL_OFFICE in roles:
        return None
    pairs = user_membership_pairs(user=user)
    ids = Proposal.objects.order_by().values("pk")
    branches = []
    if Role.MEMBER in roles:
        # A co-signer who declined is out; the proposer of a merged proposal follows the target.
        branches += [
            ids.filter(proposer=user),
            Proposal.objects.order_by().filter(proposer=user, merged_into__isnull=False).values("merged_into_id"),
            Cosigner.objects.order_by().filter(member=user, status__in=[Cosigner.Status.INVITED, Cosigner.Status.CONFIRMED]).values("proposal_id"),
        ]
    depts = [d for r, d in pairs if r in (Role.HANDLER, Role.DEPT_LEADER)]
    if depts:
        branches += [
            Assignment.objects.order_by().filter(department_id__in=depts).values("proposal_id"),
            ids.filter(forwarded_to_id__in=depts),
        ]
    if Role.SUPERVISOR in roles:
        branches += [ids.filter(supervising_unit_id__in=[d for r, d in pairs if r == Role.SUPERVISOR]), ids.filter(is_key__in=[True])]  # `IN (1)`: SQLite searches the index; a bare `is_key` scans it
    if Role.KEY_LEADER in roles:
        branches.append(ids.filter(leading_official=user))
    if not branches:
        return Proposal.objects.none().values("pk")
    return branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]


def proposal_queryset(*, user: User) -> QuerySet[Proposal]:
    if not user.is_authenticated:
        return Proposal.objects.none()
    qs = Proposal.objects.all()
    scope = _scope_ids(user)
    if scope is not None:
        qs = qs.filter(pk__in=scope)
        # Drafts are the proposer's alone (co-signers see them once invited to confirm).
        qs = qs.exclude(Q(status=Proposal.Status.DRAFT) & ~Q(proposer=user))
    else:
        qs = qs.exclude(status=Proposal.Status.DRAFT)
    return qs


@dataclass
class ProposalFilters:
    session: int | None = None
    category: int | None = None
    status: str | None = None
    department: int | None = None
    is_key: bool | None = None
    overdue: bool | None = None
    deadline_state: str | None = None  # a SupervisionState: proposals with an open task in it now
    q: str | None = None


def proposal_list(*, user: User, filters: ProposalFilters | None = None) -> QuerySet[Proposal]:
    """Filtered, scoped list with everything a list row shows, in a fixed number of queries."""
    f = filters or ProposalFilters()
    qs = proposal_queryset(user=user)
    if f.session:
        qs = qs.filter(session_id=f.session)
    if f.category:
        qs = qs.filter(category_id=f.category)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.department:
        qs = qs.filter(pk__in=Assignment.objects.filter(department_id=f.department).values("proposal_id"))
    if f.is_key is not None:
        qs = qs.filter(is_key=f.is_key)
    if f.overdue:
        qs = qs.filter(_overdue_q())
    if f.deadline_state:
        qs = qs.filter(pk__in=cases_in_state(ProposalTask, f.deadline_state))
    if f.q:
        number = int(f.q) if f.q.isascii() and f.q.isdecimal() else None
        qs = qs.filter(Q(title__icontains=f.q) | Q(number=number) if number is not None else Q(title__icontains=f.q))
    return (
        qs.select_related("session", "category", "proposer", "leading_official", "supervising_unit")
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("department").order_by("role", "pk")))
        .annotate(overdue=Exists(overdue_tasks().filter(proposal=OuterRef("pk"))))
        .order_by(*LIST_ORDER)
    )


def overdue_tasks() -> QuerySet[ProposalTask]:
    """Open tasks past their deadline: what "overdue" means everywhere in proposals."""
    return engine_overdue_tasks(task_model=ProposalTask)


def _overdue_q() -> Q:
    return Q(pk__in=engine_overdue_tasks(task_model=ProposalTask, setwise=True).order_by().values("proposal_id"))


def proposal_is_overdue(*, proposal: Proposal) -> bool:
    return overdue_tasks().filter(proposal=proposal).exists()


def proposal_get(*, user: User, pk: int) -> Proposal:
    """One proposal the user may see (Proposal.DoesNotExist otherwise: a 404, never a leak)."""
    return proposal_queryset(user=user).select_related(
        "session", "category", "proposer", "leading_official", "supervising_unit", "merged_into", "forwarded_to", "rejection_reason"
    ).get(pk=pk)


def proposal_get_or_deny(*, user: User, pk: int) -> Proposal:
    """Like proposal_get, but a proposal that exists outside the user's scope is
    refused (PermissionDenied → 403, e.g. another department's case) rather
    than reported missing; a proposal that does not exist raises DoesNotExist."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    try:
        return proposal_get(user=user, pk=pk)
    except Proposal.DoesNotExist:
        if Proposal.objects.filter(pk=pk).exists():
            raise PermissionDenied(_("您无权查看该提案：它不是您提出或联名的，也不是交给您所在单位办理的。"))
        raise


def proposal_detail(*, user: User, proposal: Proposal) -> dict:
    """Everything the detail page shows, for a proposal the user may see."""
    case = proposal.merged_into or proposal
    assignments = list(case.assignments.select_related("department").prefetch_related("consultations", "extension_requests").order_by("role", "pk"))
    replies = list(Reply.objects.filter(assignment__proposal=case).select_related("assignment__department", "signed_by").order_by("round", "pk"))
    roles = user_roles(user=user)
    office = bool({Role.PROPOSAL_OFFICE, Role.ADMIN} & roles) or user.is_superuser
    memberships = set(user_membership_pairs(user=user))
    my_depts = {d for r, d in memberships if r in (Role.HANDLER, Role.DEPT_LEADER)}
    visible_replies = [
        r for r in replies
        if office or r.status == Reply.Status.PASSED and r.replied_at or r.assignment.department_id in my_depts
        or (r.status == Reply.Status.PASSED and user_is_supervising(user, case))
    ]
    # Co-handler opinions, re-assignment reasons and extension requests are working
    # papers: the office and the departments handling the case see them; members,
    # supervisors and others see the replies. Blank them here, not in the template.
    internal = office or bool(my_depts & {a.department_id for a in assignments})
    if not internal:
        for a in assignments:
            a.opinion = ""
            a.reassign_reason = ""
            a._prefetched_objects_cache["extension_requests"] = ExtensionRequest.objects.none()
    cosigners = list(proposal.cosigners.select_related("member"))

    def own_people(p: Proposal, its_cosigners) -> bool:
        return p.proposer_id == user.pk or any(c.member_id == user.pk and c.status == Cosigner.Status.CONFIRMED for c in its_cosigners)

    # The member's phone and the co-signers are for the people working the case
    # and the proposal's own people; an invited (not yet confirmed) co-signer
    # sees neither. The same rule cuts the timeline (workflow.events audiences).
    supervising = user_is_supervising(user, case)
    private = internal or own_people(proposal, cosigners) or supervising
    # What belongs to the case (its ratings, its own people's events) is judged
    # against the case: the proposer of a proposal merged into it is not one of
    # the case's own people.
    case_private = private if case.pk == proposal.pk else (
        internal or supervising or own_people(case, list(case.cosigners.all()))
    )
    merged = list(case.merged.select_related("proposer"))
    # Two indexed lookups by proposal id, not an OR across a join (issue 11).
    evaluations = list(Evaluation.objects.filter(proposal_id__in=[case.pk, *(m.pk for m in merged)]).select_related("rater", "proposal"))
    if not case_private:
        evaluations = [e for e in evaluations if e.rater_id == user.pk]
    return {
        "case": case,
        "memberships": memberships,  # (role, department id) pairs, for the page's action cards
        "internal": internal,
        "private": private,
        "assignments": assignments,
        "replies": visible_replies,
        "cosigners": cosigners if private else [],
        "evaluations": evaluations,
        "merged": merged,
        "my_tasks": list(open_tasks_for(user=user, proposal=case)),
        "timeline": _proposal_timeline(
            proposal=proposal, case=case,
            audience=events.INTERNAL if internal else events.PRIVATE if private else events.PUBLIC,
            case_audience=events.INTERNAL if internal else events.PRIVATE if case_private else events.PUBLIC,
        ),
    }


def _proposal_timeline(*, proposal: Proposal, case: Proposal, audience: str, case_audience: str) -> list:
    """The proposal's timeline (with the target's events when merged), each cut
    to what the viewer may see of it (workflow.events, proposals/events.py)."""
    entries = events.case_timeline(case=proposal, audience=audience)
    if case.pk != proposal.pk:
        entries = sorted(entries + events.case_timeline(case=case, audience=case_audience, events_only=True), key=lambda e: e.at)
    return entries


def user_is_supervising(user: User, proposal: Proposal) -> bool:
    roles = user_roles(user=user)
    if Role.KEY_LEADER in roles and proposal.leading_official_id == user.pk:
        return True
    if Role.SUPERVISOR in roles:
        return proposal.is_key or Membership.objects.filter(user=user, role=Role.SUPERVISOR, department_id=proposal.supervising_unit_id, is_active=True).exists()
    return False


def open_tasks_for(*, user: User, proposal: Proposal | None = None) -> QuerySet[ProposalTask]:
    """Open proposal tasks the user may act on (the engine's task scope)."""
    return open_tasks(user=user, task_model=ProposalTask, case=proposal)


def overdue_evaluation_tasks(*, user: User, proposal: Proposal) -> QuerySet[ProposalTask]:
    """Evaluation tasks of the case whose limit (15 WD by default) has passed:
    the proposal office's concern (nobody else's)."""
    if not user_has_role(user=user, role=Role.PROPOSAL_OFFICE):
        return ProposalTask.objects.none()
    from .flows import ProposalFlow

    return overdue_tasks().filter(proposal=proposal, flow_task=ProposalFlow.evaluate)


def public_proposals() -> QuerySet[Proposal]:
    """Public proposals with their replies, published when the case closes (DESIGN 1):
    a reply the member rated 不满意 and that is being re-handled is not published yet."""
    return (
        Proposal.objects.filter(is_public=True, number__isnull=False, status=Proposal.Status.CLOSED)
        .select_related("session", "category")
        .prefetch_related(Prefetch("assignments__replies", queryset=Reply.objects.filter(status=Reply.Status.PASSED, replied_at__isnull=False).order_by("round")), "assignments__department")
        .order_by(*LIST_ORDER)
    )


def supervision_list(*, user: User) -> QuerySet[Proposal]:
    """Key proposals and everything overdue in the user's scope (one UNION of
    two indexed lookups, not an OR that reads every proposal)."""
    watched = Proposal.objects.order_by().filter(is_key__in=[True]).values("pk").union(
        engine_overdue_tasks(task_model=ProposalTask, setwise=True).order_by().values("proposal_id")
    )
    return proposal_list(user=user).filter(pk__in=watched)


def members_for_cosign(*, user: User) -> QuerySet[User]:
    """The members a member may invite to co-sign (everyone else gets none)."""
    if not user_has_role(user=user, role=Role.MEMBER):
        return User.objects.none()
    return (
        User.objects.filter(memberships__role=Role.MEMBER, memberships__is_active=True, is_active=True)
        .exclude(pk=user.pk).distinct().order_by("full_name")
    )


# --- public pages (no login): what is published, for anyone ----------------------------------------
# The disclosure rule is public_proposals() above (public, numbered, closed;
# only passed replies). Everything below narrows or decorates that set and
# never widens it. No user: these pages are the same for everyone.
@dataclass
class PublicFilters:
    session: int | None = None
    category: int | None = None
    department: int | None = None
    year: int | None = None
    q: str | None = None


def _published_replies() -> QuerySet[Reply]:
    return Reply.objects.filter(status=Reply.Status.PASSED, replied_at__isnull=False).order_by("round", "pk")


def public_proposal_list(*, filters: PublicFilters | None = None) -> QuerySet[Proposal]:
    """The published proposals matching the filters, with everything a row of
    the public list shows, in a fixed number of queries (the page, its
    handling departments, their published replies, the co-signers).

    The search is a plain icontains on 案由, 情况分析 and 具体建议 (and the
    number when the words are digits). It runs on the published set only
    (closed and public: the status index narrows it first)."""
    f = filters or PublicFilters()
    qs = Proposal.objects.filter(is_public=True, number__isnull=False, status=Proposal.Status.CLOSED)
    if f.session:
        qs = qs.filter(session_id=f.session)
    if f.category:
        qs = qs.filter(category_id=f.category)
    if f.year:
        qs = qs.filter(session_year=f.year)
    if f.department:
        qs = qs.filter(pk__in=Assignment.objects.order_by().filter(department_id=f.department)
                       .exclude(status=Assignment.Status.REASSIGNED_AWAY).values("proposal_id"))
    if f.q:
        words = Q(title__icontains=f.q) | Q(analysis__icontains=f.q) | Q(suggestions__icontains=f.q)
        if f.q.isascii() and f.q.isdecimal() and len(f.q) < 10:
            words |= Q(number=int(f.q))
        qs = qs.filter(words)
    return (
        qs.select_related("session", "category", "proposer")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.exclude(status=Assignment.Status.REASSIGNED_AWAY).select_related("department").order_by("role", "pk"),
                to_attr="public_assignments",
            ),
            Prefetch("public_assignments__replies", queryset=_published_replies(), to_attr="public_replies"),
            Prefetch(
                "cosigners",
                queryset=Cosigner.objects.filter(status=Cosigner.Status.CONFIRMED).select_related("member").order_by("pk"),
                to_attr="public_cosigners",
            ),
        )
        .order_by(*LIST_ORDER)
    )


def public_proposal_get(*, pk: int) -> Proposal:
    """One published proposal (Proposal.DoesNotExist otherwise: not public, not
    closed, unnumbered or missing are all the same 404)."""
    return public_proposal_list().get(pk=pk)


def public_present(proposals, *, labels: dict[str, str] | None = None) -> list[Proposal]:
    """Decorate proposals from public_proposal_list for the pages: the proposer
    as published (the organisation's name, or the members' names as the reply
    letter's salutation gives them; never the contact), the departments, and
    the published replies with their class label (rules as data) and the
    letter's date (the date printed on the letter: sign-off, else reply)."""
    from workflow.rules import label_map_for

    labels = label_map_for("reply_class") if labels is None else labels
    proposals = list(proposals)
    for p in proposals:
        if p.kind in (Proposal.Kind.MEMBER, Proposal.Kind.JOINT):
            people = [p.proposer] + ([c.member for c in p.public_cosigners] if p.kind == Proposal.Kind.JOINT else [])
            p.public_proposer = "、".join(u.full_name or u.username for u in people)
        else:
            p.public_proposer = p.organisation_name or p.proposer.full_name or p.proposer.username
        p.public_departments = [a.department for a in p.public_assignments]
        replies = []
        for a in p.public_assignments:
            for r in a.public_replies:
                r.department = a.department
                r.class_label = labels.get(r.reply_class, "")
                r.letter_date = r.signed_at or r.replied_at
                replies.append(r)
        replies.sort(key=lambda r: (r.round, r.assignment_id))
        p.published = replies
        last_round = max((r.round for r in replies), default=None)
        p.latest_replies = [r for r in replies if r.round == last_round]
    return proposals


def public_filter_choices() -> dict:
    """What the public list can be filtered by: only values that have published
    proposals (four small queries whatever the page)."""
    from workflow.models import Department

    from .models import Category, Session

    published = Proposal.objects.filter(is_public=True, number__isnull=False, status=Proposal.Status.CLOSED)
    sessions = Session.objects.filter(Exists(published.filter(session=OuterRef("pk")))).order_by("-year", "-pk")
    return {
        "sessions": sessions,
        "categories": Category.objects.filter(Exists(published.filter(category=OuterRef("pk")))).order_by("ordering", "name"),
        "departments": Department.objects.filter(Exists(
            Assignment.objects.filter(department=OuterRef("pk"), proposal__in=published).exclude(status=Assignment.Status.REASSIGNED_AWAY)
        )).order_by("code"),
        "years": sorted(set(Session.objects.filter(Exists(published.filter(session=OuterRef("pk")))).values_list("year", flat=True)), reverse=True),
    }
