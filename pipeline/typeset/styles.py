"""Font names and text styles of the house look; its numbers come from :class:`~pipeline.model.Theme`.

``model.Theme``'s defaults are the one source of truth for page size, margins, type sizes and
colours; the constants here are derived from ``Theme()`` (the house look) and
:func:`themed_styles` gives a build's styles for its theme (chapters/theme.yaml).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from reportlab.lib import colors

from ..model import Theme

HOUSE = Theme()
PAGE_W, PAGE_H = HOUSE.page_w, HOUSE.page_h
BODY_SIZE = HOUSE.body_size         # 五号
LEADING = HOUSE.leading             # ≈ 1.6 × body size
CHARS_PER_LINE = HOUSE.chars_per_line
TEXT_W = HOUSE.text_w               # 451.5 pt: justified lines sit on the character grid
MARGIN_X = HOUSE.margin_x
MARGIN_TOP = HOUSE.margin_top
MARGIN_BOTTOM = HOUSE.margin_bottom
TEXT_H = HOUSE.text_h

NAVY = colors.HexColor(HOUSE.accent)
GREY = colors.HexColor(HOUSE.grey)
RULE = colors.HexColor(HOUSE.rule)

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
CAPTION = TextStyle(font=SANS, bold_font=SANS_BOLD, size=HOUSE.caption_size, leading=14, indent_em=0, justify=False,
                    align="center")
SOURCE_NOTE = TextStyle(size=HOUSE.note_size, leading=13, indent_em=0, justify=False, color=GREY)
FOOTNOTE = TextStyle(size=HOUSE.note_size, leading=13.5, indent_em=0, justify=True)
SMALL = TextStyle(size=9.5, leading=16, indent_em=2.0)


def sized(style: TextStyle, size: float) -> TextStyle:
    """The style at another size, its line distance scaled alike (the style itself at its own size)."""
    return style if size == style.size else replace(style, size=size, leading=style.leading * size / style.size)


@dataclass(frozen=True)
class ThemedStyles:
    """The sizes and styles a theme sets beyond the body text."""

    chapter_size: float          # chapter and front-matter titles
    section_sizes: dict          # heading level → size
    caption: TextStyle           # 图 N-M / 表 N-M
    source_note: TextStyle       # 资料来源, 注：
    footnote: TextStyle


@lru_cache(maxsize=8)
def themed_styles(theme: Theme) -> ThemedStyles:
    return ThemedStyles(chapter_size=theme.chapter_size,
                        section_sizes={2: theme.section_size, 3: theme.subsection_size},
                        caption=sized(CAPTION, theme.caption_size),
                        source_note=sized(SOURCE_NOTE, theme.note_size),
                        footnote=sized(FOOTNOTE, theme.note_size))
