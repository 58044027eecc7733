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

from reportlab.graphics.shapes import Drawing, Group, Path, String
from reportlab.lib.colors import Color

from ..drawingformat import ATTRIBUTES, COLOR, CONTAINERS, TRANSFORM, FormatError, check_node

NotSerialisable = FormatError   # the JSON holds something outside the format (pipeline/drawingformat.py)


class ClippingPath(Path):
    """A clipping path: it clips the rest of its group and is neither filled nor stroked."""

    def getProperties(self, *args, **kwargs):
        props = Path.getProperties(self, *args, **kwargs)
        if "fillColor" in props:
            props["fillColor"] = None
        if "strokeColor" in props:
            props["strokeColor"] = None
        return props


_CLASSES = {"Drawing": Drawing, "Group": Group, "Path": Path, "ClippingPath": ClippingPath, "String": String}


# -- JSON → drawing

def loads(data: bytes, fonts: dict[str, str]):
    """The drawing described by ``data``, its fonts' roles mapped by ``fonts`` to registered faces;
    raises NotSerialisable (or ValueError) for anything else."""
    from ..drawingformat import FORMAT

    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise NotSerialisable("format")
    drawing = _load(doc.get("drawing"), depth=0, fonts=fonts)
    if not isinstance(drawing, Drawing):
        raise NotSerialisable("root")
    return drawing


def _load(node, depth: int, fonts: dict[str, str]):
    kind, attrs = check_node(node, depth)   # kind, attribute names and value types
    allowed = ATTRIBUTES[kind]
    values = {key: _value(allowed[key], value) for key, value in attrs.items()}
    cls = _CLASSES[kind]
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
    if kind in CONTAINERS:
        obj.contents = [_load(child, depth + 1, fonts) for child in node["c"]]
    return obj


_DEFAULTS: dict[str, dict] = {}


def _defaults(kind: str) -> dict:
    """The attributes a new Path or String starts with (lists fresh for each shape)."""
    if kind not in _DEFAULTS:
        cls = _CLASSES[kind]
        _DEFAULTS[kind] = dict((cls(0, 0, "") if kind == "String" else cls()).__dict__)
    return {key: [] if type(value) is list else value for key, value in _DEFAULTS[kind].items()}


def _value(kind: str, value):
    """A checked JSON value as ReportLab wants it."""
    if kind == COLOR:
        return None if value is None else Color(*value)
    if kind == TRANSFORM:
        return tuple(value)
    return value
