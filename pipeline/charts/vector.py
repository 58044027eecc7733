"""A matplotlib renderer that records a chart as plain vector data: paths, text, clips and groups.

The chart stage used to write each chart as SVG, and the typesetter parsed it
back with svglib into ReportLab shapes: about 35 ms a chart, as much again as
matplotlib's SVG writer, and most of a 500-page edition's time.  This renderer
hands matplotlib's drawing calls straight to a list of shapes in the closed
JSON format the typesetter loads (pipeline/typeset/drawings.py): no SVG, no
parsing, and the chart stage still imports no ReportLab.  Positions are
matplotlib's own (text is placed at the baseline point matplotlib computed),
in points with y upwards, as in the PDF.

Fonts are named by role, ``sans`` or ``sans-bold`` (the typesetter maps them to
its registered faces); colours are RGBA lists; a shape clipped by the axes
sits in a group whose first member is the clipping path.  Groups matplotlib
opens with an id (``set_gid``) keep it as ``svgid``, so a city's copy of a
chart can be recoloured without drawing it again (recolour.py).
"""
from __future__ import annotations

import json
import math

from matplotlib.backend_bases import RendererBase
from matplotlib.path import Path as MplPath

from ..model import CHART_DRAWING_FORMAT as FORMAT

# ReportLab's path operators and line styles, by number (the JSON format's vocabulary)
_MOVE, _LINE, _CURVE, _CLOSE = 0, 1, 2, 3
_CAPS = {"butt": 0, "round": 1, "projecting": 2}
_JOINS = {"miter": 0, "round": 1, "bevel": 2}


class UnsupportedDrawing(ValueError):
    """matplotlib asked for something the format has no word for (an image, a hatch, a gradient)."""


class DrawingRenderer(RendererBase):
    def __init__(self, width: float, height: float):
        super().__init__()
        self.width, self.height = width, height
        self._stack: list[list] = [[]]        # open groups' members, innermost last
        self._group_ids: list[str | None] = []   # the id each open group keeps, or None (flattened)
        self._counts: dict[str, int] = {}
        self._clip_key = None                 # the clip of the group collecting shapes now, if any

    # -- what matplotlib asks of a renderer
    def flipy(self) -> bool:
        return False   # y upwards, as in PDF

    def get_canvas_width_height(self):
        return self.width, self.height

    def points_to_pixels(self, points):
        return points   # one unit is one point (the figure is drawn at 72 dpi)

    def option_image_nocomposite(self) -> bool:
        return True

    def open_group(self, s, gid=None):
        self._end_clip()
        if not gid and (s == "legend" or (self._group_ids and str(self._group_ids[-1]).startswith("legend"))):
            # the legend and its rows keep matplotlib's SVG names (legend_1, patch_7, text_9): a
            # city's copy adds a row to it (recolour.py)
            self._counts[s] = self._counts.get(s, 0) + 1
            gid = f"{s}_{self._counts[s]}"
        elif not gid:
            self._counts[s] = self._counts.get(s, 0) + 1
        self._group_ids.append(gid)
        self._stack.append([])

    def close_group(self, s):
        self._end_clip()
        members = self._stack.pop()
        gid = self._group_ids.pop()
        if gid:
            self._stack[-1].append(_group(members, svgid=str(gid)))
        else:
            self._stack[-1].extend(members)   # an anonymous group changes nothing: flattened

    def draw_path(self, gc, path, transform, rgbFace=None):
        if gc.get_hatch() is not None:
            raise UnsupportedDrawing("hatching")
        points, operators = _segments(path, transform)
        if not operators:
            return
        forced = gc.get_forced_alpha()
        alpha = gc.get_alpha()
        shape = {"points": points, "operators": operators, "isClipPath": 0, "fillMode": 1,
                 "autoclose": None, "strokeMiterLimit": 0}
        if rgbFace is None:
            shape["fillColor"] = None
            shape["fillOpacity"] = 1.0
        else:
            shape["fillColor"] = [*map(float, rgbFace[:3]), 1.0]
            shape["fillOpacity"] = alpha if forced else (float(rgbFace[3]) if len(rgbFace) == 4 else 1.0)
        width = gc.get_linewidth()
        if width:
            rgb = gc.get_rgb()
            shape["strokeColor"] = [*map(float, rgb[:3]), 1.0]
            shape["strokeOpacity"] = alpha if forced else float(rgb[3])
            shape["strokeWidth"] = float(width)
            shape["strokeLineCap"] = _CAPS.get(gc.get_capstyle(), 0)
            shape["strokeLineJoin"] = _JOINS.get(gc.get_joinstyle(), 0)
            _, dashes = gc.get_dashes()   # (matplotlib's dash offset is 0 for every line style we use)
            shape["strokeDashArray"] = [_tidy(float(d)) for d in dashes] if dashes is not None else None
        else:
            shape.update(strokeColor=None, strokeOpacity=1.0, strokeWidth=0, strokeLineCap=0, strokeLineJoin=0,
                         strokeDashArray=None)
        self._add(gc, {"k": "Path", "a": shape})

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            raise UnsupportedDrawing("mathematical text")
        if not s:
            return
        weight = prop.get_weight()
        bold = weight in ("bold", "heavy", "extra bold", "black", "semibold", "demibold", "demi") or (
            isinstance(weight, (int, float)) and weight >= 600)
        rgb = gc.get_rgb()
        text = {"k": "String", "a": {"x": 0.0, "y": 0.0, "text": s, "fontName": "sans-bold" if bold else "sans",
                                     "fontSize": float(prop.get_size_in_points()), "textAnchor": "start",
                                     "fillColor": [*map(float, rgb[:3]), float(gc.get_alpha() if gc.get_forced_alpha()
                                                                                else rgb[3])]}}
        if mtext is not None and angle == 0:
            # one line of a Text artist, upright: anchored where matplotlib anchors it (as its SVG
            # writer does), so the typesetter's own widths centre or right-align it
            anchor_x, _ = mtext.get_transform().transform(mtext.get_unitless_position())
            x = anchor_x
            text["a"]["textAnchor"] = {"left": "start", "right": "end", "center": "middle"}[mtext.get_ha()]
        a = math.radians(angle)
        transform = [math.cos(a), math.sin(a), -math.sin(a), math.cos(a), float(x), float(y)]
        self._add(gc, _group([text], transform=[_tidy(v) for v in transform]))

    def draw_image(self, gc, x, y, im, transform=None):
        raise UnsupportedDrawing("image")

    def draw_gouraud_triangles(self, gc, triangles_array, colors_array, transform):
        raise UnsupportedDrawing("gradient")

    # -- recording
    def _add(self, gc, shape: dict) -> None:
        clip = _clip_of(gc)
        if clip != self._clip_key:
            self._end_clip()
            if clip is not None:
                self._stack.append([_clipping_path(clip)])
                self._group_ids.append(None)
                self._clip_key = clip
        self._stack[-1].append(shape)

    def _end_clip(self) -> None:
        if self._clip_key is not None:
            members = self._stack.pop()
            self._group_ids.pop()
            self._stack[-1].append(_group(members))
            self._clip_key = None

    def drawing(self) -> dict:
        self._end_clip()
        (members,) = self._stack
        return {"format": FORMAT, "drawing": {"k": "Drawing", "a": {"width": float(self.width), "height": float(
            self.height)}, "c": members}}


def render(fig, width: float, height: float) -> bytes:
    """Draw ``fig`` (laid out already) as the typesetter's JSON drawing, ``width`` × ``height`` points."""
    fig.set_dpi(72)
    renderer = DrawingRenderer(width, height)
    fig.draw(renderer)
    return json.dumps(renderer.drawing(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _segments(path, transform) -> tuple[list[float], list[int]]:
    points: list[float] = []
    operators: list[int] = []
    last = (0.0, 0.0)
    for vertices, code in path.iter_segments(transform, remove_nans=True, simplify=False, curves=True):
        v = [float(c) for c in vertices]
        if code == MplPath.MOVETO:
            operators.append(_MOVE)
            points += v[-2:]
        elif code == MplPath.LINETO:
            operators.append(_LINE)
            points += v[-2:]
        elif code == MplPath.CURVE3:   # quadratic: the cubic with the same shape
            (qx, qy), (ex, ey) = v[0:2], v[2:4]
            sx, sy = last
            operators.append(_CURVE)
            points += [sx + 2 / 3 * (qx - sx), sy + 2 / 3 * (qy - sy), ex + 2 / 3 * (qx - ex), ey + 2 / 3 * (qy - ey),
                       ex, ey]
        elif code == MplPath.CURVE4:
            operators.append(_CURVE)
            points += v[:6]
        elif code == MplPath.CLOSEPOLY:
            operators.append(_CLOSE)
            continue
        else:   # STOP
            continue
        last = (points[-2], points[-1])
    return [_tidy(p) for p in points], operators


def _tidy(value: float) -> float:
    """Six decimals (a millionth of a point): stable across platforms' last-digit noise, and short."""
    value = round(value, 6)
    return 0.0 if value == 0 else value


def _clip_of(gc):
    """A hashable description of the shape's clip (rectangle or path), or None."""
    path, transform = gc.get_clip_path()
    if path is not None:
        points, operators = _segments(path, transform)
        return ("path", tuple(points), tuple(operators))
    rect = gc.get_clip_rectangle()
    if rect is not None:
        x0, y0, x1, y1 = (_tidy(float(v)) for v in rect.extents)
        return ("rect", (x0, y0, x1, y0, x1, y1, x0, y1), (_MOVE, _LINE, _LINE, _LINE, _CLOSE))
    return None


def _clipping_path(clip) -> dict:
    _, points, operators = clip
    return {"k": "ClippingPath", "a": {"points": list(points), "operators": list(operators), "isClipPath": 1,
                                       "fillMode": 1, "autoclose": None, "fillColor": None, "strokeColor": None,
                                       "strokeWidth": 0, "fillOpacity": 1.0, "strokeOpacity": 1.0,
                                       "strokeLineCap": 0, "strokeLineJoin": 0, "strokeMiterLimit": 0,
                                       "strokeDashArray": None}}


def _group(members: list, transform=None, svgid: str | None = None) -> dict:
    attrs = {"transform": transform or [1, 0, 0, 1, 0, 0]}
    if svgid is not None:
        attrs["svgid"] = svgid
    return {"k": "Group", "a": attrs, "c": members}
