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
from .styles import BODY, SANS_BOLD, SMALL, SOURCE_NOTE, TEXT_H, TextStyle
from .tables import CaptionedTable, CityProfileTable
from .toc import TocEntry, TocList


def _story(document: ResolvedDocument, images: dict[str, ChartImage], state: LayoutState) -> list:
    ed = document.edition
    body_style = replace(BODY, strict=ed.kinsoku == "strict")
    # the cover is drawn by its page template; the copyright page (verso) carries no header or folio
    story: list = [NextPageTemplate("plain"), PageBreak(), NextPageTemplate("front")]

    # copyright page (版权页): text at the foot of the page
    story.append(Spacer(1, TEXT_H * 0.55))
    title = f"{ed.title} · {ed.subtitle}" if document.city_profile is not None else ed.title
    info = [f"书\u3000\u3000名：{title}"]
    info.append(f"编写单位：{ed.publisher}")
    for name in ed.co_publishers:
        info.append(f"\u3000\u3000\u3000\u3000\u3000{name}")
    if ed.guidance:
        info.append(f"指导单位：{ed.guidance}")
    info.append(f"版\u3000\u3000次：{ed.year} 年版")
    for line in info:
        story.append(CJKParagraph((TextRun(line),), TextStyle(size=9.5, leading=17, indent_em=0, justify=False)))
    if ed.copyright:
        story.append(Spacer(1, 14))
        story.append(CJKParagraph((TextRun("版权声明"),), TextStyle(font=SANS_BOLD, bold_font=SANS_BOLD, size=10,
                                                                   leading=18, indent_em=0, justify=False)))
        story.append(CJKParagraph((TextRun(ed.copyright),), SMALL))
    story.append(PageBreak())

    front = [c for c in document.chapters if c.front_matter]
    body = [c for c in document.chapters if not c.front_matter]

    profile_entries = []
    if document.city_profile is not None:
        # a per-city excerpt opens with the city: what it holds, then the national context
        profile_chapter = _profile_chapter(document.city_profile)
        story.extend(_city_profile_flowables(document, profile_chapter, state))
        story.append(PageBreak())
        profile_entries = [TocEntry(0, profile_chapter.title, CITY_PROFILE_KEY)]

    for chapter in front:
        story.extend(_chapter_flowables(chapter, images, state, body_style))
        story.append(PageBreak())

    # 目录
    entries = profile_entries + [TocEntry(0, c.title, _chapter_key(c)) for c in front]
    for c in body:
        entries.append(TocEntry(0, f"{c.label}{c.title}", _chapter_key(c)))
        for b in c.blocks:
            if isinstance(b, Heading):
                entries.append(TocEntry(1, f"{b.number}{b.title}", _heading_key(c, b)))
    story += [RunningTitle("目录", state), Anchor("toc", "目录", state), PageTitle("目\u3000\u3000录"),
              TocList(entries, state), PageBreak()]
    figures = document.listed_figures()
    tables = document.tables()
    if figures or tables:
        story += [RunningTitle("图表目录", state)]
        if figures:
            story += [Anchor("lof", "图目录", state), PageTitle("图目录"),
                      TocList([TocEntry(1, f"图 {f.number}\u3000{f.title}", f"fig-{f.id}") for f in figures],
                              state, size=10.5, leading=20)]
        if tables:
            story += [Spacer(1, 12), Anchor("lot", "表目录", state), PageTitle("表目录"),
                      TocList([TocEntry(1, f"表 {t.number}\u3000{t.title}", f"tab-{t.id}") for t in tables],
                              state, size=10.5, leading=20)]
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


def _profile_chapter(profile) -> ResolvedChapter:
    from ..model import SourcePos

    return ResolvedChapter(number=0, label="", title=f"城市概况：{profile.name}", blocks=(),
                           pos=SourcePos("data/cities.csv"), front_matter=True)


def _city_profile_flowables(document: ResolvedDocument, chapter: ResolvedChapter, state: LayoutState) -> list:
    profile = document.city_profile
    ed = document.edition
    out: list = [ChapterHeading(chapter, CITY_PROFILE_KEY, state)]
    n = len(profile.designations)
    if n:
        lead = (f"{profile.name}获批 {n} 项国家级软件与信息服务外包产业载体及人才实训基地称号"
                f"（截至本白皮书发布）：")
    else:
        lead = f"截至本白皮书发布，{profile.name}尚无国家级软件与信息服务外包产业载体或人才实训基地称号。"
    out.append(CJKParagraph((TextRun(lead),), BODY))
    if n:
        out.append(CityProfileTable(profile))
        out.append(CJKParagraph((TextRun(f"资料来源：{ed.publisher}"),), SOURCE_NOTE))
    out.append(Spacer(1, 12))
    note = (f"本摘编选自《{ed.title}》，收录全书的全国性背景章节，以及其余章节中与{profile.name}有关的段落、"
            f"表格和图；表中只列{profile.name}一行，图中突出显示{profile.name}。图表编号与全本一致。")
    out.append(CJKParagraph((TextRun(note),), SMALL))
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
