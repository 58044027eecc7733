"""Pie (donut) charts."""
from __future__ import annotations

from ..model import ChartSpec
from .labels import _fmt, _share
from .style import MUTED, _colors_for, _highlighted


def _pie(ax, spec: ChartSpec) -> None:
    name, values = spec.series[0]
    total = sum(values)
    colors = _colors_for(spec, len(values))
    highlighted = _highlighted(spec)
    if highlighted:
        colors = [c if cat in highlighted else MUTED for c, cat in zip(colors, spec.categories)]
    wedges, _ = ax.pie(values, colors=colors, startangle=90, counterclock=False,
                       wedgeprops={"width": 0.42, "edgecolor": "white", "linewidth": 1.5})
    for wedge, cat, v in zip(wedges, spec.categories, values):
        import math

        angle = math.radians((wedge.theta1 + wedge.theta2) / 2)
        x, y = 1.18 * math.cos(angle), 1.18 * math.sin(angle)
        ax.annotate(f"{cat}\n{_fmt(v)} {spec.unit}（{_share(v, total, spec.percent_decimals)}）", (x, y),
                    ha="left" if x >= 0 else "right", va="center", fontsize=9)
    ax.text(0, 0, f"合计\n{_fmt(total)} {spec.unit}", ha="center", va="center", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(-2.2, 2.2)
    ax.axis("off")
