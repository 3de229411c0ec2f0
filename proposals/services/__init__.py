"""State changes of proposals, one module per stage. Each public function is
one transaction that checks the actor's role and department (proposals/
permissions.py for the actions that are not flow tasks), checks the current
state, saves with update_fields (history is kept), writes the event log and,
where a flow task is owed, completes it (so the flow moves on in the same
transaction).

Refusals raise django.core.exceptions.ValidationError (shown as form errors /
HTTP 400) or PermissionDenied (HTTP 403), with messages in Chinese.
"""
from ._common import CASE_KIND
from .assignment import (
    proposal_assign,
    proposal_set_public,
    proposal_set_supervision,
)
from .closure import (
    proposal_close,
    proposal_evaluate,
    proposal_rehandle,
    proposal_waive_evaluation,
)
from .drafting import (
    cosigner_respond,
    cosigner_withdraw,
    proposal_create,
    proposal_delete_draft,
    proposal_submit,
    proposal_update,
    proposal_withdraw,
)
from .extensions import (
    extension_decide,
    extension_request,
)
from .flow_steps import (
    flow_assignment_items,
    flow_cosigner_items,
    flow_rater_items,
    flow_rehandle_items,
    flow_review_items,
    proposal_begin_review,
    proposal_deliver_replies,
)
from .handling import (
    assignment_decide_reassign,
    assignment_request_reassign,
    assignment_send_opinion,
    assignment_sign,
    consultation_record,
)
from .replies import (
    reply_default_title,
    reply_review,
    reply_save_draft,
    reply_sign_off,
    reply_submit,
)
from .review import (
    ReviewOutcome,
    proposal_review,
)

__all__ = [
    "CASE_KIND",
    "flow_cosigner_items",
    "flow_assignment_items",
    "flow_review_items",
    "flow_rater_items",
    "flow_rehandle_items",
    "proposal_begin_review",
    "proposal_deliver_replies",
    "proposal_create",
    "proposal_update",
    "proposal_submit",
    "proposal_delete_draft",
    "proposal_withdraw",
    "cosigner_respond",
    "cosigner_withdraw",
    "ReviewOutcome",
    "proposal_review",
    "proposal_assign",
    "proposal_set_supervision",
    "proposal_set_public",
    "assignment_sign",
    "assignment_request_reassign",
    "assignment_decide_reassign",
    "consultation_record",
    "assignment_send_opinion",
    "reply_default_title",
    "reply_save_draft",
    "reply_submit",
    "reply_sign_off",
    "reply_review",
    "extension_request",
    "extension_decide",
    "proposal_evaluate",
    "proposal_waive_evaluation",
    "proposal_close",
    "proposal_rehandle",
]
