"""Vertical bar charts: single, grouped and stacked."""
from __future__ import annotations

from ..model import ChartSpec
from .labels import _fmt, _wrap
from .style import MUTED, _colors_for, _emphasise_ticks, _highlighted, _unit_label


def _bars(ax, spec: ChartSpec, stacked: bool) -> None:
    import numpy as np

    n = len(spec.series)
    x = np.arange(len(spec.categories))
    width = 0.55 if stacked or n == 1 else 0.7 / n
    bottom = np.zeros(len(spec.categories))
    colors = _colors_for(spec, n)
    highlighted = _highlighted(spec)
    for i, (name, values) in enumerate(spec.series):
        values = np.array(values, dtype=float)
        offset = 0 if stacked or n == 1 else (i - (n - 1) / 2) * width
        # a city excerpt mutes the other cities' bars, as barh does
        color = [colors[i] if cat in highlighted else MUTED for cat in spec.categories] if highlighted else colors[i]
        bars = ax.bar(x + offset, values, width, bottom=bottom if stacked else None, color=color,
                      label=name, zorder=2)
        for rect, v, b in zip(bars, values, bottom):
            if v == 0:
                continue
            if stacked:
                ax.text(rect.get_x() + rect.get_width() / 2, b + v / 2, _fmt(v), ha="center", va="center",
                        fontsize=8.5, color="white")
            else:
                ax.text(rect.get_x() + rect.get_width() / 2, v, _fmt(v), ha="center", va="bottom", fontsize=8.5)
        if stacked:
            bottom = bottom + values
    if stacked and n > 1:
        for xi, total in zip(x, bottom):
            ax.text(xi, total, f"合计 {_fmt(total)}", ha="center", va="bottom", fontsize=8.5)
    ax.set_xticks(x, [_wrap(c, 7) for c in spec.categories])
    if highlighted:
        _emphasise_ticks(ax.get_xticklabels(), highlighted)
    _unit_label(ax, spec.unit)
    ax.margins(y=0.15)
    ax.yaxis.grid(True, color="#e5e5e5", linewidth=0.6, zorder=0)
    if n > 1 and highlighted:
        from matplotlib.patches import Patch

        # the legend shows the series colours, not the muted ones
        ax.legend([Patch(color=c) for c in colors], [name for name, _ in spec.series], frameon=False, ncols=n,
                  loc="upper left", fontsize=8.5)
    elif n > 1:
        ax.legend(frameon=False, ncols=n, loc="upper left", fontsize=8.5)


def _bar(ax, spec):
    _bars(ax, spec, stacked=False)


def _grouped(ax, spec):
    _bars(ax, spec, stacked=False)


def _stacked(ax, spec):
    _bars(ax, spec, stacked=True)
