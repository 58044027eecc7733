"""A city's copy of the city chart: the common SVG recoloured (XML), not drawn again."""
from __future__ import annotations

import re

from ..model import ChartSpec
from .style import MUTED

SVG_NS = "http://www.w3.org/2000/svg"


def _highlight_barh(svg: bytes, spec: ChartSpec) -> bytes:
    """The common city chart with spec.highlight's bars in colour, every other bar muted and
    the city's label bold: what _barh draws for a highlighted spec, without drawing again."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    keep = {str(i) for i, cat in enumerate(spec.categories) if cat in spec.highlight}
    for group in root.iter(f"{{{SVG_NS}}}g"):
        gid = group.get("id", "")
        if gid.startswith("bar-") and gid.split("-")[1] not in keep:
            for shape in group.iter(f"{{{SVG_NS}}}path"):
                shape.set("style", re.sub(r"fill: #[0-9a-fA-F]{6}", f"fill: {MUTED}", shape.get("style", "")))
        elif gid.startswith("category-") and gid.split("-")[1] in keep:
            for text in group.iter(f"{{{SVG_NS}}}text"):
                style = re.sub(r";?\s*fill: #[0-9a-fA-F]{6}", "", text.get("style", "")).strip("; ")
                text.set("style", f"font-weight: bold; {style}; fill: #1f4e79")
    if spec.others_label:
        _add_others_key(root, spec.others_label)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _add_others_key(root, label: str) -> None:
    """A legend key for the grey bars, one row above the legend's first: a copy of that row, recoloured."""
    import copy

    legend = next((g for g in root.iter(f"{{{SVG_NS}}}g") if g.get("id") == "legend_1"), None)
    if legend is None:
        return
    rows = list(legend)
    patches = [g for g in rows if g.get("id", "").startswith("patch_")]
    texts = [g for g in rows if g.get("id", "").startswith("text_")]
    if len(patches) < 2 or not texts:
        return
    ys = [float(re.findall(r"[-\d.]+", p.find(f"{{{SVG_NS}}}path").get("d"))[1]) for p in patches[:2]]
    step = ys[1] - ys[0]
    patch, text = copy.deepcopy(patches[0]), copy.deepcopy(texts[0])
    patch.set("id", "patch-others")
    text.set("id", "text-others")
    path = patch.find(f"{{{SVG_NS}}}path")
    path.set("d", re.sub(r"([-\d.]+)\s+([-\d.]+)", lambda m: f"{m.group(1)} {float(m.group(2)) - step:.2f}",
                         path.get("d")))
    path.set("style", re.sub(r"fill: #[0-9a-fA-F]{6}", f"fill: {MUTED}", path.get("style", "")))
    t = text.find(f"{{{SVG_NS}}}text")
    y = float(t.get("y")) - step
    t.set("y", f"{y:.2f}")
    t.set("transform", f"rotate(-0 {t.get('x')} {y:.2f})")
    t.text = label
    legend.insert(0, text)
    legend.insert(0, patch)
