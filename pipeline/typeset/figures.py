"""Figures: the chart drawing (vector, from the chart stage's JSON drawing), caption and source line."""
from __future__ import annotations

import hashlib

from reportlab.platypus import Flowable

from ..model import ChartImage, Figure, TextRun
from . import drawings
from .paragraph import CJKParagraph
from .state import LayoutState
from .styles import SANS, SANS_BOLD, SOURCE_NOTE

_drawings: dict[str, object] = {}


def chart_drawing(image: ChartImage):
    """The chart ready to draw (drawings.ChartDrawing), built from the chart stage's JSON once per process.

    The JSON is a closed format (drawings.py): a few shape classes, fixed attributes
    of checked types, fonts named by role (``sans``, ``sans-bold``) and mapped here to
    the registered faces. The chart stage sealed it in its cache (cachestore.py) and
    checked it on the way out; anything outside the format is a bug, not input.
    """
    data = image.drawing_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest not in _drawings:
        _drawings[digest] = drawings.loads(data, fonts={"sans": SANS, "sans-bold": SANS_BOLD})
    return _drawings[digest]


def note_paragraphs(notes: tuple[str, ...], style=SOURCE_NOTE) -> list:
    """注：… under the 资料来源 line in its small style; several notes are numbered 1. 2. and hang
    under the first one's text."""
    from .fonts import advance

    if not notes:
        return []
    hang = sum(advance(style.font, ch) for ch in "注：") * style.size
    texts = list(notes) if len(notes) == 1 else [f"{i}. {n}" for i, n in enumerate(notes, 1)]
    return [CJKParagraph((TextRun(t),), style, hang=hang, marker="注：" if i == 0 else "")
            for i, t in enumerate(texts)]


class FigureBlock(Flowable):
    """A chart (vector, from the chart stage's JSON drawing), its caption 图 N-M below and the 资料来源 line: one unit (R9)."""

    def __init__(self, figure: Figure, image: ChartImage, key: str, state: "LayoutState"):
        super().__init__()
        self.figure, self.key, self.state, self.image = figure, key, state, image
        # the box comes from the spec; the drawing may still be being drawn (see draw_chart)
        self.img_w, self.img_h = image.width, image.height
        styles = state.styles
        self.caption = CJKParagraph((TextRun(f"图 {figure.number}\u3000{figure.title}"),), styles.caption)
        self.source = CJKParagraph((TextRun(f"资料来源：{figure.source}"),), styles.source_note) \
            if figure.source else None
        self.notes = note_paragraphs(figure.notes, styles.source_note)
        self.spaceBefore = 6
        self.spaceAfter = 10
        self.floats = True          # to the top of the next page when it does not fit (flow.py)

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.scale = min(1.0, availWidth / self.img_w)
        _, ch = self.caption.wrap(availWidth, availHeight)
        sh = self.source.wrap(availWidth, availHeight)[1] if self.source else 0
        sh += sum(n.wrap(availWidth, availHeight)[1] for n in self.notes)
        self.height = self.img_h * self.scale + 4 + ch + sh
        return self.width, self.height

    def draw(self):
        c = self.canv
        y = self.height
        img_h = self.img_h * self.scale
        self._draw_picture(c, (self.width - self.img_w * self.scale) / 2, y - img_h)
        c.bookmarkPage(self.key)
        self.state.record(self.key, c.getPageNumber())
        y -= img_h + 4
        y -= self.caption.height
        self.caption.drawOn(c, 0, y)
        source = [self.source] if self.source else []
        for part in (source + self.notes if self.state.note_position == "below" else self.notes + source):
            y -= part.height
            part.drawOn(c, 0, y)

    def _draw_picture(self, c, x: float, y: float) -> None:
        c.saveState()
        c.translate(x, y)
        c.scale(self.scale, self.scale)
        c.doForm(self.state.defer_chart(self))   # filled in when the document is complete
        c.restoreState()

    def draw_chart(self, c) -> None:
        """Inside the figure's form, once the layout is done: the chart at its box's size."""
        drawing = chart_drawing(self.image)
        c.saveState()
        c.scale(self.img_w / drawing.width, self.img_h / drawing.height)
        drawing.draw(c)
        c.restoreState()
