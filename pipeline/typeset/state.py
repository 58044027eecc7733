"""What the layout learns as it goes: target pages, the body's first page, the running title."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..model import Theme

if TYPE_CHECKING:
    from .figures import FigureBlock
    from .notes import Footnotes
    from .toc import TocList


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
    # the running head shows the title in force at the top of the page, and none on a page that
    # opens with its own chapter or front-matter title (it would only repeat it)
    top_title: str = ""
    opens_with_title: bool = False
    deferred: list[tuple[str, "TocList"]] = field(default_factory=list)
    charts: list[tuple[str, "FigureBlock"]] = field(default_factory=list)
    # cross-references' page numbers, drawn at the end like the 目录's: (form name, target key, box width, run)
    page_refs: list[tuple[str, str, float, object]] = field(default_factory=list)
    footnotes: "Footnotes | None" = None
    note_position: str = "below"       # 注： lines under (or above) the 资料来源 line of figures and tables
    theme: Theme = field(default_factory=Theme)   # the page and colours of this build (chapters/theme.yaml)

    @property
    def styles(self):
        """The theme's heading sizes and caption and note styles (pipeline/typeset/styles.py)."""
        from .styles import themed_styles

        return themed_styles(self.theme)

    def colour(self, role: str):
        """The theme's accent, grey or rule colour for ReportLab."""
        from reportlab.lib import colors

        return colors.HexColor(getattr(self.theme, role))

    def __post_init__(self):
        if self.footnotes is None:
            from .notes import Footnotes

            self.footnotes = Footnotes()

    # -- cross-references
    def page_number_box(self, key: str):
        """A paragraph's drawing callback for the page number of ``key`` (a form filled in at the end)."""
        def draw(canvas, x, y, width, run):
            name = f"pageref{len(self.page_refs) + 1}"
            self.page_refs.append((name, key, width, run))
            canvas.saveState()
            canvas.translate(x, y)
            canvas.doForm(name)
            canvas.restoreState()
        return draw

    def draw_page_ref(self, canvas, key: str, width: float, run) -> None:
        """Inside the deferred form: the target's page label centred in its box (condensed if wider)."""
        from reportlab.pdfbase import pdfmetrics

        label = self.label(key)
        natural = pdfmetrics.stringWidth(label, run.font, run.size)
        from .notes import draw_condensed

        if natural > width > 0:
            draw_condensed(canvas, label, 0, 0, run.font, run.size, width / natural)
        else:
            draw_condensed(canvas, label, (width - natural) / 2, 0, run.font, run.size, 1.0)

    # -- footnotes
    def notes_reserve(self, notes, width: float) -> float:
        return self.footnotes.reserve(notes, width)

    def place_notes(self, notes, frame, width: float) -> None:
        self.footnotes.place(notes, frame, width, self)

    def note_mark(self, note):
        from .notes import draw_mark

        def draw(canvas, x, y, width, run):
            draw_mark(canvas, x, y, width, run, self.footnotes.number(note))
        return draw

    def page_begins(self) -> None:
        self.top_title = self.running_title
        self.opens_with_title = False

    def title_drawn(self, title: str, at_top: bool) -> None:
        """A chapter or front-matter title was set: it is the running title from here on."""
        self.running_title = title
        if at_top:
            self.top_title = title
            self.opens_with_title = True

    def head_title(self) -> str:
        return "" if self.opens_with_title else self.top_title

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

    def defer_chart(self, figure: "FigureBlock") -> str:
        name = f"chart{len(self.charts) + 1}"  # numbered in document order: the same bytes whatever the cache
        self.charts.append((name, figure))
        return name

    def defer(self, toc: "TocList") -> str:
        name = f"toc{len(self.deferred) + 1}"  # numbered in order: the same document, the same bytes
        self.deferred.append((name, toc))
        return name
