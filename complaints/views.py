"""Staff pages of complaints (placeholder: being built)."""
from django.http import Http404


def appeal(request, **kwargs):
    raise Http404


def appeal_decide(request, **kwargs):
    raise Http404


def attachment(request, **kwargs):
    raise Http404


def callback(request, **kwargs):
    raise Http404


def complaint_list(request, **kwargs):
    raise Http404


def detail(request, **kwargs):
    raise Http404


def extension(request, **kwargs):
    raise Http404


def extension_decide(request, **kwargs):
    raise Http404


def instruct(request, **kwargs):
    raise Http404


def intake(request, **kwargs):
    raise Http404


def ledger(request, **kwargs):
    raise Http404


def ledger_export(request, **kwargs):
    raise Http404


def note(request, **kwargs):
    raise Http404


def opinion(request, **kwargs):
    raise Http404


def rectify(request, **kwargs):
    raise Http404


def reply(request, **kwargs):
    raise Http404


def requests_queue(request, **kwargs):
    raise Http404


def resume(request, **kwargs):
    raise Http404


def return_decide(request, **kwargs):
    raise Http404


def reveal(request, **kwargs):
    raise Http404


def review(request, **kwargs):
    raise Http404


def sign(request, **kwargs):
    raise Http404


def sign_off(request, **kwargs):
    raise Http404


def suspend(request, **kwargs):
    raise Http404


def suspension_decide(request, **kwargs):
    raise Http404


def triage(request, **kwargs):
    raise Http404
