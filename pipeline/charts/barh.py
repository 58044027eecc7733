"""Horizontal stacked bars, one per category (the city chart)."""
from __future__ import annotations

from ..model import ChartSpec
from .labels import _fmt, fit_labels, tick_formatter
from .style import INK, _colors_for, _edge, _unit_label


def _barh(ax, spec: ChartSpec) -> None:
    import numpy as np

    y = np.arange(len(spec.categories))[::-1]
    left = np.zeros(len(spec.categories))       # where the next positive part starts …
    left_neg = np.zeros(len(spec.categories))   # … and the next negative one (drawn left of zero)
    colors = _colors_for(spec, len(spec.series))
    # drawn without highlight: a city's copy is this chart recoloured by _highlight_barh
    for i, (name, values) in enumerate(spec.series):
        values = np.array(values, dtype=float)
        # zero-width bars draw nothing but cost a patch each (most cities hold one or two of five designations)
        drawn = values != 0
        start = np.where(values >= 0, left, left_neg)
        bars = ax.barh(y[drawn], values[drawn], 0.62, left=start[drawn], color=colors[i], label=name,
                       zorder=2, edgecolor=_edge(colors[i], spec), linewidth=0.5)
        for bar, ci in zip(bars, np.flatnonzero(drawn)):
            bar.set_clip_on(False)  # inside the axes anyway: no clipping group per bar
            bar.set_gid(f"bar-{ci}-{i}")  # _highlight_barh recolours bars by category
        left = left + np.clip(values, 0, None)
        left_neg = left_neg + np.clip(values, None, 0)
    low, high = min(left_neg.min(initial=0), 0), max(left.max(initial=0), 0)
    pad = (high - low) * 0.01 or 0.05
    totals = spec.total_labels or tuple(_fmt(a + b) for a, b in zip(left, left_neg))
    for yi, right, leftmost, text in zip(y, left, left_neg, totals):
        if leftmost < 0 and right == 0:   # a negative total: its label left of its bar, inside the axes
            ax.text(leftmost - pad, yi, text, va="center", ha="right", fontsize=8)
        else:
            ax.text(right + pad, yi, text, va="center", fontsize=8)
    from .draw import BARH_LABEL_CHARS

    fitted = fit_labels(spec.categories, BARH_LABEL_CHARS)
    ax.set_yticks(y, [text for text, _ in fitted])
    ax.tick_params(axis="y", length=0)  # the labels sit at the bars; tick marks would only add clutter
    for ci, (label, (_, label_size)) in enumerate(zip(ax.get_yticklabels(), fitted)):
        label.set_gid(f"category-{ci}")
        label.set_fontsize(label_size)
    _unit_label(ax, spec.unit, x=1.0, ha="right")
    ax.xaxis.grid(True, color="#e5e5e5", linewidth=0.6, zorder=0)
    span = (high - low) or 1
    # room for the labels beyond the longest bars; the axes start left of a negative bar, so the
    # bar never reaches into the category labels
    ax.set_xlim(low - (span * 0.16 if low < 0 else 0), high + span * 0.12)
    if low < 0:
        ax.axvline(0, color=INK, linewidth=0.8, zorder=3)
    ax.xaxis.set_major_locator(__import__("matplotlib.ticker", fromlist=["MaxNLocator"]).MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(tick_formatter(spec))
    if len(spec.series) > 1:
        from matplotlib.patches import Patch

        # the legend shows the series colours (not the muted ones), also for a series with no bar drawn
        handles = [Patch(facecolor=c, edgecolor=_edge(c, spec), linewidth=0.5) for c in colors]
        # the lower right corner is free when the bottom bars (longest first, so the shortest) end
        # short of it; otherwise matplotlib looks for the place that covers the least data
        rows = len(spec.series) + 1
        free = all(right <= low + 0.55 * (high - low) for right in left[-rows:])
        ax.legend(handles, [name for name, _ in spec.series], frameon=False,
                  loc="lower right" if free else "best", fontsize=8)
