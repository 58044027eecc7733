"""The chart drawing format: what a chart's JSON may hold, shared by the chart stage that writes it
(pipeline/charts/vector.py) and the typesetter that builds ReportLab shapes from it
(pipeline/typeset/drawings.py).  No third-party import: checking a cached chart costs neither
matplotlib nor ReportLab.

A drawing is ``{"format": FORMAT, "drawing": node}``; a node is ``{"k": kind, "a": attributes}``
(containers add ``"c": [nodes]``).  Only the kinds, attributes and value types below exist; fonts
are named by role.  A cache entry outside this is drawn again (charts/cache.py), never built.
"""
from __future__ import annotations

import math

from .model import CHART_DRAWING_FORMAT as FORMAT

NUMBER = "number"
INT = "int"
TEXT = "text"
COLOR = "color"           # [r, g, b, a] in 0–1, or None
NUMBERS = "numbers"       # list of numbers
INTS = "ints"             # list of ints
DASH = "dash"             # None or list of numbers
TRANSFORM = "transform"   # six numbers
NONE = "none"
FONT = "font"             # a font role

FONT_ROLES = frozenset({"sans", "sans-bold"})
MAX_DEPTH = 64

_PATH = {
    "points": NUMBERS, "operators": INTS, "isClipPath": INT, "autoclose": NONE, "fillMode": INT,
    "fillColor": COLOR, "strokeColor": COLOR, "strokeWidth": NUMBER, "strokeLineCap": INT,
    "strokeLineJoin": INT, "strokeMiterLimit": NUMBER, "strokeDashArray": DASH, "fillOpacity": NUMBER,
    "strokeOpacity": NUMBER,
}
ATTRIBUTES = {
    "Drawing": {"width": NUMBER, "height": NUMBER, "transform": TRANSFORM, "hAlign": TEXT, "vAlign": TEXT,
                "renderScale": NUMBER, "background": NONE},
    "Group": {"transform": TRANSFORM, "svgid": TEXT},
    "Path": _PATH,
    "ClippingPath": _PATH,
    "String": {"x": NUMBER, "y": NUMBER, "text": TEXT, "fontName": FONT, "fontSize": NUMBER,
               "fillColor": COLOR, "textAnchor": TEXT},
}
CONTAINERS = frozenset({"Drawing", "Group"})


class FormatError(ValueError):
    """The JSON holds something outside the format."""


def finite_numbers(v) -> bool:
    # the types at C speed; a non-finite number makes the sum non-finite (so may a sum beyond 1e308:
    # refused too)
    return type(v) is list and set(map(type, v)) <= _NUMBER_TYPES and math.isfinite(sum(v))


_NUMBER_TYPES = {int, float}
_CHECKS = {
    NUMBER: lambda v: type(v) in _NUMBER_TYPES and math.isfinite(v),
    INT: lambda v: type(v) is int,
    TEXT: lambda v: type(v) is str,
    FONT: lambda v: v in FONT_ROLES,
    NONE: lambda v: v is None,
    NUMBERS: finite_numbers,
    INTS: lambda v: type(v) is list and set(map(type, v)) <= {int},
    DASH: lambda v: v is None or (type(v) is list and set(map(type, v)) <= _NUMBER_TYPES),
    COLOR: lambda v: v is None or (type(v) is list and len(v) == 4 and finite_numbers(v)),
    TRANSFORM: lambda v: type(v) is list and len(v) == 6 and finite_numbers(v),
}


def check_value(kind: str, value):
    if not _CHECKS[kind](value):
        raise FormatError(kind)
    return value


def check_node(node, depth: int = 0) -> tuple[str, dict]:
    """The node's kind and attributes, each checked; raises FormatError."""
    if depth > MAX_DEPTH or type(node) is not dict or node.get("k") not in ATTRIBUTES:
        raise FormatError("node")
    kind, attrs = node["k"], node.get("a")
    if type(attrs) is not dict:
        raise FormatError("attributes")
    allowed = ATTRIBUTES[kind]
    for key, value in attrs.items():
        if key not in allowed:
            raise FormatError(f"{kind}.{key}")
        check_value(allowed[key], value)
    if kind in CONTAINERS and type(node.get("c")) is not list:
        raise FormatError("contents")
    return kind, attrs


def check_document(doc) -> None:
    """A whole drawing, every node; raises FormatError for anything outside the format."""
    if type(doc) is not dict or doc.get("format") != FORMAT:
        raise FormatError("format")
    root = doc.get("drawing")
    if type(root) is not dict or root.get("k") != "Drawing":
        raise FormatError("root")
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        kind, _ = check_node(node, depth)
        if kind in CONTAINERS:
            stack.extend((child, depth + 1) for child in node["c"])
