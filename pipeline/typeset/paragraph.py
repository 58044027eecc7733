"""Paragraphs set by our Chinese line breaker (:mod:`pipeline.linebreak`), drawn glyph run by glyph run.

A paragraph may hold links (to a URL or a bookmark of the document), page numbers of
cross-references (drawn once the layout is complete, into boxes the line breaker reserved) and
footnote marks: a paragraph whose lines carry marks reserves room at the foot of the page for
their notes (see :mod:`pipeline.typeset.notes`), so a note always lands on its mark's page.
"""
from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.platypus import Flowable

from ..linebreak import Run, break_lines
from ..model import TextRun
from .fonts import _widths, advance
from .glyphplan import numbered_by_plan
from .styles import BODY, TextStyle


def _to_runs(runs: tuple[TextRun, ...], style: TextStyle) -> list[Run]:
    out = []
    for r in runs:
        size = style.size * (0.6 if (r.sup or r.sub) else 1.0)
        rise = style.size * 0.4 if r.sup else (-style.size * 0.15 if r.sub else 0.0)
        out.append(Run(r.text, style.bold_font if r.bold else style.font, size, rise, r.link, r.mark))
    return out


_broken: dict[tuple, tuple] = {}   # break_lines' results, per process (see _broken_lines)


def _broken_lines(runs: list[Run], width: float, indent: float, strict: bool, justify: bool) -> tuple:
    """break_lines, kept per process: the excerpts of a batch and the rebuilds of ``watch`` set the same
    paragraphs at the same widths again and again.  Lines are immutable; the key holds the faces whose
    widths the breaker measured, so a face registered anew is measured anew."""
    key = (tuple(runs), width, indent, strict, justify, tuple(getFont(f).face for f in sorted({r.font for r in runs})))
    lines = _broken.get(key)
    if lines is None:
        if len(_broken) > 20_000:   # a bound for a long watch session
            _broken.clear()
        lines = _broken[key] = tuple(break_lines(runs, width, advance, first_indent=indent, strict=strict,
                                                 justify=justify))
    return lines


class CJKParagraph(Flowable):
    """A paragraph set by our Chinese line breaker, drawn glyph run by glyph run.

    ``hang`` sets every line ``hang`` pt in from the left (a list item's or a
    footnote's hanging indent), with ``marker`` (• 1. （1） ①) drawn in that
    space on the first line, ``marker_x`` pt from the left.  ``notes`` are the
    paragraph's footnotes (a run's ``note`` indexes them); ``state`` the
    layout state that numbers the marks and collects the notes of a page.
    """

    def __init__(self, runs: tuple[TextRun, ...], style: TextStyle = BODY, lines=None, first: bool = True,
                 hang: float = 0.0, marker: str = "", marker_x: float = 0.0, notes=(), state=None):
        super().__init__()
        self.runs_in = runs
        self._refs = [i for i, r in enumerate(runs) if r.page_of is not None]   # cross-references' runs
        self.runs = _to_runs(runs, style)
        self.style = style
        self.lines = lines
        self.first = first
        self.hang, self.marker, self.marker_x = hang, marker, marker_x
        self.notes, self.state = tuple(notes), state
        self.known: dict[int, str] = {}   # run index → page label of a reference already laid out
        self._is_part = lines is not None
        self._width = None
        self.spaceBefore = style.space_before
        self.spaceAfter = style.space_after

    def _part(self, lines, first: bool) -> "CJKParagraph":
        part = CJKParagraph(self.runs_in, self.style, lines, first, self.hang, self.marker if first else "",
                            self.marker_x, self.notes, self.state)
        part._width = self._width
        part.known = self.known
        part._is_part = True   # its lines are fixed: never broken again
        return part

    def _known_pages(self) -> dict[int, str]:
        """Page labels of references whose target is laid out already (a reference backwards): set as
        text at their true width. A forward reference keeps the reserved box, filled in at the end."""
        if self.state is None or not self._refs:
            return {}
        return {i: self.state.label(self.runs_in[i].page_of) for i in self._refs
                if self.runs_in[i].page_of in self.state.pages}

    def wrap(self, availWidth, availHeight):
        if self.lines is not None and not self._is_part and self._known_pages() != self.known:
            self.lines = None    # a target was laid out since the last wrap: set its page number as text
        if self.lines is None or self._width != availWidth:
            self.known = self._known_pages()
            if self.known:
                from dataclasses import replace as _replace

                self.runs = [_replace(run, text=self.known[i]) if i in self.known else run
                             for i, run in enumerate(self.runs)]
            indent = self.style.indent_em * self.style.size if self.first and not self.hang else 0.0
            self.lines = _broken_lines(self.runs, availWidth - self.hang, indent, self.style.strict,
                                       self.style.justify)
            self._width = availWidth
        self.width = availWidth
        self.height = len(self.lines) * self.style.leading
        if self.notes and self.state is not None:
            reserve = self.state.notes_reserve(self._notes_on(self.lines), availWidth)
            if self.height + reserve > availHeight + 1e-6:
                return self.width, self.height + reserve   # too tall with its notes: the frame asks for a split
        return self.width, self.height

    def _notes_on(self, lines) -> list:
        """The footnotes whose marks sit on ``lines``, in order."""
        seen = []
        for line in lines:
            for g in line.glyphs:
                index = self.runs_in[g.run].note
                if index is not None and self.notes[index] not in seen:
                    seen.append(self.notes[index])
        return seen

    def split(self, availWidth, availHeight):
        self.wrap(availWidth, availHeight)
        leading = self.style.leading
        n = len(self.lines)
        fit = int((availHeight + 1e-6) // leading)
        if self.notes and self.state is not None:
            # the lines that go on this page and the notes of their marks must fit together
            while fit > 0 and fit * leading + self.state.notes_reserve(self._notes_on(self.lines[:fit]),
                                                                       availWidth) > availHeight + 1e-6:
                fit -= 1
        # two lines at least on each side: no orphans, no widows
        if n < 4 or fit < 2:
            return [] if fit < n else [self]
        fit = min(fit, n - 2)
        if fit < 2:
            return []
        head = self._part(self.lines[:fit], self.first)
        head.spaceAfter = 0
        tail = self._part(self.lines[fit:], False)
        tail.spaceBefore = 0
        return [head, tail]

    def draw(self):
        canvas = self.canv
        style = self.style
        # baseline of the first line: centre the em box in the leading
        y = self.height - style.leading + (style.leading - style.size) / 2 + 0.12 * style.size
        specials = self._specials()
        if self.marker and self.first and self.lines:
            canvas.setFont(style.font, style.size)
            canvas.setFillColor(style.color)
            canvas.drawString(self.marker_x, y, self.marker)
        for line in self.lines:
            dx = self.hang
            if not style.justify or line.last:
                if style.align == "center":
                    dx = (self.width - line.width) / 2
                elif style.align == "right":
                    dx = self.width - line.width
            draw_line(canvas, line, self.runs, dx, y, style.color, specials)
            y -= style.leading
        if self.notes and self.state is not None:
            self.state.place_notes(self._notes_on(self.lines), getattr(self, "_frame", None), self.width)

    def _specials(self) -> dict:
        """Runs not drawn as their text: a cross-reference's page number, a footnote mark."""
        out = {}
        for i, run in enumerate(self.runs_in):
            if i in self.known:
                continue
            if run.page_of is not None and self.state is not None:
                out[i] = self.state.page_number_box(run.page_of)
            elif run.note is not None and self.state is not None:
                out[i] = self.state.note_mark(self.notes[run.note])
        return out


def draw_line(canvas, line, runs, dx: float, y: float, color, specials: dict | None = None) -> None:
    """Draw a set line as few text segments as possible.

    A segment is a stretch of glyphs with one font, size and rise whose gaps
    are all equal; that gap becomes the PDF character spacing (Tc), so the
    justified line needs one text operator per segment, not one per glyph.
    """
    glyphs = line.glyphs
    if not glyphs:
        return
    key = _drawn_key(canvas, line, runs, dx, y, color, specials)
    if key is not None:
        known = _drawn.get(key)
        if known is not None and known[0] is line:
            # what drawing it again would do: the same text object, and ReportLab's note that the
            # document uses transparency operators (its fill alpha is already in force: no new state)
            canvas._doc.ensureMinPdfVersion("transparency")
            canvas._code.append(known[1])
            return
    _draw_line(canvas, line, runs, dx, y, color, specials)
    if key is not None and _numbered_by_plan(canvas, line, runs):
        if len(_drawn) > 50_000:   # a bound for a long watch session
            _drawn.clear()
        _drawn[key] = (line, canvas._code[-1])


# Lines drawn in documents numbering their characters by a glyph plan (glyphplan.py), per process: the
# excerpts of a batch print most of their lines alike, and with the plan's codes alike.
_drawn: dict[tuple, tuple] = {}


def _drawn_key(canvas, line, runs, dx, y, color, specials) -> tuple | None:
    """What decides a line's text object, when it can be kept: a plan in force, no link, mark or
    special run (they draw more than the text object), the colour's alpha already in force."""
    token = getattr(canvas, "glyph_token", None)
    if token is None or specials or any(r.link or r.mark for r in runs):
        return None
    rgba = color.rgba() if hasattr(color, "rgba") else None
    if rgba is None or canvas._extgstate.getValue("ca") != rgba[3]:
        return None
    return (id(line), dx, y, rgba, canvas._fontname, canvas._fontsize, canvas._leading, canvas.bottomup, token)


def _numbered_by_plan(canvas, line, runs) -> bool:
    """Whether every character of the line has the code the plan gives it (glyphplan.numbered_by_plan)."""
    return all(numbered_by_plan(canvas, runs[g.run].font, g.char) for g in line.glyphs)


def _draw_line(canvas, line, runs, dx: float, y: float, color, specials: dict | None = None) -> None:
    glyphs = line.glyphs
    text = canvas.beginText()
    text.setFillColor(color)
    i = 0
    n = len(glyphs)
    links: dict[str, list[float]] = {}
    specials = specials or {}
    has_links = any(r.link for r in runs)   # most lines link nothing: no glyph-by-glyph look for links
    while i < n:
        g0 = glyphs[i]
        run = runs[g0.run]
        if g0.run in specials:
            # drawn by its own callback, in the box the line breaker reserved for the run's text
            j = i + 1
            while j < n and glyphs[j].run == g0.run:
                j += 1
            x0 = dx + g0.x
            x1 = dx + glyphs[j - 1].x + glyphs[j - 1].advance
            specials[g0.run](canvas, x0, y + run.rise, x1 - x0, run)
            link = run.link
            if link:
                box = links.setdefault(link, [x0, x1])
                box[0], box[1] = min(box[0], x0), max(box[1], x1)
            i = j
            continue
        widths, default = _widths(run.font)
        scale = run.size / 1000.0
        j = i + 1
        tc = None
        while j < n:
            g = glyphs[j]
            prev = glyphs[j - 1]
            if g.run != g0.run and (g.run in specials or (runs[g.run].font, runs[g.run].size, runs[g.run].rise) !=
                                    (run.font, run.size, run.rise)):
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
        if has_links:
            for g in glyphs[i:j]:
                link = runs[g.run].link
                if link:
                    box = links.setdefault(link, [dx + g.x, dx + g.x + g.advance])
                    box[0] = min(box[0], dx + g.x)
                    box[1] = max(box[1], dx + g.x + g.advance)
        i = j
    marked = [g for g in glyphs if runs[g.run].mark] if any(r.mark for r in runs) else []
    if marked:   # a diff proof: a highlighter's stroke behind each changed number
        canvas.saveState()
        canvas.setFillColorRGB(1.0, 0.87, 0.35)
        for g in marked:
            size = runs[g.run].size
            canvas.rect(dx + g.x, y - 0.22 * size, g.advance, 1.12 * size, stroke=0, fill=1)
        canvas.restoreState()
    canvas.drawText(text)
    for url, (x0, x1) in links.items():
        size = runs[0].size
        rect = (x0, y - 0.2 * size, x1, y + 0.9 * size)
        if url.startswith("#"):
            # a bookmark of this document; it may be defined later on (resolved when the PDF is saved)
            canvas.linkRect("", url[1:], rect, relative=1, thickness=0)
        else:
            canvas.linkURL(url, rect, relative=1, thickness=0)
