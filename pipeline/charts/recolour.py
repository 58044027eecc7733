"""A city's copy of the city chart: the common chart's drawing recoloured, not drawn again."""
from __future__ import annotations

import copy
import json

from ..model import ChartSpec
from .style import MUTED

HIGHLIGHT_LABEL = "#1f4e79"


def _rgba(hex_colour: str) -> list[float]:
    return [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)] + [1.0]


def _highlight_barh(drawing: bytes, spec: ChartSpec) -> bytes:
    """The common city chart with spec.highlight's bars in colour, every other bar muted and
    the city's label bold: what _barh draws for a highlighted spec, without drawing again.
    ``drawing`` is the chart stage's JSON drawing (vector.py): bars are the groups ``bar-<category>-<series>``,
    labels ``category-<category>``."""
    doc = json.loads(drawing)
    keep = {str(i) for i, cat in enumerate(spec.categories) if cat in spec.highlight}
    for group in _groups(doc["drawing"]):
        gid = group["a"].get("svgid", "")
        if gid.startswith("bar-") and gid.split("-")[1] not in keep:
            for shape in _shapes(group, "Path"):
                if shape["a"].get("fillColor") is not None:
                    shape["a"]["fillColor"] = _rgba(MUTED)
        elif gid.startswith("category-") and gid.split("-")[1] in keep:
            for text in _shapes(group, "String"):
                text["a"]["fontName"] = "sans-bold"
                text["a"]["fillColor"] = _rgba(HIGHLIGHT_LABEL)
    if spec.others_label:
        _add_others_key(doc["drawing"], spec.others_label)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _groups(node: dict):
    for child in node.get("c", ()):
        if child["k"] == "Group":
            yield child
            yield from _groups(child)


def _shapes(node: dict, kind: str):
    for child in node.get("c", ()):
        if child["k"] == kind:
            yield child
        elif child["k"] == "Group":
            yield from _shapes(child, kind)


def _add_others_key(root: dict, label: str) -> None:
    """A legend key for the grey bars, one row above the legend's first: a copy of that row, recoloured."""
    legend = next((g for g in _groups(root) if g["a"].get("svgid", "").startswith("legend_")), None)
    if legend is None:
        return
    rows = legend["c"]
    patches = [g for g in rows if g["k"] == "Group" and g["a"].get("svgid", "").startswith("patch_")]
    texts = [g for g in rows if g["k"] == "Group" and g["a"].get("svgid", "").startswith("text_")]
    if len(patches) < 2 or not texts:
        return
    first_y = [next(_shapes(p, "Path"))["a"]["points"][1] for p in patches[:2]]
    step = first_y[0] - first_y[1]   # rows go down the page: the new one goes one step up
    patch, text = copy.deepcopy(patches[0]), copy.deepcopy(texts[0])
    patch["a"]["svgid"], text["a"]["svgid"] = "patch-others", "text-others"
    for shape in _shapes(patch, "Path"):
        shape["a"]["points"] = [v + step if i % 2 else v for i, v in enumerate(shape["a"]["points"])]
        if shape["a"].get("fillColor") is not None:
            shape["a"]["fillColor"] = _rgba(MUTED)
    for group in [text, *_groups(text)]:
        transform = group["a"].get("transform")
        if transform and transform[5] != 0:
            transform[5] = round(transform[5] + step, 6)
    for string in _shapes(text, "String"):
        string["a"]["text"] = label
    legend["c"] = [patch, text, *rows]
