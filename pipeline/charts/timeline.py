"""Timelines: dated events along a line."""
from __future__ import annotations

from ..model import ChartSpec
from .labels import _wrap
from .style import palette_of


def _timeline(ax, spec: ChartSpec) -> None:
    years = [float(c) for c in spec.categories]
    lo, hi = min(years) - 1, max(years) + 1
    ax.axhline(0, color=palette_of(spec)[0], linewidth=2, zorder=1)
    for i, (year, label) in enumerate(zip(years, spec.labels)):
        up = 1 if i % 2 == 0 else -1
        ax.plot([year, year], [0, 0.55 * up], color="#8497b0", linewidth=0.8, zorder=1)
        ax.scatter([year], [0], s=36, color=palette_of(spec)[i % 2 and 1], zorder=3)
        wrapped = _wrap(label, 14)
        ax.text(year, 0.62 * up, f"{int(year)} 年\n{wrapped}" if up > 0 else f"{wrapped}\n{int(year)} 年",
                ha="center", va="bottom" if up > 0 else "top", fontsize=8)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-1.9, 1.9)
    ax.axis("off")
