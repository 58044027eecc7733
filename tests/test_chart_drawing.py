"""Charts recorded as JSON drawings (pipeline/charts/vector.py) and drawn by the typesetter
(pipeline/typeset/drawings.py): real matplotlib figures, painted as ReportLab's own renderer paints
the same shapes."""
from __future__ import annotations

import io
import json
from dataclasses import replace

import pymupdf
import pytest
from reportlab.pdfgen.canvas import Canvas

from conftest import copy_bulletin, copy_project
from pipeline.build import Options, check, document_epoch, draw_charts
from pipeline.charts.cache import chart_size
from pipeline.charts.draw import ChartError, _draw
from pipeline.cities import city_profiles
from pipeline.resolve import resolve_document
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


def _page_text(pdf: bytes) -> tuple[set[str], str]:
    """The fonts and the text of a one-page PDF, as a reader sees them."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        page = doc[0]
        spans = [s for b in page.get_text("dict")["blocks"] for line in b.get("lines", ()) for s in line["spans"]]
        return {s["font"] for s in spans}, "".join(s["text"] for s in spans)


def _one_page(size, paint) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=size, invariant=1)
    paint(canvas)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_every_chart_is_drawn_with_its_labels_as_text_in_our_faces(bulletin_charts):
    charts, _ = bulletin_charts
    for spec, data in charts:
        drawing = drawings.loads(data, fonts=ROLES)
        assert (drawing.width, drawing.height) == chart_size(spec)
        fonts, shown = _page_text(_one_page((drawing.width, drawing.height), drawing.draw))
        assert fonts and all(f.split("+")[-1].startswith("NotoSansCJK") for f in fonts), fonts   # the sans faces
        for category in spec.categories:   # every category is labelled (wrapped labels: line by line)
            assert all(part in shown for part in category.split()), (spec.title, category)


def _reference_shapes(node):
    """The drawing as ReportLab shapes, attribute for attribute, for ReportLab's own renderer."""
    from reportlab.graphics.shapes import Drawing, Group, Path, String
    from reportlab.lib.colors import Color

    attrs = {k: (Color(*v) if k.endswith("Color") and v is not None else v) for k, v in node["a"].items()}
    if node["k"] in ("Drawing", "Group"):
        shape = Drawing(attrs.pop("width"), attrs.pop("height")) if node["k"] == "Drawing" else Group()
        attrs.pop("svgid", None)
        shape.contents = [_reference_shapes(child) for child in node["c"]]
    elif node["k"] == "String":
        attrs["fontName"] = ROLES[attrs["fontName"]]
        shape = String(attrs.pop("x"), attrs.pop("y"), attrs.pop("text"))
    else:
        shape = Path(attrs.pop("points"))
        if node["k"] == "ClippingPath":   # clips the rest of its group; neither filled nor stroked
            attrs.update(fillColor=None, strokeColor=None)
    for key, value in attrs.items():
        setattr(shape, key, value)
    return shape


def _pixels(pdf: bytes) -> bytes:
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return doc[0].get_pixmap(dpi=200).samples


def test_a_chart_paints_what_reportlabs_renderer_paints_for_the_same_shapes(bulletin_charts, tmp_path):
    """The typesetter writes a chart's operators itself (sparing the state it need not set again); the
    page must look exactly as ReportLab's renderPDF draws the same drawing as shapes — for every chart of
    the bulletin, and for a city's highlighted copy of the 2008 edition's city chart (recoloured)."""
    from reportlab.graphics import renderPDF

    charts, _ = bulletin_charts
    datas = [data for _, data in charts]
    root = copy_project(tmp_path / "edition")
    options = Options(project=root)
    project, _ = check(options)
    city = next(iter(city_profiles(project)))
    ed = project.edition.data
    document = resolve_document(project, document_epoch(ed["year"], ed.get("month")), city, rules=False)
    images, _ = draw_charts(project, document.figures(), options)   # the highlighted copy is recoloured, not kept
    excerpt = [image.drawing_bytes() for image in images]
    assert len(excerpt) >= 2 and any(b'"sans-bold"' in d for d in excerpt)   # a highlighted label is there
    datas += excerpt
    for data in datas:
        ours = drawings.loads(data, fonts=ROLES)
        size = (ours.width, ours.height)
        reference = _reference_shapes(json.loads(data)["drawing"])
        mine = _one_page(size, ours.draw)
        theirs = _one_page(size, lambda c, d=reference: renderPDF.draw(d, c, 0, 0))
        assert _pixels(mine) == _pixels(theirs)
        assert _page_text(mine) == _page_text(theirs)
        assert len(mine) < len(theirs)   # and in fewer operators


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
