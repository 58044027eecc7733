"""Render charts: ChartSpec → SVG file (vector), cached by content hash.

The only module that imports matplotlib, and only when a chart is not in the
cache: a warm build never pays for importing it.  Text in the SVG stays text
(``svg.fonttype = 'none'``) naming the Noto Sans CJK SC family the PDF uses
for headings; the typesetter maps that family to its embedded font, so chart
labels are real, searchable text in the same face (and parsing is six times
faster than with glyphs drawn as paths).
"""
from __future__ import annotations

import hashlib
import re
import json
from dataclasses import asdict, replace
from pathlib import Path

from .files import write_atomically
from .model import ChartImage, ChartSpec

# Bump when the house style below changes: it is part of every cache key.
STYLE_VERSION = "11"

WIDTH_PT = 430.0
HEIGHTS_PT = {"pie": 215.0, "bar": 215.0, "grouped_bar": 225.0, "stacked_bar": 225.0, "timeline": 170.0}

# A restrained palette for a government/industry report: navy first, then teal, slate, ochre.
PALETTE = ["#1f4e79", "#2e8b8b", "#8497b0", "#c5a14e", "#a9c4dc", "#6b6b6b"]
MUTED = "#c9d3df"
INK = "#333333"


def _height(spec: ChartSpec) -> float:
    if spec.kind == "barh":
        return max(180.0, 60.0 + 17.0 * len(spec.categories))
    return HEIGHTS_PT.get(spec.kind, 215.0)


def cache_key(spec: ChartSpec, font_stamp: str, library_version: str) -> str:
    payload = json.dumps({"spec": asdict(spec), "style": STYLE_VERSION, "font": font_stamp,
                          "matplotlib": library_version}, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _matplotlib_version() -> str:
    # Read the installed version without importing matplotlib (a warm build must not pay for it).
    from importlib.metadata import version

    return version("matplotlib")


def font_stamp(font_paths: list[Path]) -> str:
    """Identify the font files cheaply but safely: name, size and a hash of the first and last 64 KiB."""
    h = hashlib.sha256()
    for p in font_paths:
        size = p.stat().st_size
        with open(p, "rb") as f:
            h.update(p.name.encode())
            h.update(str(size).encode())
            h.update(f.read(65536))
            f.seek(max(0, size - 65536))
            h.update(f.read())
    return h.hexdigest()[:16]


def render_charts(specs: list[ChartSpec], sans_font: Path, sans_bold_font: Path,
                  cache_dir: Path) -> tuple[list[ChartImage], int]:
    """Return one ChartImage per spec (same order) and how many were drawn (not cached)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp = font_stamp([sans_font, sans_bold_font])
    version = _matplotlib_version()
    images: list[ChartImage] = []
    drawn = 0
    for spec in specs:
        key = cache_key(spec, stamp, version)
        path = cache_dir / f"{key}.svg"
        size = (WIDTH_PT, _height(spec))
        if not path.is_file():
            if spec.kind == "barh" and spec.highlight:
                # a city's copy of the city chart is the common chart recoloured, not drawn
                # again: matplotlib would spend as long on it as on the whole chart
                base, base_drawn = render_charts([replace(spec, highlight=())], sans_font, sans_bold_font, cache_dir)
                svg = _highlight_barh(base[0].path.read_bytes(), spec)
                drawn += base_drawn
            else:
                svg = _draw(spec, sans_font, sans_bold_font, size)
                drawn += 1
            write_atomically(path, svg)  # several builds may share the cache
        images.append(ChartImage(path, *size))
    return images, drawn


def preload(sans_font: Path, sans_bold_font: Path) -> str:
    """Import matplotlib and register our fonts with it; returns the font family name.

    A batch build calls this before forking its workers, so each worker inherits
    matplotlib instead of importing it again (0.3–0.5 s a worker).
    """
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.figure  # noqa: F401  (the import is the point)
    from matplotlib import font_manager

    for p in (sans_font, sans_bold_font):
        if str(p) not in _registered:
            font_manager.fontManager.addfont(str(p))
            _registered.add(str(p))
    return font_manager.FontProperties(fname=str(sans_font)).get_name()


_registered: set[str] = set()


def _draw(spec: ChartSpec, sans_font: Path, sans_bold_font: Path, size: tuple[float, float]) -> bytes:
    import io

    import matplotlib
    from matplotlib.figure import Figure

    family = preload(sans_font, sans_bold_font)
    rc = {
        "font.family": family, "font.size": 9, "axes.edgecolor": "#999999", "axes.linewidth": 0.6,
        "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK, "text.color": INK,
        "svg.fonttype": "none", "svg.hashsalt": "whitepaper", "axes.unicode_minus": False,
        "xtick.major.width": 0.6, "ytick.major.width": 0.6,
    }
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(size[0] / 72, size[1] / 72))
        ax = fig.add_subplot()
        _DRAWERS[spec.kind](ax, spec)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if spec.kind == "barh":
            _barh_margins(fig, spec, size)
        else:
            fig.tight_layout(pad=0.6)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    # matplotlib writes CSS weights as numbers; svglib maps only the keywords to our bold face
    # (with 700 a highlighted city's label came out as empty boxes)
    return buf.getvalue().replace(b"font-weight: 700", b"font-weight: bold")


SVG_NS = "http://www.w3.org/2000/svg"


def _highlight_barh(svg: bytes, spec: ChartSpec) -> bytes:
    """The common city chart with spec.highlight's bars in colour, every other bar muted and
    the city's label bold: what _barh draws for a highlighted spec, without drawing again."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    keep = {str(i) for i, cat in enumerate(spec.categories) if cat in spec.highlight}
    for group in root.iter(f"{{{SVG_NS}}}g"):
        gid = group.get("id", "")
        if gid.startswith("bar-") and gid.split("-")[1] not in keep:
            for shape in group.iter(f"{{{SVG_NS}}}path"):
                shape.set("style", re.sub(r"fill: #[0-9a-fA-F]{6}", f"fill: {MUTED}", shape.get("style", "")))
        elif gid.startswith("category-") and gid.split("-")[1] in keep:
            for text in group.iter(f"{{{SVG_NS}}}text"):
                style = re.sub(r";?\s*fill: #[0-9a-fA-F]{6}", "", text.get("style", "")).strip("; ")
                text.set("style", f"font-weight: bold; {style}; fill: #1f4e79")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _barh_margins(fig, spec: ChartSpec, size: tuple[float, float]) -> None:
    """Fixed margins for the city bar chart, from its label lengths: every excerpt draws its
    own highlighted copy, and tight_layout's extra draw pass was a third of that time."""
    label_chars = max((len(c) for c in spec.categories), default=2)
    left = 14 + 9.5 * label_chars
    fig.subplots_adjust(left=left / size[0], right=1 - 16 / size[0], bottom=30 / size[1], top=1 - 24 / size[1])


def _wrap(label: str, width: int) -> str:
    """Break a long Chinese label into balanced lines of at most ``width`` characters,
    never inside a number or Latin word (国家软件/产业基地, not 国家软件产业基/地)."""
    import re

    if len(label) <= width:
        return label
    tokens = re.findall(r"[A-Za-z0-9.\-%]+|.", label)
    lines_needed = -(-len(label) // width)
    per = -(-len(label) // lines_needed)
    lines, current = [], ""
    for token in tokens:
        if current and len(current) + len(token) > per and token not in "，。、；：）》」”":
            carry = ""
            while current and current[-1] in "（《「“【":  # an opening mark never ends a line
                carry, current = current[-1] + carry, current[:-1]
            if current:
                lines.append(current)
            current = carry
        current += token
    lines.append(current)
    return "\n".join(lines)


def _unit_label(ax, unit: str, x: float = 0.0, ha: str = "left") -> None:
    # Chinese reports put the unit above the axis, horizontally, not rotated along it.
    if unit:
        ax.text(x, 1.03, f"单位：{unit}", transform=ax.transAxes, ha=ha, va="bottom", fontsize=8.5)


def _share(part: float, whole: float, decimals: int) -> str:
    """A share rounded half up, as resolve.pct rounds the text's shares (not Python's half-even)."""
    from decimal import ROUND_HALF_UP, Decimal

    share = Decimal(repr(part)) / Decimal(repr(whole)) * 100
    return f"{share.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)}%"


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


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


def _barh(ax, spec: ChartSpec) -> None:
    import numpy as np

    y = np.arange(len(spec.categories))[::-1]
    left = np.zeros(len(spec.categories))
    colors = _colors_for(spec, len(spec.series))
    # drawn without highlight: a city's copy is this chart recoloured by _highlight_barh
    for i, (name, values) in enumerate(spec.series):
        values = np.array(values, dtype=float)
        # zero-width bars draw nothing but cost a patch each (most cities hold one or two of five designations)
        drawn = values != 0
        bars = ax.barh(y[drawn], values[drawn], 0.62, left=left[drawn], color=colors[i], label=name,
                       zorder=2, edgecolor="white", linewidth=0.5)
        for bar, ci in zip(bars, np.flatnonzero(drawn)):
            bar.set_clip_on(False)  # inside the axes anyway; a clip path per bar doubles the SVG's parse time
            bar.set_gid(f"bar-{ci}-{i}")  # _highlight_barh recolours bars by category
        left = left + values
    for yi, total in zip(y, left):
        ax.text(total + 0.05, yi, _fmt(total), va="center", fontsize=8)
    ax.set_yticks(y, spec.categories)
    ax.tick_params(axis="y", length=0)  # the labels sit at the bars; tick marks would only add clutter
    for ci, label in enumerate(ax.get_yticklabels()):
        label.set_gid(f"category-{ci}")
    _unit_label(ax, spec.unit, x=1.0, ha="right")
    ax.xaxis.grid(True, color="#e5e5e5", linewidth=0.6, zorder=0)
    ax.set_xlim(0, max(left) * 1.12 if len(left) else 1)
    ax.xaxis.set_major_locator(__import__("matplotlib.ticker", fromlist=["MaxNLocator"]).MaxNLocator(integer=True))
    if len(spec.series) > 1:
        from matplotlib.patches import Patch

        # the legend shows the series colours (not the muted ones), also for a series with no bar drawn
        handles = [Patch(facecolor=c, edgecolor="white", linewidth=0.5) for c in colors]
        ax.legend(handles, [name for name, _ in spec.series], frameon=False, loc="lower right", fontsize=8)


def _timeline(ax, spec: ChartSpec) -> None:
    years = [float(c) for c in spec.categories]
    lo, hi = min(years) - 1, max(years) + 1
    ax.axhline(0, color="#1f4e79", linewidth=2, zorder=1)
    for i, (year, label) in enumerate(zip(years, spec.labels)):
        up = 1 if i % 2 == 0 else -1
        ax.plot([year, year], [0, 0.55 * up], color="#8497b0", linewidth=0.8, zorder=1)
        ax.scatter([year], [0], s=36, color=PALETTE[i % 2 and 1], zorder=3)
        wrapped = _wrap(label, 14)
        ax.text(year, 0.62 * up, f"{int(year)} 年\n{wrapped}" if up > 0 else f"{wrapped}\n{int(year)} 年",
                ha="center", va="bottom" if up > 0 else "top", fontsize=8)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-1.9, 1.9)
    ax.axis("off")


_DRAWERS = {"pie": _pie, "bar": _bar, "grouped_bar": _grouped, "stacked_bar": _stacked, "barh": _barh,
            "timeline": _timeline}
