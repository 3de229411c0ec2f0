"""The API's renderers: JSON for programs, and DRF's browsable pages for people trying it.

DRF's browsable page (its own template) has an inline <style> (code highlighting)
and style="" attributes on its buttons, which the site-wide Content-Security-Policy
refuses (style-src 'self'). For those pages only, style-src also allows
'unsafe-inline' (django-csp's per-response update, as its @csp_update decorator
does); scripts stay 'self': the page's scripts are DRF's static files
(docs/security.md, "Content-Security-Policy").
"""
from csp.constants import UNSAFE_INLINE
from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_update = {**(getattr(response, "_csp_update", None) or {}), "style-src": [UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)
