"""Typeset a resolved document into a PDF with ReportLab.

Takes a :class:`~pipeline.model.ResolvedDocument`, the rendered chart images
and the font files; writes the PDF to a given path (``build`` makes that
write atomic).  The only module that imports ReportLab.

Layout follows ``shared/typesetting.md``: A4, a text block exactly 43 全角
characters wide so justified lines land on the character grid, Song (Noto
Serif SC) body at 10.5 pt (五号) with 1.6 line spacing, Hei (Noto Sans SC)
bold headings, front matter numbered i, ii, … and chapter 一 on page 1.
Paragraphs are set by :mod:`pipeline.linebreak` (our Chinese line breaker),
not by ReportLab's CJK wrap.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, NextPageTemplate, PageBreak, PageTemplate,
                                Spacer, Table, TableStyle)

from . import __version__
from .files import write_cache
from .linebreak import Run, break_lines
from .model import ChartImage, Figure, Heading, Paragraph, ResolvedChapter, ResolvedDocument, TableBlock, TextRun

# ---------------------------------------------------------------- geometry and styles

PAGE_W, PAGE_H = A4
BODY_SIZE = 10.5            # 五号
LEADING = 17.0              # ≈ 1.6 × body size
CHARS_PER_LINE = 43
TEXT_W = CHARS_PER_LINE * BODY_SIZE          # 451.5 pt: justified lines sit on the character grid
MARGIN_X = (PAGE_W - TEXT_W) / 2
MARGIN_TOP = 28 * mm
MARGIN_BOTTOM = 24 * mm
TEXT_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM

NAVY = colors.HexColor("#1f4e79")
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#9aa7b8")

SERIF, SERIF_BOLD, SANS, SANS_BOLD = "SerifSC", "SerifSC-Bold", "SansSC", "SansSC-Bold"
FONT_ROLES = {"serif": SERIF, "serif-bold": SERIF_BOLD, "sans": SANS, "sans-bold": SANS_BOLD}


def register_fonts(font_files: dict[str, Path]) -> None:
    """Register the four faces once per process (cheap to call again)."""
    from reportlab.pdfbase.ttfonts import TTFError

    from .model import ContentError, Problem, SourcePos

    for role, name in FONT_ROLES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            try:
                pdfmetrics.registerFont(TTFont(name, str(font_files[role])))
            except (TTFError, OSError) as e:
                rel = f"fonts/{Path(font_files[role]).name}"
                raise ContentError([Problem(SourcePos(rel), "", f"cannot use this font for {role} text: {e}")]) from None
    # Without these ReportLab puts a non-embedded Helvetica into the page resources
    # (the canvas default, and renderPDF's initial state for embedded charts).
    rl_config.canvas_basefontname = SERIF
    from reportlab.graphics.shapes import STATE_DEFAULTS

    STATE_DEFAULTS["fontName"] = SERIF


def font_coverage(font_files: dict[str, Path]) -> dict[str, frozenset[int]]:
    """The code points each face can print, read from the fonts as ReportLab parsed them
    (the glyph check before typesetting uses the very cmaps that will set the text)."""
    register_fonts(font_files)
    return {Path(font_files[role]).name: frozenset(pdfmetrics.getFont(name).face.charToGlyph)
            for role, name in FONT_ROLES.items()}


@lru_cache(maxsize=None)
def _widths(font: str) -> tuple[dict, float]:
    face = pdfmetrics.getFont(font).face
    return face.charWidths, face.defaultWidth


def advance(font: str, char: str) -> float:
    """Advance width of one character in em (the line breaker's measure)."""
    widths, default = _widths(font)
    return widths.get(ord(char), default) / 1000.0


# ---------------------------------------------------------------- paragraphs


@dataclass
class TextStyle:
    font: str = SERIF
    bold_font: str = SERIF_BOLD
    size: float = BODY_SIZE
    leading: float = LEADING
    indent_em: float = 2.0          # R7: first-line indent of two characters
    justify: bool = True
    align: str = "left"             # for unjustified text: left, center, right
    color: object = colors.black
    space_before: float = 0.0
    space_after: float = 0.0
    strict: bool = False            # R1 at clreq's strict level (— ⸺ … ⋯ may not start a line either)


BODY = TextStyle()
CELL = TextStyle(size=9.0, leading=13.0, indent_em=0, justify=False, align="center")
CELL_LEFT = TextStyle(size=9.0, leading=13.0, indent_em=0, justify=False)
CAPTION = TextStyle(font=SANS, bold_font=SANS_BOLD, size=9.5, leading=14, indent_em=0, justify=False, align="center")
SOURCE_NOTE = TextStyle(size=9.0, leading=13, indent_em=0, justify=False, color=GREY)
SMALL = TextStyle(size=9.5, leading=16, indent_em=2.0)


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


# ---------------------------------------------------------------- headings and structure


class ChapterHeading(Flowable):
    """一、标题: Hei bold, with a bookmark, an outline entry and a TOC record."""

    def __init__(self, chapter: ResolvedChapter, key: str, state: "LayoutState", level: int = 0):
        super().__init__()
        self.chapter = chapter
        self.key = key
        self.state = state
        self.level = level
        self.size = 16.0
        self.keepWithNext = True
        self.spaceAfter = 14

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = self.size * 2.2
        return self.width, self.height

    def draw(self):
        c = self.canv
        title = f"{self.chapter.label}{self.chapter.title}"
        c.setFont(SANS_BOLD, self.size)
        c.setFillColor(NAVY)
        x = 0 if self.chapter.number else (self.width - pdfmetrics.stringWidth(title, SANS_BOLD, self.size)) / 2
        c.drawString(x, self.size * 0.7, title)
        c.setStrokeColor(NAVY)
        c.setLineWidth(1.2)
        c.line(0, 0, self.width, 0)
        c.bookmarkPage(self.key)
        c.addOutlineEntry(title, self.key, level=self.level, closed=False)
        self.state.record(self.key, c.getPageNumber())
        self.state.running_title = title


class SectionHeading(Flowable):
    def __init__(self, heading: Heading, key: str, state: "LayoutState"):
        super().__init__()
        self.heading = heading
        self.key = key
        self.state = state
        self.size = 12.0 if heading.level == 2 else 11.0
        self.keepWithNext = True
        self.spaceBefore = 8
        self.spaceAfter = 4

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = self.size * 1.8
        return self.width, self.height

    def draw(self):
        c = self.canv
        title = f"{self.heading.number}{self.heading.title}"
        c.setFont(SANS_BOLD, self.size)
        c.setFillColor(colors.black)
        c.drawString(0, self.size * 0.5, title)
        c.bookmarkPage(self.key)
        c.addOutlineEntry(title, self.key, level=1, closed=False)
        self.state.record(self.key, c.getPageNumber())


class Anchor(Flowable):
    """A zero-size bookmark target (目录, 图目录 …) that records its page."""

    def __init__(self, key: str, title: str, state: "LayoutState", outline: bool = True):
        super().__init__()
        self.key, self.title, self.state, self.outline = key, title, state, outline
        self.width = self.height = 0

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        self.canv.bookmarkPage(self.key)
        if self.outline:
            self.canv.addOutlineEntry(self.title, self.key, level=0)
        self.state.record(self.key, self.canv.getPageNumber())


class RunningTitle(Flowable):
    """Sets the running header text from this page on (zero size)."""

    def __init__(self, title: str, state: "LayoutState"):
        super().__init__()
        self.title, self.state = title, state

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        self.state.running_title = self.title


class BodyStart(Flowable):
    """Marks the page where chapter 一 starts: page 1 of the arabic numbering."""

    def __init__(self, state: "LayoutState"):
        super().__init__()
        self.state = state

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        self.state.body_start = self.canv.getPageNumber()


class PageTitle(Flowable):
    """A centred front-matter title such as 目  录."""

    def __init__(self, title: str, size: float = 18):
        super().__init__()
        self.title, self.size = title, size
        self.spaceAfter = 16

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = self.size * 2
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.setFont(SANS_BOLD, self.size)
        c.setFillColor(NAVY)
        c.drawCentredString(self.width / 2, self.size * 0.6, self.title)


@dataclass
class TocEntry:
    level: int
    text: str
    key: str


class TocList(Flowable):
    """目录 lines: title, dot leader, page label; the whole line links to its target."""

    def __init__(self, entries: list[TocEntry], state: "LayoutState", size: float = 11, leading: float = 24):
        super().__init__()
        self.entries, self.state, self.size, self.leading = entries, state, size, leading

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = len(self.entries) * self.leading
        return self.width, self.height

    def split(self, availWidth, availHeight):
        fit = int(availHeight // self.leading)
        if fit >= len(self.entries) or fit < 1:
            return [] if fit < 1 else [self]
        return [TocList(self.entries[:fit], self.state, self.size, self.leading),
                TocList(self.entries[fit:], self.state, self.size, self.leading)]

    def _lines(self):
        """(entry, font, size, indent, baseline y) for each line."""
        y = self.height - self.leading + (self.leading - self.size) / 2
        for e in self.entries:
            font = SANS_BOLD if e.level == 0 else SERIF
            size = self.size if e.level == 0 else self.size - 0.5
            yield e, font, size, 0 if e.level == 0 else 2 * size, y
            y -= self.leading

    def draw(self):
        """Titles and links now; dot leaders and page numbers go into a form XObject that
        the canvas fills in when the whole document is laid out (one pass, no re-layout)."""
        c = self.canv
        for e, font, size, indent, y in self._lines():
            c.setFont(font, size)
            c.setFillColor(colors.black)
            c.drawString(indent, y, e.text)
            # a named destination may be defined later in the document: the link resolves at save
            c.linkRect("", e.key, (indent, y - 3, self.width, y + size), relative=1, thickness=0)
        c.doForm(self.state.defer(self))

    def draw_page_numbers(self, c) -> None:
        """Called inside the deferred form, once every target's page is known."""
        for e, font, size, indent, y in self._lines():
            label = self.state.label(e.key)
            text_end = indent + pdfmetrics.stringWidth(e.text, font, size) + 4
            label_w = pdfmetrics.stringWidth(label, SERIF, size)
            c.setFont(SERIF, size)
            c.setFillColor(colors.black)
            c.drawRightString(self.width, y, label)
            # dot leader (graphics, so it does not pollute copied text)
            c.saveState()
            c.setStrokeColor(GREY)
            c.setLineWidth(0.9)
            c.setDash([0.1, 3.0])
            c.setLineCap(1)
            c.line(text_end, y + 1.2, self.width - label_w - 4, y + 1.2)
            c.restoreState()


# ---------------------------------------------------------------- figures and tables


_drawings: dict[Path, object] = {}


def _svg_drawing(path: Path):
    """The chart's SVG as a ReportLab drawing: parsed once per process, and kept beside the SVG.

    svglib takes 20–80 ms a chart; the pickled drawing loads in about 1 ms, so a
    warm build does not parse SVG at all.  The pickle's name carries the SVG's
    content-hash name and the ReportLab and svglib versions, so it can never be
    stale; it lives in our own cache folder (output/.cache), like the SVG.
    """
    if path not in _drawings:
        import pickle

        pickled = path.with_name(f"{path.stem}.{_drawing_stamp()}.rlg")
        drawing = None
        if pickled.is_file():
            try:
                drawing = pickle.loads(pickled.read_bytes())
            except Exception:  # a truncated or foreign cache file: parse the SVG again
                drawing = None
        if drawing is None:
            drawing = _parse_svg(path)
            write_cache(pickled, pickle.dumps(drawing, protocol=pickle.HIGHEST_PROTOCOL))
        _drawings[path] = drawing
    return _drawings[path]


@lru_cache(maxsize=None)
def _drawing_stamp() -> str:
    from importlib.metadata import version

    from reportlab import Version

    return f"rl{Version}-svglib{version('svglib')}"


def _parse_svg(path: Path):
    from svglib.fonts import get_global_font_map
    from svglib.svglib import svg2rlg

    font_map = get_global_font_map()
    for name, weight in ((SANS, "normal"), (SANS_BOLD, "bold")):
        family = pdfmetrics.getFont(name).face.familyName
        family = family.decode() if isinstance(family, bytes) else family
        # map the family matplotlib wrote to our registered face; never let svglib search the system
        font_map._map[font_map.build_internal_name(family, weight, "normal")] = {
            "svg_family": family, "svg_weight": weight, "svg_style": "normal", "rlgFont": name, "exact": True}
        font_map._family_index.setdefault(family.lower(), family)
    return svg2rlg(str(path))


class FigureBlock(Flowable):
    """A chart (vector, from SVG), its caption 图 N-M below and the 资料来源 line: one unit (R9)."""

    def __init__(self, figure: Figure, image: ChartImage, key: str, state: "LayoutState"):
        super().__init__()
        self.figure, self.key, self.state = figure, key, state
        self.drawing = _svg_drawing(image.path)
        self.img_w, self.img_h = image.width, image.height
        self.caption = CJKParagraph((TextRun(f"图 {figure.number}\u3000{figure.title}"),), CAPTION)
        self.source = CJKParagraph((TextRun(f"资料来源：{figure.source}"),), SOURCE_NOTE) if figure.source else None
        self.spaceBefore = 6
        self.spaceAfter = 10

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.scale = min(1.0, availWidth / self.img_w)
        _, ch = self.caption.wrap(availWidth, availHeight)
        sh = self.source.wrap(availWidth, availHeight)[1] if self.source else 0
        self.height = self.img_h * self.scale + 4 + ch + sh
        return self.width, self.height

    def draw(self):
        c = self.canv
        y = self.height
        img_h = self.img_h * self.scale
        c.saveState()
        c.translate((self.width - self.img_w * self.scale) / 2, y - img_h)
        c.scale(self.scale * self.img_w / self.drawing.width, self.scale * img_h / self.drawing.height)
        from reportlab.graphics import renderPDF

        renderPDF.draw(self.drawing, c, 0, 0)
        c.restoreState()
        c.bookmarkPage(self.key)
        self.state.record(self.key, c.getPageNumber())
        y -= img_h + 4
        y -= self.caption.height
        self.caption.drawOn(c, 0, y)
        if self.source:
            y -= self.source.height
            self.source.drawOn(c, 0, y)


def _text_ems(text: str) -> float:
    """Rough width in em: a Chinese character is one, a Latin letter or digit a half."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


def ruled_table(rows: list[list], col_widths: list[float], padding: tuple[float, float]) -> Table:
    """The house table: three rules (三线表: heavy top and bottom, light under the header),
    a tinted header row repeated on every page, banded body rows; padding is (vertical, horizontal)."""
    vertical, horizontal = padding
    grid = Table(rows, colWidths=col_widths, repeatRows=1)
    grid.setStyle(TableStyle([
        ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 1.0, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), SERIF),  # else the table sets Helvetica (unembedded)
        ("TOPPADDING", (0, 0), (-1, -1), vertical),
        ("BOTTOMPADDING", (0, 0), (-1, -1), vertical),
        ("LEFTPADDING", (0, 0), (-1, -1), horizontal),
        ("RIGHTPADDING", (0, 0), (-1, -1), horizontal),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fb")]),
    ]))
    return grid


class TableCaption(Flowable):
    """表 N-M caption centred above, 单位 right-aligned under it; 续表 N-M on continuation pages."""

    def __init__(self, table: TableBlock, continued: bool):
        super().__init__()
        self.table, self.continued = table, continued
        text = f"续表 {table.number}" if continued else f"表 {table.number}\u3000{table.title}"
        self.caption = CJKParagraph((TextRun(text),), CAPTION)
        self.unit = CJKParagraph((TextRun(f"单位：{table.unit}"),), TextStyle(
            size=9, leading=13, indent_em=0, justify=False, align="right")) if table.unit else None

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        h = self.caption.wrap(availWidth, availHeight)[1]
        if self.unit:
            h += self.unit.wrap(availWidth, availHeight)[1]
        self.height = h + 3
        return self.width, self.height

    def draw(self):
        y = self.height - self.caption.height
        self.caption.drawOn(self.canv, 0, y)
        if self.unit:
            self.unit.drawOn(self.canv, 0, y - self.unit.height)


class CaptionedTable(Flowable):
    """A data table with its caption kept together; splits with a 续表 caption and repeated header."""

    def __init__(self, table: TableBlock, key: str, state: "LayoutState", continued: bool = False,
                 body_rows: tuple | None = None):
        super().__init__()
        self.table, self.key, self.state, self.continued = table, key, state, continued
        self.body_rows = table.rows if body_rows is None else body_rows
        self.caption = TableCaption(table, continued)
        self.source = CJKParagraph((TextRun(f"资料来源：{table.source}"),), SOURCE_NOTE) \
            if table.source and not continued else None
        self.spaceBefore = 6
        self.spaceAfter = 10

    def _grid(self, rows, width) -> Table:
        # Column widths follow the content (all rows, not just this page's, so a 续表 keeps
        # the same columns): the widest body cell, up to 18 characters, or half the header
        # (a header may take two lines), plus one character for the cell padding.
        columns = list(zip(self.table.header, *self.table.rows))
        weights = [1 + min(18, max(_text_ems(column[0]) / 2, *(_text_ems(c) for c in column[1:]), 2))
                   for column in columns]
        col_widths = [width * w / sum(weights) for w in weights]
        # a column is centred when all its cells are short, else set flush left (one alignment a column)
        styles = [CELL if self.table.numeric[i] or max(_text_ems(c) for c in column[1:] or ("",)) <= 8 else CELL_LEFT
                  for i, column in enumerate(columns)]
        head = [CJKParagraph((TextRun(h, bold=True),), TextStyle(font=SANS, bold_font=SANS_BOLD, size=9, leading=12,
                                                                  indent_em=0, justify=False, align="center"))
                for h in self.table.header]
        body = [[CJKParagraph((TextRun(v),), styles[i]) for i, v in enumerate(row)] for row in rows]
        return ruled_table([head] + body, col_widths, padding=(2.5, 3))

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.grid = self._grid(self.body_rows, availWidth)
        ch = self.caption.wrap(availWidth, availHeight)[1]
        gh = self.grid.wrap(availWidth, availHeight)[1]
        sh = self.source.wrap(availWidth, availHeight)[1] + 2 if self.source else 0
        self.height = ch + gh + sh
        return self.width, self.height

    def split(self, availWidth, availHeight):
        self.wrap(availWidth, availHeight)
        ch = self.caption.height
        grid = self._grid(self.body_rows, availWidth)
        grid.wrap(availWidth, availHeight - ch)
        parts = grid.split(availWidth, availHeight - ch)
        if len(parts) < 2:
            return []
        first_rows = parts[0]._cellvalues[1:]
        n_first = len(first_rows)
        if n_first < 2:  # do not leave a header with one row behind
            return []
        head = CaptionedTable(self.table, self.key, self.state, self.continued, self.body_rows[:n_first])
        head.source = None
        tail = CaptionedTable(self.table, self.key, self.state, True, self.body_rows[n_first:])
        return [head, tail]

    def draw(self):
        c = self.canv
        if not self.continued:
            c.bookmarkPage(self.key)
            self.state.record(self.key, c.getPageNumber())
        y = self.height - self.caption.height
        self.caption.drawOn(c, 0, y)
        y -= self.grid._height
        self.grid.drawOn(c, 0, y)
        if self.source:
            y -= self.source.height + 2
            self.source.drawOn(c, 0, y)


# ---------------------------------------------------------------- pages


def roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                       (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += sym
            n -= value
    return out


@dataclass
class LayoutState:
    """What the layout learns: where each target lands, where the body starts, and the
    目录 blocks whose page numbers are drawn at the end (see TocList.draw)."""

    pages: dict[str, int] = field(default_factory=dict)
    body_start: int | None = None
    running_title: str = ""
    deferred: list[tuple[str, "TocList"]] = field(default_factory=list)

    def record(self, key: str, page: int) -> None:
        self.pages.setdefault(key, page)

    def page_label(self, page: int) -> str:
        if self.body_start is not None and page >= self.body_start:
            return str(page - self.body_start + 1)
        return roman(page)

    def label(self, key: str) -> str:
        """The printed page label of a target (complete once the document is laid out)."""
        page = self.pages.get(key)
        return "0" if page is None else self.page_label(page)

    def defer(self, toc: "TocList") -> str:
        name = f"toc{len(self.deferred) + 1}"  # numbered in order: the same document, the same bytes
        self.deferred.append((name, toc))
        return name


class WhitepaperDoc(BaseDocTemplate):
    def __init__(self, path, document: ResolvedDocument, state: LayoutState, **kw):
        super().__init__(path, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                         topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, **kw)
        self.document = document
        self.state = state
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, TEXT_W, TEXT_H, leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0, id="text")
        self.addPageTemplates([
            PageTemplate("cover", [frame], onPageEnd=self._cover),
            PageTemplate("plain", [frame]),   # the copyright page: no header, no folio
            PageTemplate("front", [frame], onPageEnd=self._furniture),
            PageTemplate("body", [frame], onPageEnd=self._furniture),
        ])

    # -- cover
    def _cover(self, canvas, doc):
        ed = self.document.edition
        canvas.saveState()
        canvas.setFillColor(NAVY)
        canvas.rect(0, PAGE_H - 95 * mm, PAGE_W, 95 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor("#2e8b8b"))
        canvas.rect(0, PAGE_H - 99 * mm, PAGE_W, 4 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(SANS, 13)
        if ed.guidance:
            canvas.drawString(MARGIN_X, PAGE_H - 30 * mm, f"{ed.guidance}\u3000指导")
        canvas.setFillColor(colors.HexColor("#dbe5f1"))
        canvas.setFont(SANS_BOLD, 64)
        canvas.drawRightString(PAGE_W - MARGIN_X, PAGE_H - 80 * mm, str(ed.year))
        # the title, broken by our own line breaker
        title_style = TextStyle(font=SANS_BOLD, bold_font=SANS_BOLD, size=26, leading=40, indent_em=0,
                                justify=False, color=NAVY)
        # the edition may say where the title breaks (cover_title); else our line breaker decides
        lines = ed.cover_title or (ed.title,)
        h = 0.0
        for line in lines:
            title = CJKParagraph((TextRun(line),), title_style)
            h += title.wrap(TEXT_W, PAGE_H)[1]
            title.drawOn(canvas, MARGIN_X, PAGE_H - 125 * mm - h)
        canvas.setStrokeColor(NAVY)
        canvas.setLineWidth(1.5)
        canvas.line(MARGIN_X, PAGE_H - 132 * mm - h, MARGIN_X + 60 * mm, PAGE_H - 132 * mm - h)
        if self.document.city_profile is not None or ed.subtitle:
            sub = ed.subtitle
            # a per-city excerpt names its city on the cover, second only to the title
            city = self.document.city_profile is not None
            canvas.setFont(SANS_BOLD if city else SANS, 20 if city else 16)
            canvas.setFillColor(colors.HexColor("#2e8b8b"))
            canvas.drawString(MARGIN_X, PAGE_H - (147 if city else 145) * mm - h, sub)
        canvas.setFillColor(colors.black)
        y = 62 * mm
        for i, name in enumerate((ed.publisher,) + ed.co_publishers):
            canvas.setFont(SANS_BOLD if i == 0 else SANS, 12)
            canvas.drawString(MARGIN_X, y, name)
            y -= 8 * mm
        canvas.setFont(SANS, 12)
        canvas.drawString(MARGIN_X, y - 6 * mm, _cn_date(ed.year, ed.month))
        canvas.restoreState()

    # -- header and footer
    def _furniture(self, canvas, doc):
        page = canvas.getPageNumber()
        canvas.saveState()
        canvas.setFont(SERIF, 9)
        canvas.setFillColor(GREY)
        top = PAGE_H - MARGIN_TOP + 8 * mm
        canvas.drawString(MARGIN_X, top + 2, self.document.edition.short_title)
        if self.state.running_title:
            canvas.drawRightString(PAGE_W - MARGIN_X, top + 2, self.state.running_title)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, top - 2, PAGE_W - MARGIN_X, top - 2)
        canvas.setFont(SERIF, 9.5)
        canvas.setFillColor(colors.black)
        canvas.drawCentredString(PAGE_W / 2, MARGIN_BOTTOM - 12 * mm, f"— {self.state.page_label(page)} —")
        canvas.restoreState()


def _cn_date(year: int, month: int | None) -> str:
    digits = "〇一二三四五六七八九"
    text = "".join(digits[int(d)] for d in str(year)) + "年"
    if month:
        from .resolve import cn_numeral

        text += cn_numeral(month) + "月"
    return text


# ---------------------------------------------------------------- story


def _story(document: ResolvedDocument, images: dict[str, ChartImage], state: LayoutState) -> list:
    ed = document.edition
    body_style = replace(BODY, strict=ed.kinsoku == "strict")
    # the cover is drawn by its page template; the copyright page (verso) carries no header or folio
    story: list = [NextPageTemplate("plain"), PageBreak(), NextPageTemplate("front")]

    # copyright page (版权页): text at the foot of the page
    story.append(Spacer(1, TEXT_H * 0.55))
    title = f"{ed.title} · {ed.subtitle}" if document.city_profile is not None else ed.title
    info = [f"书\u3000\u3000名：{title}"]
    info.append(f"编写单位：{ed.publisher}")
    for name in ed.co_publishers:
        info.append(f"\u3000\u3000\u3000\u3000\u3000{name}")
    if ed.guidance:
        info.append(f"指导单位：{ed.guidance}")
    info.append(f"版\u3000\u3000次：{ed.year} 年版")
    for line in info:
        story.append(CJKParagraph((TextRun(line),), TextStyle(size=9.5, leading=17, indent_em=0, justify=False)))
    if ed.copyright:
        story.append(Spacer(1, 14))
        story.append(CJKParagraph((TextRun("版权声明"),), TextStyle(font=SANS_BOLD, bold_font=SANS_BOLD, size=10,
                                                                   leading=18, indent_em=0, justify=False)))
        story.append(CJKParagraph((TextRun(ed.copyright),), SMALL))
    story.append(PageBreak())

    front = [c for c in document.chapters if c.front_matter]
    body = [c for c in document.chapters if not c.front_matter]

    profile_entries = []
    if document.city_profile is not None:
        # a per-city excerpt opens with the city: what it holds, then the national context
        profile_chapter = _profile_chapter(document.city_profile)
        story.extend(_city_profile_flowables(document, profile_chapter, state))
        story.append(PageBreak())
        profile_entries = [TocEntry(0, profile_chapter.title, CITY_PROFILE_KEY)]

    for chapter in front:
        story.extend(_chapter_flowables(chapter, images, state, body_style))
        story.append(PageBreak())

    # 目录
    entries = profile_entries + [TocEntry(0, c.title, _chapter_key(c)) for c in front]
    for c in body:
        entries.append(TocEntry(0, f"{c.label}{c.title}", _chapter_key(c)))
        for b in c.blocks:
            if isinstance(b, Heading):
                entries.append(TocEntry(1, f"{b.number}{b.title}", _heading_key(c, b)))
    story += [RunningTitle("目录", state), Anchor("toc", "目录", state), PageTitle("目\u3000\u3000录"),
              TocList(entries, state), PageBreak()]
    figures = document.figures()
    tables = document.tables()
    if figures or tables:
        story += [RunningTitle("图表目录", state)]
        if figures:
            story += [Anchor("lof", "图目录", state), PageTitle("图目录"),
                      TocList([TocEntry(1, f"图 {f.number}\u3000{f.title}", f"fig-{f.id}") for f in figures],
                              state, size=10.5, leading=20)]
        if tables:
            story += [Spacer(1, 12), Anchor("lot", "表目录", state), PageTitle("表目录"),
                      TocList([TocEntry(1, f"表 {t.number}\u3000{t.title}", f"tab-{t.id}") for t in tables],
                              state, size=10.5, leading=20)]
    story += [NextPageTemplate("body"), PageBreak(), BodyStart(state)]

    for i, chapter in enumerate(body):
        if i:
            story.append(PageBreak())
        story.extend(_chapter_flowables(chapter, images, state, body_style))
    return story


class CityProfileTable(Flowable):
    """The designations a city holds, one ruled row each (the profile page of a per-city excerpt)."""

    HEADER = ("载体类别", "名单位次", "园区或面向市场", "名单截至")
    SHARES = (0.42, 0.22, 0.20, 0.16)

    def __init__(self, profile):
        super().__init__()
        self.rows = [(d.type_name,
                      (f"第 {d.rank} 个，共 {d.count} 个" if d.count else f"第 {d.rank} 个") if d.rank else "—",
                      d.site or (f"{d.target_market}市场" if d.target_market else "—"),
                      _cn_year_month(d.as_of) or "—")
                     for d in profile.designations]
        self.spaceBefore = 6
        self.spaceAfter = 10

    def _grid(self, width: float) -> Table:
        head_style = TextStyle(font=SANS, bold_font=SANS_BOLD, size=9, leading=12, indent_em=0, justify=False,
                               align="center")
        head = [CJKParagraph((TextRun(h, bold=True),), head_style) for h in self.HEADER]
        body = [[CJKParagraph((TextRun(v),), CELL_LEFT if i == 0 else CELL) for i, v in enumerate(row)]
                for row in self.rows]
        return ruled_table([head] + body, [width * f for f in self.SHARES], padding=(4, 4))

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.grid = self._grid(availWidth)
        self.height = self.grid.wrap(availWidth, availHeight)[1]
        return self.width, self.height

    def draw(self):
        self.grid.drawOn(self.canv, 0, 0)


CITY_PROFILE_KEY = "city-profile"   # its own bookmark: ch-0 is the 前言


def _cn_year_month(as_of: str) -> str:
    """'2008-04' → '2008 年 4 月' (the data's YYYY-MM); anything else as written."""
    parts = as_of.split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return f"{parts[0]} 年 {int(parts[1])} 月"
    return as_of


def _profile_chapter(profile) -> ResolvedChapter:
    from .model import SourcePos

    return ResolvedChapter(number=0, label="", title=f"城市概况：{profile.name}", blocks=(),
                           pos=SourcePos("data/cities.csv"), front_matter=True)


def _city_profile_flowables(document: ResolvedDocument, chapter: ResolvedChapter, state: LayoutState) -> list:
    profile = document.city_profile
    ed = document.edition
    out: list = [ChapterHeading(chapter, CITY_PROFILE_KEY, state)]
    n = len(profile.designations)
    if n:
        lead = (f"{profile.name}获批 {n} 项国家级软件与信息服务外包产业载体及人才实训基地称号"
                f"（截至本白皮书发布）：")
    else:
        lead = f"截至本白皮书发布，{profile.name}尚无国家级软件与信息服务外包产业载体或人才实训基地称号。"
    out.append(CJKParagraph((TextRun(lead),), BODY))
    if n:
        out.append(CityProfileTable(profile))
        out.append(CJKParagraph((TextRun(f"资料来源：{ed.publisher}"),), SOURCE_NOTE))
    out.append(Spacer(1, 12))
    note = (f"本摘编选自《{ed.title}》，收录全书的全国性背景章节，以及其余章节中与{profile.name}有关的段落、"
            f"表格和图；表中只列{profile.name}一行，图中突出显示{profile.name}。图表编号与全本一致。")
    out.append(CJKParagraph((TextRun(note),), SMALL))
    return out


def _chapter_key(c: ResolvedChapter) -> str:
    return f"ch-{c.number}"


def _heading_key(c: ResolvedChapter, h: Heading) -> str:
    return f"ch-{c.number}-{h.number}"


def _chapter_flowables(chapter: ResolvedChapter, images: dict[str, ChartImage], state: LayoutState,
                       body: TextStyle = BODY) -> list:
    out: list = [ChapterHeading(chapter, _chapter_key(chapter), state)]
    for block in chapter.blocks:
        if isinstance(block, Paragraph):
            out.append(CJKParagraph(block.runs, body))
        elif isinstance(block, Heading):
            out.append(SectionHeading(block, _heading_key(chapter, block), state))
        elif isinstance(block, Figure):
            out.append(FigureBlock(block, images[block.id], f"fig-{block.id}", state))
        elif isinstance(block, TableBlock):
            out.append(CaptionedTable(block, f"tab-{block.id}", state))
    return out


# ---------------------------------------------------------------- entry point


@contextmanager
def _document_date(epoch: int):
    # ReportLab stamps CreationDate/ModDate from SOURCE_DATE_EPOCH (or "now");
    # we always give it the document's own date so output is reproducible.
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def typeset_document(document: ResolvedDocument, images: dict[str, ChartImage], font_files: dict[str, Path],
                     out) -> int:
    """Lay out the document in one pass and write it to ``out``; returns the page count.

    One pass is enough because nothing before the body depends on page numbers
    except the 目录 lines' numbers, whose space is known in advance: those are
    drawn into form XObjects when the layout is complete (WhitepaperCanvas.save).
    """
    import io

    register_fonts(font_files)
    ed = document.edition
    state = LayoutState()
    buf = io.BytesIO()
    with _document_date(document.epoch):
        doc = WhitepaperDoc(buf, document, state, title=ed.title, author=ed.publisher,
                            subject=ed.subtitle or ed.short_title, keywords=list(ed.keywords),
                            creator=f"whitepaper {__version__}", producer=f"whitepaper {__version__}",
                            lang="zh-CN", invariant=1, pageCompression=1,
                            initialFontName=SERIF)
        doc.build(_story(document, images, state), canvasmaker=_canvas_maker(state))
    out.write(buf.getvalue())
    return doc.page


def _canvas_maker(state: LayoutState):
    from reportlab.pdfgen.canvas import Canvas

    class WhitepaperCanvas(Canvas):
        """Fills in the 目录 page numbers, adds PDF page labels matching the printed numbers
        and opens the outline panel."""

        def save(self):
            for name, toc in state.deferred:
                self.beginForm(name, 0, 0, toc.width, toc.height)
                toc.draw_page_numbers(self)
                self.endForm()
            start = state.body_start
            self.addPageLabel(0, style="ROMAN_LOWER", start=1)
            if start:
                self.addPageLabel(start - 1, style="ARABIC", start=1)
            self.showOutline()
            super().save()

    return WhitepaperCanvas


# ---------------------------------------------------------------- samples (tests, benchmarks, docs)


def typeset_samples(paragraphs: list[tuple[TextRun, ...]], width: float, font_files: dict[str, Path], out,
                    engine: str = "whitepaper", page_height: float = PAGE_H) -> int:
    """Set paragraphs in one column ``width`` pt wide: our setter, or ReportLab's own CJK wrap.

    Used to test the line breaker at any measure, to benchmark it against
    ``wordWrap='CJK'``, and to render before/after pictures. Returns the page count.
    """
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph as RLParagraph
    from xml.sax.saxutils import escape

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
