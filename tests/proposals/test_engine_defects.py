"""Defects found from outside (issue 6, section 3), each with its test."""
import pytest
from django.core.exceptions import ValidationError

from tests.factories import sign_in_verified
from proposals import services
from proposals.models import Proposal

pytestmark = pytest.mark.django_db

OLD_PHONE, NEW_PHONE = "13900000001", "13900000002"


def _draft(member, session, category, **extra):
    values = dict(
        session=session, title="关于改进窗口服务的建议", analysis="分析", suggestions="建议", category=category,
        contact_name="示例委员", contact_phone=OLD_PHONE,
    )
    values.update(extra)
    return services.proposal_create(actor=member, **values)


def test_refusals_name_the_step_in_chinese(member, office_user, session, category):
    # Given a draft (no review task exists yet)
    p = _draft(member, session, category)
    # When the office tries to review it
    with pytest.raises(ValidationError) as exc:
        services.proposal_review(actor=office_user, proposal=p, outcome="accept")
    # Then the refusal names the step as people say it, never the node's code name
    message = " ".join(exc.value.messages)
    assert "立案审查" in message and "Review" not in message


def test_invited_cosigner_does_not_see_the_proposers_phone_in_the_change_history(client, member, member2, session, category):
    # Given a joint proposal whose proposer changed the contact phone, submitted to co-signers
    p = _draft(member, session, category, cosigners=[member2])
    services.proposal_update(actor=member, proposal=p, contact_phone=NEW_PHONE)
    services.proposal_submit(actor=member, proposal=p)
    # When the invited co-signer opens the page and the API timeline
    client.force_login(member2)
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    api = client.get(f"/api/v1/proposals/{p.pk}/timeline/").content.decode()
    # Then neither phone number appears anywhere
    for body in (page, api):
        assert OLD_PHONE not in body and NEW_PHONE not in body
    # while the proposer still sees the change of their own contact phone
    client.force_login(member)
    assert NEW_PHONE in client.get(f"/proposals/{p.pk}/").content.decode()


@pytest.mark.parametrize("field,limit", [("contact_phone", 32), ("contact_name", 64), ("organisation_name", 128)])
def test_over_long_text_is_a_form_error_not_a_server_error(client, member, session, category, field, limit):
    # Given a member writing a proposal with one field longer than its column
    client.force_login(member)
    data = {
        "session": session.pk, "title": "标题", "analysis": "分析", "suggestions": "建议", "category": category.pk,
        "contact_name": "示例委员", "contact_phone": "0839-0000000", "kind": "member", "organisation_name": "",
    }
    data[field] = "8" * (limit + 1)
    # When it is saved from the page
    response = client.post("/proposals/new/", data)
    # Then the form answers with the limit, and nothing is saved
    assert response.status_code in (200, 400)
    assert str(limit) in response.content.decode()
    assert not Proposal.objects.exists()


def test_over_long_text_is_refused_by_the_service(member, session, category):
    with pytest.raises(ValidationError) as exc:
        _draft(member, session, category, contact_phone="8" * 33)
    assert "contact_phone" in exc.value.message_dict
    assert not Proposal.objects.exists()


def test_a_switched_off_deadline_rule_refuses_the_step_and_is_shown_to_administrators(
    client, admin_user, member, office_user, session, category,
):
    """A missing rule never yields a task without deadline: the action that would
    create the task is refused, and the administrators' home page names the step."""
    from django.core.exceptions import ValidationError

    from proposals import services
    from workflow.models import TimeLimitRule

    # Given the office's review step has no active time limit
    TimeLimitRule.objects.filter(case_kind="proposal", step="review").update(is_active=False)
    p = services.proposal_create(
        actor=member, session=session, title="标题", analysis="分析", suggestions="建议", category=category,
        contact_name="示例委员", contact_phone="0839-0000000",
    )
    # When the member submits (which creates the review task)
    with pytest.raises(ValidationError) as exc:
        services.proposal_submit(actor=member, proposal=p)
    # Then the submission is refused with the reason, nothing is half-saved
    assert "未配置办理时限" in " ".join(exc.value.messages)
    p.refresh_from_db()
    assert p.status == "draft" and not p.tasks.exists()
    # and the administrators see which step lacks its rule; others do not
    sign_in_verified(client, admin_user)
    body = client.get("/").content.decode()
    assert 'data-testid="missing-rules"' in body and "立案审查" in body and "proposal / review" in body
    client.force_login(office_user)
    assert 'data-testid="missing-rules"' not in client.get("/").content.decode()


def test_an_invited_cosigner_does_not_see_who_confirmed_or_declined(client, member, member2, committee_dept, session, category):
    from tests.factories import UserFactory

    from proposals.roles import Role

    # Given a joint proposal where one invited member declined and another is still invited
    member3 = UserFactory(username="member3", full_name="示例委员三", roles=[(committee_dept, Role.MEMBER)])
    p = _draft(member, session, category, cosigners=[member2, member3])
    services.proposal_submit(actor=member, proposal=p)
    services.cosigner_respond(actor=member3, proposal=p, accept=False)
    # When the still-invited co-signer opens the page and the API timeline
    client.force_login(member2)
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    api = client.get(f"/api/v1/proposals/{p.pk}/timeline/").json()
    # Then neither says who declined (the detail shows no co-signers to them either)
    assert "示例委员三" not in page and "拒绝联名" not in page
    assert all(row.get("type", row.get("title")) != "cosign_declined" for row in api) and "示例委员三" not in str(api)
    # while the proposer sees it
    client.force_login(member)
    assert "拒绝联名" in client.get(f"/proposals/{p.pk}/").content.decode()


def test_a_merged_proposer_sees_only_their_own_rating(client, member, member2, office_user, approval_dept, handler, dept_leader):
    from tests.factories import at
    from tests.proposals import factories

    # Given member2's proposal merged into member's, replied, and both proposers rated with comments
    with at(2019, 3, 1, 9):
        target = factories.accepted(proposer=member)
        similar = factories.submitted(proposer=member2, title="关于推进政务服务改革的建议")
    with at(2019, 3, 5, 9):
        services.proposal_review(actor=office_user, proposal=similar, outcome="merge", merge_into=target)
    with at(2019, 3, 12, 9):
        factories.replied(target, lead=approval_dept, assign_at=(2019, 3, 11, 9))
    with at(2019, 3, 20, 9):
        services.proposal_evaluate(actor=member2, proposal=similar, process_rating="satisfied", result_rating="satisfied", comment="二号的意见")
        services.proposal_evaluate(actor=member, proposal=target, process_rating="dissatisfied", result_rating="dissatisfied", comment="一号的意见")
    # When the merged proposer opens their own proposal, or the target
    client.force_login(member2)
    for pk in (similar.pk, target.pk):
        body = client.get(f"/proposals/{pk}/").content.decode()
        # Then they see their own rating and not the other proposer's rating or comment
        assert "二号的意见" in body and "一号的意见" not in body
        assert "不满意" not in body


def test_the_engine_refuses_a_task_outside_the_actors_scope_whatever_the_service_checked(member, handler, office_user, session, category):
    from django.core.exceptions import PermissionDenied

    from proposals.flows import ProposalFlow
    from proposals.models import ProposalTask
    from workflow.flow.runtime import flow_step

    # Given a submitted proposal whose review task belongs to the proposal office
    p = _draft(member, session, category)
    services.proposal_submit(actor=member, proposal=p)
    review = ProposalTask.objects.get(proposal=p, flow_task=ProposalFlow.review)
    # When a department handler drives the engine directly (as a service that forgot its role check would)
    with pytest.raises(PermissionDenied):
        with flow_step(review, handler):
            pass
    # Then the task is untouched, and the office can still take it
    review.refresh_from_db()
    assert review.owner_id is None and review.status == "NEW"
    with flow_step(review, office_user):
        pass


def test_the_office_is_told_the_rating_by_its_label_not_its_code(member, office_user, approval_dept, handler, dept_leader, django_capture_on_commit_callbacks):
    from tests.factories import at
    from tests.proposals import factories
    from workflow.models import Notification

    with at(2019, 3, 1, 9):
        p = factories.replied(proposer=member, lead=approval_dept)
    with at(2019, 3, 20, 9), django_capture_on_commit_callbacks(execute=True):
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="basically_satisfied")
    (title,) = [n.title for n in Notification.objects.filter(recipient=office_user) if "已评价" in n.title]
    assert "基本满意" in title and "basically_satisfied" not in title


def test_deciding_a_decided_extension_says_it_was_decided(member, office_user, approval_dept, handler, dept_leader):
    import datetime as dt

    from tests.factories import at
    from tests.proposals import factories

    # Given an approved extension request
    with at(2019, 3, 1, 9):
        p = factories.signed(proposer=member, lead=approval_dept)
    assignment = p.assignments.get()
    with at(2019, 4, 1, 9):
        req = services.extension_request(actor=handler, assignment=assignment, requested_until=dt.date(2019, 7, 31), reason="需协调多部门")
        services.extension_decide(actor=office_user, request=req, approve=True)
        # When the office decides it again
        with pytest.raises(ValidationError) as exc:
            services.extension_decide(actor=office_user, request=req, approve=True)
    # Then the answer says it is decided already
    assert "已审批" in " ".join(exc.value.messages)
