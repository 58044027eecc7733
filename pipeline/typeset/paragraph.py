"""Paragraphs set by our Chinese line breaker (:mod:`pipeline.linebreak`), drawn glyph run by glyph run."""
from __future__ import annotations

from reportlab.platypus import Flowable

from ..linebreak import Run, break_lines
from ..model import TextRun
from .fonts import _widths, advance
from .styles import BODY, TextStyle


def _to_runs(runs: tuple[TextRun, ...], style: TextStyle) -> list[Run]:
    out = []
    for r in runs:
        size = style.size * (0.6 if (r.sup or r.sub) else 1.0)
        rise = style.size * 0.4 if r.sup else (-style.size * 0.15 if r.sub else 0.0)
        out.append(Run(r.text, style.bold_font if r.bold else style.font, size, rise, r.link))
    return out


class CJKParagraph(Flowable):
    """A paragraph set by our Chinese line breaker, drawn glyph run by glyph run."""

    def __init__(self, runs: tuple[TextRun, ...], style: TextStyle = BODY, lines=None, first: bool = True):
        super().__init__()
        self.runs_in = runs
        self.runs = _to_runs(runs, style)
        self.style = style
        self.lines = lines
        self.first = first
        self._width = None
        self.spaceBefore = style.space_before
        self.spaceAfter = style.space_after

    def wrap(self, availWidth, availHeight):
        if self.lines is None or self._width != availWidth:
            indent = self.style.indent_em * self.style.size if self.first else 0.0
            self.lines = break_lines(self.runs, availWidth, advance, first_indent=indent,
                                     strict=self.style.strict, justify=self.style.justify)
            self._width = availWidth
        self.width = availWidth
        self.height = len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, availWidth, availHeight):
        self.wrap(availWidth, availHeight)
        fit = int((availHeight + 1e-6) // self.style.leading)
        n = len(self.lines)
        # two lines at least on each side: no orphans, no widows
        if n < 4 or fit < 2:
            return [] if fit < n else [self]
        fit = min(fit, n - 2)
        if fit < 2:
            return []
        head = CJKParagraph(self.runs_in, self.style, self.lines[:fit], self.first)
        head._width = availWidth
        head.spaceAfter = 0
        tail = CJKParagraph(self.runs_in, self.style, self.lines[fit:], False)
        tail._width = availWidth
        tail.spaceBefore = 0
        return [head, tail]

    def draw(self):
        canvas = self.canv
        style = self.style
        # baseline of the first line: centre the em box in the leading
        y = self.height - style.leading + (style.leading - style.size) / 2 + 0.12 * style.size
        for line in self.lines:
            dx = 0.0
            if not style.justify or line.last:
                if style.align == "center":
                    dx = (self.width - line.width) / 2
                elif style.align == "right":
                    dx = self.width - line.width
            draw_line(canvas, line, self.runs, dx, y, style.color)
            y -= style.leading


def draw_line(canvas, line, runs, dx: float, y: float, color) -> None:
    """Draw a set line as few text segments as possible.

    A segment is a stretch of glyphs with one font, size and rise whose gaps
    are all equal; that gap becomes the PDF character spacing (Tc), so the
    justified line needs one text operator per segment, not one per glyph.
    """
    glyphs = line.glyphs
    if not glyphs:
        return
    text = canvas.beginText()
    text.setFillColor(color)
    i = 0
    n = len(glyphs)
    links: dict[str, list[float]] = {}
    while i < n:
        g0 = glyphs[i]
        run = runs[g0.run]
        widths, default = _widths(run.font)
        scale = run.size / 1000.0
        j = i + 1
        tc = None
        while j < n:
            g = glyphs[j]
            prev = glyphs[j - 1]
            if g.run != g0.run and (runs[g.run].font, runs[g.run].size, runs[g.run].rise) != \
                    (run.font, run.size, run.rise):
                break
            natural = widths.get(ord(prev.char), default) * scale
            gap = g.x - (prev.x + natural)
            if tc is None:
                tc = gap
            elif abs(gap - tc) > 0.005:
                break
            j += 1
        chars = "".join(g.char for g in glyphs[i:j])
        text.setFont(run.font, run.size)
        text.setCharSpace(tc or 0.0)
        text.setTextOrigin(dx + g0.x, y + run.rise)
        text.textOut(chars)
        for g in glyphs[i:j]:
            link = runs[g.run].link
            if link:
                box = links.setdefault(link, [dx + g.x, dx + g.x + g.advance])
                box[0] = min(box[0], dx + g.x)
                box[1] = max(box[1], dx + g.x + g.advance)
        i = j
    canvas.drawText(text)
    for url, (x0, x1) in links.items():
        size = runs[0].size
        canvas.linkURL(url, (x0, y - 0.2 * size, x1, y + 0.9 * size), relative=1, thickness=0)
