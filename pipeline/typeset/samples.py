"""Paragraphs set in one column by our setter or ReportLab's CJK wrap (tests, benchmarks, docs)."""
from __future__ import annotations

from pathlib import Path

from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from ..model import TextRun
from .fonts import register_fonts
from .paragraph import CJKParagraph
from .styles import BODY, BODY_SIZE, LEADING, PAGE_H, SERIF


def typeset_samples(paragraphs: list[tuple[TextRun, ...]], width: float, font_files: dict[str, Path], out,
                    engine: str = "whitepaper", page_height: float = PAGE_H) -> int:
    """Set paragraphs in one column ``width`` pt wide: our setter, or ReportLab's own CJK wrap.

    Used to test the line breaker at any measure, to benchmark it against
    ``wordWrap='CJK'``, and to render before/after pictures. Returns the page count.
    """
    from xml.sax.saxutils import escape

    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph as RLParagraph

    register_fonts(font_files)
    margin = 36.0
    doc = BaseDocTemplate(out, pagesize=(width + 2 * margin, page_height), leftMargin=margin,
                          rightMargin=margin, topMargin=margin, bottomMargin=margin, invariant=1,
                          initialFontName=SERIF, title="samples")
    frame = Frame(margin, margin, width, page_height - 2 * margin, leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate("column", [frame])])
    story: list = []
    if engine == "reportlab":
        style = ParagraphStyle("body", fontName=SERIF, fontSize=BODY_SIZE, leading=LEADING,
                               firstLineIndent=2 * BODY_SIZE, alignment=TA_JUSTIFY, wordWrap="CJK")
        for runs in paragraphs:
            markup = "".join(f"<b>{escape(r.text)}</b>" if r.bold else escape(r.text) for r in runs)
            story.append(RLParagraph(markup, style))
    elif engine == "whitepaper":
        story = [CJKParagraph(runs, BODY) for runs in paragraphs]
    else:
        raise ValueError(f"unknown engine {engine!r}")
    doc.build(story)
    return doc.page
