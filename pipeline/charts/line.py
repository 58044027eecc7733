"""Line charts: series over years (or any ordered categories), each point labelled."""
from __future__ import annotations

from ..model import ChartSpec
from .labels import _wrap, legend_above, tick_formatter, value_labels
from .style import INK, _colors_for, _unit_label


def _line(ax, spec: ChartSpec) -> None:
    import numpy as np

    x = np.arange(len(spec.categories))
    colors = _colors_for(spec, len(spec.series))
    texts = value_labels(spec)
    markers = ["o", "s", "^", "D", "v", "P"]   # print in grey too: series differ by marker, not colour only
    for i, (name, values) in enumerate(spec.series):
        ax.plot(x, values, color=colors[i], marker=markers[i % len(markers)], markersize=4, linewidth=1.6,
                label=name, zorder=3)
        for xi, v, text in zip(x, values, texts[i]):
            if text:
                ax.annotate(text, (xi, v), xytext=(0, 5 if v >= 0 else -5), textcoords="offset points",
                            ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
    if any(v < 0 for _, values in spec.series for v in values):
        ax.axhline(0, color=INK, linewidth=0.8, zorder=2)
    ax.set_xticks(x, [_wrap(c, 7) for c in spec.categories])
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.yaxis.set_major_formatter(tick_formatter(spec))
    _unit_label(ax, spec.unit)
    ax.margins(y=0.18)
    ax.yaxis.grid(True, color="#e5e5e5", linewidth=0.6, zorder=0)
    if len(spec.series) > 1:
        handles = ax.get_legend_handles_labels()[0]
        legend_above(ax, handles, [name for name, _ in spec.series])
