"""目录, 图目录 and 表目录 lines: page numbers and dot leaders drawn once the layout is complete."""
from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from .state import LayoutState
from .styles import SANS_BOLD, SERIF


_NO_LINE_START = "，。、；：？！）》」』”’…—"


@dataclass
class TocEntry:
    level: int
    text: str
    key: str


class TocList(Flowable):
    """目录 lines: title, dot leader, page label; the whole line links to its target."""

    def __init__(self, entries: list[TocEntry], state: "LayoutState", size: float = 11, leading: float = 24,
                 broken: dict | None = None):
        super().__init__()
        self.entries, self.state, self.size, self.leading = entries, state, size, leading
        # each entry's lines by (level, text, width), shared with the parts it splits into: a long 目录 is
        # wrapped again for every page it fills, and measuring it again each time made that quadratic
        self._broken = {} if broken is None else broken

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = sum(len(self._entry_lines(e)) for e in self.entries) * self.leading
        return self.width, self.height

    def split(self, availWidth, availHeight):
        self.wrap(availWidth, availHeight)
        fit, used = 0, 0.0
        for e in self.entries:
            used += len(self._entry_lines(e)) * self.leading
            if used > availHeight + 1e-6:
                break
            fit += 1
        if fit >= len(self.entries) or fit < 1:
            return [] if fit < 1 else [self]
        return [TocList(self.entries[:fit], self.state, self.size, self.leading, self._broken),
                TocList(self.entries[fit:], self.state, self.size, self.leading, self._broken)]

    def _style(self, e: TocEntry) -> tuple[str, float, float]:
        # level 0: a chapter (Hei); 1: a section, indented two characters; 2: a figure or table of a
        # list, flush left like the chapters (every list starts its entries at the same margin)
        font = SANS_BOLD if e.level == 0 else SERIF
        size = self.size if e.level == 0 else self.size - 0.5
        return font, size, 2 * size if e.level == 1 else 0

    def _entry_lines(self, e: TocEntry) -> list[str]:
        """The entry's text in lines that leave room for the leader and the page number."""
        key = (e.level, e.text, self.width)
        lines = self._broken.get(key)
        if lines is None:
            lines = self._broken[key] = self._break_entry(e)
        return lines

    def _break_entry(self, e: TocEntry) -> list[str]:
        font, size, indent = self._style(e)
        room = self.width - indent - 4 * size
        lines, current = [], ""
        for ch in e.text:
            if current and pdfmetrics.stringWidth(current + ch, font, size) > room and ch not in _NO_LINE_START:
                lines.append(current)
                current = ""
            current += ch
        return lines + [current]

    def _lines(self):
        """(entry, font, size, indent, baseline y, text, last line of the entry) for each line."""
        y = self.height - self.leading + (self.leading - self.size) / 2
        for e in self.entries:
            font, size, indent = self._style(e)
            lines = self._entry_lines(e)
            for i, text in enumerate(lines):
                # continuation lines hang under the text, after a chapter's 一、 or a section's （一）
                x = indent if i == 0 else indent + (2 * size if e.level == 0 else 0)
                yield e, font, size, x, y, text, i == len(lines) - 1
                y -= self.leading

    def draw(self):
        """Titles and links now; dot leaders and page numbers go into a form XObject that
        the canvas fills in when the whole document is laid out (one pass, no re-layout)."""
        c = self.canv
        for e, font, size, indent, y, text, _ in self._lines():
            c.setFont(font, size)
            c.setFillColor(colors.black)
            c.drawString(indent, y, text)
            # a named destination may be defined later in the document: the link resolves at save
            c.linkRect("", e.key, (indent, y - 3, self.width, y + size), relative=1, thickness=0)
        c.doForm(self.state.defer(self))

    def draw_page_numbers(self, c) -> None:
        """Called inside the deferred form, once every target's page is known."""
        for e, font, size, indent, y, text, last in self._lines():
            if not last:
                continue
            label = self.state.label(e.key)
            text_end = indent + pdfmetrics.stringWidth(text, font, size) + 4
            label_w = pdfmetrics.stringWidth(label, SERIF, size)
            c.setFont(SERIF, size)
            c.setFillColor(colors.black)
            c.drawRightString(self.width, y, label)
            # dot leader (graphics, so it does not pollute copied text)
            c.saveState()
            c.setStrokeColor(self.state.colour("grey"))
            c.setLineWidth(0.9)
            c.setDash([0.1, 3.0])
            c.setLineCap(1)
            c.line(text_end, y + 1.2, self.width - label_w - 4, y + 1.2)
            c.restoreState()
