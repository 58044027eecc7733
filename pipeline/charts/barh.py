"""Horizontal stacked bars, one per category (the city chart)."""
from __future__ import annotations

from ..model import ChartSpec
from .labels import _fmt
from .style import _colors_for, _unit_label


def _barh(ax, spec: ChartSpec) -> None:
    import numpy as np

    y = np.arange(len(spec.categories))[::-1]
    left = np.zeros(len(spec.categories))
    colors = _colors_for(spec, len(spec.series))
    # drawn without highlight: a city's copy is this chart recoloured by _highlight_barh
    for i, (name, values) in enumerate(spec.series):
        values = np.array(values, dtype=float)
        # zero-width bars draw nothing but cost a patch each (most cities hold one or two of five designations)
        drawn = values != 0
        bars = ax.barh(y[drawn], values[drawn], 0.62, left=left[drawn], color=colors[i], label=name,
                       zorder=2, edgecolor="white", linewidth=0.5)
        for bar, ci in zip(bars, np.flatnonzero(drawn)):
            bar.set_clip_on(False)  # inside the axes anyway; a clip path per bar doubles the SVG's parse time
            bar.set_gid(f"bar-{ci}-{i}")  # _highlight_barh recolours bars by category
        left = left + values
    for yi, total in zip(y, left):
        ax.text(total + 0.05, yi, _fmt(total), va="center", fontsize=8)
    ax.set_yticks(y, spec.categories)
    ax.tick_params(axis="y", length=0)  # the labels sit at the bars; tick marks would only add clutter
    for ci, label in enumerate(ax.get_yticklabels()):
        label.set_gid(f"category-{ci}")
    _unit_label(ax, spec.unit, x=1.0, ha="right")
    ax.xaxis.grid(True, color="#e5e5e5", linewidth=0.6, zorder=0)
    ax.set_xlim(0, max(left) * 1.12 if len(left) else 1)
    ax.xaxis.set_major_locator(__import__("matplotlib.ticker", fromlist=["MaxNLocator"]).MaxNLocator(integer=True))
    if len(spec.series) > 1:
        from matplotlib.patches import Patch

        # the legend shows the series colours (not the muted ones), also for a series with no bar drawn
        handles = [Patch(facecolor=c, edgecolor="white", linewidth=0.5) for c in colors]
        ax.legend(handles, [name for name, _ in spec.series], frameon=False, loc="lower right", fontsize=8)
