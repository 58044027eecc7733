"""Image files for image blocks and the cover logo: found, opened and measured before typesetting,
so a missing or unreadable image is a located content error, never a failure halfway through the PDF."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..load import safe_path

DEFAULT_DPI = 96.0
_SVG_UNITS = {"": 0.75, "px": 0.75, "pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0}


class ImageProblem(Exception):
    """What is wrong with an image file (the caller adds the file:line of the key naming it)."""


@dataclass(frozen=True)
class FoundImage:
    path: Path
    kind: str       # png, jpeg, svg
    width: float    # pt
    height: float   # pt


def read_image(root: Path, rel: str) -> FoundImage:
    if not safe_path(root, rel):
        raise ImageProblem(f"'{rel}' is outside the project folder")
    path = (root / rel).resolve()
    if not path.is_file():
        raise ImageProblem(f"image file '{rel}' not found")
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return _svg(path, rel)
    return _bitmap(path, rel)


def _bitmap(path: Path, rel: str) -> FoundImage:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            kind = (im.format or "").lower()
            size = im.size
            dpi = im.info.get("dpi")
            im.verify()          # reads the whole file: a truncated image is caught here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageProblem(f"cannot read image '{rel}': not a PNG or JPEG file, or damaged") from None
    if kind not in ("png", "jpeg"):
        raise ImageProblem(f"image '{rel}' is {kind.upper() or 'of an unknown kind'}; use PNG, JPEG or SVG")
    if kind != path.suffix.lower().lstrip(".").replace("jpg", "jpeg"):
        raise ImageProblem(f"image '{rel}' is a {kind.upper()} file with a {path.suffix} name; rename it")
    try:
        x_dpi, y_dpi = (float(d) for d in dpi) if dpi else (DEFAULT_DPI, DEFAULT_DPI)
    except (TypeError, ValueError):
        x_dpi = y_dpi = DEFAULT_DPI
    x_dpi = x_dpi if x_dpi >= 10 else DEFAULT_DPI   # a 1-dpi header would print a poster
    y_dpi = y_dpi if y_dpi >= 10 else DEFAULT_DPI
    return FoundImage(path, kind, size[0] * 72 / x_dpi, size[1] * 72 / y_dpi)


def _svg(path: Path, rel: str) -> FoundImage:
    import xml.etree.ElementTree as ET

    try:
        raw = path.read_bytes()
        if b"<!ENTITY" in raw:
            raise ImageProblem(f"SVG '{rel}' declares entities; save it without a DOCTYPE")
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        raise ImageProblem(f"cannot read SVG '{rel}': {e}") from None
    if not root.tag.endswith("svg"):
        raise ImageProblem(f"'{rel}' is not an SVG file (its root element is <{root.tag}>)")
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = [float(v) for v in re.split(r"[\s,]+", (root.get("viewBox") or "").strip()) if v] if root.get("viewBox") else []
    if (width is None or height is None) and len(box) == 4:
        width = width if width is not None else box[2] * 0.75
        height = height if height is not None else box[3] * 0.75
    if not width or not height or width <= 0 or height <= 0:
        raise ImageProblem(f"SVG '{rel}' has no size: give its <svg> a width and height or a viewBox")
    return FoundImage(path, "svg", width, height)


def _length(value: str | None) -> float | None:
    if not value:
        return None
    m = re.fullmatch(r"\s*([0-9.]+)\s*(px|pt|mm|cm|in)?\s*", value)
    if not m:
        return None
    try:
        return float(m.group(1)) * _SVG_UNITS[m.group(2) or ""]
    except ValueError:
        return None
