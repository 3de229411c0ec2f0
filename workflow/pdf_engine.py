"""What WeasyPrint would otherwise redo for every document (docs/documents.md, "Speed").

A reply letter costs a few tenths of a second of CPU, almost all in WeasyPrint: layout,
drawing, subsetting four CJK fonts of 65,535 glyphs each (HarfBuzz) and
deflating the subset fonts. What is avoidable is avoided here:

* the font configuration (Pango's font map, fontconfig's lookups): one per
  thread, reused by every document the thread renders (Pango's font map is
  not thread-safe: the web server's threads each get their own);
* the copy of each whole font file (~90 MB a letter, for four CJK faces)
  that WeasyPrint makes and HarfBuzz's subsetter never reads: made only if
  something reads it;
* the subsetting of CFF fonts (Noto CJK): one HarfBuzz pass instead of
  WeasyPrint's two, same bytes (``one_pass_subset``);
* the deflate level: pydyf compresses every stream at level 9, which on
  subset fonts costs about 1.7 times the time of level 6 for 0.3 % smaller
  files.

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


_DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


def one_pass_subset(font, to_unicode, hinting) -> bytes | None:
    """The subset WeasyPrint makes of a CFF (OpenType/CFF, e.g. Noto CJK) font, in one
    HarfBuzz pass instead of two. WeasyPrint subsets with retained glyph ids, then
    subsets the result again to all glyphs up to the last one used, without hints;
    for a CFF font the first pass already ends at the last glyph used, so asking
    for no hints in it gives the same bytes (tests/documents/test_engine.py checks
    it on every face a letter uses) in about a third of the time: ~80 ms a letter.
    None when the font is not a plain CFF font (TrueType, bitmap, glyphs missing):
    WeasyPrint's own two passes then run."""
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
    from weasyprint.text.fonts import get_hb_object_data

    if "CFF " not in font.tables or "glyf" in font.tables or font.missing or font.bitmap or not to_unicode:
        return None
    flags = (harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS | harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
             | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE)
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    subset_input = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
    glyphs = harfbuzz_subset.hb_subset_input_glyph_set(subset_input)
    gids = ffi.new(f"hb_codepoint_t[{len(to_unicode)}]", sorted(to_unicode))
    harfbuzz.hb_set_add_sorted_array(glyphs, gids, len(to_unicode))
    harfbuzz_subset.hb_subset_input_set_flags(subset_input, flags)
    drop = harfbuzz_subset.hb_subset_input_set(subset_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG)
    tags = ffi.new(f"hb_codepoint_t[{len(_DROP_TABLES)}]", tuple(harfbuzz.hb_tag_from_string(t, -1) for t in _DROP_TABLES))
    harfbuzz.hb_set_add_sorted_array(drop, tags, len(_DROP_TABLES))
    face = harfbuzz_subset.hb_subset_or_fail(font.hb_face, subset_input)
    if face == ffi.NULL:
        return None
    face = ffi.gc(face, harfbuzz.hb_face_destroy)
    return get_hb_object_data(face) or None


def _install_one_pass_subset() -> bool:
    from weasyprint.pdf import fonts as pdf_fonts

    original = pdf_fonts.Font._harfbuzz_subset
    if getattr(original, "_one_pass", False):
        return True

    def _harfbuzz_subset(self, to_unicode, hinting):
        content = one_pass_subset(self, to_unicode, hinting)
        if content is None:
            return original(self, to_unicode, hinting)
        self.file_content = content

    _harfbuzz_subset._one_pass = True
    _harfbuzz_subset.original = original
    pdf_fonts.Font._harfbuzz_subset = _harfbuzz_subset
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
    try:
        one_pass = _install_one_pass_subset()
    except Exception:
        logger.exception("one-pass CFF subsetting unavailable")
        one_pass = False
    return {"deflate_level": DEFLATE_LEVEL, "lazy_font_data": lazy, "one_pass_cff_subset": one_pass}
