"""Request middleware of the platform.

ChosenLanguageMiddleware: Chinese unless the user chose otherwise.

Django's LocaleMiddleware follows the browser's Accept-Language, so an
English-language browser would get an English UI. Government users expect the
Chinese interface by default; English is an explicit choice from the language
menu (Django's set_language stores it in the language cookie).

DatabaseLockedMiddleware: SQLite's "database is locked" becomes a 409.
"""
import logging

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class DatabaseLockedMiddleware:
    """A write that still finds SQLite locked becomes a 409, never a 500.

    The embedded SQLite database runs in WAL mode with IMMEDIATE transactions
    and a busy timeout (config/settings/base.py), so simultaneous writers wait
    for each other. If one waits longer than the timeout, SQLite gives up with
    OperationalError("database is locked"): the person is told that someone
    else is handling the case at the same moment and asked to refresh, as
    JSON under /api/ and as a page elsewhere. Any other database error is
    left alone (it is a real 500).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError) or "database is locked" not in str(exception):
            return None
        logger.warning("database is locked: %s %s answered 409", request.method, request.path)
        message = gettext("该案件正由他人同时办理，请刷新后重试。")
        if request.path.startswith("/api/"):
            from .api_support import error_body  # the API's one error shape

            return JsonResponse(error_body(detail=message, code="conflict"), status=409, json_dumps_params={"ensure_ascii": False})
        refresh_url = _refresh_url(request)
        try:
            body = render_to_string("409.html", {"message": message, "refresh_url": refresh_url}, request=request)
        except Exception:  # the page must not fail where the database did: plain HTML instead
            logger.exception("409 page could not be rendered")
            body = format_html(
                '<!doctype html><meta charset="utf-8"><p>{}</p><p><a href="{}">{}</a></p>',
                message, refresh_url, gettext("刷新"),
            )
        return HttpResponse(body, status=409)


def _refresh_url(request) -> str:
    """The page the person came from (a POST's own URL is often POST-only), else this one."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return referer
    return request.get_full_path()
