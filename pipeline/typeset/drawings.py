"""A chart's drawing, from the chart stage's JSON (pipeline/charts/vector.py) to PDF operators.

The format is ours and closed (pipeline/drawingformat.py): a few node kinds
(Drawing, Group, Path, ClippingPath, String), each with a fixed list of
attributes whose types are checked on the way in, and fonts named by role,
mapped to the registered faces by the caller.  Anything else is refused.  So a
cache entry can at worst describe a wrong picture, never make us run code (and
cache entries are sealed against that too, see pipeline/cachestore.py).

The JSON is turned once into a flat list of steps whose path operators are
already formatted; drawing the chart writes them to the canvas, setting a
colour, line width, cap, join or dash only where it changes.  It paints what
ReportLab's renderPDF paints for the same shapes (tests/test_chart_drawing.py
compares the two as pixels), without building a shape object per node and
walking them with renderPDF's per-node save, restore and state setting: that
cost ~6 ms a chart, most of a city excerpt's chart time.
"""
from __future__ import annotations

import json

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase.pdfmetrics import stringWidth

from ..drawingformat import FormatError, check_node
from .glyphplan import numbered_by_plan

NotSerialisable = FormatError   # the JSON holds something outside the format (pipeline/drawingformat.py)

# the path operators of the format (ReportLab's: move, line, curve, close), their arguments and PDF names
_ARGUMENTS = (2, 2, 6, 0)
_PDF_OPERATOR = ("m", "l", "c", "h")
_NON_ZERO = 1   # a path's fillMode: 1 non-zero winding, 0 even-odd (ReportLab's numbering)


class _PathCode:
    """A path's operators, formatted once: all canvas.drawPath and clipPath ask of a path object."""
    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code

    def getCode(self) -> str:   # ReportLab's name
        return self.code


class ChartDrawing:
    """A chart ready to draw: its size and its steps (see ``draw``)."""

    def __init__(self, width: float, height: float, steps: list[tuple]):
        self.width, self.height, self.steps = width, height, steps
        self._written: dict[tuple, list[str]] = {}   # the operators written, per glyph plan (see draw)

    def draw(self, canvas) -> None:
        """Paint the chart at the canvas's origin, in a graphics state of its own.

        In documents numbering their characters by the same glyph plan (glyphplan.py), a chart whose
        labels all have the plan's codes writes the same operators: they are written once per process
        and copied (the excerpts of a batch show the same common charts)."""
        key = self._key(canvas)
        known = self._written.get(key) if key is not None else None
        if known is not None:
            canvas._doc.ensureMinPdfVersion("transparency")   # what setting its colours' alpha notes
            canvas._code.extend(known)
            return
        start, states = len(canvas._code), len(canvas._extgstate._c)
        self._draw(canvas)
        written = canvas._code[start:]
        # kept unless it named a graphics state (/gRLs… gs): those names are the document's own
        if key is not None and len(canvas._extgstate._c) == states and not any(" gs" in op for op in written):
            if len(self._written) >= 16:   # a long ``watch`` makes a new plan at every edit
                self._written.clear()
            self._written[key] = written

    def _key(self, canvas) -> tuple | None:
        """What decides the operators the chart writes, when they can be kept: a glyph plan giving
        every label its code (ASCII is numbered alike everywhere), the state drawing starts from."""
        token = getattr(canvas, "glyph_token", None)
        if token is None:
            return None
        for step in self.steps:
            if step[0] == "text" and not numbered_by_plan(canvas, step[1], step[6]):
                return None
        return (token, tuple(sorted(canvas._extgstate._d.items())), canvas._fontname, canvas._fontsize,
                canvas._leading, canvas.bottomup)

    def _draw(self, canvas) -> None:
        # what this drawing has set: fill and stroke colour, line width, cap, join, dash; None = not set yet
        # (a chart sits in a form, which inherits the state of the page it is placed on: set before first use)
        state = dict.fromkeys(("fill", "stroke", "width", "cap", "join", "dash"))
        saved: list[dict] = []
        canvas.saveState()
        for step in self.steps:
            kind = step[0]
            if kind == "path":
                _, code, fill, stroke, fill_mode = step
                if fill is not None:
                    _set_fill(canvas, state, fill)
                if stroke is not None:
                    colour, width, cap, join, dash = stroke
                    if state["stroke"] != colour[:3]:
                        canvas.setStrokeColorRGB(*colour[:3])
                        state["stroke"] = colour[:3]
                    canvas.setStrokeAlpha(colour[3])   # ReportLab writes it only when it changes
                    if state["width"] != width:
                        canvas.setLineWidth(width)
                        state["width"] = width
                    if state["cap"] != cap:
                        canvas.setLineCap(cap)
                        state["cap"] = cap
                    if state["join"] != join:
                        canvas.setLineJoin(join)
                        state["join"] = join
                    if state["dash"] != dash:
                        canvas.setDash(list(dash), 0) if dash else canvas.setDash()
                        state["dash"] = dash
                canvas.drawPath(code, stroke=stroke is not None, fill=fill is not None, fillMode=fill_mode)
            elif kind == "text":
                _, font, size, colour, x, y, text = step
                _set_fill(canvas, state, colour)
                words = canvas.beginText(x, y)
                words.setFont(font, size)
                words.textOut(text)
                canvas.drawText(words)
            elif kind == "push":
                canvas.saveState()
                saved.append(dict(state))
                if step[1] is not None:
                    canvas.transform(*step[1])
            elif kind == "pop":
                canvas.restoreState()
                state = saved.pop()
            else:   # "clip": the rest of the group is clipped to the path
                canvas.clipPath(step[1], stroke=0, fill=0, fillMode=step[2])
        canvas.restoreState()


def _set_fill(canvas, state: dict, colour: tuple) -> None:
    if state["fill"] != colour[:3]:
        canvas.setFillColorRGB(*colour[:3])
        state["fill"] = colour[:3]
    canvas.setFillAlpha(colour[3])


# -- JSON → steps

def loads(data: bytes, fonts: dict[str, str]) -> ChartDrawing:
    """The drawing described by ``data``, its fonts' roles mapped by ``fonts`` to registered faces;
    raises NotSerialisable (a ValueError) for anything outside the format."""
    from ..drawingformat import FORMAT

    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise NotSerialisable("format")
    root = doc.get("drawing")
    if type(root) is not dict or root.get("k") != "Drawing":
        raise NotSerialisable("root")
    steps: list[tuple] = []
    _add_node(root, 0, fonts, steps)
    attrs = root["a"]
    return ChartDrawing(attrs.get("width", 0), attrs.get("height", 0), steps)


def _add_node(node, depth: int, fonts: dict[str, str], steps: list) -> None:
    kind, attrs = check_node(node, depth)   # kind, attribute names and value types
    if kind == "Path":
        path = _path_step(attrs)
        if path is not None:
            steps.append(path)
    elif kind == "String":
        text = _text_step(attrs, fonts)
        if text is not None:
            steps.append(text)
    elif kind == "ClippingPath":
        steps.append(("clip", _PathCode(_path_code(attrs)), attrs.get("fillMode", 0)))
    else:   # Drawing (the root only) or Group
        if kind == "Drawing" and depth:
            raise NotSerialisable("a drawing inside a drawing")
        transform = attrs.get("transform")
        if transform == [1, 0, 0, 1, 0, 0]:
            transform = None
        # a graphics state of the group's own: for its transform, and for a clip that ends with the group
        scoped = transform is not None or any(type(c) is dict and c.get("k") == "ClippingPath" for c in node["c"])
        if scoped:
            steps.append(("push", transform))
        for child in node["c"]:
            _add_node(child, depth + 1, fonts, steps)
        if scoped:
            steps.append(("pop",))


def _path_code(attrs: dict) -> str:
    points, operators = attrs.get("points", []), attrs.get("operators", [])
    parts, i = [], 0
    for op in operators:
        if not 0 <= op < 4:
            raise NotSerialisable("path operator")
        n = _ARGUMENTS[op]
        if i + n > len(points):
            raise NotSerialisable("path points")
        parts.append(f"{fp_str(*points[i:i + n])} {_PDF_OPERATOR[op]}" if n else "h")
        i += n
    if i != len(points):
        raise NotSerialisable("path points")
    return " ".join(parts)


def _path_step(attrs: dict) -> tuple | None:
    """A path to paint, as renderPDF paints it: filled only when every subpath is closed, stroked with
    its stroke colour; its opacities override its colours' alpha.  None when it paints nothing."""
    operators = attrs.get("operators", [])
    fill = _colour(attrs.get("fillColor"), attrs.get("fillOpacity"))
    if fill is not None and operators.count(0) != operators.count(3):
        fill = None
    stroke = None
    colour = _colour(attrs.get("strokeColor"), attrs.get("strokeOpacity"))
    if colour is not None:
        dash = attrs.get("strokeDashArray")
        if dash and (min(dash) < 0 or sum(dash) <= 0):
            raise NotSerialisable("strokeDashArray")
        stroke = (colour, attrs.get("strokeWidth", 1), attrs.get("strokeLineCap", 0),
                  attrs.get("strokeLineJoin", 0), tuple(dash) if dash else None)
    code = _path_code(attrs)
    if fill is None and stroke is None:
        return None
    return ("path", _PathCode(code), fill, stroke, attrs.get("fillMode", 0))


def _text_step(attrs: dict, fonts: dict[str, str]) -> tuple | None:
    role = attrs.get("fontName")
    if role not in fonts:
        raise NotSerialisable("font")
    font, size, text = fonts[role], attrs.get("fontSize", 10), attrs.get("text", "")
    x, y = attrs.get("x", 0), attrs.get("y", 0)
    anchor = attrs.get("textAnchor", "start")
    if anchor == "end":
        x -= stringWidth(text, font, size)
    elif anchor == "middle":
        x -= stringWidth(text, font, size) * 0.5
    elif anchor != "start":
        raise NotSerialisable("textAnchor")
    colour = _colour(attrs.get("fillColor", [0, 0, 0, 1]), None)
    return ("text", font, size, colour, x, y, text) if colour is not None else None   # unpainted, as in renderPDF


def _colour(rgba: list | None, opacity) -> tuple | None:
    if rgba is None:
        return None
    return (rgba[0], rgba[1], rgba[2], rgba[3] if opacity is None else opacity)
