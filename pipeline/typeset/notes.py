"""Footnotes: marks ①②… in the text, the notes at the foot of the same page under a short rule.

A paragraph whose lines carry marks asks, before it is placed, for room for
their notes (:meth:`Footnotes.reserve`); the frame then has that much less
height, so a line holding a mark is only placed where its note fits too (a
paragraph splits before such a line otherwise).  Once placed, the notes raise
the frame's bottom (:meth:`Footnotes.place`); the page-end hook draws them and
gives the next page its full height back (:meth:`Footnotes.end_page`).
"""
from __future__ import annotations

from reportlab.pdfbase import pdfmetrics

from .styles import FOOTNOTE, RULE
MARKS = "①②③④⑤⑥⑦⑧⑨⑩"
SEPARATOR = 12.0        # above the first note of a page: space, the short rule, space
RULE_SHARE = 0.25       # the rule is a quarter of the text width


def mark_text(number: int) -> str:
    return MARKS[number - 1] if 1 <= number <= len(MARKS) else str(number)


class Footnotes:
    """The footnotes of the page being laid out and the numbering of their marks."""

    def __init__(self, numbering: str = "page"):
        self.numbering = numbering          # "page" or "chapter": when the marks start again at ①
        self.counter = 0
        self.numbers: dict[int, int] = {}   # id(Footnote) → its number
        self.page: list = []                # (number, CJKParagraph of the note) placed on this page
        self._heights: dict[tuple[int, float], float] = {}
        self.rule_colour = RULE             # the theme's rule colour (set by typeset_document)

    # -- numbering
    def number(self, note) -> int:
        key = id(note)
        if key not in self.numbers:
            self.counter += 1
            self.numbers[key] = self.counter
        return self.numbers[key]

    def new_chapter(self) -> None:
        if self.numbering == "chapter":
            self.counter = 0
            self.numbers.clear()

    # -- room on the page
    def _paragraph(self, note, width: float, number: int, state):
        from .paragraph import CJKParagraph

        style = state.styles.footnote if state is not None else FOOTNOTE
        hang = 1.5 * style.size
        para = CJKParagraph(note.runs, style, hang=hang, marker=mark_text(number), state=state)
        para.wrap(width, 10**6)
        return para

    def height(self, note, width: float) -> float:
        key = (id(note), width)
        if key not in self._heights:
            self._heights[key] = self._paragraph(note, width, 1, None).height
        return self._heights[key]

    def reserve(self, notes, width: float) -> float:
        """The height the notes of ``notes`` not yet on this page would take at its foot."""
        placed = {id(p.note_source) for _, p in self.page}
        new = [n for n in notes if id(n) not in placed]
        if not new:
            return 0.0
        return (0.0 if self.page else SEPARATOR) + sum(self.height(n, width) for n in new)

    def place(self, notes, frame, width: float, state) -> None:
        """The notes whose marks were just drawn go to this page's foot; the frame's bottom rises."""
        placed = {id(p.note_source) for _, p in self.page}
        for note in notes:
            if id(note) in placed:
                continue
            raise_by = self.height(note, width) + (0.0 if self.page else SEPARATOR)
            para = self._paragraph(note, width, self.number(note), state)
            para.note_source = note
            self.page.append((self.number(note), para))
            if frame is not None:
                frame._y1p += raise_by

    # -- the page's foot
    def end_page(self, canvas, frame) -> None:
        if self.page:
            x = frame._x1 + frame._leftPadding
            width = frame._width - frame._leftPadding - frame._rightPadding
            y = frame._y1 + frame._bottomPadding + sum(p.height for _, p in self.page)
            canvas.saveState()
            canvas.setStrokeColor(self.rule_colour)
            canvas.setLineWidth(0.5)
            canvas.line(x, y + SEPARATOR / 2, x + width * RULE_SHARE, y + SEPARATOR / 2)
            canvas.restoreState()
            for _, para in self.page:
                y -= para.height
                para.drawOn(canvas, x, y)
        self.page = []
        if self.numbering == "page":
            self.counter = 0
            self.numbers.clear()
        if frame is not None:
            frame._geom()    # the next page starts with the frame's full height


def draw_mark(canvas, x: float, y: float, width: float, run, number: int) -> None:
    """A footnote mark in the box the line breaker reserved for ①; numbers past ⑩ are condensed."""
    text = mark_text(number)
    natural = pdfmetrics.stringWidth(text, run.font, run.size)
    draw_condensed(canvas, text, x, y, run.font, run.size, width / natural if natural > width > 0 else 1.0)


def draw_condensed(canvas, text: str, x: float, y: float, font: str, size: float, scale: float) -> None:
    """``text`` at (x, y), condensed horizontally by ``scale`` (1 = natural width)."""
    t = canvas.beginText(x, y)
    t.setFont(font, size)
    t.setHorizScale(100.0 * scale)
    t.textOut(text)
    canvas.drawText(t)
