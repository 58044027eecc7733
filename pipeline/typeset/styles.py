"""Page geometry, colours, font names and text styles: the house look in one place."""
from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

PAGE_W, PAGE_H = A4
BODY_SIZE = 10.5            # 五号
LEADING = 17.0              # ≈ 1.6 × body size
CHARS_PER_LINE = 43
TEXT_W = CHARS_PER_LINE * BODY_SIZE          # 451.5 pt: justified lines sit on the character grid
MARGIN_X = (PAGE_W - TEXT_W) / 2
MARGIN_TOP = 28 * mm
MARGIN_BOTTOM = 24 * mm
TEXT_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM

NAVY = colors.HexColor("#1f4e79")
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#9aa7b8")

SERIF, SERIF_BOLD, SANS, SANS_BOLD = "SerifSC", "SerifSC-Bold", "SansSC", "SansSC-Bold"
FONT_ROLES = {"serif": SERIF, "serif-bold": SERIF_BOLD, "sans": SANS, "sans-bold": SANS_BOLD}


@dataclass
class TextStyle:
    font: str = SERIF
    bold_font: str = SERIF_BOLD
    size: float = BODY_SIZE
    leading: float = LEADING
    indent_em: float = 2.0          # R7: first-line indent of two characters
    justify: bool = True
    align: str = "left"             # for unjustified text: left, center, right
    color: object = colors.black
    space_before: float = 0.0
    space_after: float = 0.0
    strict: bool = False            # R1 at clreq's strict level (— ⸺ … ⋯ may not start a line either)


BODY = TextStyle()
CELL = TextStyle(size=9.0, leading=13.0, indent_em=0, justify=False, align="center")
CELL_LEFT = TextStyle(size=9.0, leading=13.0, indent_em=0, justify=False)
CAPTION = TextStyle(font=SANS, bold_font=SANS_BOLD, size=9.5, leading=14, indent_em=0, justify=False, align="center")
SOURCE_NOTE = TextStyle(size=9.0, leading=13, indent_em=0, justify=False, color=GREY)
SMALL = TextStyle(size=9.5, leading=16, indent_em=2.0)
