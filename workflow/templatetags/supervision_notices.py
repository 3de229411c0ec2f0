"""{% load supervision_notices %}{% notice_issue_url case as url %}: the link to issue a
supervision notice about `case`, or "" when the viewer may not (workflow.notices)."""
from django import template

from workflow.notices import issue_url

register = template.Library()


@register.simple_tag(takes_context=True)
def notice_issue_url(context, case):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if case is None or user is None or not user.is_authenticated:
        return ""
    return issue_url(user=user, case=case)
