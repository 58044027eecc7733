"""Render charts: ChartSpec → SVG file (vector), cached by content hash.

The only module that imports matplotlib, and only when a chart is not in the
cache: a warm build never pays for importing it.  Text in the SVG stays text
(``svg.fonttype = 'none'``) naming the Noto Sans CJK SC family the PDF uses
for headings; the typesetter maps that family to its embedded font, so chart
labels are real, searchable text in the same face (and parsing is six times
faster than with glyphs drawn as paths).

The stage is a package: ``cache`` (keys, the SVG cache, ``render_charts``),
``draw`` (matplotlib set-up and the figure), one module per chart kind
(``pie``, ``bars``, ``barh``, ``timeline``), ``style`` (palette and shared
decorations), ``labels`` (label text: wrapping, numbers, shares) and
``recolour`` (a city's copy of a chart recoloured without drawing again).
"""
from __future__ import annotations

from .cache import cache_key, draw_inline, font_stamp, keep_worker, release_worker, render_charts, start_charts, warm_up
from .draw import ChartError, keep_matplotlib_config_in, preload

__all__ = ["draw_inline", "render_charts", "start_charts", "warm_up", "keep_worker", "release_worker", "preload", "cache_key", "font_stamp", "ChartError",
           "keep_matplotlib_config_in"]
