"""The story: the flowables of the whole document in reading order (front matter, 目录, chapters)."""
from __future__ import annotations

from dataclasses import replace

from reportlab.platypus import NextPageTemplate, PageBreak, Spacer

from ..model import (
    ChartImage,
    Figure,
    Heading,
    ImageFigure,
    ListBlock,
    Paragraph,
    ResolvedChapter,
    ResolvedDocument,
    TableBlock,
    TextRun,
    chapter_key,
    heading_key,
)
from .figures import FigureBlock
from .flow import FlushFloats, OddPageBreak
from .fonts import advance
from .images import ImageBlock
from .paragraph import CJKParagraph
from .state import LayoutState
from .structure import (
    Anchor,
    BodyStart,
    ChapterHeading,
    PageTitle,
    RunningTitle,
    SectionHeading,
)
from .styles import BODY, SANS_BOLD, SMALL, TextStyle
from .tables import CaptionedTable, CityProfileTable
from .toc import TocEntry, TocList


def _story(document: ResolvedDocument, images: dict[str, ChartImage], state: LayoutState) -> list:
    ed = document.edition
    # body size and leading come from the theme (chapters/theme.yaml); the defaults are BODY's
    body_style = replace(BODY, size=ed.theme.body_size, leading=ed.theme.leading, strict=ed.kinsoku == "strict")
    # the cover is drawn by its page template; the copyright page (verso) carries no header or folio
    story: list = [NextPageTemplate("plain"), PageBreak(), NextPageTemplate("front")]

    # copyright page (版权页): text at the foot of the page, in the edition's words
    words = ed.wording
    story.append(Spacer(1, ed.theme.text_h * 0.55))
    title = f"{ed.title} · {ed.subtitle}" if document.city_profile is not None else ed.title
    labels = [words["title_label"], words["publisher_label"], words["guidance_label"], words["edition_label"]]
    hang = "\u3000" * (max(len(label) for label in labels) + 1)   # co-publishers line up under the first
    info = [f"{words['title_label']}：{title}", f"{words['publisher_label']}：{ed.publisher}"]
    info += [f"{hang}{name}" for name in ed.co_publishers]
    if ed.guidance:
        info.append(f"{words['guidance_label']}：{ed.guidance}")
    info.append(f"{words['edition_label']}：{words['edition_line']}")
    for line in info:
        story.append(CJKParagraph((TextRun(line),), TextStyle(size=9.5, leading=17, indent_em=0, justify=False)))
    if ed.copyright:
        story.append(Spacer(1, 14))
        story.append(CJKParagraph((TextRun(words["notice_title"]),), TextStyle(
            font=SANS_BOLD, bold_font=SANS_BOLD, size=10, leading=18, indent_em=0, justify=False)))
        story.append(CJKParagraph((TextRun(ed.copyright),), SMALL))
    story.append(PageBreak())

    front = [c for c in document.chapters if c.front_matter]
    body = [c for c in document.chapters if not c.front_matter]
    excerpt = document.city_profile is not None

    profile_entries = []
    profile: list = []
    if excerpt:
        # a per-city excerpt: 目录 first, then the city (what it holds), then 前言 and the national context
        profile_chapter = _profile_chapter(document.city_profile, words["profile_title"])
        profile = _city_profile_flowables(document, profile_chapter, state) + [PageBreak()]
        profile_entries = [TocEntry(0, profile_chapter.title, CITY_PROFILE_KEY)]
    preface: list = []
    for chapter in front:
        preface += _chapter_flowables(chapter, images, state, body_style) + [PageBreak()]

    # 目录, 图目录, 表目录: those the edition lists, with its titles
    lists: list = []
    entries = profile_entries + [TocEntry(0, c.title, _chapter_key(c)) for c in front]
    for c in body:
        entries.append(TocEntry(0, f"{c.label}{c.title}", _chapter_key(c)))
        for b in c.blocks:
            if isinstance(b, Heading):
                entries.append(TocEntry(1, f"{b.number}{b.title}", _heading_key(c, b)))
    if "contents" in ed.lists:
        lists += [RunningTitle(words["contents"], state), Anchor("toc", words["contents"], state),
                  PageTitle(words["contents"], state), TocList(entries, state), PageBreak()]
    figure_entries = [TocEntry(2, f"图 {f.number}\u3000{f.title}", f"fig-{f.id}") for f in document.listed_figures()
                      ] if "figures" in ed.lists else []
    table_entries = [TocEntry(2, f"表 {t.number}\u3000{t.title}", f"tab-{t.id}") for t in document.tables()
                     ] if "tables" in ed.lists else []
    if figure_entries or table_entries:
        lists += [RunningTitle(" · ".join(words[k] for k, e in (("figures", figure_entries), ("tables", table_entries))
                                          if e), state)]
        for key, anchor, entries_ in (("figures", "lof", figure_entries), ("tables", "lot", table_entries)):
            if entries_:
                if lists and isinstance(lists[-1], TocList):
                    lists.append(Spacer(1, 12))
                lists += [Anchor(anchor, words[key], state), PageTitle(words[key], state), TocList(entries_, state)]
        lists.append(PageBreak())
    if lists and isinstance(lists[-1], PageBreak):
        lists.pop()
    story += (lists + [PageBreak()] if lists else []) + profile + preface if excerpt else preface + lists
    if story and isinstance(story[-1], PageBreak):
        story.pop()
    story += [NextPageTemplate("body"), OddPageBreak() if ed.chapter_start == "odd page" else PageBreak(),
              BodyStart(state)]

    for i, chapter in enumerate(body):
        if i and ed.chapter_start == "new page":
            story.append(PageBreak())
        elif i and ed.chapter_start == "odd page":
            story.append(OddPageBreak())
        story.extend(_chapter_flowables(chapter, images, state, body_style))
    story.append(FlushFloats())
    return story


CITY_PROFILE_KEY = "city-profile"   # its own bookmark: ch-0 is the 前言


def _profile_chapter(profile, title: str) -> ResolvedChapter:
    from ..model import SourcePos

    return ResolvedChapter(number=0, label="", title=title, blocks=(),
                           pos=SourcePos(profile.source), front_matter=True)


def _city_profile_flowables(document: ResolvedDocument, chapter: ResolvedChapter, state: LayoutState) -> list:
    """The city's page: its title, a lead, the captioned table of what it holds, a note (all in the edition's words)."""
    profile = document.city_profile
    words = document.edition.wording
    out: list = [ChapterHeading(chapter, CITY_PROFILE_KEY, state)]
    lead = words["profile_lead"] if profile.designations else words["profile_lead_none"]
    if lead:
        out.append(CJKParagraph((TextRun(lead),), replace(BODY, size=document.edition.theme.body_size,
                                                          leading=document.edition.theme.leading)))
    if profile.designations:
        out.append(CityProfileTable(profile, words["profile_table"], state.styles.caption))
        if words["profile_source"]:
            out.append(CJKParagraph((TextRun(f"资料来源：{words['profile_source']}"),), state.styles.source_note))
    if words["excerpt_note"]:
        out.append(Spacer(1, 12))
        out.append(CJKParagraph((TextRun(words["excerpt_note"]),), SMALL))
    return out


def _chapter_key(c: ResolvedChapter) -> str:
    return chapter_key(c.number)


def _heading_key(c: ResolvedChapter, h: Heading) -> str:
    return heading_key(c.number, h.number)


def _chapter_flowables(chapter: ResolvedChapter, images: dict[str, ChartImage], state: LayoutState,
                       body: TextStyle = BODY) -> list:
    out: list = [ChapterHeading(chapter, _chapter_key(chapter), state)]
    for block in chapter.blocks:
        if isinstance(block, Paragraph):
            out.append(CJKParagraph(block.runs, body, notes=block.notes, state=state))
        elif isinstance(block, ListBlock):
            out.extend(_list_items(block, body, state))
        elif isinstance(block, ImageFigure):
            out.append(ImageBlock(block, f"fig-{block.id}", state))
        elif isinstance(block, Heading):
            out.append(SectionHeading(block, _heading_key(chapter, block), state))
        elif isinstance(block, Figure):
            out.append(FigureBlock(block, images[block.id], f"fig-{block.id}", state))
        elif isinstance(block, TableBlock):
            out.append(CaptionedTable(block, f"tab-{block.id}", state))
    return out


LIST_GAP = 2.0   # pt between list items


def list_marker(style: str, n: int) -> str:
    return {"bullet": "•", "number": f"{n}.", "paren": f"（{n}）"}[style]


def _list_items(block: ListBlock, body: TextStyle, state: LayoutState) -> list:
    """Each item a paragraph with a hanging indent: its mark where a paragraph's first line would start
    (two characters in), its lines aligned after the widest mark of the list."""
    em = body.size
    markers = [list_marker(block.style, n) for n in range(1, len(block.items) + 1)]
    widths = [sum(advance(body.font, ch) for ch in m) * em for m in markers]
    gap = 0.0 if block.style == "paren" else 0.5 * em   # （1） carries its own space in the closing mark
    marker_x = body.indent_em * em
    hang = marker_x + max(widths) + gap
    out = []
    for i, (item, marker) in enumerate(zip(block.items, markers)):
        para = CJKParagraph(item.runs, replace(body, space_before=LIST_GAP if i else body.space_before),
                            hang=hang, marker=marker, marker_x=marker_x, notes=item.notes, state=state)
        out.append(para)
    return out
