"""The house look of charts: palette, muted colour for other cities, shared decorations."""
from __future__ import annotations

from ..model import ChartSpec

# A restrained palette for a government/industry report: navy first, then teal, slate, ochre.
PALETTE = ["#1f4e79", "#2e8b8b", "#8497b0", "#c5a14e", "#a9c4dc", "#6b6b6b"]
MUTED = "#c9d3df"
INK = "#333333"


def _unit_label(ax, unit: str, x: float = 0.0, ha: str = "left") -> None:
    # Chinese reports put the unit above the axis, horizontally, not rotated along it.
    if unit:
        ax.text(x, 1.03, f"单位：{unit}", transform=ax.transAxes, ha=ha, va="bottom", fontsize=8.5)


def _colors_for(spec: ChartSpec, n: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def _highlighted(spec: ChartSpec) -> set[str]:
    """The categories to bring forward (a per-city excerpt's city); empty: draw every category alike."""
    return set(spec.highlight) & set(spec.categories)


def _emphasise_ticks(labels, highlighted: set[str]) -> None:
    for label in labels:
        if label.get_text().replace("\n", "") in highlighted:
            label.set_fontweight("bold")
            label.set_color(PALETTE[0])
