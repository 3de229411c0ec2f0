"""Open311 GeoReport v2 (placeholder: being built)."""
from django.http import Http404


def discovery(request, **kwargs):
    raise Http404


def py(request, **kwargs):
    raise Http404


def request_detail(request, **kwargs):
    raise Http404


def requests(request, **kwargs):
    raise Http404


def service_definition(request, **kwargs):
    raise Http404


def services(request, **kwargs):
    raise Http404


def token(request, **kwargs):
    raise Http404


def updates(request, **kwargs):
    raise Http404
