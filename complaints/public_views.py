"""Public complaint pages (placeholder: being built)."""
from django.http import Http404


def follow(request, **kwargs):
    raise Http404


def rate(request, **kwargs):
    raise Http404


def similar(request, **kwargs):
    raise Http404


def submit(request, **kwargs):
    raise Http404


def submitted(request, **kwargs):
    raise Http404


def track(request, **kwargs):
    raise Http404
