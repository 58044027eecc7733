"""Charts recorded as JSON drawings (pipeline/charts/vector.py) and loaded by the typesetter
(pipeline/typeset/drawings.py): real matplotlib figures, real ReportLab shapes."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conftest import copy_bulletin
from pipeline.build import Options, check
from pipeline.charts.cache import chart_size
from pipeline.charts.draw import ChartError, _draw
from pipeline.typeset import drawings
from pipeline.typeset.fonts import register_fonts
from pipeline.typeset.styles import SANS, SANS_BOLD

ROLES = {"sans": SANS, "sans-bold": SANS_BOLD}


@pytest.fixture(scope="module")
def bulletin_charts(tmp_path_factory):
    root = copy_bulletin(tmp_path_factory.mktemp("drawing"))
    project, document = check(Options(project=root))
    register_fonts(project.fonts)
    fonts = (project.fonts["sans"], project.fonts["sans-bold"])
    return [(f.chart, _draw(f.chart, *fonts, chart_size(f.chart))) for f in document.figures()], fonts


def _strings(node):
    if node.__class__.__name__ == "String":
        yield node
    for child in getattr(node, "contents", ()):
        yield from _strings(child)


def test_every_chart_loads_with_its_labels_as_text_in_our_faces(bulletin_charts):
    charts, _ = bulletin_charts
    for spec, data in charts:
        drawing = drawings.loads(data, fonts=ROLES)
        assert (drawing.width, drawing.height) == chart_size(spec)
        texts = list(_strings(drawing))
        assert {t.fontName for t in texts} <= {SANS, SANS_BOLD}
        shown = "".join(t.text for t in texts)
        for category in spec.categories:   # every category is labelled (wrapped labels: line by line)
            assert all(part in shown for part in category.split()), (spec.title, category)


def test_the_same_chart_is_recorded_byte_for_byte(bulletin_charts):
    charts, fonts = bulletin_charts
    spec, data = charts[0]
    assert _draw(spec, *fonts, chart_size(spec)) == data


@pytest.mark.parametrize("poison", [
    lambda d: d["c"].append({"k": "Image", "a": {}}),                                    # another class
    lambda d: next(n for n in _nodes(d) if n["k"] == "Path")["a"].update(fileName="x"),  # another attribute
    lambda d: next(n for n in _nodes(d) if n["k"] == "String")["a"].update(fontName="Helvetica"),  # another font
    lambda d: next(n for n in _nodes(d) if n["k"] == "Path")["a"].update(points="1 2"),  # another type
    lambda d: next(n for n in _nodes(d) if n["k"] == "Path")["a"].update(strokeWidth=float("nan")),
], ids=["class", "attribute", "font", "type", "nan"])
def test_a_drawing_outside_the_format_is_refused(bulletin_charts, poison):
    charts, _ = bulletin_charts
    doc = json.loads(charts[0][1])
    poison(doc["drawing"])
    with pytest.raises(ValueError):
        drawings.loads(json.dumps(doc).encode(), fonts=ROLES)


def _nodes(node):
    yield node
    for child in node.get("c", ()):
        yield from _nodes(child)


def test_what_the_format_cannot_say_is_a_chart_error(bulletin_charts):
    """A chart style that would need an image or a hatch pattern fails clearly, naming no Python type."""
    charts, fonts = bulletin_charts
    spec = next(s for s, _ in charts if s.kind in ("bar", "grouped_bar", "stacked_bar"))
    from pipeline.charts import vector

    renderer = vector.DrawingRenderer(10, 10)
    with pytest.raises(vector.UnsupportedDrawing):
        renderer.draw_image(None, 0, 0, None)
    with pytest.raises(ChartError) as info:
        _draw(replace(spec, kind="no such kind"), *fonts, chart_size(spec))
    assert "Error" not in str(info.value)
