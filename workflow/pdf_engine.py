"""What WeasyPrint would otherwise redo for every document (docs/documents.md, "Speed").

A reply letter costs about 0.3 s of CPU, most of it in WeasyPrint: layout,
drawing, subsetting four CJK fonts of 65,535 glyphs each (HarfBuzz) and
deflating the subset fonts. Three costs are per process, not per document,
and are paid once here:

* the font configuration (Pango's font map, fontconfig's lookups): one per
  thread, reused by every document the thread renders (Pango's font map is
  not thread-safe: the web server's threads each get their own);
* the copy of each whole font file (~90 MB a letter, for four CJK faces)
  that WeasyPrint makes and HarfBuzz's subsetter never reads: made only if
  something reads it;
* the deflate level: pydyf compresses every stream at level 9, which on
  subset fonts costs twice the time of level 6 for 0.3 % smaller files.

The PDF is the same document (same pages, glyphs, PDF/A metadata); only the
bytes of its compressed streams differ slightly from level 9's.
"""
from __future__ import annotations

import functools
import logging
import threading
import zlib

logger = logging.getLogger(__name__)

DEFLATE_LEVEL = 6
_local = threading.local()


def font_config():
    """This thread's WeasyPrint FontConfiguration (created on first use)."""
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config


class _Deflate:
    """pydyf's view of zlib, with its compressobj(level=9) at DEFLATE_LEVEL."""

    def __getattr__(self, name):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level=-1, *args, **kwargs):
        return zlib.compressobj(DEFLATE_LEVEL, *args, **kwargs)


class _FontData:
    """The whole font file of a face, copied out of HarfBuzz only if something reads it."""

    __slots__ = ("face",)

    def __init__(self, face):
        self.face = face


def _install_lazy_font_data() -> bool:
    """WeasyPrint copies the whole font file of every font of every document
    (Font.__init__: 20-27 MB for each Noto CJK face, ~90 MB a letter), and the
    HarfBuzz subsetter then replaces the copy unread. The copy is now made only
    when read (the fontTools fallback, variable or colour fonts, full_fonts)."""
    from weasyprint.pdf import fonts as pdf_fonts

    Font = pdf_fonts.Font
    if isinstance(Font.__dict__.get("file_content"), property):
        return True
    read = pdf_fonts.get_hb_object_data
    original_init = Font.__init__

    def get_hb_object_data(hb_object, *args, **kwargs):
        if not args and not kwargs and getattr(_local, "in_font_init", False):
            return _FontData(hb_object)
        return read(hb_object, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        _local.in_font_init = True
        try:
            original_init(self, *args, **kwargs)
        finally:
            _local.in_font_init = False

    def _get(self):
        value = self.__dict__["_file_content"]
        if isinstance(value, _FontData):
            value = self.__dict__["_file_content"] = read(value.face)
        return value

    def _set(self, value):
        self.__dict__["_file_content"] = value

    pdf_fonts.get_hb_object_data = get_hb_object_data
    Font.__init__ = __init__
    Font.file_content = property(_get, _set)
    return True


@functools.lru_cache(maxsize=1)
def install() -> dict:
    """Apply the per-process settings once (idempotent); what was applied, for reports."""
    import pydyf

    pydyf.zlib = _Deflate()
    try:
        lazy = _install_lazy_font_data()
    except Exception:  # never stop a document for a speed-up
        logger.exception("WeasyPrint's font data could not be made lazy")
        lazy = False
    return {"deflate_level": DEFLATE_LEVEL, "lazy_font_data": lazy}
