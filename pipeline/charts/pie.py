"""Pie (donut) charts."""
from __future__ import annotations

from ..model import ChartSpec
from .labels import _fmt, _share, value_labels
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
    texts = value_labels(spec)[0]
    shares = spec.share_labels or tuple(_share(v, total, spec.percent_decimals) for v in values)
    unit = f" {spec.unit}" if spec.unit else ""
    for wedge, cat, text, share in zip(wedges, spec.categories, texts, shares):
        import math

        angle = math.radians((wedge.theta1 + wedge.theta2) / 2)
        x, y = 1.18 * math.cos(angle), 1.18 * math.sin(angle)
        ax.annotate(f"{cat}\n{text}{unit}（{share}）", (x, y), ha="left" if x >= 0 else "right", va="center",
                    fontsize=9)
    # the stated total (a 合计 row) when the data has one, not a sum of rounded slices
    centre = spec.total_labels[0] if spec.total_labels else _fmt(total)
    ax.text(0, 0, f"合计\n{centre}{unit}", ha="center", va="center", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(-2.2, 2.2)
    ax.axis("off")
