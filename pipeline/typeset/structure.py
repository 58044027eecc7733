"""Headings, bookmarks and zero-size markers that steer the running head and page numbering."""
from __future__ import annotations

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from ..model import Heading, ResolvedChapter, TextRun
from .paragraph import CJKParagraph
from .state import LayoutState
from .styles import HOUSE, LEADING, NAVY, SANS_BOLD, TextStyle


def _heading_lines(title: str, size: float, width: float, color, centred: bool) -> CJKParagraph | None:
    """A heading too long for one line, set by our line breaker over several (None if it fits on one)."""
    if pdfmetrics.stringWidth(title, SANS_BOLD, size) <= width:
        return None
    style = TextStyle(font=SANS_BOLD, bold_font=SANS_BOLD, size=size, leading=size * 1.45, indent_em=0,
                      justify=False, align="center" if centred else "left", color=color)
    lines = CJKParagraph((TextRun(title),), style)
    lines.wrap(width, 1e9)
    return lines


CHAPTER_SIZE = HOUSE.chapter_size


def _at_top(flowable: Flowable) -> bool:
    """Whether the flowable being drawn opens its page (nothing drawn above it in the frame)."""
    frame = getattr(flowable, "_frame", None)
    return bool(frame is not None and frame._atTop)


class ChapterHeading(Flowable):
    """一、标题: Hei bold, with a bookmark, an outline entry and a TOC record."""

    def __init__(self, chapter: ResolvedChapter, key: str, state: "LayoutState", level: int = 0):
        super().__init__()
        self.chapter = chapter
        self.key = key
        self.state = state
        self.level = level
        self.size = state.styles.chapter_size
        # chapters run on: generous space above (dropped at a page top), kept with two lines of text
        self.spaceBefore = 3 * LEADING
        self.keep_lines = 2 * LEADING
        self.flushes_floats = True        # the previous chapter's waiting figures and tables come first
        self.spaceAfter = 14

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        title = f"{self.chapter.label}{self.chapter.title}"
        self.lines = _heading_lines(title, self.size, availWidth, self.state.colour("accent"),
                                     centred=not self.chapter.number)
        self.height = self.size * 2.2 + (self.lines.height - self.size * 1.45 if self.lines else 0)
        return self.width, self.height

    def draw(self):
        c = self.canv
        title = f"{self.chapter.label}{self.chapter.title}"
        if self.lines:   # a long title wraps; the rule stays under its last line
            self.lines.drawOn(c, 0, self.size * 0.7 - 0.45 * self.size)
        else:
            c.setFont(SANS_BOLD, self.size)
            c.setFillColor(self.state.colour("accent"))
            x = 0 if self.chapter.number else (self.width - pdfmetrics.stringWidth(title, SANS_BOLD, self.size)) / 2
            c.drawString(x, self.size * 0.7, title)
        c.setStrokeColor(self.state.colour("accent") if self.state is not None else NAVY)
        c.setLineWidth(1.2)
        c.line(0, 0, self.width, 0)
        c.bookmarkPage(self.key)
        c.addOutlineEntry(title, self.key, level=self.level, closed=False)
        self.state.record(self.key, c.getPageNumber())
        self.state.title_drawn(title, _at_top(self))
        self.state.footnotes.new_chapter()


class SectionHeading(Flowable):
    def __init__(self, heading: Heading, key: str, state: "LayoutState"):
        super().__init__()
        self.heading = heading
        self.key = key
        self.state = state
        self.size = state.styles.section_sizes.get(heading.level, state.styles.section_sizes[3])
        self.keep_lines = 2 * LEADING     # kept with two lines of what follows (flow.py)
        self.spaceBefore = 8
        self.spaceAfter = 4

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        title = f"{self.heading.number}{self.heading.title}"
        self.lines = _heading_lines(title, self.size, availWidth, colors.black, centred=False)
        self.height = self.size * 1.8 + (self.lines.height - self.size * 1.45 if self.lines else 0)
        return self.width, self.height

    def draw(self):
        c = self.canv
        title = f"{self.heading.number}{self.heading.title}"
        if self.lines:
            self.lines.drawOn(c, 0, self.size * 0.5 - 0.45 * self.size)
        else:
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
        if _at_top(self):
            self.state.top_title = self.title


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
    """A centred front-matter title such as 目录: set exactly like the 前言's heading (size, rule, spacing)."""

    def __init__(self, title: str, state: "LayoutState | None" = None):
        super().__init__()
        self.title, self.state = title, state
        self.size = state.styles.chapter_size if state is not None else CHAPTER_SIZE
        self.spaceAfter = 14

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = self.size * 2.2
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.setFont(SANS_BOLD, self.size)
        c.setFillColor(self.state.colour("accent") if self.state is not None else NAVY)
        c.drawCentredString(self.width / 2, self.size * 0.7, self.title)
        if self.state is not None:
            self.state.title_drawn(self.title, _at_top(self))
        c.setStrokeColor(self.state.colour("accent") if self.state is not None else NAVY)
        c.setLineWidth(1.2)
        c.line(0, 0, self.width, 0)
