"""Load a project folder: YAML chapters with positions, CSV tables, font paths.

Takes a folder; returns a :class:`~pipeline.model.Project`.  Anything that
cannot even be read (a YAML syntax error, a missing file, a CSV in an
unknown encoding) raises :class:`~pipeline.model.ContentError` with the
file and line.  Structural checks live in ``validate``.
"""
from __future__ import annotations

import csv
import difflib
import io
import logging
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .files import read_input
from .model import ContentError, DataTable, Problem, Project, Rule, SourcePos, Theme, UsageError, YamlDoc

log = logging.getLogger(__name__)

EDITION_FILE = "chapters/edition.yaml"   # a single-edition project
EDITIONS_DIR = "editions"                 # a project of several editions: editions/<name>.yaml, one per edition
TABLES_FILE = "data/tables.yaml"
THEME_FILE = "chapters/theme.yaml"     # optional: page size, margins, type sizes, colours

# The typefaces a build needs, by role; files live in fonts/.
FONT_FILES = {
    "serif": "NotoSerifSC-Regular.ttf",
    "serif-bold": "NotoSerifSC-Bold.ttf",
    "sans": "NotoSansSC-Regular.ttf",
    "sans-bold": "NotoSansSC-Bold.ttf",
}


def edition_files(root: Path) -> list[str]:
    """The edition files of a project of several editions (editions/*.yaml), or [] for a single edition."""
    folder = Path(root) / EDITIONS_DIR
    if not folder.is_dir():
        return []
    return sorted(f"{EDITIONS_DIR}/{p.name}" for p in folder.iterdir()
                  if p.suffix in (".yaml", ".yml") and not p.is_dir())   # a FIFO too: refused when read


def list_editions(root: Path) -> dict[int, YamlDoc]:
    """Year → edition file of a project of several editions, newest last ({} for a single edition).

    Raises ContentError for an unreadable edition file or two editions of the same year.
    """
    root = Path(root).resolve()
    problems: list[Problem] = []
    by_year: dict[int, YamlDoc] = {}
    for rel in edition_files(root):
        doc = _try(load_yaml, root, rel, problems)
        if doc is None or not isinstance(doc.data, dict):
            continue
        year = doc.data.get("year")
        if not isinstance(year, int) or isinstance(year, bool):
            continue   # validate reports the type
        if year in by_year:
            other = by_year[year]
            problems.append(Problem(doc.pos(("year",)), "year",
                                    f"{year} is also the year of {other.path} (line {other.pos(('year',)).line}); "
                                    "each edition needs its own year"))
            continue
        by_year[year] = doc
    if problems:
        raise ContentError(problems)
    return dict(sorted(by_year.items()))


def _choose_edition(root: Path, edition: str | int | None) -> tuple[YamlDoc | None, str]:
    """The edition file to build and its output key: the newest edition unless ``edition`` names a year."""
    editions = list_editions(root)
    if not editions:
        if edition is not None:
            raise UsageError(f"--edition {edition}: this project has one edition ({EDITION_FILE}); "
                             f"editions of a project of several are files in {EDITIONS_DIR}/")
        return None, ""
    if edition is None:
        year = max(editions)
    else:
        text = str(edition).strip()
        year = int(text) if text.isdigit() else None
        if year not in editions:
            known = ", ".join(str(y) for y in editions)
            raise UsageError(f"no edition '{edition}' in {EDITIONS_DIR}/; the editions are: {known}")
    return editions[year], str(year)


def load_project(root: Path, edition: str | int | None = None) -> Project:
    """Load everything for one edition (the newest unless ``edition`` names a year).  The CSVs are read
    every time (a few ms for the shipped ten): no parsed tables are kept between builds."""
    root = Path(root).resolve()
    problems: list[Problem] = []
    if not (root / "chapters").is_dir():
        # one clear message instead of "edition.yaml, tables.yaml and every font not found"
        raise ContentError([Problem(SourcePos(EDITION_FILE), "",
                                    f"not found: {root} is not a whitepaper project (it has no chapters/ "
                                    "folder); run the command in the project folder or give --project DIR")])

    edition_doc, edition_key = _choose_edition(root, edition)
    edition = edition_doc if edition_doc is not None else _try(load_yaml, root, EDITION_FILE, problems)
    chapters: list[YamlDoc] = []
    if edition is not None and isinstance(edition.data, dict):
        names = edition.data.get("chapters")
        if isinstance(names, list):
            for i, name in enumerate(names):
                if not isinstance(name, str):
                    continue  # validate reports the type
                rel = f"chapters/{name}"
                if not safe_path(root, rel):
                    problems.append(Problem(edition.pos(("chapters", i)), f"chapters[{i}]",
                                            f"'{name}' is outside the chapters folder"))
                    continue
                if not (root / rel).exists():   # a FIFO or folder there: load_yaml says what it is
                    problems.append(Problem(edition.pos(("chapters", i)), f"chapters[{i}]",
                                            f"chapter file '{rel}' not found"))
                    continue
                doc = _try(load_yaml, root, rel, problems)
                if doc is not None:
                    chapters.append(doc)

    tables_doc = _try(load_yaml, root, TABLES_FILE, problems)
    tables: dict[str, DataTable] = {}
    rules: list[Rule] = []
    if tables_doc is not None:
        tables, rules = _load_tables(root, tables_doc, problems)

    fonts = {}
    for role, name in FONT_FILES.items():
        path = root / "fonts" / name
        if not path.is_file():
            what = "is not a regular file" if path.exists() else "not found"
            problems.append(Problem(SourcePos(f"fonts/{name}"), "", f"font file for '{role}' text {what}"))
        fonts[role] = path

    theme = None
    if (root / THEME_FILE).is_file():
        theme_doc = _try(load_yaml, root, THEME_FILE, problems)
        if theme_doc is not None:
            theme = _theme(theme_doc, problems)

    if tables_doc is not None:
        problems += _periods_declaration_problems(tables_doc, tables)
    if problems:
        raise ContentError(problems)
    return Project(root=root, edition=edition, chapters=tuple(chapters), tables_doc=tables_doc,
                   tables=tables, rules=tuple(rules), fonts=fonts, periods=_periods(edition, tables, tables_doc),
                   edition_key=edition_key, theme=theme)


def _periods(edition: YamlDoc | None, tables: dict[str, DataTable], tables_doc: YamlDoc | None) -> dict[str, int]:
    """The edition's named periods: its ``periods`` mapping; a single-edition project may keep them in
    a table instead (name, year), the one data/tables.yaml names as ``periods:``."""
    declared = edition.data.get("periods") if edition is not None and isinstance(edition.data, dict) else None
    if isinstance(declared, dict):
        return {str(k): v for k, v in declared.items() if isinstance(v, int) and not isinstance(v, bool)}
    name = tables_doc.data.get("periods") if tables_doc is not None and isinstance(tables_doc.data, dict) else None
    table = tables.get(name) if isinstance(name, str) else None
    if table is None or not {"name", "year"} <= set(table.columns):
        return {}
    return {str(r["name"]): r["year"] for r in table.rows if isinstance(r.get("year"), int)}


def _periods_declaration_problems(doc: YamlDoc, tables: dict[str, DataTable]) -> list[Problem]:
    """data/tables.yaml's ``periods:`` must name a loaded table with the fields name and year."""
    name = doc.data.get("periods") if isinstance(doc.data, dict) else None
    if not isinstance(name, str):
        return []   # absent (periods come from the edition file), or a wrong type the schema reports
    if name not in tables:
        close = difflib.get_close_matches(name, list(tables), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return [Problem(doc.pos(("periods",)), "periods", f"no resource named '{name}' in data/tables.yaml{hint}")]
    missing = [f for f in ("name", "year") if f not in tables[name].columns]
    if missing:
        return [Problem(doc.pos(("periods",)), "periods",
                        f"resource '{name}' has no field{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(repr(f) for f in missing)}; as periods it needs the fields name and year")]
    return []


PAGE_SIZES_MM = {"A4": (210, 297), "16开": (185, 260)}
PALETTE_MIN_LIGHTNESS_STEP = 15     # CIE L*: series must stay apart when printed in greyscale


def _theme(doc: YamlDoc, problems: list[Problem]) -> Theme | None:
    """chapters/theme.yaml checked against its schema and as a theme; None (and problems) if it is wrong."""
    from .schema import THEME
    from .validate import schema_problems

    found = schema_problems(doc, THEME)
    data = doc.data
    if not found:
        palette = [c.lower() for c in data.get("palette") or ()]
        for i, a in enumerate(palette):
            for j in range(i):
                step = abs(lightness(a) - lightness(palette[j]))
                if step < PALETTE_MIN_LIGHTNESS_STEP:
                    found.append(Problem(doc.pos(("palette", i)), f"palette[{i}]",
                                         f"{a} is {step:.0f} L* from {palette[j]} (palette[{j}]): in greyscale "
                                         f"print the series need at least {PALETTE_MIN_LIGHTNESS_STEP} L* between "
                                         "any two colours"))
        found += _heading_size_problems(doc)
    if found:
        problems.extend(found)
        return None
    mm = 72 / 25.4
    values: dict[str, Any] = {}
    size = data.get("page_size")
    if size is not None:
        w, h = PAGE_SIZES_MM[size] if isinstance(size, str) else size
        values.update(page_w=w * mm, page_h=h * mm)
    margins = data.get("margins") or {}
    for key in ("top", "bottom", "side"):
        if key in margins:
            values[f"margin_{key}"] = margins[key] * mm
    for key in ("body_size", "leading", "caption_size", "note_size"):
        if key in data:
            values[key] = float(data[key])
    for key, size in (data.get("heading_sizes") or {}).items():
        values[f"{key}_size"] = float(size)
    colours = data.get("colours") or {}
    for key in ("accent", "grey", "rule"):
        if key in colours:
            values[key] = colours[key].lower()
    if data.get("palette"):
        values["palette"] = tuple(c.lower() for c in data["palette"])
    return Theme(**values)


def _heading_size_problems(doc: YamlDoc) -> list[Problem]:
    """Headings rank by size: chapter ≥ section ≥ subsection ≥ the body text (given or the house's)."""
    house = Theme()
    given = doc.data.get("heading_sizes") or {}
    sizes = {"chapter": house.chapter_size, "section": house.section_size, "subsection": house.subsection_size}
    sizes |= given
    body = doc.data.get("body_size", house.body_size)
    found = []
    ranks = [("chapter", "section"), ("section", "subsection")]
    for upper, lower in ranks:
        if sizes[upper] < sizes[lower] and (upper in given or lower in given):
            key = upper if upper in given else lower
            found.append(Problem(doc.pos(("heading_sizes", key)), f"heading_sizes.{key}",
                                 f"a {upper} heading ({sizes[upper]:g} pt) would be smaller than a {lower} heading "
                                 f"({sizes[lower]:g} pt); headings rank by size"))
    for key in given:
        if sizes[key] < body:
            found.append(Problem(doc.pos(("heading_sizes", key)), f"heading_sizes.{key}",
                                 f"{sizes[key]:g} pt is smaller than the body text ({body:g} pt); a heading is at "
                                 "least as large as the text under it"))
    return found


def lightness(colour: str) -> float:
    """CIE L* of an sRGB ``#rrggbb`` colour: how light it prints in greyscale."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[k:k + 2], 16) / 255) for k in (1, 3, 5))
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


def _try(fn, root: Path, rel: str, problems: list[Problem]):
    try:
        return fn(root, rel)
    except ContentError as e:
        problems.extend(e.problems)
        return None


def safe_path(root: Path, rel: str) -> bool:
    """True if ``rel`` stays inside the project folder (no ``..`` escapes, no absolute paths)."""
    try:
        target = (root / rel).resolve()
    except (OSError, RuntimeError):
        return False
    return target == root or root in target.parents


# ---------------------------------------------------------------- YAML


# Budgets: a YAML file is text from the project and must not hang or exhaust a build.
MAX_YAML_DEPTH = 50          # levels of nesting
MAX_YAML_VALUES = 100_000    # values once aliases (*name) are expanded: a billion-laughs file is refused


class _YamlBudgetError(Exception):
    def __init__(self, mark, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


class _Budgeted:
    """Nesting depth bounded while composing, and every alias remembered so the expanded size can be
    measured before anything is expanded (a mixin before PyYAML's Composer)."""

    depth = 0
    aliases: list

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            self.aliases.append((mark, node))
            return node
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise _YamlBudgetError(self.peek_event().start_mark,
                                       f"YAML too deep: nested more than {MAX_YAML_DEPTH} levels deep; flatten the structure")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Loader(_Budgeted, yaml.SafeLoader):
    """SafeLoader: plain data only, no Python object construction; budgets as :class:`_Budgeted`.
    Pure Python: the reference for every message and position (see :class:`_FastLoader`)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.aliases = []


# libyaml's scanner and parser (PyYAML's C extension) make the events ten times faster; composing
# stays PyYAML's own Python code, so the budgets above apply unchanged, and the constructor is the
# same SafeConstructor. Only files that load cleanly take this path: a file with any error is read
# again by _Loader, which gives the messages, marks and hints users and tests know.
try:
    from yaml.cyaml import CParser as _CParser
except ImportError:   # PyYAML built without libyaml: everything goes through _Loader
    _CParser = None

if _CParser is not None:
    class _FastLoader(_Budgeted, yaml.composer.Composer, _CParser, yaml.constructor.SafeConstructor,
                      yaml.resolver.Resolver):
        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.aliases = []
else:
    _FastLoader = None


class _RecursiveAlias(Exception):
    def __init__(self, node):
        super().__init__()
        self.node = node


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` stands for with every alias written out (memoised: no expansion)."""
    known = sizes.get(id(node))
    if known is not None:
        if known < 0:   # reached again while being measured: an alias inside its own anchor
            raise _RecursiveAlias(node)
        return known
    sizes[id(node)] = -1
    if isinstance(node, yaml.MappingNode):
        total = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_expanded_size(item, sizes) for item in node.value)
    else:
        total = 1
    sizes[id(node)] = total
    return total


def _check_alias_budget(loader: _Loader, node: yaml.Node) -> None:
    if not loader.aliases:
        return
    sizes: dict[int, int] = {}
    try:
        if _expanded_size(node, sizes) <= MAX_YAML_VALUES:
            return
    except _RecursiveAlias as e:
        mark = next(m for m, target in loader.aliases if target is e.node)
        raise _YamlBudgetError(mark, "YAML error: this alias (*name) refers to the value it is inside of") from None
    mark, target = max(loader.aliases, key=lambda a: sizes.get(id(a[1]), 1))
    raise _YamlBudgetError(mark, f"YAML too large: aliases (*name) expand this file to more than {MAX_YAML_VALUES:,} values "
                                 f"(this one alone stands for {sizes.get(id(target), 1):,}); "
                                 "write the values out or reuse fewer")


_parsed_yaml: dict[Path, tuple[tuple[int, int], YamlDoc]] | None = None


def remember_parsed_yaml(on: bool) -> None:
    """Keep each parsed YAML file in memory until it is saved again (for ``watch``: one process,
    many builds; a one-off build reads each file once anyway)."""
    global _parsed_yaml
    _parsed_yaml = {} if on else None


def load_yaml(root: Path, rel: str) -> YamlDoc:
    path = root / rel
    if _parsed_yaml is not None:
        try:
            st = path.stat()
        except OSError:
            st = None
        if st is not None:
            stamp = (st.st_mtime_ns, st.st_size)
            remembered = _parsed_yaml.get(path)
            if remembered is not None and remembered[0] == stamp:
                return remembered[1]
            doc = _load_yaml(root, rel)
            _parsed_yaml[path] = (stamp, doc)
            return doc
    return _load_yaml(root, rel)


def _load_yaml(root: Path, rel: str) -> YamlDoc:
    try:
        raw = read_input(root, rel)   # a FIFO or device is refused, not read (it would hang)
    except FileNotFoundError:
        raise ContentError([Problem(SourcePos(rel), "", "file not found")]) from None
    text = _decode(raw, rel)
    if _FastLoader is not None and not _NON_PRINTABLE.search(text):
        try:
            return _compose_doc(_FastLoader(text), text, rel)
        except (ContentError, yaml.YAMLError, _YamlBudgetError):
            pass   # read again below: the pure-Python loader words and locates the problem
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as e:  # a control character: YAML refuses the whole file
        line = text.count("\n", 0, e.position) + 1
        column = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        raise ContentError([Problem(SourcePos(rel, line, column), "",
                                    f"YAML error: the control character U+{e.character:04X} is not allowed; "
                                    "delete it")]) from None
    try:
        return _compose_doc(loader, text, rel)
    except _YamlBudgetError as e:
        raise ContentError([Problem(_mark(rel, e.mark), "", e.message)]) from None
    except yaml.MarkedYAMLError as e:
        raise ContentError([_yaml_syntax_problem(text, rel, e)]) from None
    except yaml.YAMLError as e:
        raise ContentError([Problem(SourcePos(rel, 1), "", f"YAML error: {e}")]) from None


# what PyYAML's pure-Python reader refuses (control characters …): such a file never takes the fast path
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def _compose_doc(loader, text: str, rel: str) -> YamlDoc:
    """Compose, check the alias budget, construct, and record every value's and key's position."""
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_alias_budget(loader, node)
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    positions: dict[tuple, SourcePos] = {}
    key_positions: dict[tuple, SourcePos] = {}
    duplicates: list[Problem] = []
    if node is not None:
        _walk(node, (), rel, text, positions, key_positions, duplicates)
    else:
        positions[()] = SourcePos(rel, 1, 1)
    if duplicates:
        raise ContentError(duplicates)
    return YamlDoc(rel, data, positions, key_positions, text=text)


def _yaml_syntax_problem(text: str, rel: str, error: yaml.MarkedYAMLError) -> Problem:
    """Locate a YAML syntax error where the user has to look, not where PyYAML gave up.

    PyYAML reports an unclosed quote where the *next* quote of the file happens to
    close it (often many lines below), and a tab as "cannot start any token".
    """
    mark = error.problem_mark or error.context_mark
    pos = _mark(rel, mark) if mark else SourcePos(rel, 1)
    detail = " ".join(str(x) for x in (error.context, error.problem) if x)
    if error.context == "while scanning a quoted scalar" and error.context_mark:
        return Problem(_mark(rel, error.context_mark), "",
                       f"YAML syntax error: the quoted value that starts here is never closed ({detail})")
    if "'\\t'" in (error.problem or ""):  # PyYAML quotes the character with repr()
        return Problem(pos, "", "YAML syntax error: a tab character; indent with spaces only")
    if isinstance(error, yaml.parser.ParserError) and error.problem_mark:
        opened = _runaway_quote(text, error.problem_mark)
        if opened is not None:
            return Problem(_mark(rel, opened), "",
                           f"YAML syntax error: the quoted value that starts here runs on to line "
                           f"{error.problem_mark.line + 1}; is its closing quote missing? ({detail})")
    return Problem(pos, "", f"YAML syntax error: {detail}")


def _runaway_quote(text: str, stop):
    """The start of a quoted scalar that spans several lines and ends on the line where the parser
    stopped: an unclosed quote, closed by accident by the next quote of the file."""
    last = None
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if token.start_mark.index >= stop.index:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'") \
                    and token.start_mark.line < token.end_mark.line == stop.line:
                last = token.start_mark
    except yaml.YAMLError:
        pass
    return last


def _mark(rel: str, mark) -> SourcePos:
    return SourcePos(rel, mark.line + 1, mark.column + 1)


def _block_scalar_pos(rel: str, text: str, mark) -> SourcePos:
    """The first character of a | or > scalar's text (the line below its indicator)."""
    start, offset = text.find("\n", mark.index), 0
    while start != -1:   # line by line from the indicator's, without copying the rest of the file
        end = text.find("\n", start + 1)
        line = text[start + 1:] if end == -1 else text[start + 1:end]
        if line.strip():
            return SourcePos(rel, mark.line + 2 + offset, len(line) - len(line.lstrip(" ")) + 1)
        start, offset = end, offset + 1
    return SourcePos(rel, mark.line + 2, 1)


def _walk(node, path, rel, text, positions, key_positions, duplicates) -> None:
    # Block scalars (| and >) start on the line after their indicator.
    start = node.start_mark
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        positions[path] = _block_scalar_pos(rel, text, start)
    else:
        positions[path] = _mark(rel, start)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, SourcePos] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            kpath = path + (key,)
            if key in seen:
                duplicates.append(Problem(_mark(rel, key_node.start_mark), _dotted(kpath),
                                          f"duplicate key (first defined on line {seen[key].line})"))
            seen[key] = _mark(rel, key_node.start_mark)
            key_positions[kpath] = seen[key]
            _walk(value_node, kpath, rel, text, positions, key_positions, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), rel, text, positions, key_positions, duplicates)


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


dotted = _dotted


def _decode(raw: bytes, rel: str) -> str:
    """UTF-8 (BOM allowed); GB18030/GBK files, common in China, are read too.

    A UTF-8 file with one stray byte (a Latin-1 'é') is not a GB18030 file: read as GB18030 its
    Chinese would turn to mojibake, so it is an error at the stray byte's line. A byte that is
    neither encoding is reported where it is, not where the first non-ASCII character happens to be.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        utf8_error = e
    as_utf8 = raw.decode("utf-8", errors="replace")
    stray = as_utf8.count("\ufffd")
    if sum(1 for ch in as_utf8 if ord(ch) > 0x7F and ch != "\ufffd") > stray:
        # mostly well-formed UTF-8: the file is UTF-8 with a few bad bytes
        line = raw[: utf8_error.start].count(b"\n") + 1
        raise ContentError([Problem(SourcePos(rel, line), "",
                                    f"not UTF-8 (byte 0x{raw[utf8_error.start]:02x}) although the rest of the file "
                                    "is; retype the character on this line or save the file as UTF-8")])
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as gb_error:
        at = max(utf8_error.start, gb_error.start)   # the byte that breaks the encoding the file is in
        line = raw[:at].count(b"\n") + 1
        raise ContentError([Problem(SourcePos(rel, line), "",
                                    f"not UTF-8 (byte 0x{raw[at]:02x}) and not GB18030 either; "
                                    "save the file as UTF-8")]) from None
    log.warning("%s is encoded in GB18030/GBK, not UTF-8; read it as GB18030", rel)
    return text


# ---------------------------------------------------------------- CSV


COLUMN_TYPES = ("string", "integer", "number")


def _load_tables(root: Path, doc: YamlDoc, problems: list[Problem]) -> tuple[dict[str, DataTable], list[Rule]]:
    """The resources of the data dictionary (a Frictionless Data Package), each read from its CSV."""
    tables: dict[str, DataTable] = {}
    rules: list[Rule] = []
    spec = doc.data if isinstance(doc.data, dict) else {}
    declared = spec.get("resources") if isinstance(spec.get("resources"), list) else []
    for index, resource in enumerate(declared):
        if not isinstance(resource, dict) or not isinstance(resource.get("name"), str):
            continue  # validate reports the shape
        name = resource["name"]
        path = ("resources", index)
        for i, rule in enumerate(resource.get("rules") or []):
            if isinstance(rule, dict) and isinstance(rule.get("check"), str):
                rules.append(Rule(str(rule.get("name", f"{name} rule {i + 1}")), rule["check"],
                                  doc.pos(path + ("rules", i, "check"))))
        decl = _table_declaration(resource)
        if decl is None:
            continue
        rel = f"data/{decl['file']}"
        if not safe_path(root, rel):
            problems.append(Problem(doc.pos(path + ("path",)), f"{dotted(path)}.path",
                                    f"'{decl['file']}' is outside the data folder"))
            continue
        table = _load_csv(root, rel, name, decl, doc.pos(path), problems, doc, path)
        if table is not None:
            tables[name] = _with_fields(table, resource, doc, path, problems)
    return tables, rules


def _table_declaration(resource: dict) -> dict | None:
    """What reading a CSV needs from a resource: its file, column types and key (None if malformed)."""
    schema = resource.get("schema")
    file = resource.get("path")
    if not isinstance(file, str) or not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return None
    fields = [f for f in schema["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)]
    key = schema.get("primaryKey")
    return {"file": file, "description": str(resource.get("description", "")),
            "columns": {f["name"]: str(f.get("type", "string")) for f in fields},
            "key": [str(k) for k in key] if isinstance(key, list) else [str(key)] if isinstance(key, str) else []}


def _with_fields(table: DataTable, resource: dict, doc: YamlDoc, path: tuple,
                 problems: list[Problem]) -> DataTable:
    """The table with its declared fields (formats, constraints) and foreign keys; constraint
    violations are reported at the CSV row."""
    import dataclasses

    schema = resource["schema"]
    fields = {f["name"]: f for f in schema["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)}
    for index, (col, field) in enumerate(fields.items()):
        constraints = field.get("constraints")
        if isinstance(constraints, dict):
            problems.extend(constraint_problems(table, col, constraints))
    foreign = []
    for i, fk in enumerate(schema.get("foreignKeys") or []):
        if isinstance(fk, dict) and isinstance(fk.get("reference"), dict):
            foreign.append((tuple(fk.get("fields") or ()), str(fk["reference"].get("resource", "")),
                            tuple(fk["reference"].get("fields") or ()), doc.pos(path + ("schema", "foreignKeys", i))))
    # our own field properties: ``period: true`` names the period a row describes (years ascending on a
    # chart axis, selectable by the edition's period names); ``estimates: [forecast]`` marks estimated rows
    period = next((c for c, f in fields.items() if f.get("period") is True), "")
    basis = next((c for c, f in fields.items() if isinstance(f.get("estimates"), list)), "")
    estimates = tuple(str(v) for v in fields[basis]["estimates"]) if basis else ()
    return dataclasses.replace(table, fields=fields, foreign_keys=tuple(foreign), period=period, basis=basis,
                               estimates=estimates)


def constraint_problems(table: DataTable, col: str, constraints: dict) -> list[Problem]:
    """Frictionless constraints (required, unique, enum, minimum, maximum, pattern) of one column."""
    import re

    problems = []
    seen: dict[Any, int] = {}
    pattern = constraints.get("pattern")
    for row, line in zip(table.rows, table.lines):
        value = row.get(col)
        at = SourcePos(table.file, line)
        where = f"column '{col}'"
        if value is None or value == "":
            if constraints.get("required"):
                problems.append(Problem(at, where, "empty, but data/tables.yaml requires a value"))
            continue
        enum = constraints.get("enum")
        if isinstance(enum, list) and str(value) not in [str(e) for e in enum]:
            problems.append(Problem(at, where, f"'{value}' is not one of {', '.join(map(str, enum))}"
                                               f"{_did_you_mean(str(value), [str(e) for e in enum])}"))
        if not isinstance(value, str):
            low, high = constraints.get("minimum"), constraints.get("maximum")
            if isinstance(low, (int, float)) and value < Decimal(str(low)):
                problems.append(Problem(at, where, f"{value} is below the minimum {low}"))
            if isinstance(high, (int, float)) and value > Decimal(str(high)):
                problems.append(Problem(at, where, f"{value} is above the maximum {high}"))
        if isinstance(pattern, str):
            try:
                ok = re.fullmatch(pattern, str(value)) is not None
            except re.error:
                ok = True   # validate reports nothing better; frictionless would refuse the pattern
            if not ok:
                problems.append(Problem(at, where, f"'{value}' does not have the declared form ({pattern})"))
        if constraints.get("unique"):
            if value in seen:
                problems.append(Problem(at, where, f"'{value}' is also on line {seen[value]} (declared unique)"))
            seen.setdefault(value, line)
    return problems


def _load_csv(root: Path, rel: str, name: str, decl: dict, decl_pos: SourcePos,
              problems: list[Problem], doc: YamlDoc, decl_path: tuple = ()) -> DataTable | None:
    try:
        raw = read_input(root, rel)   # a FIFO or device is refused, not read (it would hang)
    except ContentError as e:   # not a regular file: reported, and the other tables still checked
        problems.extend(e.problems)
        return None
    except FileNotFoundError:
        problems.append(Problem(doc.pos(decl_path + ("path",)), f"{dotted(decl_path)}.path",
                                f"data file '{rel}' not found"))
        return None
    except ContentError as e:
        problems.extend(e.problems)
        return None
    try:
        text = _decode(raw, rel)
    except ContentError as e:
        problems.extend(e.problems)
        return None
    if not text.strip():
        problems.append(Problem(SourcePos(rel, 1), "", "the file is empty (expected a header row)"))
        return None
    try:
        records = [r for r in _csv_records(text) if any(cell.strip() for cell in r[2])]  # blank lines skipped
    except _CsvSyntaxError as e:
        problems.append(Problem(SourcePos(rel, e.line, e.column), "", e.message))
        return None
    if not records:
        problems.append(Problem(SourcePos(rel, 1), "", "the file has no header row (every line is empty)"))
        return None
    header_line, _, header_cells = records[0]
    header = [c.strip() for c in header_cells]
    columns = {str(k): str(v) for k, v in decl.get("columns", {}).items()}
    missing = [c for c in columns if c not in header]
    for col in missing:
        hint = _did_you_mean(col, header)
        problems.append(Problem(SourcePos(rel, header_line), f"column '{col}'",
                                f"missing (declared in data/tables.yaml){hint}; the header has: "
                                f"{', '.join(h for h in header if h)}"))
    dupes = {c for c in header if c and header.count(c) > 1}
    for col in sorted(dupes):
        problems.append(Problem(SourcePos(rel, header_line), f"column '{col}'", "appears twice in the header"))
    if missing or dupes:
        return None

    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    key = tuple(decl.get("key") or ())
    seen_keys: dict[tuple, int] = {}
    for line, last_line, cells in records[1:]:
        if len(cells) != len(header):
            problems.append(Problem(SourcePos(rel, line), "", _cell_count_message(len(cells), len(header),
                                                                                 line, last_line)))
            continue
        record = {}
        for col, cell in zip(header, cells):
            if col:
                record[col] = cell.strip()
            elif cell.strip():  # Excel leaves trailing commas in a header; a value under one is lost
                problems.append(Problem(SourcePos(rel, line), "",
                                        f"'{cell.strip()}' is in a column with no name in the header (line "
                                        f"{header_line}); name the column or delete the cell"))
        row: dict[str, Any] = {col: _convert(record[col], ctype, rel, line, col, problems)
                               for col, ctype in columns.items()}
        for col, cell in record.items():
            row.setdefault(col, cell)
        if key and all(k in row for k in key):
            kval = tuple(row[k] for k in key)
            if kval in seen_keys:
                shown = ", ".join(f"{k}={v}" for k, v in zip(key, kval))
                problems.append(Problem(SourcePos(rel, line), "",
                                        f"duplicate key ({shown}); first on line {seen_keys[kval]}"))
            else:
                seen_keys[kval] = line
        rows.append(row)
        lines.append(line)
    return DataTable(name=name, file=rel, columns=columns, key=key, rows=tuple(rows), lines=tuple(lines),
                     decl_pos=decl_pos, description=str(decl.get("description", "")))


class _CsvSyntaxError(Exception):
    def __init__(self, line: int, column: int | None, message: str):
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


QUOTE_HINT = 'a quote inside a quoted cell is written twice: ""'


def _csv_records(text: str):
    """Each record of a CSV text as (first line, last line, cells).

    Line numbers are those an editor shows: a quoted cell may hold line breaks, so a
    record can span several lines (the reader's ``line_num`` counts them).  A quote
    left open is reported where it was opened, not where the reader gave up.
    """
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    last = 0
    while True:
        first = last + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            stop = reader.line_num
            at_end = "unexpected end of data" in str(e)
            if at_end or stop > first:
                line, column = _quote_opened(text, first, stop)
                if at_end:
                    message = f"CSV error: the quoted cell that starts here is never closed ({QUOTE_HINT})"
                else:
                    message = (f"CSV error: the quoted cell that starts here runs on to line {stop}; "
                               f"is its closing quote missing? ({QUOTE_HINT})")
                raise _CsvSyntaxError(line, column, message) from None
            if "expected after" in str(e):
                raise _CsvSyntaxError(stop, None, "CSV error: text after the closing quote of a quoted cell "
                                                  f"(a comma or the end of the line must follow it; {QUOTE_HINT})"
                                      ) from None
            raise _CsvSyntaxError(stop, None, f"CSV error: {e}") from None
        last = reader.line_num
        yield first, last, cells


def _quote_opened(text: str, first: int, stop: int) -> tuple[int, int]:
    """Line and column of the quote opening the cell that ran on past a line break in the record
    spanning lines ``first``..``stop`` (the quote still open at the end, if one is)."""
    lines = io.StringIO(text, newline="").readlines()[first - 1:stop]
    in_quotes, cell_start = False, True
    opened = spanning = (first, 1)
    for number, line in enumerate(lines, first):
        i = 0
        while i < len(line):
            c = line[i]
            if in_quotes:
                if c == '"' and line[i + 1:i + 2] == '"':
                    i += 1  # "" is a quote inside the cell
                elif c == '"':
                    in_quotes, cell_start = False, False
                elif c in "\r\n":
                    spanning = opened
            elif c == '"' and cell_start:
                in_quotes, opened = True, (number, i + 1)
            elif c in ",\r\n":
                cell_start = True
            elif c != " ":
                cell_start = False
            i += 1
    return opened if in_quotes else spanning


def _cell_count_message(cells: int, header: int, line: int, last_line: int) -> str:
    message = f"this row has {cells} cells but the header has {header}"
    if last_line > line:
        return f"{message} (the row runs on to line {last_line} inside a quoted cell; is a closing quote missing?)"
    if cells > header:
        return f"{message} (a cell holding a comma needs \"double quotes\")"
    return f"{message} (an empty cell still needs its comma)"


# Budgets for a number cell: a whitepaper's figures have a handful of digits; '1e-1000000' would
# print a million of them.
MAX_NUMBER_DIGITS = 30       # significant digits, and digits before the decimal point
MAX_DECIMAL_PLACES = 15


def _shown(cell: str) -> str:
    return cell if len(cell) <= 24 else cell[:20] + "…"


def _convert(cell: str, ctype: str, rel: str, line: int, col: str, problems: list[Problem]) -> Any:
    if ctype == "string" or cell == "":
        return cell if ctype == "string" else None
    if ctype == "integer":
        if len(cell) > MAX_NUMBER_DIGITS + 1 and cell.lstrip("+-").isdigit():
            problems.append(Problem(SourcePos(rel, line), f"column '{col}'",
                                    f"'{_shown(cell)}' is too large (more than {MAX_NUMBER_DIGITS} digits)"))
            return None
        try:
            return int(cell)
        except ValueError:
            problems.append(Problem(SourcePos(rel, line), f"column '{col}'", f"'{_shown(cell)}' is not a whole number"))
            return None
    if ctype == "number":
        try:
            value = Decimal(cell)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            problems.append(Problem(SourcePos(rel, line), f"column '{col}'", f"'{_shown(cell)}' is not a number"))
            return None
        if value and value.adjusted() >= MAX_NUMBER_DIGITS:  # also beyond what a chart (float) can draw
            problems.append(Problem(SourcePos(rel, line), f"column '{col}'",
                                    f"'{_shown(cell)}' is too large (more than {MAX_NUMBER_DIGITS} digits "
                                    "before the decimal point)"))
            return None
        # significant digits and decimal places as written, trailing zeros aside (normalize() would round)
        digits, exponent = value.as_tuple()[1:]
        zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
        if exponent + zeros < -MAX_DECIMAL_PLACES:
            problems.append(Problem(SourcePos(rel, line), f"column '{col}'",
                                    f"'{_shown(cell)}' has more than {MAX_DECIMAL_PLACES} decimal places"))
            return None
        if len(digits) - zeros > MAX_NUMBER_DIGITS:
            problems.append(Problem(SourcePos(rel, line), f"column '{col}'",
                                    f"'{_shown(cell)}' has more than {MAX_NUMBER_DIGITS} significant digits"))
            return None
        return value
    return cell


def _did_you_mean(word: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


did_you_mean = _did_you_mean
