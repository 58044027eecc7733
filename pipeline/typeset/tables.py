"""Data tables with captions, 续表 continuations, and the city profile table."""
from __future__ import annotations

import bisect
from dataclasses import replace

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Table, TableStyle

from ..model import UNIT_LINE, TableBlock, TextRun
from .paragraph import CJKParagraph
from .state import LayoutState
from .styles import (
    CAPTION,
    CELL,
    CELL_LEFT,
    SANS,
    SANS_BOLD,
    SERIF,
    TextStyle,
)


# numeric cells: flush right, so that digits line up (same decimals per column: decimal-aligned)
CELL_RIGHT = replace(CELL, align="right")


def _text_ems(text: str) -> float:
    """Rough width in em: a Chinese character is one, a Latin letter or digit a half."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


HEAVY_RULE, THIN_RULE = 1.2, 0.5      # pt: the 三线表's top and bottom rules, the rule under the header
HEAD_SIZES = (9.0, 8.5, 8.0, 7.5)    # header type shrinks through these before a column gets too narrow


def _head_style(size: float) -> TextStyle:
    return TextStyle(font=SANS, bold_font=SANS_BOLD, size=size, leading=size + 3, indent_em=0, justify=False,
                     align="center")


def header_cell(text: str, width: float, size: float) -> Flowable:
    """A header cell broken between words only (服务外包 / 示范基地, never 服务外/包), one paragraph a line."""
    from ..words import wrap_words

    lines = wrap_words(text, width, measure=lambda t: stringWidth(t, SANS_BOLD, size))
    return _Stack([CJKParagraph((TextRun(line, bold=True),), _head_style(size)) for line in lines])


class _Stack(Flowable):
    """Paragraphs one under the other, as one table cell."""

    def __init__(self, parts: list):
        super().__init__()
        self.parts = parts

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = sum(p.wrap(availWidth, availHeight)[1] for p in self.parts)
        return self.width, self.height

    def draw(self):
        y = self.height
        for p in self.parts:
            y -= p.height
            p.drawOn(self.canv, 0, y)


def column_widths(header: list[str], columns: list[list[str]], width: float, pad: float) -> tuple[list[float], float]:
    """Column widths and the header type size, from the header and the content together.

    A column needs its widest body cell (up to 18 characters; longer text wraps) and its header set
    in at most two lines broken between words; if the needs do not fit the header type shrinks. What
    is left goes first to headers that would then fit on one line, the rest in proportion."""
    from ..words import wrap_words

    body = [min(18 * 9.0, max([stringWidth(c, SERIF, 9.0) for c in column] + [18.0])) for column in columns]
    for size in HEAD_SIZES:
        measure = (lambda t, size=size: stringWidth(t, SANS_BOLD, size))
        one_line = [measure(h) for h in header]
        two_lines = [max(measure(line) for line in wrap_words(h, measure(h) / 2 + size * 2, measure)) for h in header]
        need = [max(b, h) + 2 * pad + 1 for b, h in zip(body, two_lines)]
        if sum(need) <= width or size == HEAD_SIZES[-1]:
            break
    spare = width - sum(need)
    if spare > 0:
        want = [max(b, h) + 2 * pad + 1 for b, h in zip(body, one_line)]
        extra = [w - n for w, n in zip(want, need)]
        total = sum(extra)
        if total > 0:
            give = min(1.0, spare / total)
            need = [n + e * give for n, e in zip(need, extra)]
            spare -= total * give
    if spare > 0:
        need = [n + spare * n / sum(need) for n in need]
    elif spare < 0:                   # even the smallest header type does not fit: scale down
        need = [n * width / sum(need) for n in need]
    return need, size


def ruled_table(rows: list[list], col_widths: list[float], padding: tuple[float, float]) -> Table:
    """The house table, a 三线表: a heavy rule above and below, a thin one under the header row (repeated
    on every page), no vertical rules, no tint, no bands; padding is (vertical, horizontal)."""
    vertical, horizontal = padding
    grid = Table(rows, colWidths=col_widths, repeatRows=1)
    grid.setStyle(TableStyle([
        ("LINEABOVE", (0, 0), (-1, 0), HEAVY_RULE, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), THIN_RULE, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), HEAVY_RULE, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), SERIF),  # else the table sets Helvetica (unembedded)
        ("TOPPADDING", (0, 0), (-1, -1), vertical),
        ("BOTTOMPADDING", (0, 0), (-1, -1), vertical),
        ("LEFTPADDING", (0, 0), (-1, -1), horizontal),
        ("RIGHTPADDING", (0, 0), (-1, -1), horizontal),
    ]))
    return grid


class TableCaption(Flowable):
    """表 N-M caption centred above, 单位 right-aligned under it; 续表 N-M on continuation pages."""

    def __init__(self, table: TableBlock, continued: bool, style: TextStyle = CAPTION):
        super().__init__()
        self.table, self.continued = table, continued
        text = f"续表 {table.number}" if continued else f"表 {table.number}\u3000{table.title}"
        self.caption = CJKParagraph((TextRun(text),), style)
        self.unit = CJKParagraph((TextRun(UNIT_LINE.format(unit=table.unit)),), TextStyle(
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


CELL_PADDING = (2.5, 3)   # (vertical, horizontal) points


class _TableLayout:
    """What every page of one table shares, computed once per column measure: column widths,
    the header and body cells (each line-broken once) and the running total of row heights.
    Splitting a long table then costs each page its own rows, not every remaining row."""

    def __init__(self, table: TableBlock):
        self.table = table
        self.width: float | None = None

    def prepare(self, width: float) -> None:
        if self.width == width:
            return
        table = self.table
        # Column widths follow the header and the content (all rows, not just this page's, so a
        # 续表 keeps the same columns)
        columns = list(zip(table.header, *table.rows))
        self.col_widths, head_size = column_widths(list(table.header), [list(c[1:]) for c in columns], width,
                                                   pad=CELL_PADDING[1])
        # numbers flush right (digits line up); other columns centred when all their cells are short,
        # else flush left (one alignment a column)
        styles = [CELL_RIGHT if table.numeric[i] else CELL if max(_text_ems(c) for c in column[1:] or ("",)) <= 8
                  else CELL_LEFT for i, column in enumerate(columns)]
        self.head = [header_cell(h, w - 2 * CELL_PADDING[1], head_size) for h, w in zip(table.header, self.col_widths)]
        self.body = [[CJKParagraph((TextRun(v, bold=n in table.total_rows),), styles[i]) for i, v in enumerate(row)]
                     for n, row in enumerate(table.rows)]
        self.head_height = self._row_height(self.head)
        self.ends = [0.0]   # ends[i]: the height of body rows 0 … i-1
        for row in self.body:
            self.ends.append(self.ends[-1] + self._row_height(row))
        self.width = width

    def _row_height(self, cells) -> float:
        vertical, horizontal = CELL_PADDING
        return max(c.wrap(w - 2 * horizontal, 1e9)[1] for c, w in zip(cells, self.col_widths)) + 2 * vertical

    def tallest_row(self, start: int, stop: int) -> int | None:
        heights = [self.ends[i + 1] - self.ends[i] for i in range(start, stop)] if self.width else []
        return start + heights.index(max(heights)) if heights else None

    def rows_height(self, start: int, stop: int) -> float:
        return self.ends[stop] - self.ends[start]

    def grid(self, start: int, stop: int) -> Table:
        grid = ruled_table([self.head] + self.body[start:stop], self.col_widths, padding=CELL_PADDING)
        # a 合计 row: set bold under a light rule (+1: the header row)
        totals = [n - start for n in self.table.total_rows if start <= n < stop]
        grid.setStyle(TableStyle([("LINEABOVE", (0, n + 1), (-1, n + 1), 0.6, colors.black) for n in totals]))
        return grid


class CaptionedTable(Flowable):
    """A data table with its caption kept together; splits with a 续表 caption and repeated header,
    the 资料来源 line under its last part."""

    def __init__(self, table: TableBlock, key: str, state: "LayoutState", continued: bool = False,
                 start: int = 0, stop: int | None = None, layout: _TableLayout | None = None):
        super().__init__()
        self.table, self.key, self.state, self.continued = table, key, state, continued
        self.start, self.stop = start, len(table.rows) if stop is None else stop
        self.layout = layout or _TableLayout(table)
        self.caption = TableCaption(table, continued, state.styles.caption)
        self.source = CJKParagraph((TextRun(f"资料来源：{table.source}"),), state.styles.source_note) \
            if table.source and self.stop == len(table.rows) else None
        from .figures import note_paragraphs

        # the notes go under the last part, with the source line
        self.notes = note_paragraphs(table.notes, state.styles.source_note) if self.stop == len(table.rows) else []
        self.grid = None
        self.spaceBefore = 0 if continued else 6
        self.spaceAfter = 10
        self.floats = True          # a table no taller than a page floats like a figure (flow.py)

    def _fixed_height(self, availWidth, availHeight) -> float:
        """Caption, header row and source line: what every part carries besides its rows."""
        ch = self.caption.wrap(availWidth, availHeight)[1]
        sh = self.source.wrap(availWidth, availHeight)[1] + 2 if self.source else 0
        sh += sum(n.wrap(availWidth, availHeight)[1] for n in self.notes) + (2 if self.notes and not self.source else 0)
        return ch + sh

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.layout.prepare(availWidth)
        fixed = self._fixed_height(availWidth, availHeight)
        estimate = fixed + self.layout.head_height + self.layout.rows_height(self.start, self.stop)
        if estimate <= availHeight + 1e-6 or self.grid is not None:
            # it may fit: measure the real grid (the frame splits it otherwise)
            self.grid = self.grid or self.layout.grid(self.start, self.stop)
            self.height = fixed + self.grid.wrap(availWidth, availHeight)[1]
        else:
            self.height = estimate   # too tall for this frame: the frame will split it, no grid needed
        return self.width, self.height

    def split(self, availWidth, availHeight):
        self.layout.prepare(availWidth)
        room = availHeight - self.caption.wrap(availWidth, availHeight)[1] - self.layout.head_height
        ends = self.layout.ends
        n = bisect.bisect_right(ends, ends[self.start] + room + 1e-6, lo=self.start) - 1 - self.start
        # leave at least one row to carry the 资料来源 line onto the next page
        n = min(n, self.stop - self.start - 1)
        while n >= 2:
            head = CaptionedTable(self.table, self.key, self.state, self.continued, self.start, self.start + n,
                                  self.layout)
            if head.wrap(availWidth, availHeight)[1] <= availHeight + 1e-6:
                tail = CaptionedTable(self.table, self.key, self.state, True, self.start + n, self.stop, self.layout)
                return [head, tail]
            n -= 1   # the estimate was optimistic by a hair: one row less
        return []    # do not leave a header with one row behind

    def draw(self):
        c = self.canv
        if self.grid is None:   # drawn without a fitting wrap (a frame that ignores heights)
            self.grid = self.layout.grid(self.start, self.stop)
            self.grid.wrap(self.width, 1e9)
        if not self.continued:
            c.bookmarkPage(self.key)
            self.state.record(self.key, c.getPageNumber())
        y = self.height - self.caption.height
        self.caption.drawOn(c, 0, y)
        y -= self.grid._height
        self.grid.drawOn(c, 0, y)
        source = [self.source] if self.source else []
        if source or self.notes:
            y -= 2
        for part in (source + self.notes if self.state.note_position == "below" else self.notes + source):
            y -= part.height
            part.drawOn(c, 0, y)


class CityProfileTable(Flowable):
    """The designations a city holds, one ruled row each (the profile page of a per-city excerpt)."""

    HEADER = ("载体类别", "名单位次", "园区或面向市场", "名单截至")

    def __init__(self, profile, caption: str = "", style: TextStyle = CAPTION):
        super().__init__()
        self.caption = CJKParagraph((TextRun(caption),), style) if caption else None
        self.rows = [(d.type_name,
                      (f"第 {d.rank} 个，共 {d.count} 个" if d.count else f"第 {d.rank} 个") if d.rank else "—",
                      d.site or (f"{d.target_market}市场" if d.target_market else "—"),
                      _cn_year_month(d.as_of) or "—")
                     for d in profile.designations]
        self.spaceBefore = 6
        self.spaceAfter = 10

    def _grid(self, width: float) -> Table:
        widths, size = column_widths(list(self.HEADER), [list(c) for c in zip(*self.rows)], width, pad=4)
        head = [header_cell(h, w - 8, size) for h, w in zip(self.HEADER, widths)]
        body = [[CJKParagraph((TextRun(v),), CELL_LEFT if i == 0 else CELL) for i, v in enumerate(row)]
                for row in self.rows]
        return ruled_table([head] + body, widths, padding=(4, 4))

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.grid = self._grid(availWidth)
        ch = self.caption.wrap(availWidth, availHeight)[1] + 3 if self.caption else 0
        self.height = ch + self.grid.wrap(availWidth, availHeight)[1]
        return self.width, self.height

    def draw(self):
        if self.caption:   # captioned above, like every table (unnumbered: it is not in the full edition)
            self.caption.drawOn(self.canv, 0, self.height - self.caption.height)
        self.grid.drawOn(self.canv, 0, 0)


def _cn_year_month(as_of: str) -> str:
    """'2008-04' → '2008 年 4 月' (the data's YYYY-MM); anything else as written."""
    parts = as_of.split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return f"{parts[0]} 年 {int(parts[1])} 月"
    return as_of
