"""State changes of complaints, one module per stage. Each public function is
one transaction that checks the actor's role and department (complaints/
permissions.py for the actions that are not flow tasks), checks the current
state, saves with update_fields (history is kept), writes the event log,
tells the citizen, and, where a flow task is owed, completes it.

Refusals raise ValidationError (form errors / HTTP 400) or PermissionDenied
(HTTP 403), with messages in the user's language.
"""
from ._common import CASE_KIND, INDICATOR_SCALE, RATING_SCALE, secret_hash, system_user
from .closure import (
    appeal_decide,
    appeal_file,
    can_say_not_resolved,
    complaint_begin_review,
    complaint_callback,
    complaint_close,
    complaint_deliver,
    complaint_not_resolved,
    complaint_rate_by_link,
    complaint_rectify,
    complaint_review_reply,
    link_get,
)
from .dispatch import (
    complaint_dispatch,
    complaint_merge,
    complaint_not_accept,
    complaint_split,
    dispatch_return_decide,
    flow_dispatch_items,
)
from .handling import (
    complaint_add_note,
    complaint_extension_decide,
    complaint_extension_request,
    complaint_instruct,
    complaint_reply,
    complaint_reply_sign_off,
    complaint_resume,
    complaint_reveal_contact,
    complaint_suspension_decide,
    complaint_suspension_request,
    dispatch_opinion,
    dispatch_return,
    dispatch_sign,
)
from .intake import clean_answers, complaint_follow, complaint_submit

__all__ = [
    "CASE_KIND", "INDICATOR_SCALE", "RATING_SCALE", "secret_hash", "system_user",
    "appeal_decide", "appeal_file", "can_say_not_resolved", "complaint_begin_review", "complaint_callback", "complaint_close",
    "complaint_deliver", "complaint_not_resolved", "complaint_rate_by_link", "complaint_rectify", "complaint_review_reply", "link_get",
    "complaint_dispatch", "complaint_merge", "complaint_not_accept", "complaint_split", "dispatch_return_decide", "flow_dispatch_items",
    "complaint_add_note", "complaint_extension_decide", "complaint_extension_request", "complaint_instruct", "complaint_reply",
    "complaint_reply_sign_off", "complaint_resume", "complaint_reveal_contact", "complaint_suspension_decide",
    "complaint_suspension_request", "dispatch_opinion", "dispatch_return", "dispatch_sign",
    "clean_answers", "complaint_follow", "complaint_submit",
]
