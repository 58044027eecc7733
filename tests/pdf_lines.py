"""Read set lines back from a PDF: characters with positions, grouped by baseline."""
from __future__ import annotations

from dataclasses import dataclass

import pymupdf


@dataclass
class Char:
    c: str
    x0: float
    x1: float       # x0 + the glyph's natural advance
    y: float        # baseline
    size: float
    font: str


@dataclass
class PdfLine:
    page: int
    chars: list[Char]

    @property
    def text(self) -> str:
        return "".join(ch.c for ch in self.chars)

    @property
    def visible(self) -> list[Char]:
        """Characters without the zero-width spaces kept at a line break."""
        chars = list(self.chars)
        while chars and chars[-1].c == " ":
            chars.pop()
        return chars


def pdf_lines(path, font_substring: str = "", size: float | None = None, clip=None) -> list[PdfLine]:
    """Every text line (optionally only one font/size), in reading order."""
    out = []
    with pymupdf.open(path) as doc:
        for page in doc:
            rows: dict[float, list[Char]] = {}
            # TEXT_INHIBIT_SPACES: report only the glyphs in the PDF (our spaces are real glyphs), no guessed ones
            raw = page.get_text("rawdict", clip=clip, flags=pymupdf.TEXT_INHIBIT_SPACES)
            for block in raw["blocks"]:
                for line in block.get("lines", []):
                    for span in line["spans"]:
                        if font_substring not in span["font"]:
                            continue
                        if size is not None and abs(span["size"] - size) > 0.05:
                            continue
                        for ch in span["chars"]:
                            y = round(ch["origin"][1], 1)
                            rows.setdefault(y, []).append(
                                Char(ch["c"], ch["origin"][0], ch["bbox"][2], y, span["size"], span["font"]))
            for y in sorted(rows):
                out.append(PdfLine(page.number, sorted(rows[y], key=lambda c: c.x0)))
    return out
