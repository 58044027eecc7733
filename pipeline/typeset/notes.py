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

# ①…⑳: Unicode's circled numbers stop at twenty (U+2460–U+2473). The shipped fonts, cut to GBK,
# have ①–⑩ only; a mark whose circled number the font lacks (or past ⑳) is the number's digits,
# set as a superscript in the text and at the foot — never a blank box.
CIRCLED = "".join(chr(c) for c in range(0x2460, 0x2474))
SUPERSCRIPT = 0.6        # the digits' size and rise, as a fraction of the text's (like <sup>)
SEPARATOR = 12.0        # above the first note of a page: space, the short rule, space
RULE_SHARE = 0.25       # the rule is a quarter of the text width


def mark_text(number: int, font: str) -> str:
    """Note ``number``'s mark in ``font``: its circled number if there is one and the font has it,
    else its digits (see :func:`is_circled`)."""
    if 1 <= number <= len(CIRCLED) and ord(CIRCLED[number - 1]) in pdfmetrics.getFont(font).face.charToGlyph:
        return CIRCLED[number - 1]
    return str(number)


def is_circled(mark: str) -> bool:
    return mark in CIRCLED


class Footnotes:
    """The footnotes of the page being laid out and the numbering of their marks."""

    def __init__(self, numbering: str = "page"):
        self.numbering = numbering          # "page" or "chapter": when the marks start again at ①
        self.counter = 0
        self.numbers: dict[int, int] = {}   # id(Footnote) → its number
        self.page: list = []                # (number, CJKParagraph of the note) placed on this page
        self._heights: dict[tuple[int, float], float] = {}
        self.rule_colour = RULE             # the theme's rule colour (set by typeset_document)
        self.style = FOOTNOTE               # the theme's note size (set by typeset_document)

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

        hang = 1.5 * self.style.size
        mark = mark_text(number, self.style.font)
        # a circled number is the note's marker; digits are drawn as a superscript by end_page
        para = CJKParagraph(note.runs, self.style, hang=hang, marker=mark if is_circled(mark) else "", state=state)
        para.footnote_digits = "" if is_circled(mark) else mark
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
    def _draw_superscript(self, canvas, para, x: float, y: float) -> None:
        """The digits of a note's mark, raised and small, where a circled marker would stand."""
        style = para.style
        # the first line's baseline, as CJKParagraph.draw places it
        base = y + para.height - style.leading + (style.leading - style.size) / 2 + 0.12 * style.size
        canvas.saveState()
        canvas.setFillColor(style.color)
        canvas.setFont(style.font, style.size * SUPERSCRIPT)
        canvas.drawString(x, base + style.size * (1 - SUPERSCRIPT), para.footnote_digits)
        canvas.restoreState()

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
                if para.footnote_digits:
                    self._draw_superscript(canvas, para, x, y)
        self.page = []
        if self.numbering == "page":
            self.counter = 0
            self.numbers.clear()
        if frame is not None:
            frame._geom()    # the next page starts with the frame's full height


def draw_mark(canvas, x: float, y: float, width: float, run, number: int) -> None:
    """A footnote mark in the box the line breaker reserved for ① (the run is a superscript already);
    digits wider than the box are condensed."""
    text = mark_text(number, run.font)
    natural = pdfmetrics.stringWidth(text, run.font, run.size)
    draw_condensed(canvas, text, x, y, run.font, run.size, width / natural if natural > width > 0 else 1.0)


def draw_condensed(canvas, text: str, x: float, y: float, font: str, size: float, scale: float) -> None:
    """``text`` at (x, y), condensed horizontally by ``scale`` (1 = natural width)."""
    if scale != 1.0:
        # the horizontal scale is text state, which outlives the text object: without q … Q the rest
        # of the line (drawn after this box) would come out condensed too
        canvas.saveState()
    t = canvas.beginText(x, y)
    t.setFont(font, size)
    t.setHorizScale(100.0 * scale)
    t.textOut(text)
    canvas.drawText(t)
    if scale != 1.0:
        canvas.restoreState()
