"""The public pages of the proposals app (no login): the published proposals
and their replies (信息公开).

What is published is decided once, in proposals.selectors (public_*): a
proposal marked public, numbered and closed, with its passed replies. A
proposal outside that set is a 404 here, whoever asks. The reply letters are
downloaded through the documents' own URL (workflow.document_views), whose
permission (proposals.documents.reply_can_download) already lets anyone
download the letters of published proposals and nobody else's.
"""
from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.rules import label_map_for
from workflow.web import StyledForm, querystring_without_page

from . import selectors
from .models import Proposal

PAGE_SIZE = 20
SEARCH_MAX = 100


class PublicFilterForm(StyledForm):
    """The public list's GET form: every field optional, a bad value is shown
    as that field's error and the other filters still apply."""

    q = forms.CharField(label=gettext_lazy("关键词或编号"), required=False, max_length=SEARCH_MAX,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("案由、情况分析、具体建议")}))
    session = forms.ModelChoiceField(label=gettext_lazy("届次"), queryset=None, required=False, empty_label=gettext_lazy("全部届次"),
                                     error_messages={"invalid_choice": gettext_lazy("没有这个届次的公开提案。")})
    year = forms.TypedChoiceField(label=gettext_lazy("年度"), required=False, coerce=int, empty_value=None,
                                  error_messages={"invalid_choice": gettext_lazy("没有这一年度的公开提案。")})
    category = forms.ModelChoiceField(label=gettext_lazy("类别"), queryset=None, required=False, empty_label=gettext_lazy("全部类别"),
                                      error_messages={"invalid_choice": gettext_lazy("没有这个类别的公开提案。")})
    department = forms.ModelChoiceField(label=gettext_lazy("承办单位"), queryset=None, required=False, empty_label=gettext_lazy("全部单位"),
                                        error_messages={"invalid_choice": gettext_lazy("没有这个单位承办的公开提案。")})

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = choices["sessions"]
        self.fields["category"].queryset = choices["categories"]
        self.fields["department"].queryset = choices["departments"]
        self.fields["year"].choices = [("", _("全部年度"))] + [(y, _("%(year)s年度") % {"year": y}) for y in choices["years"]]

    def filters(self) -> selectors.PublicFilters:
        self.is_valid()
        d = self.cleaned_data  # only the fields that were valid
        return selectors.PublicFilters(
            session=d["session"].pk if d.get("session") else None,
            category=d["category"].pk if d.get("category") else None,
            department=d["department"].pk if d.get("department") else None,
            year=d.get("year") or None,
            q=(d.get("q") or "").strip() or None,
        )


def public(request):
    """GET /proposals/public/: the published proposals, searchable and filterable."""
    choices = selectors.public_filter_choices()
    # Evaluate each choice list once: the form's selects and the page both use them.
    choices = {k: list(v) if k == "years" else v.all() for k, v in choices.items()}
    form = PublicFilterForm(request.GET or None, choices=choices)
    filters = form.filters() if request.GET else selectors.PublicFilters()
    page = Paginator(selectors.public_proposal_list(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.public_present(page.object_list, labels=label_map_for("reply_class"))
    filtered = any(v for v in vars(filters).values())
    return render(request, "proposals/public.html", {
        "form": form, "page": page, "filtered": filtered, "querystring": querystring_without_page(request),
    })


def public_detail(request, pk: int):
    """GET /proposals/public/<pk>/: one published proposal, its text and its replies."""
    try:
        proposal = selectors.public_proposal_get(pk=pk)
    except Proposal.DoesNotExist:
        raise Http404(_("没有找到该公开提案：它不存在、未公开或尚未办结。"))
    proposal = selectors.public_present([proposal])[0]
    return render(request, "proposals/public_detail.html", {"proposal": proposal})
