"""Render charts: ChartSpec → a vector drawing (plain JSON), cached by content hash.

The only module that imports matplotlib, and only when a chart is not in the
cache: a warm build never pays for importing it.  matplotlib draws each chart
through our own renderer (``vector``), which records paths and text as JSON in
the closed format the typesetter reads (pipeline/typeset/drawings.py); text
stays text, in the sans face the PDF uses for headings, so chart labels are
real, searchable text.

The stage is a package: ``cache`` (keys, the chart cache, ``render_charts``,
the worker process), ``partner`` (the worker's second drawing process),
``draw`` (matplotlib set-up and the figure), ``vector`` (the renderer), one
module per chart kind (``pie``, ``bars``, ``barh``, ``timeline``, ``line``),
``style`` (palette and shared decorations), ``labels`` (label text: wrapping,
numbers, shares) and ``recolour`` (a city's copy of a chart recoloured without
drawing again).
"""
from __future__ import annotations

from .cache import (cache_key, chart_boxes, charts_to_draw, draw_inline, font_stamp, keep_worker, release_worker, render_charts,
                    send_charts_early, start_charts, warm_up)
from .draw import ChartError, keep_matplotlib_config_in, preload

__all__ = ["chart_boxes", "charts_to_draw", "draw_inline", "render_charts", "send_charts_early", "start_charts", "warm_up", "keep_worker", "release_worker", "preload", "cache_key", "font_stamp", "ChartError",
           "keep_matplotlib_config_in"]
