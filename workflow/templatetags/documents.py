"""{% load documents %}{% document_links obj as links %}: the PDFs about `obj` the viewer may download."""
from django import template

from workflow.documents import document_links as _links

register = template.Library()


@register.simple_tag(takes_context=True)
def document_links(context, obj):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if obj is None or user is None:
        return []
    return _links(user=user, case=obj)
