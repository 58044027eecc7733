"""The house look of charts: palette, muted colour for other cities, shared decorations."""
from __future__ import annotations

from ..model import ChartSpec

# A restrained palette for a government/industry report that stays readable in greyscale print:
# navy, teal, ochre, pale blue, ink, cream at CIE L* 32, 47, 63, 78, 15, 94: any two at least
# 15 L* apart (tests/test_publication.py measures it on the PDF).
PALETTE = ["#1f4e79", "#267a8a", "#b8923a", "#a9c4dc", "#0b2545", "#f4eddc"]
# other cities in a city's excerpt: a neutral grey, unlike any series colour
MUTED = "#d4d4d4"
LIGHT_EDGE = "#8c8c8c"   # an outline for the palest colour, which would vanish on white paper
INK = "#333333"


def _unit_label(ax, unit: str, x: float = 0.0, ha: str = "left") -> None:
    # Chinese reports put the unit above the axis, horizontally, not rotated along it.
    if unit:
        ax.text(x, 1.03, f"单位：{unit}", transform=ax.transAxes, ha=ha, va="bottom", fontsize=8.5)


def _colors_for(spec: ChartSpec, n: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def _edge(color: str) -> str:
    """White between neighbouring bars, a grey outline around the palest colour."""
    return LIGHT_EDGE if color.lower() == PALETTE[-1] else "white"


def _highlighted(spec: ChartSpec) -> set[str]:
    """The categories to bring forward (a per-city excerpt's city); empty: draw every category alike."""
    return set(spec.highlight) & set(spec.categories)


def _emphasise_ticks(labels, highlighted: set[str]) -> None:
    for label in labels:
        if label.get_text().replace("\n", "") in highlighted:
            label.set_fontweight("bold")
            label.set_color(PALETTE[0])
