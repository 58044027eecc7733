"""The house look of charts: palette, muted colour for other cities, shared decorations."""
from __future__ import annotations

from ..model import HOUSE_PALETTE, UNIT_LINE, ChartSpec

# A restrained palette for a government/industry report that stays readable in greyscale print:
# navy, teal, ochre, pale blue, ink, cream at CIE L* 32, 47, 63, 78, 15, 94: any two at least
# 15 L* apart (tests/test_publication.py measures it on the PDF).
# (chapters/theme.yaml may give another, carried in ChartSpec.palette)
PALETTE = list(HOUSE_PALETTE)
# other cities in a city's excerpt: a neutral grey, unlike any series colour
MUTED = "#d4d4d4"
LIGHT_EDGE = "#8c8c8c"   # an outline for the palest colour, which would vanish on white paper
INK = "#333333"


def _unit_label(ax, unit: str, x: float = 0.0, ha: str = "left") -> None:
    # Chinese reports put the unit above the axis, horizontally, not rotated along it.
    if unit:
        ax.text(x, 1.03, UNIT_LINE.format(unit=unit), transform=ax.transAxes, ha=ha, va="bottom", fontsize=8.5)


def palette_of(spec: ChartSpec) -> list[str]:
    """The chart's series colours: the theme's, else the house palette."""
    return [c.lower() for c in spec.palette] if spec.palette else PALETTE


def _colors_for(spec: ChartSpec, n: int) -> list[str]:
    palette = palette_of(spec)
    return [palette[i % len(palette)] for i in range(n)]


def _edge(color: str, spec: ChartSpec) -> str:
    """White between neighbouring bars, a grey outline around the palest colour."""
    return LIGHT_EDGE if color.lower() == palette_of(spec)[-1] else "white"


def _highlighted(spec: ChartSpec) -> set[str]:
    """The categories to bring forward (a per-city excerpt's city); empty: draw every category alike."""
    return set(spec.highlight) & set(spec.categories)


def _emphasise_ticks(labels, highlighted: set[str], spec: ChartSpec) -> None:
    for label in labels:
        if label.get_text().replace("\n", "") in highlighted:
            label.set_fontweight("bold")
            label.set_color(palette_of(spec)[0])
