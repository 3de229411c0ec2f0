"""Official documents as PDF (GB/T 9704-2012 layout), for every case type.

Case apps register their document kinds (workflow.registry.DocumentKind:
template, context builder, download permission, ...). The engine renders the
kind's HTML template under templates/documents/ with WeasyPrint, stores the
PDF under MEDIA_ROOT with its SHA-256, and keeps every version: a document
once issued is never overwritten, a new render is a new GeneratedDocument.

* ``document_render(actor=, case=, kind=)``: always a new version;
* ``document_issue(actor=, case=, kind=)``: the download path: the latest
  version when the data has not changed since (same HTML), else a new one;
* ``document_can_download`` / ``document_links``: the kind's permission and
  the links a page shows for an object.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import fonts, registry
from .queueing import delay_or_log
from .models import GeneratedDocument

logger = logging.getLogger(__name__)


# --- text helpers for the letter templates ----------------------------------------------------
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\U00020000-\U0003ffff“”‘’《》"
_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"}
_PUNCT_NEAR_CJK = re.compile(f"(?<=[{_CJK}])[,:;()!?]|[,:;()!?](?=[{_CJK}])")
_SPACE_NEAR_CJK = re.compile(f"(?<=[{_CJK}])[ \t\u3000]+|[ \t\u3000]+(?=[{_CJK}])")
HEADING_1 = re.compile(r"^[一二三四五六七八九十]+、")
HEADING_2 = re.compile(r"^（[一二三四五六七八九十]+）")
HEADING_3 = re.compile(r"^(\d+[.．、]|（\d+）)")


def typeset_text(text: str) -> str:
    """Full-width punctuation and no stray spaces in Chinese running text
    ("建议,请" → "建议，请"); figures such as 0839-8622340 or 96.01% keep theirs."""
    text = _PUNCT_NEAR_CJK.sub(lambda m: _HALF_TO_FULL[m.group(0)], text)
    return _SPACE_NEAR_CJK.sub("", text)


def letter_paragraphs(text: str) -> list[dict]:
    """The body of a letter as paragraphs with their heading level (GB/T 9704:
    "一、" HeiTi, "（一）" KaiTi, "1." and "（1）" FangSong). A heading that runs
    on into its paragraph ("（一）夯实……。一是……") is set in its face up to the
    first full stop."""
    paragraphs = []
    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = typeset_text(raw.strip())
        if not line:
            continue
        level = 1 if HEADING_1.match(line) else 2 if HEADING_2.match(line) else 3 if HEADING_3.match(line) else 0
        head, rest = line, ""
        if level in (1, 2):
            stop = line.find("。")
            if 0 < stop < len(line) - 1:
                head, rest = line[: stop + 1], line[stop + 1:]
        paragraphs.append({"level": level, "head": head, "rest": rest})
    return paragraphs


def _width_em(text: str) -> float:
    return sum(0.55 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def title_lines(title: str, *, size_pt: float = 22.0, width_pt: float = 440.0) -> list[str]:
    """A title too long for one line, split into lines of balanced length
    (GB/T 9704: 梯形或菱形, never one character alone on the last line)."""
    per_line = width_pt / size_pt
    total = _width_em(title)
    if total <= per_line:
        return [title]
    count = int(total // per_line) + 1
    lines, rest = [], title
    for remaining in range(count, 1, -1):
        target = _width_em(rest) / remaining
        cut, width = 0, 0.0
        while cut < len(rest) and width + _width_em(rest[cut]) <= target + 0.5:
            width += _width_em(rest[cut])
            cut += 1
        lines.append(rest[:cut])
        rest = rest[cut:]
    return lines + [rest]


def chinese_date(value) -> str:
    """2019年10月28日 (Arabic numerals, no leading zeros: GB/T 9704 7.3.5)."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        value = timezone.localtime(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def issuer_size_pt(name: str, *, largest: float = 30.0) -> float:
    """The issuer's name in red fills at most the 156 mm text block (442 pt) on one line."""
    return round(min(largest, 430.0 / max(len(name), 1) / 1.05), 1)


def seal_url(department) -> str:
    """file:// URL of the department's uploaded seal, or "" (no seal is ever faked)."""
    seal = getattr(department, "seal", None)
    if not seal:
        return ""
    try:
        path = Path(seal.path)
    except (NotImplementedError, ValueError):
        return ""
    return path.as_uri() if path.is_file() else ""


# --- rendering -------------------------------------------------------------------------------------
class LocalFetcher:
    """WeasyPrint's URL fetcher, limited to files under MEDIA_ROOT (seals) and
    data: URLs: a document never reaches the network or the rest of the disk."""

    def __new__(cls):
        from weasyprint.urls import URLFetcher

        class _Fetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if url.startswith("file:"):
                    from urllib.parse import unquote, urlparse

                    path = Path(unquote(urlparse(url).path)).resolve()
                    media = Path(settings.MEDIA_ROOT).resolve()
                    if media not in path.parents:
                        raise ValueError(f"document resources must be under MEDIA_ROOT: {url}")
                return super().fetch(url, headers)

        return _Fetcher(allowed_protocols={"file", "data"}, timeout=5)


def harfbuzz_subsetter() -> bool:
    """True when WeasyPrint subsets fonts with HarfBuzz (Debian libharfbuzz-subset0);
    without it every CJK document takes ~15x longer (fontTools)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def render_html(kind: registry.DocumentKind, case) -> str:
    context = dict(kind.context(case))
    context.setdefault("fonts", fonts.css_families())
    if "title" in context and "title_lines" not in context:
        context["title_lines"] = title_lines(str(context["title"]))
    return render_to_string(kind.template, context)


@dataclass
class RenderedPDF:
    content: bytes
    pages: int
    variant: str = ""


ARCHIVAL_VARIANT = "pdf/a-3b"


def pdf_variant() -> str:
    """The PDF variant every document is stored in: PDF/A-3b (ISO 19005-3, level B)
    by default, so the issued file is the archival copy (settings.DOCUMENTS_PDF_VARIANT,
    "" for plain PDF)."""
    return getattr(settings, "DOCUMENTS_PDF_VARIANT", ARCHIVAL_VARIANT)


def html_to_pdf(html: str, *, variant: str | None = None) -> RenderedPDF:
    """The final HTML as PDF (WeasyPrint; fonts subset and embedded), PDF/A-3b by
    default: XMP metadata with pdfaid part 3 / conformance B, an sRGB output intent."""
    import weasyprint

    from . import pdf_engine

    pdf_engine.install()  # once per process: deflate level, HarfBuzz subset plans (workflow/pdf_engine.py)
    variant = pdf_variant() if variant is None else variant
    document = weasyprint.HTML(string=html, base_url=str(settings.MEDIA_ROOT), url_fetcher=LocalFetcher()).render(
        font_config=pdf_engine.font_config(),
    )
    content = document.write_pdf(pdf_variant=variant) if variant else document.write_pdf()
    return RenderedPDF(content=content, pages=len(document.pages), variant=variant or "")


def _kind(code: str) -> registry.DocumentKind:
    kind = registry.document_kind(code)
    if kind is None:
        raise LookupError(f"document kind {code!r} is not registered")
    return kind


def _check_model(kind: registry.DocumentKind, case) -> None:
    if case._meta.label_lower != kind.model.lower():
        raise TypeError(f"document kind {kind.code!r} is about {kind.model}, not {case._meta.label}")


def document_latest(*, case, kind: str) -> GeneratedDocument | None:
    return (
        GeneratedDocument.objects.filter(content_type=ContentType.objects.get_for_model(case), object_id=case.pk, kind=kind)
        .order_by("-version").first()
    )


def document_latest_many(*, model_label: str, pks, kind: str) -> dict[int, GeneratedDocument]:
    """{object id: its latest version} for many objects of one model, in one query."""
    from django.apps import apps

    from django.db.models import OuterRef, Subquery

    content_type = ContentType.objects.get_for_model(apps.get_model(model_label))
    newest = GeneratedDocument.objects.filter(content_type=content_type, object_id=OuterRef("object_id"), kind=kind).order_by("-version")
    return {
        doc.object_id: doc
        for doc in GeneratedDocument.objects.filter(
            content_type=content_type, object_id__in=list(pks), kind=kind, pk=Subquery(newest.values("pk")[:1]),
        )
    }


_LOOK_UP = object()  # document_render's `latest` when the caller did not look it up


def document_render(*, actor, case, kind: str, html: str | None = None, reuse_unchanged: bool = False, latest=_LOOK_UP) -> GeneratedDocument:
    """Render the document of `kind` about `case` and store it as a new version.

    The HTML is rendered once: its SHA-256 is the reuse check, the same
    string becomes the PDF. The PDF is made outside any transaction (it takes
    a few tenths of a second); the row is then written in a short one. With
    ``reuse_unchanged`` the latest version is returned instead when it was
    made from the same HTML (the data did not change); ``latest`` is that
    version when the caller looked it up already (bulk generation: one query
    for a chunk), None for none; it is checked again in the transaction."""
    spec = _kind(kind)
    _check_model(spec, case)
    if not spec.available(case):
        raise ValidationError(_("该文书尚不能生成：%(kind)s") % {"kind": spec.label})
    html = html if html is not None else render_html(spec, case)
    source_sha256 = hashlib.sha256(html.encode("utf-8")).hexdigest()
    content_type = ContentType.objects.get_for_model(case)
    if reuse_unchanged:
        if latest is _LOOK_UP:
            latest = document_latest(case=case, kind=kind)
        if latest is not None and latest.source_sha256 == source_sha256:
            return latest
    pdf = html_to_pdf(html)
    case_version, case_changed_at = spec.version(case) if spec.version else ("", None)
    for attempt in range(3):
        try:
            with transaction.atomic():
                latest = (
                    GeneratedDocument.objects.filter(content_type=content_type, object_id=case.pk, kind=kind).order_by("-version").first()
                )
                if reuse_unchanged and latest is not None and latest.source_sha256 == source_sha256:
                    return latest  # rendered meanwhile by another request
                version = (latest.version if latest is not None else 0) + 1
                doc = GeneratedDocument(
                    content_type=content_type, object_id=case.pk, kind=kind, version=version,
                    sha256=hashlib.sha256(pdf.content).hexdigest(), size=len(pdf.content), pages=pdf.pages, pdf_variant=pdf.variant,
                    source_sha256=source_sha256, case_version=str(case_version)[:64], case_changed_at=case_changed_at,
                    generated_by=actor if actor is not None and actor.is_authenticated else None,
                    generated_at=timezone.now(),
                )
                doc.file.save("document.pdf", ContentFile(pdf.content), save=False)
                try:
                    doc.save()
                except Exception:
                    doc.file.storage.delete(doc.file.name)
                    raise
                return doc
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def document_issue(*, actor, case, kind: str, latest=_LOOK_UP) -> GeneratedDocument:
    """The document to hand out: generated on first request or when its data
    changed since the latest version; otherwise the stored version
    (``latest``: see document_render)."""
    return document_render(actor=actor, case=case, kind=kind, reuse_unchanged=True, latest=latest)


def document_read(doc: GeneratedDocument) -> bytes:
    """The stored file, checked against its SHA-256 (a changed file is refused, not served)."""
    with doc.file.open("rb") as f:
        content = f.read()
    if hashlib.sha256(content).hexdigest() != doc.sha256:
        raise ValidationError(_("文书文件校验失败（SHA-256 不符），请联系管理员。"))
    return content


# --- reads for a user ---------------------------------------------------------------------------------
def document_can_download(*, user, case, kind: str) -> bool:
    spec = registry.document_kind(kind)
    if spec is None or case._meta.label_lower != spec.model.lower():
        return False
    return bool(spec.available(case) and spec.can_download(user, case))


def document_require(*, user, case, kind: str) -> None:
    if not document_can_download(user=user, case=case, kind=kind):
        raise PermissionDenied(_("您无权下载该文书。"))


def document_object(*, kind: str, pk: int):
    """The object a document of `kind` is about (LookupError / DoesNotExist otherwise)."""
    spec = _kind(kind)
    if spec.load is not None:
        return spec.load(pk)
    from django.apps import apps

    return apps.get_model(spec.model)._default_manager.get(pk=pk)


def document_objects(*, kind: str, pks) -> dict:
    """{pk: object} for many objects a document of `kind` is about, in one query
    where the kind registers ``load_many`` (objects gone are left out)."""
    spec = _kind(kind)
    pks = list(pks)
    if spec.load_many is not None:
        return spec.load_many(pks)
    if spec.load is not None:
        found = {}
        for pk in pks:
            try:
                found[pk] = spec.load(pk)
            except Exception:  # removed since
                continue
        return found
    from django.apps import apps

    return apps.get_model(spec.model)._default_manager.in_bulk(pks)


def document_filename(*, case, kind: str) -> str:
    spec = _kind(kind)
    name = spec.filename(case) if spec.filename else f"{kind}-{case.pk}"
    return f"{name}.pdf"


@dataclass
class DocumentLink:
    kind: str
    label: str
    url: str


def document_links(*, user, case) -> list[DocumentLink]:
    """The documents about `case` this user may download, for a page's links;
    on a case's page also its supervision notices (督办通知单)."""
    links = [
        DocumentLink(kind=spec.code, label=str(spec.label), url=reverse("document-pdf", args=[spec.code, case.pk]))
        for spec in registry.document_kinds(case._meta.label_lower)
        if document_can_download(user=user, case=case, kind=spec.code)
    ]
    notices = list(urging_notices_of(case)) if registry.document_kind(SUPERVISION_NOTICE) is not None else []
    if notices:
        # The case is this page's: whether the user supervises it is asked once, not per notice.
        info = case_documents(case)
        supervises = bool(info and info.supervises(user, case))
        links += [
            DocumentLink(
                kind=SUPERVISION_NOTICE, url=reverse("document-pdf", args=[SUPERVISION_NOTICE, notice.pk]),
                label=_("督办通知单：%(step)s（%(day)s）") % {"step": notice.step, "day": timezone.localtime(notice.deadline).strftime("%Y-%m-%d")},
            )
            for notice in notices
            if notice.case_id is not None and (supervises or _notice_department_reader(user, notice))
        ]
    return links


def font_report() -> dict:
    return fonts.report()


# --- what the engine's own documents need from a case type ----------------------------------------
@dataclass(frozen=True)
class CaseDocuments:
    """What a case app tells the engine about its cases for the engine's own
    documents (the supervision notice), registered with ``register_case_documents``:

    * ``noun``: what the case is called in running text ("提案", "诉求");
    * ``number(case)``: its number as printed;
    * ``title(case)``: its title (案由 / 诉求标题);
    * ``issuer(case)``: the department issuing its supervision notices (the
      supervising unit, the proposal office, the dispatch centre); None: the
      name in settings.SUPERVISION_NOTICE_ISSUER, without a document number;
    * ``supervises(user, case)``: who may read its supervision notices besides
      the department concerned (the case's supervisors and its office).
    """

    model: str
    noun: Any
    number: Callable[[Any], str]
    title: Callable[[Any], str]
    issuer: Callable[[Any], Any]
    supervises: Callable[[Any, Any], bool]


_case_documents: dict[str, CaseDocuments] = {}


def register_case_documents(info: CaseDocuments) -> None:
    _case_documents[info.model.lower()] = info


def case_documents(case) -> CaseDocuments | None:
    return _case_documents.get(case._meta.label_lower) if case is not None else None


def document_number_for(*, obj, kind: str, department, series: str) -> str:
    """The number a document about `obj` carries: drawn from the issuer's
    `series` at its first render (workflow.services.document_number_issue),
    the same in every later version."""
    from .models import DocumentNumber
    from .services import document_number_issue

    content_type = ContentType.objects.get_for_model(obj)
    found = DocumentNumber.objects.filter(content_type=content_type, object_id=obj.pk, kind=kind).values_list("number", flat=True).first()
    if found:
        return found
    now = timezone.now()
    with transaction.atomic():
        number = document_number_issue(
            department=department, year=timezone.localtime(now).year, series=series,
            is_used=lambda n: DocumentNumber.objects.filter(department=department, number=n).exists(),
        )
        row, _created = DocumentNumber.objects.get_or_create(
            content_type=content_type, object_id=obj.pk, kind=kind,
            defaults={"department": department, "number": number, "issued_at": now},
        )
    return row.number


# --- the supervision notice (督办通知单), about an urging notice -------------------------------------
SUPERVISION_NOTICE = "supervision_notice"
SUPERVISION_SERIES = "supervision"
SUPERVISION_RULE = ("supervision", "notice_response")  # (case kind, step) of the time-limit rule "办结时限"


def _notice_task(notice):
    try:
        return notice.task
    except Exception:  # the task model is gone (a case app removed): the notice still prints
        return None


def supervision_notice_facts(notice, *, today=None) -> dict:
    """What a supervision notice says: as of when (today, or the day the step
    was done), how many working days overdue, the breach record, and by when
    the department must report back (the time-limit rule "supervision /
    notice_response", 3 working days by default, from the notice's date)."""
    from .models import BreachRecord
    from .rules import RuleMissing, rule_deadline
    from .workdays import CalendarYearMissing, add_working_days, working_days_between

    today = today or timezone.localdate()
    task = _notice_task(notice)
    finished = getattr(task, "finished", None)
    as_of = min(today, timezone.localtime(finished).date()) if finished else today
    deadline_day = timezone.localtime(notice.deadline).date()
    breach = BreachRecord.objects.filter(task_type_id=notice.task_type_id, task_id=notice.task_id, deadline=notice.deadline).first()
    try:
        late = max(working_days_between(deadline_day, as_of), 0)
    except CalendarYearMissing:
        late = breach.working_days_late if breach else None
    try:
        respond_by = timezone.localtime(rule_deadline(case_kind=SUPERVISION_RULE[0], step=SUPERVISION_RULE[1], start=notice.issued_at)).date()
    except (RuleMissing, CalendarYearMissing):
        try:
            respond_by = add_working_days(timezone.localtime(notice.issued_at).date(), 3)
        except CalendarYearMissing:
            respond_by = None
    return {"as_of": as_of, "finished": finished, "late": late, "breach": breach, "respond_by": respond_by, "deadline_day": deadline_day}


def supervision_notice_context(notice) -> dict:
    case = notice.case
    info = case_documents(case)
    department = info.issuer(case) if info else None
    issuer = department.name if department else str(getattr(settings, "SUPERVISION_NOTICE_ISSUER", "") or _("督查室"))
    doc_number = document_number_for(obj=notice, kind=SUPERVISION_NOTICE, department=department, series=SUPERVISION_SERIES) if department else ""
    facts = supervision_notice_facts(notice)
    noun = str(info.noun) if info else _("案件")
    number = info.number(case) if info else str(notice.case_id)
    title = info.title(case) if info else str(case)
    handler = notice.department.name if notice.department_id else _("承办单位")
    late = facts["late"]
    late_text = _("%(n)d个工作日") % {"n": late} if late is not None else _("（工作日历未配置，无法计算）")
    if facts["finished"]:
        state = _("该环节已于%(day)s办结，逾期%(late)s。") % {"day": chinese_date(facts["finished"]), "late": late_text}
    else:
        state = _("截至%(day)s，该环节尚未办结，已逾期%(late)s。") % {"day": chinese_date(facts["as_of"]), "late": late_text}
    paragraphs = [
        _("你单位承办的%(noun)s“%(title)s”（编号：%(number)s），“%(step)s”环节的办理期限为%(deadline)s。") % {
            "noun": noun, "title": title, "number": number, "step": notice.step, "deadline": chinese_date(facts["deadline_day"]),
        } + state,
    ]
    if facts["breach"] is not None:
        paragraphs.append(_("依照办理时限规定，该环节已属严重逾期，%(day)s已记入违诺记录（逾期%(n)d个工作日）。") % {
            "day": chinese_date(facts["breach"].created_at), "n": facts["breach"].working_days_late,
        })
    respond_by = chinese_date(facts["respond_by"]) if facts["respond_by"] else _("收到本通知后3个工作日内")
    required = _("请你单位接到本通知后抓紧办理，于%(day)s前办结，并将办理情况（含逾期原因和改进措施）书面报送%(issuer)s。") % {
        "day": respond_by, "issuer": issuer,
    }
    paragraphs += [required, _("特此通知。")]
    fields = [
        (_("督办事项"), f"{noun}“{title}”（{number}）"),
        (_("承办单位"), handler),
        (_("办理环节"), _("%(step)s（期限：%(day)s）") % {"step": notice.step, "day": chinese_date(facts["deadline_day"])}),
        (_("逾期情况"), (_("已办结，") if facts["finished"] else "") + _("逾期%(late)s") % {"late": late_text}
         + (_("（严重逾期，已记违诺）") if facts["breach"] is not None else "")),
        (_("签收情况"), _("%(who)s于%(day)s签收") % {"who": notice.signed_by.full_name or notice.signed_by, "day": chinese_date(notice.signed_at)}
         if notice.signed_at and notice.signed_by_id else _("未签收")),
    ]
    return {
        "title": _("督办通知单"),
        "issuer": issuer,
        "issuer_size_pt": issuer_size_pt(issuer),
        "doc_number": doc_number,
        "class_mark": "",
        "salutation": f"{handler}：",
        "paragraphs": [{"level": 0, "head": typeset_text(p), "rest": ""} for p in paragraphs],
        "fields": fields,
        "signer": issuer,
        "date": chinese_date(notice.issued_at),
        "seal_url": seal_url(department) if department else "",
        "public": False,
        "contact_note": "",
        "copy_to": "",
    }


def supervision_notice_can_download(user, notice) -> bool:
    """The department concerned (its handlers and leaders), administrators, and
    whoever the case app says supervises the case (its supervisors, its office)."""
    if _notice_department_reader(user, notice):
        return True
    if not (user and user.is_authenticated):
        return False
    case = notice.case
    info = case_documents(case)
    return bool(info and case is not None and info.supervises(user, case))


def _notice_department_reader(user, notice) -> bool:
    """Administrators and the notice's department (its handlers and leaders): from the
    user's memberships, no query per notice."""
    from .roles import EngineRole
    from .selectors import user_membership_pairs

    if not (user and user.is_authenticated):
        return False
    pairs = user_membership_pairs(user=user)
    if user.is_superuser or any(role == EngineRole.ADMIN for role, _d in pairs):
        return True
    return bool(notice.department_id and {(EngineRole.HANDLER, notice.department_id), (EngineRole.DEPT_LEADER, notice.department_id)} & set(pairs))


def _supervision_notice_filename(notice) -> str:
    case = notice.case
    info = case_documents(case)
    number = info.number(case) if info else str(notice.case_id)
    return f"督办通知单-{number}-{notice.step}-{notice.pk}"


def _load_urging_notice(pk: int):
    from .models import UrgingNotice

    return UrgingNotice.objects.select_related("department", "signed_by").get(pk=pk)


def urging_notices_of(case):
    """The urging notices about `case` (for its page's document links)."""
    from .models import UrgingNotice

    if case_documents(case) is None:
        return []
    return list(
        UrgingNotice.objects.filter(case_type=ContentType.objects.get_for_model(case, for_concrete_model=True), case_id=case.pk)
        .select_related("department", "signed_by").order_by("issued_at", "pk")
    )


def register_engine_documents() -> None:
    """The engine's own document kind (the supervision notice), its number series and its time limit."""
    registry.register_document_series(SUPERVISION_SERIES, "督办通知单", "{prefix}督〔{year}〕{number}号")
    registry.register_time_limits([(*SUPERVISION_RULE, "", "督办通知单办结时限", 3, "wd", 0, "督办通知单发出后，承办单位报送办理情况")])
    registry.register_document_kind(registry.DocumentKind(
        code=SUPERVISION_NOTICE, label=gettext_lazy("督办通知单（PDF）"), model="workflow.UrgingNotice",
        template="documents/letter.html", context=supervision_notice_context, can_download=supervision_notice_can_download,
        available=lambda n: n.case_id is not None,
        version=lambda n: (f"urging:{n.pk}:{'signed' if n.signed_at else 'open'}", n.signed_at or n.issued_at),
        filename=_supervision_notice_filename, load=_load_urging_notice, app="workflow", order=200,
    ))
    from .reports import register_report_documents

    register_report_documents()  # the periodic report (通报): workflow.reports


# --- bulk generation (Celery), packed into a ZIP ------------------------------------------------------
@dataclass(frozen=True)
class BatchSource:
    """A set of documents a case app offers to generate in bulk (e.g. every
    reply letter of a session), registered with ``register_batch_source``:

    * ``kind``: the document kind;
    * ``choices() -> [(value, label)]``: what the user picks (a session);
    * ``object_ids(value) -> [int]``: the objects of that choice;
    * ``can_start(user)``: who may run it and download its ZIP (the office).
    """

    code: str
    label: Any
    kind: str
    choices: Callable[[], list]
    object_ids: Callable[[str], list]
    can_start: Callable[[Any], bool]


_batch_sources: dict[str, BatchSource] = {}
BATCH_STALE_SECONDS = 600  # a "running" batch not touched for this long is taken over by the next run


def register_batch_source(source: BatchSource) -> None:
    _batch_sources[source.code] = source


def batch_sources(*, user) -> list[BatchSource]:
    return [s for s in _batch_sources.values() if user.is_authenticated and s.can_start(user)]


def batch_source(code: str) -> BatchSource | None:
    return _batch_sources.get(code)


def document_batch_can_read(*, user, batch) -> bool:
    source = _batch_sources.get(batch.source)
    return bool(user.is_authenticated and source is not None and (batch.requested_by_id == user.pk or source.can_start(user)))


def document_batches_for(*, user):
    from .models import DocumentBatch

    sources = [s.code for s in batch_sources(user=user)]
    return DocumentBatch.objects.filter(source__in=sources).select_related("requested_by").order_by("-created_at", "-pk")


def document_batch_start(*, actor, source: str, choice: str):
    """Fix the set of objects and queue the Celery task (after the commit)."""
    from .models import DocumentBatch
    from .tasks import document_batch_run

    spec = _batch_sources.get(source)
    if spec is None or not (actor.is_authenticated and spec.can_start(actor)):
        raise PermissionDenied(_("您无权批量生成文书。"))
    labels = dict((str(v), str(label)) for v, label in spec.choices())
    if str(choice) not in labels:
        raise ValidationError({"choice": _("请选择要生成的范围。")})
    ids = sorted({int(i) for i in spec.object_ids(str(choice))})
    if not ids:
        raise ValidationError({"choice": _("所选范围内没有可生成的文书。")})
    now = timezone.now()
    with transaction.atomic():
        batch = DocumentBatch.objects.create(
            source=source, kind=spec.kind, label=f"{spec.label}：{labels[str(choice)]}"[:200], object_ids=ids, total=len(ids),
            requested_by=actor, created_at=now, updated_at=now,
        )
        transaction.on_commit(lambda: delay_or_log(document_batch_run, batch.pk))
    return batch


def document_batches_due() -> list[int]:
    """Batches to queue again: pending for over a minute (never started) or running
    without progress for BATCH_STALE_SECONDS (a worker stopped half-way)."""
    from datetime import timedelta

    from django.db.models import Q

    from .models import DocumentBatch

    now = timezone.now()
    return list(DocumentBatch.objects.filter(
        Q(status=DocumentBatch.Status.PENDING, created_at__lt=now - timedelta(seconds=60))
        | Q(status=DocumentBatch.Status.RUNNING, updated_at__lt=now - timedelta(seconds=BATCH_STALE_SECONDS)),
    ).order_by("pk").values_list("pk", flat=True)[:100])


def _claim(batch_id: int) -> bool:
    from datetime import timedelta

    from django.db.models import Q

    from .models import DocumentBatch

    now = timezone.now()
    stale = now - timedelta(seconds=BATCH_STALE_SECONDS)
    return bool(DocumentBatch.objects.filter(
        Q(status=DocumentBatch.Status.PENDING) | Q(status=DocumentBatch.Status.RUNNING, updated_at__lt=stale), pk=batch_id,
    ).update(status=DocumentBatch.Status.RUNNING, updated_at=now))


BATCH_CHUNK_SIZE = 10  # documents per chunk task (settings.DOCUMENTS_BATCH_CHUNK_SIZE)


def batch_chunk_size() -> int:
    return max(1, int(getattr(settings, "DOCUMENTS_BATCH_CHUNK_SIZE", BATCH_CHUNK_SIZE)))


def _batch_chunks(batch) -> list:
    """The batch's chunks, made on first run (twice: the unique index keeps one set)."""
    from .models import DocumentBatchChunk

    chunks = list(DocumentBatchChunk.objects.filter(batch=batch).order_by("index"))
    if chunks:
        return chunks
    size, now = batch_chunk_size(), timezone.now()
    ids = list(batch.object_ids)
    DocumentBatchChunk.objects.bulk_create([
        DocumentBatchChunk(batch=batch, index=n, object_ids=ids[start:start + size], updated_at=now)
        for n, start in enumerate(range(0, len(ids), size))
    ], ignore_conflicts=True)
    return list(DocumentBatchChunk.objects.filter(batch=batch).order_by("index"))


def document_batch_run(*, batch_id: int) -> str:
    """Start (or take over) a batch: split it into chunks of batch_chunk_size()
    documents and queue one Celery task per chunk not done yet
    (workflow.document_batch_chunk), so that every worker process renders; the
    last chunk to finish packs the ZIP. Safe to run twice: a finished batch, or
    one another worker started less than BATCH_STALE_SECONDS ago, is left alone;
    a batch without progress for that long is taken over: its chunks done stay
    done, the others are queued again (each resumes after its last document)."""
    from .models import DocumentBatch, DocumentBatchChunk
    from .tasks import document_batch_chunk

    if not _claim(batch_id):
        return DocumentBatch.objects.filter(pk=batch_id).values_list("status", flat=True).first() or "missing"
    batch = DocumentBatch.objects.get(pk=batch_id)
    try:
        chunks = _batch_chunks(batch)
    except Exception as exc:
        logger.exception("document batch %s failed", batch_id)
        DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.FAILED, error=str(exc)[:2000], updated_at=timezone.now())
        raise
    todo = [chunk.index for chunk in chunks if chunk.status != DocumentBatchChunk.Status.DONE]
    if not todo:  # every chunk done, the ZIP not made (its packer died): pack here
        _batch_pack_if_complete(batch_id)
    for index in todo:
        delay_or_log(document_batch_chunk, batch_id, index)
    return DocumentBatch.objects.filter(pk=batch_id).values_list("status", flat=True).first() or "missing"


BATCH_PROGRESS_SECONDS = 1.0  # a chunk counts its documents in the batch's progress at most this often (and at its end)


def document_batch_chunk_run(*, batch_id: int, index: int) -> str:
    """Render one chunk of a batch (document_issue: an unchanged document is not
    rendered again), counting its documents in the batch's progress as it goes.
    The chunk's objects and their latest versions are loaded with one query
    each; each document's HTML is rendered once (its hash is the reuse check,
    the same string becomes the PDF). A document that fails is logged and
    recorded (the batch's `failed` and `error`), and the chunk goes on. Safe
    to run twice: a chunk done, or one another worker runs, is left alone; a
    chunk without progress for BATCH_STALE_SECONDS is taken over and resumes
    after its last counted document. Documents are counted at most every
    BATCH_PROGRESS_SECONDS and at the chunk's end, by moving the chunk's
    `done` from n (what it last counted) to n + k in the same transaction as
    the batch's counters: a run that lost its chunk to another can count
    nothing more (and a document it handled but did not count is simply
    handled again by the new run: reused, as its HTML is unchanged)."""
    import time
    from datetime import timedelta

    from django.db.models import F, Q

    from .models import DocumentBatch, DocumentBatchChunk

    now = timezone.now()
    stale = now - timedelta(seconds=BATCH_STALE_SECONDS)
    chunks = DocumentBatchChunk.objects.filter(batch_id=batch_id, index=index)
    claimed = chunks.filter(
        Q(status=DocumentBatchChunk.Status.PENDING) | Q(status=DocumentBatchChunk.Status.RUNNING, updated_at__lt=stale),
        batch__status=DocumentBatch.Status.RUNNING,
    ).update(status=DocumentBatchChunk.Status.RUNNING, updated_at=now)
    if not claimed:
        return chunks.values_list("status", flat=True).first() or "missing"
    chunk = chunks.get()
    batch = DocumentBatch.objects.select_related("requested_by").get(pk=batch_id)
    spec = _kind(batch.kind)
    results = list(chunk.results)[: chunk.done]
    todo = list(chunk.object_ids[chunk.done:])
    try:
        objects = document_objects(kind=batch.kind, pks=todo)
    except Exception:  # e.g. the model is gone: each document fails below on its own
        logger.exception("document batch %s: loading chunk %s failed", batch_id, index)
        objects = {}
    try:
        latest = document_latest_many(model_label=spec.model, pks=list(objects), kind=batch.kind)
    except Exception:
        logger.exception("document batch %s: loading chunk %s's versions failed", batch_id, index)
        latest = None

    counted, failed, last = len(results), 0, time.monotonic()

    def count() -> bool:
        """The documents handled since the last count, into the chunk and the batch at once."""
        nonlocal counted, failed, last
        now = timezone.now()
        with transaction.atomic():
            moved = DocumentBatchChunk.objects.filter(pk=chunk.pk, done=counted).update(
                done=len(results), results=results, updated_at=now,
            )
            if moved:
                DocumentBatch.objects.filter(pk=batch_id).update(
                    done=F("done") + (len(results) - counted), failed=F("failed") + failed, updated_at=now,
                )
        counted, failed, last = len(results), 0, time.monotonic()
        return bool(moved)

    for pk in todo:
        case = objects.get(pk)
        if case is None or not spec.available(case):  # removed or changed since: skipped, counted
            entry = {"id": pk, "skipped": True}
        else:
            try:
                known = {"latest": latest.get(pk)} if latest is not None else {}
                doc = document_issue(actor=batch.requested_by, case=case, kind=batch.kind, **known)
                entry = {"id": pk, "doc": doc.pk, "name": document_filename(case=case, kind=batch.kind)}
            except Exception as exc:
                logger.exception("document batch %s: %s %s failed", batch_id, batch.kind, pk)
                entry = {"id": pk, "error": (str(exc) or exc.__class__.__name__)[:300]}
                failed += 1
        results.append(entry)
        if time.monotonic() - last >= BATCH_PROGRESS_SECONDS and not count():
            return "taken over"
    if counted < len(results) and not count():
        return "taken over"
    DocumentBatchChunk.objects.filter(pk=chunk.pk, done=len(chunk.object_ids)).update(
        status=DocumentBatchChunk.Status.DONE, updated_at=timezone.now(),
    )
    _batch_pack_if_complete(batch_id)  # after the chunk's own commit: the last one to finish sees all done
    return DocumentBatchChunk.Status.DONE


def _batch_pack_if_complete(batch_id: int) -> bool:
    """Pack the ZIP when every chunk is done, exactly once: whoever moves `packing_at`
    from empty (or from a packer stale for BATCH_STALE_SECONDS) packs."""
    from datetime import timedelta

    from django.db.models import Q

    from .models import DocumentBatch, DocumentBatchChunk

    if DocumentBatchChunk.objects.filter(batch_id=batch_id).exclude(status=DocumentBatchChunk.Status.DONE).exists():
        return False
    now = timezone.now()
    stale = now - timedelta(seconds=BATCH_STALE_SECONDS)
    if not DocumentBatch.objects.filter(
        Q(packing_at__isnull=True) | Q(packing_at__lt=stale), pk=batch_id, status=DocumentBatch.Status.RUNNING,
    ).update(packing_at=now, updated_at=now):
        return False
    try:
        _batch_pack(DocumentBatch.objects.get(pk=batch_id))
    except Exception as exc:
        logger.exception("document batch %s failed", batch_id)
        DocumentBatch.objects.filter(pk=batch_id).update(status=DocumentBatch.Status.FAILED, error=str(exc)[:2000], updated_at=timezone.now())
        raise
    return True


def _batch_pack(batch) -> None:
    """The ZIP of the documents made, in the batch's order (spooled to disk past 32 MB),
    and the list of those that failed in `error`."""
    import tempfile
    import zipfile

    from django.core.files import File

    from .models import DocumentBatch, DocumentBatchChunk

    entries = [entry for results in DocumentBatchChunk.objects.filter(batch=batch).order_by("index").values_list("results", flat=True)
               for entry in results]
    docs = GeneratedDocument.objects.in_bulk([entry["doc"] for entry in entries if entry.get("doc")])
    failures = [entry for entry in entries if "error" in entry]
    names: set[str] = set()
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
            for entry in entries:
                if not entry.get("doc"):
                    continue
                name = entry["name"]
                if name in names:
                    name = f"{name[:-4]}-{entry['id']}.pdf"
                names.add(name)
                archive.writestr(name, document_read(docs[entry["doc"]]))
        size = spool.tell()
        spool.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: spool.read(1024 * 1024), b""):
            digest.update(block)
        spool.seek(0)
        if batch.file:
            batch.file.storage.delete(batch.file.name)
        batch.file.save("batch.zip", File(spool), save=False)
    batch.sha256, batch.size = digest.hexdigest(), size
    batch.failed = len(failures)
    batch.error = "\n".join(_("对象 %(id)s：%(error)s") % {"id": f["id"], "error": f["error"]} for f in failures)[:2000]
    batch.status, batch.finished_at, batch.updated_at = DocumentBatch.Status.DONE, timezone.now(), timezone.now()
    batch.save(update_fields=["file", "sha256", "size", "failed", "error", "status", "finished_at", "updated_at"])


def document_batch_read(batch) -> bytes:
    with batch.file.open("rb") as f:
        content = f.read()
    if hashlib.sha256(content).hexdigest() != batch.sha256:
        raise ValidationError(_("压缩包校验失败（SHA-256 不符），请重新生成。"))
    return content
