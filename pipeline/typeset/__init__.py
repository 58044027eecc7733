"""Typeset a resolved document into a PDF with ReportLab.

Takes a :class:`~pipeline.model.ResolvedDocument`, the rendered chart images
and the font files; writes the PDF to a given path (``build`` makes that
write atomic).  The only module that imports ReportLab.

Layout follows our typesetting rules (docs/typesetting.md): A4, a text block exactly 43 全角
characters wide so justified lines land on the character grid, Song (Noto
Serif SC) body at 10.5 pt (五号) with 1.6 line spacing, Hei (Noto Sans SC)
bold headings, front matter numbered i, ii, … and chapter 一 on page 1.
Paragraphs are set by :mod:`pipeline.linebreak` (our Chinese line breaker),
not by ReportLab's CJK wrap.

The stage is a package, one module per thing it lays out: ``styles`` (geometry,
colours, text styles), ``fonts``, ``paragraph`` (Chinese paragraphs), ``structure``
(headings, bookmarks), ``toc`` (目录 and lists of figures/tables), ``figures``,
``tables``, ``story`` (the document's flowables in reading order), ``document``
(page templates, cover, running heads, the entry point) and ``samples``.
"""
from __future__ import annotations

from .document import glyph_plan_of, typeset_document
from .fonts import advance, font_coverage, register_fonts
from .samples import typeset_samples
from .styles import BODY_SIZE, CHARS_PER_LINE, LEADING, TEXT_W

__all__ = ["typeset_document", "glyph_plan_of", "typeset_samples", "register_fonts", "font_coverage", "advance",
           "BODY_SIZE", "CHARS_PER_LINE", "LEADING", "TEXT_W"]
