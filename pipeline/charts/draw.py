"""matplotlib set-up (fonts, house rc) and drawing one chart: the typesetter's JSON drawing (or SVG)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..model import ChartSpec
from .barh import _barh
from .line import _line
from .bars import _bar, _grouped, _stacked
from .pie import _pie
from .style import INK
from .timeline import _timeline


class ChartError(Exception):
    """matplotlib could not draw a chart; the build says which figure, at its chapter file:line."""

    def __init__(self, spec: ChartSpec, message: str):
        super().__init__(message)
        self.spec = spec

    def __reduce__(self):  # raised in a drawing worker process, re-raised in the build's
        return (ChartError, (self.spec, str(self)))


def keep_matplotlib_config_in(folder: Path) -> None:
    """Point MPLCONFIGDIR at our cache folder unless the user set it: else matplotlib writes its
    font-list cache into $HOME. Only effective before matplotlib is imported, so called first."""
    if "matplotlib" in sys.modules or os.environ.get("MPLCONFIGDIR"):
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return   # matplotlib falls back to a temporary folder of its own
    os.environ["MPLCONFIGDIR"] = str(folder)


def preload(sans_font: Path, sans_bold_font: Path) -> str:
    """Import matplotlib and register our fonts with it; returns the font family name.

    A batch build calls this before forking its workers, so each worker inherits
    matplotlib instead of importing it again (0.3–0.5 s a worker).
    """
    import logging

    # matplotlib's own notices ("Could not save font_manager cache" on a full disk, font fallbacks) are
    # not the user's concern: a stage does not print, and the build says what went wrong in one line
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.figure  # noqa: F401  (the import is the point)
    from matplotlib import font_manager

    for p in (sans_font, sans_bold_font):
        if str(p) not in _registered:
            font_manager.fontManager.addfont(str(p))
            _registered.add(str(p))
    return font_manager.FontProperties(fname=str(sans_font)).get_name()


_registered: set[str] = set()


def _draw(spec: ChartSpec, sans_font: Path, sans_bold_font: Path, size: tuple[float, float],
          form: str = "drawing") -> bytes:
    """The chart as the typesetter's JSON drawing (vector.py), or with ``form="svg"`` as SVG; anything
    matplotlib cannot lay out is a ChartError (its warnings are not printed: a pipeline stage does
    not print)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _draw_figure(spec, sans_font, sans_bold_font, size, form)
    except (ValueError, RuntimeError, ArithmeticError, LookupError, TypeError, MemoryError) as e:
        raise ChartError(spec, " ".join(str(e).split())[:200] or "matplotlib could not lay it out") from None


def draw_svg(spec: ChartSpec, sans_font: Path, sans_bold_font: Path, size: tuple[float, float]) -> bytes:
    """The same chart as SVG: what a matplotlib user would write (benchmarks/typst_peer.py)."""
    return _draw(spec, sans_font, sans_bold_font, size, form="svg")


def _draw_figure(spec: ChartSpec, sans_font: Path, sans_bold_font: Path, size: tuple[float, float],
                 form: str) -> bytes:
    import io

    import matplotlib
    from matplotlib.figure import Figure

    family = preload(sans_font, sans_bold_font)
    rc = {
        "font.family": family, "font.size": 9, "axes.edgecolor": "#999999", "axes.linewidth": 0.6,
        "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK, "text.color": INK,
        "svg.fonttype": "none", "svg.hashsalt": "whitepaper", "axes.unicode_minus": False,
        "xtick.major.width": 0.6, "ytick.major.width": 0.6,
    }
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(size[0] / 72, size[1] / 72))
        ax = fig.add_subplot()
        _DRAWERS[spec.kind](ax, spec)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if spec.kind == "barh":
            _barh_margins(fig, spec, size)
        else:
            fig.tight_layout(pad=0.6)
        if form != "svg":
            from .vector import render

            return render(fig, *size)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def _barh_margins(fig, spec: ChartSpec, size: tuple[float, float]) -> None:
    """Fixed margins for the city bar chart, from its label lengths: every excerpt draws its
    own highlighted copy, and tight_layout's extra draw pass was a third of that time."""
    from .labels import fit_labels, label_width

    left = min(14 + 9.5 * label_width(fit_labels(spec.categories, BARH_LABEL_CHARS)), 0.45 * size[0])
    fig.subplots_adjust(left=left / size[0], right=1 - 16 / size[0], bottom=30 / size[1], top=1 - 24 / size[1])


BARH_LABEL_CHARS = 16   # a city label wider than this (at 9 pt) wraps onto two lines, then shrinks

_DRAWERS = {"pie": _pie, "bar": _bar, "grouped_bar": _grouped, "stacked_bar": _stacked, "barh": _barh,
            "timeline": _timeline, "line": _line}
