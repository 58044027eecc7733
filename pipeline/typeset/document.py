"""The document template (cover, running heads, folios), layout state and the entry point."""
from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate
from reportlab.platypus.doctemplate import LayoutError

from .. import __version__
from ..model import ChartImage, ContentError, Problem, ResolvedDocument, SourcePos, TextRun
from .flow import FloatingLayout
from .fontcache import FontChanged
from .fonts import register_fonts
from .glyphplan import GlyphPlan, apply_plan, number_chart_labels, plan_of, plan_token
from .paragraph import CJKParagraph
from .state import LayoutState
from .story import _story
from .styles import SANS, SANS_BOLD, SERIF, TextStyle


class WhitepaperDoc(FloatingLayout, BaseDocTemplate):
    def __init__(self, path, document: ResolvedDocument, state: LayoutState, **kw):
        # the page comes from the theme (chapters/theme.yaml), passed along, never kept in a module
        theme = self.theme = document.edition.theme
        super().__init__(path, pagesize=(theme.page_w, theme.page_h), leftMargin=theme.margin_x,
                         rightMargin=theme.margin_x, topMargin=theme.margin_top, bottomMargin=theme.margin_bottom,
                         **kw)
        self.document = document
        self.state = state
        self.blank_pages = set()
        frame = Frame(theme.margin_x, theme.margin_bottom, theme.text_w, theme.text_h, leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0, id="text")
        self.addPageTemplates([
            PageTemplate("cover", [frame], onPageEnd=self._cover),
            PageTemplate("plain", [frame]),   # the copyright page: no header, no folio
            PageTemplate("front", [frame], onPage=self._page_begins, onPageEnd=self._furniture),
            PageTemplate("body", [frame], onPage=self._page_begins, onPageEnd=self._furniture),
        ])

    def handle_flowable(self, flowables):
        """ReportLab's LayoutError (a flowable that fits on no page) as a located content error."""
        flowable = flowables[0] if flowables else None
        try:
            super().handle_flowable(flowables)
        except LayoutError:
            raise ContentError([_too_large(flowable)]) from None

    # -- cover
    def _cover(self, canvas, doc):
        ed = self.document.edition
        PAGE_W, PAGE_H, MARGIN_X, TEXT_W = self.theme.page_w, self.theme.page_h, self.theme.margin_x, self.theme.text_w
        NAVY = colors.HexColor(self.theme.accent)
        canvas.saveState()
        canvas.setFillColor(NAVY)
        canvas.rect(0, PAGE_H - 95 * mm, PAGE_W, 95 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor("#2e8b8b"))
        canvas.rect(0, PAGE_H - 99 * mm, PAGE_W, 4 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(SANS, 13)
        if ed.guidance and ed.wording.get("cover_guidance"):
            canvas.drawString(MARGIN_X, PAGE_H - 30 * mm, ed.wording["cover_guidance"])
        canvas.setFillColor(colors.HexColor("#dbe5f1"))
        canvas.setFont(SANS_BOLD, 64)
        canvas.drawRightString(PAGE_W - MARGIN_X, PAGE_H - 80 * mm, str(ed.year))
        # the title, broken by our own line breaker
        title_style = TextStyle(font=SANS_BOLD, bold_font=SANS_BOLD, size=26, leading=40, indent_em=0,
                                justify=False, color=NAVY)
        # the edition may say where the title breaks (cover_title); else it breaks between words
        from reportlab.pdfbase.pdfmetrics import stringWidth

        from ..words import wrap_words

        lines = ed.cover_title or tuple(wrap_words(ed.title, TEXT_W, lambda t: stringWidth(t, SANS_BOLD, 26)))
        h = 0.0
        for line in lines:
            title = CJKParagraph((TextRun(line),), title_style)
            h += title.wrap(TEXT_W, PAGE_H)[1]
            title.drawOn(canvas, MARGIN_X, PAGE_H - 125 * mm - h)
        canvas.setStrokeColor(NAVY)
        canvas.setLineWidth(1.5)
        canvas.line(MARGIN_X, PAGE_H - 132 * mm - h, MARGIN_X + 60 * mm, PAGE_H - 132 * mm - h)
        if self.document.city_profile is not None or ed.subtitle:
            sub = ed.subtitle
            # a per-city excerpt names its city on the cover, second only to the title
            city = self.document.city_profile is not None
            canvas.setFont(SANS_BOLD if city else SANS, 20 if city else 16)
            canvas.setFillColor(colors.HexColor("#2e8b8b"))
            canvas.drawString(MARGIN_X, PAGE_H - (147 if city else 145) * mm - h, sub)
        canvas.setFillColor(colors.black)
        y = 62 * mm
        if ed.logo is not None:
            # the publisher's logo stands above the publishers' names
            from .images import draw_image, printed_size

            logo_w, logo_h = printed_size(ed.logo, TEXT_W, self.theme.text_h)
            draw_image(canvas, ed.logo, MARGIN_X, y + 8 * mm, logo_w, logo_h)
        for i, name in enumerate((ed.publisher,) + ed.co_publishers):
            canvas.setFont(SANS_BOLD if i == 0 else SANS, 12)
            canvas.drawString(MARGIN_X, y, name)
            y -= 8 * mm
        canvas.setFont(SANS, 12)
        canvas.drawString(MARGIN_X, y - 6 * mm, _cn_date(ed.year, ed.month))
        canvas.restoreState()

    # -- header and footer
    def _page_begins(self, canvas, doc):
        self.state.page_begins()

    def _furniture(self, canvas, doc):
        self.state.footnotes.end_page(canvas, doc.frame)
        page = canvas.getPageNumber()
        if page in self.blank_pages:
            return                      # a blank verso stays blank: no running head, no folio
        theme = self.theme
        PAGE_W, PAGE_H, MARGIN_X, TEXT_W = theme.page_w, theme.page_h, theme.margin_x, theme.text_w
        MARGIN_TOP, MARGIN_BOTTOM = theme.margin_top, theme.margin_bottom
        GREY, RULE = colors.HexColor(theme.grey), colors.HexColor(theme.rule)
        canvas.saveState()
        canvas.setFont(SERIF, 9)
        canvas.setFillColor(GREY)
        top = PAGE_H - MARGIN_TOP + 8 * mm
        short_title = self.document.edition.short_title
        canvas.drawString(MARGIN_X, top + 2, short_title)
        if self.state.head_title():
            room = TEXT_W - pdfmetrics.stringWidth(short_title, SERIF, 9) - 2 * 9
            canvas.drawRightString(PAGE_W - MARGIN_X, top + 2, _shortened(self.state.head_title(), room, SERIF, 9))
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, top - 2, PAGE_W - MARGIN_X, top - 2)
        canvas.setFont(SERIF, 9.5)
        canvas.setFillColor(colors.black)
        canvas.drawCentredString(PAGE_W / 2, MARGIN_BOTTOM - 12 * mm, f"— {self.state.page_label(page)} —")
        canvas.restoreState()


def _shortened(text: str, width: float, font: str, size: float) -> str:
    """A running head that fits ``width``: a long chapter title is cut and ends in …"""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip("，、；：（《 ") + "…"


def _too_large(flowable) -> Problem:
    """What does not fit on a page, said at the chapter file:line of its block."""
    from .figures import FigureBlock
    from .tables import CaptionedTable

    if isinstance(flowable, CaptionedTable):
        table = flowable.table
        tallest = flowable.layout.tallest_row(flowable.start, flowable.stop)
        cell = max(table.rows[tallest], key=len) if tallest is not None else ""
        shown = cell if len(cell) <= 16 else cell[:14] + "…"
        return Problem(table.pos, "table", f"表 {table.number}: row {tallest + 1} ('{shown}') is taller than a page; "
                                           "shorten its text")
    if isinstance(flowable, FigureBlock):
        return Problem(flowable.figure.pos, "figure", f"图 {flowable.figure.number} does not fit on a page; "
                                                      "shorten its title or source")
    pos = getattr(flowable, "source_pos", None) or SourcePos("chapters")
    return Problem(pos, "", "a block does not fit on a page; shorten it")


def _cn_date(year: int, month: int | None) -> str:
    digits = "〇一二三四五六七八九"
    text = "".join(digits[int(d)] for d in str(year)) + "年"
    if month:
        from ..resolve import cn_numeral

        text += cn_numeral(month) + "月"
    return text


@contextmanager
def _document_date(epoch: int):
    # ReportLab stamps CreationDate/ModDate from SOURCE_DATE_EPOCH (or "now");
    # we always give it the document's own date so output is reproducible.
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def glyph_plan_of(document: ResolvedDocument, boxes: dict[str, ChartImage], font_files: dict[str, Path]) -> GlyphPlan:
    """The glyph plan ``document`` makes (its characters' numbering as it lays them out, then its charts'
    labels from their specs): laid out with its charts' boxes only, never written."""
    kept: list[GlyphPlan] = []
    try:
        typeset_document(document, boxes, font_files, None, keep_plan=kept.append, plan_only=True)
    except _PlanTaken:
        pass
    return kept[0]


class _PlanTaken(Exception):
    """The layout is done and the glyph plan taken: nothing is written (glyph_plan_of)."""


def typeset_document(document: ResolvedDocument, images: dict[str, ChartImage], font_files: dict[str, Path],
                     out, cache_dir: Path | None = None, glyphs: GlyphPlan | None = None,
                     keep_plan: Callable[[GlyphPlan], None] | None = None, plan_only: bool = False) -> int:
    """Lay out the document in one pass and write it to ``out``; returns the page count.

    One pass is enough because nothing before the body depends on page numbers
    except the 目录 lines' numbers, whose space is known in advance: those are
    drawn into form XObjects when the layout is complete (WhitepaperCanvas.save).

    ``glyphs`` numbers the characters it holds as its reference document did
    (glyphplan.py), so documents sharing most of their text share font subsets;
    ``keep_plan`` is given this document's own numbering, to serve as such a reference
    (taken when the layout is done, before the charts are drawn; ``plan_only`` stops there).
    """
    import io

    register_fonts(font_files)
    ed = document.edition
    state = LayoutState()
    state.footnotes.numbering = document.edition.footnote_numbering
    state.note_position = document.edition.note_position
    state.theme = ed.theme
    state.footnotes.rule_colour = state.colour("rule")
    state.footnotes.style = state.styles.footnote
    buf = io.BytesIO()
    with _document_date(document.epoch):
        doc = WhitepaperDoc(buf, document, state, title=ed.title, author=ed.publisher,
                            subject=ed.subtitle or ed.short_title, keywords=list(ed.keywords),
                            creator=f"whitepaper {__version__}", producer=f"whitepaper {__version__}",
                            lang="zh-CN", invariant=1, pageCompression=1,
                            initialFontName=SERIF)
        try:
            plan = glyphs.for_text(document.text_chars()) if glyphs is not None else None
            doc.build(_story(document, images, state),
                      canvasmaker=_canvas_maker(state, plan, keep_plan, document, plan_only))
        except FontChanged as e:
            raise ContentError([Problem(SourcePos(f"fonts/{Path(e.path).name}"), "",
                                        "the font file changed while whitepaper was using it (since this process "
                                        "loaded it); run the command again")]) from None
    out.write(buf.getvalue())
    return doc.page


def _canvas_maker(state: LayoutState, plan: GlyphPlan | None, keep_plan, document: ResolvedDocument,
                  plan_only: bool = False):
    from reportlab.pdfgen.canvas import Canvas

    class WhitepaperCanvas(Canvas):
        """Fills in the 目录 page numbers, adds PDF page labels matching the printed numbers
        and opens the outline panel."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.glyph_token = plan_token(plan)   # what lines drawn the same way are kept by (paragraph.py)
            self.glyph_chars = {name: frozenset(chars) for name, chars in plan.faces} if plan is not None else {}
            if plan is not None:
                apply_plan(self._doc, plan)

        def save(self):
            if keep_plan is not None:
                # taken before the charts are drawn: a plan never waits for them (nor for matplotlib);
                # their labels' characters join it, numbered from the specs in the face labels are set in
                number_chart_labels(self._doc, [figure.figure.chart for _, figure in state.charts], SANS)
                keep_plan(plan_of(self._doc, document.text_chars()))
                if plan_only:
                    raise _PlanTaken
            # the charts, drawn meanwhile by the chart stage's worker, go into the forms the
            # figures placed (in document order, so font subsets come out the same every time)
            for name, figure in state.charts:
                self.beginForm(name, 0, 0, figure.img_w, figure.img_h)
                figure.draw_chart(self)
                self.endForm()
            for name, toc in state.deferred:
                self.beginForm(name, 0, 0, toc.width, toc.height)
                toc.draw_page_numbers(self)
                self.endForm()
            for name, key, width, run in state.page_refs:
                self.beginForm(name, 0, -0.3 * run.size, width, run.size)
                state.draw_page_ref(self, key, width, run)
                self.endForm()
            start = state.body_start
            self.addPageLabel(0, style="ROMAN_LOWER", start=1)
            if start:
                self.addPageLabel(start - 1, style="ARABIC", start=1)
            self.showOutline()
            super().save()

    return WhitepaperCanvas
