"""Image blocks (PNG, JPEG, SVG from the project folder), numbered with the charts, and the cover logo."""
from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from ..model import ImageFigure, TextRun
from .figures import FigureBlock, note_paragraphs
from .paragraph import CJKParagraph
from .state import LayoutState
from .styles import SANS, SANS_BOLD


def printed_size(image: ImageFigure, avail_width: float, text_h: float) -> tuple[float, float]:
    """Width and height in pt: the requested width ('60mm', '50%' of the text width) or the image's
    own size, never wider than the text or taller than most of a page."""
    wanted = image.requested_width
    if wanted.endswith("mm"):
        width = float(wanted[:-2]) * mm
    elif wanted.endswith("%"):
        width = float(wanted[:-1]) / 100 * avail_width
    else:
        width = image.width
    width = min(width, avail_width)
    height = width * image.height / image.width
    if height > 0.75 * text_h:   # room for the caption under it on one page
        width, height = width * 0.75 * text_h / height, 0.75 * text_h
    return width, height


def draw_image(c, image: ImageFigure, x: float, y: float, w: float, h: float) -> None:
    """The picture with its lower left corner at (x, y): a bitmap embedded once, an SVG as vectors."""
    if image.kind == "svg":
        from reportlab.graphics import renderPDF
        from reportlab.graphics.shapes import STATE_DEFAULTS

        from .styles import SERIF

        STATE_DEFAULTS["fontName"] = SERIF   # renderPDF's initial font: else a non-embedded Helvetica is named

        drawing = _parse_svg(image.path.read_bytes())
        c.saveState()
        c.translate(x, y)
        c.scale(w / drawing.width, h / drawing.height)
        renderPDF.draw(drawing, c, 0, 0)
        c.restoreState()
    else:
        import io

        from reportlab.lib.utils import ImageReader

        # from its bytes, not its file name: ReportLab names the image object by a digest of what it is
        # given, and a name from the path made the PDF depend on where the project folder lies
        c.drawImage(ImageReader(io.BytesIO(image.path.read_bytes())), x, y, w, h, mask="auto")


class ImageBlock(FigureBlock):
    """An image, its caption 图 N-M below, the 资料来源 line and the notes: one unit, like a chart."""

    def __init__(self, image: ImageFigure, key: str, state: "LayoutState"):
        from reportlab.platypus import Flowable

        Flowable.__init__(self)
        self.figure, self.image, self.key, self.state = image, image, key, state
        styles = state.styles
        self.caption = CJKParagraph((TextRun(f"图 {image.number}\u3000{image.title}"),), styles.caption)
        self.source = CJKParagraph((TextRun(f"资料来源：{image.source}"),), styles.source_note) \
            if image.source else None
        self.notes = note_paragraphs(image.notes, styles.source_note)
        self.spaceBefore = 6
        self.spaceAfter = 10
        self.floats = True          # like a chart: to the top of the next page when it does not fit (flow.py)

    def wrap(self, availWidth, availHeight):
        self.img_w, self.img_h = printed_size(self.image, availWidth, self.state.theme.text_h)
        return super().wrap(availWidth, availHeight)

    def _draw_picture(self, c, x: float, y: float) -> None:
        draw_image(c, self.image, x, y, self.img_w * self.scale, self.img_h * self.scale)


def _parse_svg(svg: bytes):
    """A user's SVG image (an image block, the cover logo) as a ReportLab drawing, with svglib."""
    from svglib.fonts import get_global_font_map
    from svglib.svglib import svg2rlg

    font_map = get_global_font_map()
    for name, weight in ((SANS, "normal"), (SANS_BOLD, "bold")):
        family = pdfmetrics.getFont(name).face.familyName
        family = family.decode() if isinstance(family, bytes) else family
        # map our sans family, as the SVG names it, to our registered face; never let svglib search the system
        font_map._map[font_map.build_internal_name(family, weight, "normal")] = {
            "svg_family": family, "svg_weight": weight, "svg_style": "normal", "rlgFont": name, "exact": True}
        font_map._family_index.setdefault(family.lower(), family)
    import io

    # from bytes, not a path: the SVG can name no other file (svglib resolves references
    # relative to a source path), and entities stay unresolved (svglib's default)
    drawing = svg2rlg(io.BytesIO(svg))
    if drawing is None:  # resolve/images.py read this SVG when it was named: failing now is a bug
        raise RuntimeError("an SVG image could not be read")
    return drawing
