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

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import fonts, registry
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


def html_to_pdf(html: str) -> RenderedPDF:
    """The final HTML as PDF (WeasyPrint; fonts subset and embedded)."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=str(settings.MEDIA_ROOT), url_fetcher=LocalFetcher()).render()
    return RenderedPDF(content=document.write_pdf(), pages=len(document.pages))


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


def document_render(*, actor, case, kind: str, html: str | None = None, reuse_unchanged: bool = False) -> GeneratedDocument:
    """Render the document of `kind` about `case` and store it as a new version.

    The PDF is made outside any transaction (it takes a few tenths of a
    second); the row is then written in a short one. With
    ``reuse_unchanged`` the latest version is returned instead when it was
    made from the same HTML (the data did not change)."""
    spec = _kind(kind)
    _check_model(spec, case)
    if not spec.available(case):
        raise ValidationError(_("该文书尚不能生成：%(kind)s") % {"kind": spec.label})
    html = html if html is not None else render_html(spec, case)
    source_sha256 = hashlib.sha256(html.encode("utf-8")).hexdigest()
    content_type = ContentType.objects.get_for_model(case)
    if reuse_unchanged:
        latest = document_latest(case=case, kind=kind)
        if latest is not None and latest.source_sha256 == source_sha256:
            return latest
    pdf = html_to_pdf(html)
    case_version, case_changed_at = spec.version(case) if spec.version else ("", None)
    for attempt in range(3):
        try:
            with transaction.atomic():
                same = GeneratedDocument.objects.filter(content_type=content_type, object_id=case.pk, kind=kind)
                if reuse_unchanged:
                    latest = same.order_by("-version").first()
                    if latest is not None and latest.source_sha256 == source_sha256:
                        return latest  # rendered meanwhile by another request
                version = (same.aggregate(m=Max("version"))["m"] or 0) + 1
                doc = GeneratedDocument(
                    content_type=content_type, object_id=case.pk, kind=kind, version=version,
                    sha256=hashlib.sha256(pdf.content).hexdigest(), size=len(pdf.content), pages=pdf.pages,
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


def document_issue(*, actor, case, kind: str) -> GeneratedDocument:
    """The document to hand out: generated on first request or when its data
    changed since the latest version; otherwise the stored version."""
    return document_render(actor=actor, case=case, kind=kind, reuse_unchanged=True)


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
    """The documents about `case` this user may download, for a page's links."""
    return [
        DocumentLink(kind=spec.code, label=str(spec.label), url=reverse("document-pdf", args=[spec.code, case.pk]))
        for spec in registry.document_kinds(case._meta.label_lower)
        if document_can_download(user=user, case=case, kind=spec.code)
    ]


def font_report() -> dict:
    return fonts.report()
