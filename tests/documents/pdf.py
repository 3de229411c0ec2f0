"""Reading the produced PDFs (pdfplumber, pypdf): lines of characters, in millimetres."""
from __future__ import annotations

import io
from collections import Counter
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
    baseline: float  # mm from the top edge: the bottom of the line's main face's character boxes
    top: float  # mm from the top edge (the characters' box)
    bottom: float
    x0: float  # mm from the left edge
    x1: float
    text: str
    sizes: set
    fonts: set
    chars: list


def keep(pdf_bytes: bytes, name: str) -> None:
    """With KEEP_PDFS=<dir> set, write the PDF there to look at (pdftoppm -png -r 60)."""
    import os
    from pathlib import Path

    folder = os.environ.get("KEEP_PDFS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.pdf").write_bytes(pdf_bytes)


def mm(points: float) -> float:
    return points / MM


def lines(pdf_bytes: bytes) -> list[Line]:
    """Every line of text, page by page, top to bottom. Characters whose boxes
    start within 3 mm of each other share a line (faces differ in ascent: a
    KaiTi heading sits a little higher in its line than the FangSong text)."""
    out = []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            rows: list[list[dict]] = []
            for c in sorted(page.chars, key=lambda c: c["top"]):
                if rows and c["top"] - rows[-1][0]["top"] < 3 * MM:
                    rows[-1].append(c)
                else:
                    rows.append([c])
            for row in rows:
                cs = sorted(row, key=lambda c: c["x0"])
                # the line's position: its most common face's character box (the body text's, in a heading line)
                main = Counter(c["fontname"] for c in cs).most_common(1)[0][0]
                ref = [c for c in cs if c["fontname"] == main]
                out.append(Line(
                    page=page.page_number, baseline=mm(max(c["bottom"] for c in ref)), top=mm(min(c["top"] for c in ref)),
                    bottom=mm(max(c["bottom"] for c in cs)),
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


def table_cells(pdf_bytes: bytes) -> list[str]:
    """The text of every table cell (lines of a cell joined), page by page."""
    cells = []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                cells += [(cell or "").replace("\n", "").replace(" ", "") for row in table for cell in row]
    return cells


def pdfa_report(pdf_bytes: bytes) -> dict:
    """What PDF/A-3b asks that can be read without a validator (veraPDF is not available):
    the XMP identification, the output intent and its ICC profile, encryption, fonts."""
    import re

    reader = PdfReader(io.BytesIO(pdf_bytes))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8") if "/Metadata" in root else ""
    part = re.search(r'pdfaid:part="?(\d)', xmp) or re.search(r"<pdfaid:part>(\d)</pdfaid:part>", xmp)
    conformance = re.search(r'pdfaid:conformance="?([ABU])', xmp) or re.search(r"<pdfaid:conformance>([ABU])</pdfaid:conformance>", xmp)
    intents = [i.get_object() for i in (root.get("/OutputIntents") or [])]
    icc = []
    for intent in intents:
        profile = intent.get("/DestOutputProfile")
        if profile is not None:
            data = profile.get_object().get_data()
            icc.append({"subtype": str(intent.get("/S")), "components": int(profile.get_object().get("/N", 0)),
                        "signature": data[36:40], "colour_space": data[16:20]})
    return {
        "part": part.group(1) if part else None,
        "conformance": conformance.group(1) if conformance else None,
        "icc": icc,
        "encrypted": reader.is_encrypted or "/Encrypt" in reader.trailer,
        "fonts_embedded": all(f["embedded"] for f in fonts(pdf_bytes).values()) and bool(fonts(pdf_bytes)),
        "header": pdf_bytes[:8],
    }
