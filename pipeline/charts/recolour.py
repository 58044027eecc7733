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
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
