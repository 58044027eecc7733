"""How the body flows from page to page: floating figures and tables, headings kept with their text,
and where chapters start.

ReportLab places flowables strictly in order, so a figure that does not fit leaves the rest of the
page empty. Here a float (a figure, or a table no taller than a page) that does not fit where it
comes is set aside: the text after it goes on filling the page, and the float opens the next page.
It can never land before the page of its first mention, since it is only ever moved later. Floats
keep their order (a later float waits behind an earlier one), and all are placed before the next
chapter heading (a chapter's figures stay in their chapter), a forced page break or the end.
"""
from __future__ import annotations

from reportlab.platypus import Flowable, PageBreak

_FUZZ = 1e-6


class FlushFloats(Flowable):
    """Zero-size marker: every float still waiting is placed here (at the latest)."""

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        pass


class OddPageBreak(Flowable):
    """A page break that lands on a right-hand (odd) page, leaving the verso blank if need be."""

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        pass


class FloatingLayout:
    """Mixin for the document template: floats, heading keeps and odd-page breaks.

    A flowable floats when it has ``floats = True``; a heading keeps with what follows when it has
    ``keep_lines`` (the height it needs below it, in pt: two body lines)."""

    _floats: list
    _floats_page: int = 0
    blank_pages: set[int]           # physical page numbers of versos left blank by an OddPageBreak

    def handle_flowable(self, flowables):
        if not hasattr(self, "_floats"):
            self._floats = []
        f = flowables[0]
        frame = getattr(self, "frame", None)
        if frame is None:             # page-begin actions before the first frame exists
            return super().handle_flowable(flowables)
        if self._floats:
            if self.page > self._floats_page and getattr(f, "first", True):
                # the top of the next page, or right under the end of a paragraph carried over to it
                # (a float does not cut a paragraph in two)
                self._release(flowables)
            elif isinstance(f, (FlushFloats, PageBreak, OddPageBreak)) or getattr(f, "flushes_floats", False):
                self._release(flowables)            # before a chapter, a forced break, the end
            f = flowables[0]
        if getattr(f, "_placing", False) and not frame._atTop and not self._fits(f, 0.0) and self._fits_a_page(f):
            f._placing = False
            self.handle_pageBreak()             # a released float does not split: the next page's top
            return
        if getattr(f, "floats", False) and not getattr(f, "_placing", False) and not frame._atTop:
            if (self._floats or not self._fits(f, 0.0)) and self._fits_a_page(f):
                del flowables[0]
                if not self._floats:
                    self._floats_page = self.page
                self._floats.append(f)
                return
        if isinstance(f, OddPageBreak):
            del flowables[0]
            empty = frame._atTop and not self._curPageFlowableCount
            # physical page 1 is the cover, a right-hand page: odd pages are right-hand pages
            if empty:
                breaks = 0 if self.page % 2 else 1
            else:
                breaks = 1 if self.page % 2 == 0 else 2
            if breaks == 2 or (empty and breaks == 1):
                # the verso left blank carries no running head and no folio (document.py)
                self.blank_pages.add(self.page + 1 if breaks == 2 else self.page)
            flowables[0:0] = [PageBreak() for _ in range(breaks)]
            return
        keep = getattr(f, "keep_lines", 0.0)
        if keep and not frame._atTop:
            # a heading (and the headings right after it) with two lines of what follows, or a new page
            need = keep
            for g in flowables[1:]:
                if not getattr(g, "keep_lines", 0.0):
                    break
                need += g.wrap(frame._getAvailableWidth(), frame._aH)[1] + g.getSpaceBefore() + g.getSpaceAfter()
            if not self._fits(f, need + f.getSpaceAfter()):
                self.handle_pageBreak()
                return
        super().handle_flowable(flowables)

    def _release(self, flowables):
        for f in self._floats:
            f._placing = True
        if flowables and hasattr(flowables[0], "_postponed"):
            # a flowable that found no room on the last page now waits behind the floats: it gets a
            # fresh try on the page after them (else ReportLab takes its second miss for "too large")
            del flowables[0]._postponed
        flowables[0:0] = self._floats
        self._floats = []

    def _fits(self, f, below: float) -> bool:
        """Whether ``f`` and ``below`` more points fit in what is left of the frame."""
        frame = self.frame
        space = 0.0 if frame._atTop else f.getSpaceBefore()
        avail = frame._y - frame._y1p - space
        if avail <= 0:
            return False
        h = f.wrap(frame._getAvailableWidth(), avail)[1]
        return h + below <= avail + _FUZZ

    def _fits_a_page(self, f) -> bool:
        frame = self.frame
        full = frame._y2 - frame._topPadding - frame._y1p
        return f.wrap(frame._getAvailableWidth(), full)[1] <= full + _FUZZ
