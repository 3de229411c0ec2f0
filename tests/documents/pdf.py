"""Reading the produced PDFs (pdfplumber, pypdf): lines of characters, in millimetres."""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass

import pdfplumber
from pypdf import PdfReader

MM = 72 / 25.4  # points per millimetre

# The GB/T 9704 text block: 37 mm from the top, 28 mm from the left edge, 156 x 225 mm.
BLOCK_TOP, BLOCK_LEFT, BLOCK_WIDTH, BLOCK_HEIGHT = 37.0, 28.0, 156.0, 225.0
BLOCK_RIGHT, BLOCK_BOTTOM = BLOCK_LEFT + BLOCK_WIDTH, BLOCK_TOP + BLOCK_HEIGHT


@dataclass
class Line:
    page: int
    baseline: float  # mm from the top edge
    top: float  # mm from the top edge (the characters' box)
    bottom: float
    x0: float  # mm from the left edge
    x1: float
    text: str
    sizes: set
    fonts: set
    chars: list


def mm(points: float) -> float:
    return points / MM


def lines(pdf_bytes: bytes) -> list[Line]:
    """Every line of text, page by page, top to bottom (characters sharing a baseline)."""
    out = []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            rows = defaultdict(list)
            for c in page.chars:
                rows[round(page.height - c["matrix"][5])].append(c)  # by baseline: faces differ in ascent
            for key in sorted(rows):
                cs = sorted(rows[key], key=lambda c: c["x0"])
                out.append(Line(
                    page=page.page_number, baseline=mm(key), top=mm(min(c["top"] for c in cs)), bottom=mm(max(c["bottom"] for c in cs)),
                    x0=mm(cs[0]["x0"]), x1=mm(cs[-1]["x1"]), text="".join(c["text"] for c in cs),
                    sizes={round(c["size"], 1) for c in cs}, fonts={c["fontname"] for c in cs}, chars=cs,
                ))
    return out


def page_sizes_mm(pdf_bytes: bytes) -> list[tuple[float, float]]:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return [(round(float(p.mediabox.width) / MM, 1), round(float(p.mediabox.height) / MM, 1)) for p in reader.pages]


def rects(pdf_bytes: bytes, page_number: int) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        page = pdf.pages[page_number - 1]
        return [
            {"x0": mm(r["x0"]), "x1": mm(r["x1"]), "top": mm(r["top"]), "bottom": mm(r["bottom"]), "color": r.get("non_stroking_color")}
            for r in page.rects
        ]


def fonts(pdf_bytes: bytes) -> dict[str, dict]:
    """Every font of every page: {BaseFont: {"subtype", "embedded"}} (embedded: has a FontFile*)."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    found = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            descriptor = None
            if "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font["/BaseFont"])] = {"subtype": str(font["/Subtype"]), "embedded": embedded}
    return found


def text(pdf_bytes: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)
