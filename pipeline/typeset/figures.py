"""Figures: the chart drawing (vector, from the chart stage's SVG), caption and source line."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from ..files import write_cache
from ..model import ChartImage, Figure, TextRun
from .paragraph import CJKParagraph
from .state import LayoutState
from .styles import CAPTION, SANS, SANS_BOLD, SOURCE_NOTE

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
