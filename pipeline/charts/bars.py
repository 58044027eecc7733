"""Vertical bar charts: single, grouped and stacked; negative values hang below a zero line."""
from __future__ import annotations

from ..model import ChartSpec
from .labels import _wrap, legend_above, tick_formatter, value_labels
from .style import INK, MUTED, _colors_for, _emphasise_ticks, _highlighted, _unit_label


def _bars(ax, spec: ChartSpec, stacked: bool) -> None:
    import numpy as np

    n = len(spec.series)
    x = np.arange(len(spec.categories))
    width = 0.55 if stacked or n == 1 else 0.7 / n
    above = np.zeros(len(spec.categories))   # stacked: where the next positive part starts …
    below = np.zeros(len(spec.categories))   # … and the next negative one (drawn below zero)
    colors = _colors_for(spec, n)
    highlighted = _highlighted(spec)
    texts = value_labels(spec)
    negative = any(v < 0 for _, values in spec.series for v in values)
    for i, (name, values) in enumerate(spec.series):
        values = np.array(values, dtype=float)
        offset = 0 if stacked or n == 1 else (i - (n - 1) / 2) * width
        base = np.where(values >= 0, above, below) if stacked else np.zeros(len(values))
        # a city excerpt mutes the other cities' bars, as barh does
        color = [colors[i] if cat in highlighted else MUTED for cat in spec.categories] if highlighted else colors[i]
        bars = ax.bar(x + offset, values, width, bottom=base if stacked else None, color=color,
                      label=name, zorder=2)
        estimated = spec.estimated or (False,) * len(spec.categories)
        for rect, is_estimate in zip(bars, estimated):
            if is_estimate:
                _mark_estimate(rect)
        for rect, v, b, text, is_estimate in zip(bars, values, base, texts[i], estimated):
            if v == 0 or not text:
                continue
            middle = rect.get_x() + rect.get_width() / 2
            if stacked:
                ax.text(middle, b + v / 2, text, ha="center", va="center", fontsize=8.5,
                        color=INK if is_estimate else "white")
            else:
                # outside the bar's end: above a positive bar, below a negative one
                ax.text(middle, v, text, ha="center", va="bottom" if v > 0 else "top", fontsize=8.5)
        if stacked:
            above = above + np.clip(values, 0, None)
            below = below + np.clip(values, None, 0)
    if stacked and n > 1:
        totals = spec.total_labels or tuple("" for _ in spec.categories)
        for xi, top, bottom, text in zip(x, above, below, totals):
            if not text:
                continue
            at_top = top > 0 or bottom == 0
            ax.text(xi, top if at_top else bottom, f"合计 {text}", ha="center",
                    va="bottom" if at_top else "top", fontsize=8.5)
    if negative:
        ax.axhline(0, color=INK, linewidth=0.8, zorder=3)
    ax.set_xticks(x, [_wrap(c, 7) for c in spec.categories])
    if highlighted:
        _emphasise_ticks(ax.get_xticklabels(), highlighted, spec)
    ax.yaxis.set_major_formatter(tick_formatter(spec))
    _unit_label(ax, spec.unit)
    ax.margins(y=0.15)
    ax.yaxis.grid(True, color="#e5e5e5", linewidth=0.6, zorder=0)
    if n > 1:
        from matplotlib.patches import Patch

        # the series colours, and in an excerpt a key for the grey of the other categories
        handles, names = [Patch(color=c) for c in colors], [name for name, _ in spec.series]
        if highlighted and spec.others_label:
            handles, names = handles + [Patch(color=MUTED)], names + [spec.others_label]
        legend_above(ax, handles, names)


def _mark_estimate(rect) -> None:
    """A forecast bar: the series colour lightened, outlined dashed in the colour itself, so it reads as an
    estimate in grey print too. (Not hatched: the chart drawing format has no hatch patterns.)"""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(rect.get_facecolor())
    rect.set_facecolor((r + (1 - r) * 0.55, g + (1 - g) * 0.55, b + (1 - b) * 0.55))
    rect.set_edgecolor((r, g, b))
    rect.set_linestyle((0, (3, 2)))
    rect.set_linewidth(0.8)


def _bar(ax, spec):
    _bars(ax, spec, stacked=False)


def _grouped(ax, spec):
    _bars(ax, spec, stacked=False)


def _stacked(ax, spec):
    _bars(ax, spec, stacked=True)
