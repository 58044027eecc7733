"""The plain data that flows between the pipeline's stages.

load → validate → resolve → charts → typeset → write.  Every stage takes and
returns these frozen dataclasses, so a test can build any stage's input by
hand.  Stdlib only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


@dataclass(frozen=True, order=True)
class SourcePos:
    """Where something came from: a project-relative file and a 1-based line."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        if self.column:
            return f"{self.file}:{self.line}:{self.column}"
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the user's content, located."""

    pos: SourcePos
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.pos}: " if self.pos.file else ""
        key = f"{self.key}: " if self.key else ""
        # one line per problem: messages quoting a library (PyYAML, jsonschema) may hold line breaks
        return " ".join(f"{where}{key}{self.message}".splitlines()).strip()


class ContentError(Exception):
    """The user's chapters, data or fonts are wrong; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(Exception):
    """The command line asked for something that does not exist (exit code 2)."""


# ---------------------------------------------------------------- loaded input


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML file with the position of every key and value.

    ``positions`` maps a key path such as ``("blocks", 3, "figure", "chart")``
    to the position of that value; ``key_positions`` to the position of the key.
    """

    path: str
    data: Any
    positions: dict[tuple, SourcePos]
    key_positions: dict[tuple, SourcePos]
    text: str = field(default="", repr=False, compare=False)   # the decoded file, to locate words in errors

    def pos(self, path: tuple) -> SourcePos:
        """The closest known position for a key path (walks up to the parent)."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), SourcePos(self.path, 1))

    def key_pos(self, path: tuple) -> SourcePos:
        return self.key_positions.get(path) or self.pos(path)

    def locate(self, path: tuple, needle: str | None) -> SourcePos:
        """Line and column of ``needle`` inside the value at ``path`` (e.g. a misspelt name in a
        paragraph); the value's own position when the text does not show it literally."""
        start = self.pos(path)
        if not needle or not self.text or not start.line:
            return start
        here = (start.line, start.column)
        # the value ends where the next key or value of the file begins
        end = min(((p.line, p.column) for p in (*self.positions.values(), *self.key_positions.values())
                   if (p.line, p.column) > here), default=(10**9, 0))
        lines = self.text.split("\n")
        for number in range(start.line, min(end[0], len(lines)) + 1):
            line = lines[number - 1]
            first = max(start.column - 1, 0) if number == start.line else 0
            column = line.find(needle, first)
            if column >= 0 and (number, column + 1) < end:
                return SourcePos(self.path, number, column + 1)
        return start


@dataclass(frozen=True)
class DataTable:
    """One CSV of ``data/`` as declared in ``data/tables.yaml`` (a Frictionless resource).

    ``rows`` hold the cells as strings, numbers (Decimal) or ints as declared;
    ``lines`` holds each row's line number in the CSV file.
    """

    name: str
    file: str
    columns: dict[str, str]
    key: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    lines: tuple[int, ...]
    decl_pos: SourcePos
    description: str = ""
    # the declared Table Schema fields, by name (type, constraints, and our unit/decimals/scale/percent)
    fields: dict[str, dict] = field(default_factory=dict)
    # (fields, referenced table, referenced fields, where declared) per declared foreign key
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...], SourcePos], ...] = ()
    period: str = ""                 # the column naming the period a row describes ("" = not periodic)
    basis: str = ""                  # the column telling actual values from estimates
    estimates: tuple[str, ...] = ()  # the basis values that mark an estimate (a forecast)


@dataclass(frozen=True)
class Rule:
    """A consistency rule declared beside the data (a Jinja2 expression)."""

    name: str
    check: str
    pos: SourcePos


@dataclass(frozen=True)
class Project:
    """Everything loaded from a project folder, before validation."""

    root: Path
    edition: YamlDoc
    chapters: tuple[YamlDoc, ...]
    tables_doc: YamlDoc
    tables: dict[str, DataTable]
    rules: tuple[Rule, ...]
    fonts: dict[str, Path]
    # the edition's named periods (base → 2007 …): its file's ``periods``, else the table data/tables.yaml names as ``periods:``
    periods: dict[str, int] = field(default_factory=dict)
    # "" for a single-edition project (chapters/edition.yaml); else the edition's year, which
    # names its output folder (output/2009/…)
    edition_key: str = ""
    theme: "Theme | None" = None          # chapters/theme.yaml; None = the house look


# ---------------------------------------------------------------- resolved


@dataclass(frozen=True)
class TextRun:
    """A piece of a paragraph with one style; produced by resolve, set by typeset."""

    text: str
    bold: bool = False
    italic: bool = False
    sup: bool = False
    sub: bool = False
    link: str | None = None          # a URL, or "#key" for a place in the document (a bookmark key)
    page_of: str | None = None       # this run stands for the printed page number of the target "key"
    note: int | None = None          # a footnote mark: the index into the paragraph's ``notes``
    mark: bool = False               # highlighted: a changed number in a ``whitepaper diff --pdf`` proof


@dataclass(frozen=True)
class Footnote:
    """The text of a footnote; its mark (①②…) is numbered per page or per chapter by the typesetter."""

    runs: tuple[TextRun, ...]
    pos: SourcePos


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[TextRun, ...]
    pos: SourcePos
    notes: tuple[Footnote, ...] = ()

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Heading:
    """A section heading inside a chapter: level 2 is （一）, level 3 is 1."""

    level: int
    number: str
    title: str
    pos: SourcePos
    id: str = ""           # optional, for cross-references (ref('id') prints the number)


# How a unit is printed above a table or a chart's axis (the charts and tables stages, and the glyph plan
# that numbers the charts' labels ahead of them, all write it from here).
UNIT_LINE = "单位：{unit}"


@dataclass(frozen=True)
class ChartSpec:
    """Everything that decides what a chart looks like (and its cache key)."""

    kind: str
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    unit: str
    highlight: tuple[str, ...] = ()
    others_label: str = ""              # with a highlight: the legend key of the grey categories (其他城市)
    labels: tuple[str, ...] = ()   # per-category text labels (timeline)
    data_files: tuple[str, ...] = ()
    percent_decimals: int = 1      # shares printed on the chart round like the text's (data/tables.yaml)
    # the numbers as printed, made by resolve with the text's formatter (pipeline.numbers), so a chart
    # shows a datum exactly as the text and tables do: per series, per category ("" = no label)
    value_labels: tuple[tuple[str, ...], ...] = ()
    total_labels: tuple[str, ...] = ()   # stacked bars, barh: per category; pie: the centre (stated total wins)
    share_labels: tuple[str, ...] = ()   # pie: each slice's share of the total, as pct() prints it
    number_format: Any = None            # pipeline.numbers.NumberFormat of the values, for axis ticks
    estimated: tuple[bool, ...] = ()   # per category: a forecast, drawn lighter and hatched
    palette: tuple[str, ...] = ()        # the series colours (chapters/theme.yaml); () = the house palette


@dataclass(frozen=True)
class Figure:
    id: str
    number: str          # "2-1"
    title: str
    source: str
    chart: ChartSpec
    pos: SourcePos
    notes: tuple[str, ...] = ()      # 注： lines under the 资料来源 line


@dataclass(frozen=True)
class ImageFigure:
    """A picture from a file (PNG, JPEG or SVG), numbered and listed with the charts (图 N-M)."""

    id: str
    number: str
    title: str
    source: str
    path: Path           # absolute
    kind: str            # png, jpeg, svg
    width: float         # pt, the image's own size (its DPI, else 96 dpi; an SVG's width and height)
    height: float
    pos: SourcePos
    notes: tuple[str, ...] = ()
    requested_width: str = ""   # "60mm", "50%" (of the text width) or "" (the image's own size)


@dataclass(frozen=True)
class ListBlock:
    """A bulleted or numbered list; each item is a paragraph set with a hanging indent."""

    style: str                           # bullet, number (1. 2.), paren (（1）（2）)
    items: tuple[Paragraph, ...]
    pos: SourcePos


@dataclass(frozen=True)
class TableBlock:
    id: str
    number: str          # "5-1"
    title: str
    unit: str
    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    pos: SourcePos
    total_rows: tuple[int, ...] = ()   # indices of rows that state a total (合计), set as a total row
    notes: tuple[str, ...] = ()      # 注： lines under the 资料来源 line


def chapter_key(number: int) -> str:
    """The bookmark of a chapter (links, 目录 and ref() point at it)."""
    return f"ch-{number}"


def heading_key(chapter_number: int, heading_number: str) -> str:
    """The bookmark of a section heading: its chapter and its printed number (（一）, 1.)."""
    return f"ch-{chapter_number}-{heading_number}"


Block = Paragraph | Heading | Figure | ImageFigure | ListBlock | TableBlock


@dataclass(frozen=True)
class ResolvedChapter:
    number: int          # 0 = 前言
    label: str           # "一、" ("" for the preface)
    title: str
    blocks: tuple[Block, ...]
    pos: SourcePos
    front_matter: bool = False


# the house look, in points (1 mm = 72 / 25.4 pt); chapters/theme.yaml may change it
_MM = 72 / 25.4
_A4 = (210 * _MM, 297 * _MM)
HOUSE_PALETTE = ("#1f4e79", "#267a8a", "#b8923a", "#a9c4dc", "#0b2545", "#f4eddc")


@dataclass(frozen=True)
class Theme:
    """Page geometry, type sizes and colours of a publication (chapters/theme.yaml; defaults: the house look).

    The one place the house look's numbers are written: pipeline/typeset/styles.py derives its
    constants from ``Theme()``."""

    page_w: float = _A4[0]
    page_h: float = _A4[1]
    # the side margin is a minimum: the text width is a whole number of body characters (the grid),
    # centred on the page; the default gives 43 characters on A4
    margin_side: float = (_A4[0] - 43 * 10.5) / 2
    margin_top: float = 28 * _MM
    margin_bottom: float = 24 * _MM
    body_size: float = 10.5
    leading: float = 17.0
    # type sizes in pt: chapter and front-matter titles (一、… 前言 目录), （一） headings, 1. headings,
    # 图/表 captions, and the small type of 资料来源, 注： and footnotes (line distances scale with them)
    chapter_size: float = 16.0
    section_size: float = 12.0
    subsection_size: float = 11.0
    caption_size: float = 9.5
    note_size: float = 9.0
    accent: str = "#1f4e79"
    grey: str = "#666666"
    rule: str = "#9aa7b8"
    palette: tuple[str, ...] = HOUSE_PALETTE

    @property
    def chars_per_line(self) -> int:
        return int((self.page_w - 2 * self.margin_side) / self.body_size + 1e-6)

    @property
    def text_w(self) -> float:
        return self.chars_per_line * self.body_size

    @property
    def margin_x(self) -> float:
        return (self.page_w - self.text_w) / 2

    @property
    def text_h(self) -> float:
        return self.page_h - self.margin_top - self.margin_bottom


@dataclass(frozen=True)
class Edition:
    title: str
    short_title: str
    year: int
    month: int | None
    publisher: str
    co_publishers: tuple[str, ...]
    guidance: str
    keywords: tuple[str, ...]
    copyright: str
    subtitle: str = ""
    cover_title: tuple[str, ...] = ()  # the title's lines on the cover; () = break automatically
    kinsoku: str = "basic"             # clreq line-breaking level for body text: basic or strict
    chapter_start: str = "run-on"      # body chapters: run-on, new page or odd page
    footnote_numbering: str = "page"   # footnote marks ①②… restart on every page, or on every chapter
    note_position: str = "below"       # 注： lines of figures and tables: below or above the 资料来源 line
    logo: ImageFigure | None = None    # a publisher's logo on the cover
    # the words of the cover, copyright page, front-matter titles and excerpt pages, final text by key
    # (pipeline/wording.py has the keys and their defaults); the lists of the front matter, in order
    wording: dict = field(default_factory=dict, hash=False, compare=False)
    lists: tuple[str, ...] = ("contents", "figures", "tables")
    theme: Theme = Theme()


@dataclass(frozen=True)
class CityDesignation:
    """One national designation a city holds (a row of the designations table with its type)."""

    type_id: str                      # software_base, training_base, …
    type_name: str                    # 国家软件产业基地
    rank: int | None                  # the city's place in the list (designations.csv ``order``)
    count: int | None                 # how many cities hold it (designation_types.csv ``count``)
    site: str = ""                    # the named park, e.g. 江苏苏州工业园区
    target_market: str = ""           # the market a training base serves, e.g. 对日
    as_of: str = ""                   # YYYY-MM of the list, when the data gives it


@dataclass(frozen=True)
class CityProfile:
    """A city as a per-city excerpt presents it: its name and every designation it holds."""

    id: str
    name: str
    designations: tuple[CityDesignation, ...] = ()
    source: str = ""                  # the CSV it comes from (the declared cities table's file), for messages


@dataclass(frozen=True)
class ResolvedDocument:
    edition: Edition
    chapters: tuple[ResolvedChapter, ...]
    epoch: int                        # document date, seconds since 1970 (UTC)
    city_profile: Any = None          # set for per-city excerpts

    def figures(self) -> list[Figure]:
        """The charts (what the chart stage draws)."""
        return [b for c in self.chapters for b in c.blocks if isinstance(b, Figure)]

    def listed_figures(self) -> list[Figure | ImageFigure]:
        """Everything numbered 图 N-M, charts and images, in order (the 图目录)."""
        return [b for c in self.chapters for b in c.blocks if isinstance(b, (Figure, ImageFigure))]

    def tables(self) -> list[TableBlock]:
        return [b for c in self.chapters for b in c.blocks if isinstance(b, TableBlock)]

    def texts(self):
        """Every text the document prints from its sources, with where it comes from (None: the edition
        file), in reading order: the glyph check looks at these, the glyph plan at their characters."""
        def paragraph_texts(para):
            yield para.text, para.pos
            for note in para.notes:
                yield "".join(r.text for r in note.runs), note.pos

        ed = self.edition
        for t in (ed.title, ed.short_title, ed.subtitle, ed.publisher, ed.guidance, ed.copyright, *ed.co_publishers):
            yield t, None
        for chapter in self.chapters:
            yield chapter.title, chapter.pos
            for block in chapter.blocks:
                if isinstance(block, Paragraph):
                    yield from paragraph_texts(block)
                elif isinstance(block, ListBlock):
                    for item in block.items:
                        yield from paragraph_texts(item)
                elif isinstance(block, Figure):
                    chart = block.chart
                    for part in (block.title, block.source, chart.unit, *chart.categories, *chart.labels,
                                 *(name for name, _ in chart.series), *block.notes):
                        yield part, block.pos
                elif isinstance(block, ImageFigure):
                    for part in (block.title, block.source, *block.notes):
                        yield part, block.pos
                elif isinstance(block, TableBlock):
                    for part in (block.title, block.source, block.unit, *block.header,
                                 *(c for r in block.rows for c in r), *block.notes):
                        yield part, block.pos
                else:
                    yield getattr(block, "title", ""), block.pos
        city = self.city_profile
        if city is not None:
            yield city.name, None
            for d in city.designations:
                for part in (d.type_name, d.site, d.target_market, d.as_of):
                    yield part, None

    def text_chars(self) -> frozenset[int]:
        """The code points of :meth:`texts` (kept: a batch asks for each excerpt's twice)."""
        known = self.__dict__.get("_text_chars")
        if known is None:
            known = frozenset(ord(ch) for text, _ in self.texts() for ch in text or "")
            object.__setattr__(self, "_text_chars", known)
        return known


# The chart stage's drawing format (pipeline/charts/vector.py writes it, pipeline/typeset/drawings.py
# reads it): here, so that checking a cached chart imports neither matplotlib nor ReportLab.
CHART_DRAWING_FORMAT = 3   # 3: recorded by our matplotlib renderer, fonts by role; 2 was svglib's shapes


@dataclass(frozen=True)
class ChartImage:
    """A rendered chart: its drawing (the JSON bytes, read and verified once, and the cache file) and size in points."""

    path: Path
    width: float
    height: float
    drawing: bytes = field(default=b"", repr=False)
    pending: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)  # drawn meanwhile

    def drawing_bytes(self) -> bytes:
        """The drawing, waiting for it if it is still being drawn."""
        return self.pending() if self.pending is not None else self.drawing


@dataclass(frozen=True)
class BuildResult:
    pdf: Path
    pages: int
    charts_rendered: int
    charts_cached: int
    warnings: tuple[str, ...] = field(default_factory=tuple)
    city: str | None = None           # the city id of a per-city excerpt; None for the full edition
    sha256: str = ""                  # of the PDF bytes written
    inputs: str = ""                  # hash of everything the PDF was built from (see pipeline.manifest)
    edition: str | None = None        # the edition's year in a project of several editions


@dataclass(frozen=True)
class CityOutcome:
    """One city of a batch build: its BuildResult, or the problems that stopped it."""

    city: str
    pdf: Path
    result: BuildResult | None = None
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.errors
