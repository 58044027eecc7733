"""Chart cache: each ChartSpec drawn once to an SVG named by the hash of everything that shapes it."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from pathlib import Path

from ..cachestore import CacheStore, cache_secret
from ..model import ChartImage, ChartSpec
from .draw import _draw
from .recolour import _highlight_barh

# Bump when the house style below changes: it is part of every cache key.
STYLE_VERSION = "12"

WIDTH_PT = 430.0
HEIGHTS_PT = {"pie": 215.0, "bar": 215.0, "grouped_bar": 225.0, "stacked_bar": 225.0, "timeline": 170.0,
              "line": 225.0}


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
    """Return one ChartImage per spec (same order) and how many were drawn (not cached).

    ``cache_dir`` is the chart store (``output/.cache/charts``): an SVG is used
    only if its seal verifies and it is a whole SVG document; else it is drawn
    again and replaces the entry (see pipeline/cachestore.py).
    """
    store = CacheStore(cache_dir, cache_secret(Path(cache_dir).parent))
    stamp = font_stamp([sans_font, sans_bold_font])
    version = _matplotlib_version()
    images: list[ChartImage] = []
    drawn = 0
    for spec in specs:
        svg, spec_drawn = _chart_svg(spec, store, stamp, version, sans_font, sans_bold_font)
        drawn += spec_drawn
        key = cache_key(spec, stamp, version)
        images.append(ChartImage(store.path(f"{key}.svg"), WIDTH_PT, _height(spec), svg))
    return images, drawn


def _chart_svg(spec: ChartSpec, store: CacheStore, stamp: str, version: str, sans_font: Path,
               sans_bold_font: Path) -> tuple[bytes, int]:
    """The chart's SVG, from the store when it verifies, else drawn (and stored); and how many were drawn."""
    name = f"{cache_key(spec, stamp, version)}.svg"
    svg = store.get(name)
    if svg is not None and _whole_svg(svg):
        return svg, 0
    if spec.kind == "barh" and spec.highlight:
        # a city's copy of the city chart is the common chart recoloured, not drawn
        # again: matplotlib would spend as long on it as on the whole chart
        base, drawn = _chart_svg(replace(spec, highlight=()), store, stamp, version, sans_font, sans_bold_font)
        svg = _highlight_barh(base, spec)
    else:
        svg = _draw(spec, sans_font, sans_bold_font, (WIDTH_PT, _height(spec)))
        drawn = 1
    store.put(name, svg)  # sealed; several builds may share the cache
    return svg, drawn


def _whole_svg(svg: bytes) -> bool:
    """A sealed entry is ours, but parse it anyway: an entry that is not one SVG document is made again."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(svg)
    except ET.ParseError:
        return False
    return root.tag == "{http://www.w3.org/2000/svg}svg"
