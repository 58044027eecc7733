"""A chart's drawing, from the chart stage's JSON (pipeline/charts/vector.py) to ReportLab shapes.

The format is ours and closed: a few shape classes (Drawing, Group, Path,
ClippingPath, String), each with a fixed list of attributes whose types are
checked on the way in (numbers, strings, RGBA colours, lists of numbers), and
fonts named by role, mapped to the registered faces by the caller.  Anything
else — another class, another attribute, another type, another font — is
refused.  So a cache entry can at worst describe a wrong picture, never make
us run code (and cache entries are sealed against that too, see
pipeline/cachestore.py).  Building the shapes takes about a millisecond a chart.
"""
from __future__ import annotations

import json
import math

from reportlab.graphics.shapes import Drawing, Group, Path, String
from reportlab.lib.colors import Color

from ..model import CHART_DRAWING_FORMAT as FORMAT

_NUMBER = "number"
_INT = "int"
_TEXT = "text"
_COLOR = "color"           # Color or None
_NUMBERS = "numbers"       # list of numbers
_INTS = "ints"             # list of ints
_DASH = "dash"             # None or list of numbers
_TRANSFORM = "transform"   # tuple of six numbers
_NONE = "none"

_PATH_ATTRS = {
    "points": _NUMBERS, "operators": _INTS, "isClipPath": _INT, "autoclose": _NONE, "fillMode": _INT,
    "fillColor": _COLOR, "strokeColor": _COLOR, "strokeWidth": _NUMBER, "strokeLineCap": _INT,
    "strokeLineJoin": _INT, "strokeMiterLimit": _NUMBER, "strokeDashArray": _DASH, "fillOpacity": _NUMBER,
    "strokeOpacity": _NUMBER,
}


class ClippingPath(Path):
    """A clipping path: it clips the rest of its group and is neither filled nor stroked."""

    def getProperties(self, *args, **kwargs):
        props = Path.getProperties(self, *args, **kwargs)
        if "fillColor" in props:
            props["fillColor"] = None
        if "strokeColor" in props:
            props["strokeColor"] = None
        return props


_CLASSES = {
    "Drawing": (Drawing, {"width": _NUMBER, "height": _NUMBER, "transform": _TRANSFORM, "hAlign": _TEXT,
                          "vAlign": _TEXT, "renderScale": _NUMBER, "background": _NONE}),
    "Group": (Group, {"transform": _TRANSFORM, "svgid": _TEXT}),
    "Path": (Path, _PATH_ATTRS),
    "ClippingPath": (ClippingPath, _PATH_ATTRS),
    "String": (String, {"x": _NUMBER, "y": _NUMBER, "text": _TEXT, "fontName": _TEXT, "fontSize": _NUMBER,
                        "fillColor": _COLOR, "textAnchor": _TEXT}),
}
_CONTAINERS = {"Drawing", "Group"}


class NotSerialisable(ValueError):
    """The JSON holds something outside the format."""


# -- JSON → drawing

def loads(data: bytes, fonts: dict[str, str]):
    """The drawing described by ``data``, its fonts' roles mapped by ``fonts`` to registered faces;
    raises NotSerialisable (or ValueError) for anything else."""
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise NotSerialisable("format")
    drawing = _load(doc.get("drawing"), depth=0, fonts=fonts)
    if not isinstance(drawing, Drawing):
        raise NotSerialisable("root")
    return drawing


def _load(node, depth: int, fonts: dict[str, str]):
    if depth > 64 or not isinstance(node, dict) or node.get("k") not in _CLASSES:
        raise NotSerialisable("node")
    kind = node["k"]
    cls, allowed = _CLASSES[kind]
    attrs = node.get("a")
    if not isinstance(attrs, dict):
        raise NotSerialisable("attributes")
    values = {}
    for key, value in attrs.items():
        if key not in allowed:
            raise NotSerialisable(f"{kind}.{key}")
        values[key] = _load_value(allowed[key], value)
    if kind == "Drawing":
        obj = Drawing(values.get("width", 0), values.get("height", 0))
    elif kind == "Group":
        obj = Group()   # each group its own attribute map (ReportLab's constructor copies it)
    else:
        # a shape as its constructor would start it, without the constructor: ReportLab validates each
        # attribute it sets, which was most of the time spent here, and the types are checked above
        obj = cls.__new__(cls)
        obj.__dict__.update(_defaults(kind))
    if kind == "String":
        if values.get("fontName") not in fonts:
            raise NotSerialisable("font")
        values["fontName"] = fonts[values["fontName"]]
    obj.__dict__.update(values)
    if kind in _CONTAINERS:
        children = node.get("c")
        if not isinstance(children, list):
            raise NotSerialisable("contents")
        obj.contents = [_load(child, depth + 1, fonts) for child in children]
    return obj


_DEFAULTS: dict[str, dict] = {}


def _defaults(kind: str) -> dict:
    """The attributes a new Path or String starts with (lists fresh for each shape)."""
    if kind not in _DEFAULTS:
        cls = _CLASSES[kind][0]
        _DEFAULTS[kind] = dict((cls(0, 0, "") if kind == "String" else cls()).__dict__)
    return {key: [] if type(value) is list else value for key, value in _DEFAULTS[kind].items()}


def _load_value(kind: str, value):
    if kind == _COLOR:
        if value is None:
            return None
        if not (isinstance(value, list) and len(value) == 4 and _finite_numbers(value)):
            raise NotSerialisable("colour")
        return Color(*value)
    if kind == _TRANSFORM:
        if not (isinstance(value, list) and len(value) == 6 and _finite_numbers(value)):
            raise NotSerialisable("transform")
        return tuple(value)
    return _check(kind, value)


def _finite_numbers(v) -> bool:
    # the types at C speed; a non-finite number makes the sum non-finite (so may a sum beyond 1e308:
    # refused too)
    return type(v) is list and set(map(type, v)) <= _NUMBER_TYPES and math.isfinite(sum(v))


_NUMBER_TYPES = {int, float}
_CHECKS = {
    _NUMBER: lambda v: type(v) in _NUMBER_TYPES and math.isfinite(v),
    _INT: lambda v: type(v) is int,
    _TEXT: lambda v: type(v) is str,
    _NONE: lambda v: v is None,
    _NUMBERS: _finite_numbers,
    _INTS: lambda v: type(v) is list and set(map(type, v)) <= {int},
    _DASH: lambda v: v is None or (type(v) is list and set(map(type, v)) <= _NUMBER_TYPES),
}


def _check(kind: str, value):
    if not _CHECKS[kind](value):
        raise NotSerialisable(kind)
    return value
