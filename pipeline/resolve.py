"""Resolve: put the data into the text.

Takes a validated :class:`~pipeline.model.Project`; returns a
:class:`~pipeline.model.ResolvedDocument` whose paragraphs are final text runs,
whose figures are :class:`~pipeline.model.ChartSpec` and whose tables are rows
of strings.  Narrative is a Jinja2 template rendered in a sandbox with
StrictUndefined: an unknown name is an error, never an empty string, and a
template cannot reach Python internals.  Every user mistake becomes a located
:class:`~pipeline.model.Problem`, raised together as a ContentError.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .load import dotted
from .model import (ChartSpec, ContentError, DataTable, Edition, Figure, Heading, Paragraph, Problem, Project,
                    ResolvedChapter, ResolvedDocument, SourcePos, TableBlock, TextRun, YamlDoc)

CN_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """0–99 as Chinese numerals: 4 → 四, 10 → 十, 14 → 十四, 20 → 二十."""
    n = int(n)
    if not 0 <= n < 100:
        return str(n)
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def format_decimal(value: Decimal) -> str:
    """A number as the data wrote it: 152 → '152', 90.4 → '90.4' (no exponent)."""
    if value == value.to_integral_value() and value.as_tuple().exponent >= 0:
        return str(int(value))
    return format(value, "f")


class TemplateDataError(Exception):
    """A template asked for data that is not there (no row, several rows, wrong type)."""


class Quantity:
    """A number from data/ with its unit; renders as '152 亿美元'."""

    def __init__(self, value: Decimal, unit: str = ""):
        self.value = value
        self.unit = unit

    def __str__(self) -> str:
        return f"{format_decimal(self.value)} {self.unit}".strip() if self.unit else format_decimal(self.value)

    def _other(self, other) -> Decimal:
        if isinstance(other, Quantity):
            if other.unit != self.unit and self.unit and other.unit:
                raise TemplateDataError(f"cannot combine {self.unit} with {other.unit}")
            return other.value
        return Decimal(str(other))

    def __add__(self, other):
        return Quantity(self.value + self._other(other), self.unit)

    __radd__ = __add__

    def __sub__(self, other):
        return Quantity(self.value - self._other(other), self.unit)

    def __eq__(self, other):
        return self.value == self._other(other)

    def __lt__(self, other):
        return self.value < self._other(other)

    def __hash__(self):
        return hash(self.value)


class Row(dict):
    """A data row; templates read cells as attributes (row.year) or items (row['year'])."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class _Data:
    """The template functions over the project's tables."""

    def __init__(self, project: Project, percent_decimals: int):
        self.tables = project.tables
        self.quantum = Decimal(1).scaleb(-percent_decimals)
        cities = project.tables.get("cities")
        self.city_names = {r["id"]: r["name"] for r in cities.rows} if cities else {}

    def _table(self, name: str) -> DataTable:
        if name not in self.tables:
            raise TemplateDataError(f"no table '{name}' in data/tables.yaml")
        return self.tables[name]

    def rows(self, table: str, **where) -> list[Row]:
        t = self._table(table)
        for col in where:
            if col not in t.columns:
                raise TemplateDataError(f"table '{table}' ({t.file}) has no column '{col}'")
        out = [Row(r) for r in t.rows if all(_matches(r.get(c), v) for c, v in where.items())]
        if "order" in t.columns:
            out.sort(key=lambda r: (r["order"] is None, r["order"] if r["order"] is not None else 0))
        return out

    def row(self, table: str, **where) -> Row:
        found = self.rows(table, **where)
        shown = ", ".join(f"{k}={v}" for k, v in where.items())
        if not found:
            raise TemplateDataError(f"no row of {self._table(table).file} matches {shown}")
        if len(found) > 1:
            raise TemplateDataError(f"{len(found)} rows of {self._table(table).file} match {shown}; expected one")
        return found[0]

    def q(self, table: str, **where) -> Quantity:
        r = self.row(table, **where)
        if "value" not in r or r["value"] is None:
            raise TemplateDataError(f"the matching row of {self._table(table).file} has no value")
        return Quantity(Decimal(r["value"]), str(r.get("unit") or ""))

    def pct(self, part, whole) -> str:
        whole_v = _number(whole)
        if whole_v == 0:
            raise TemplateDataError("share of a zero total")
        share = (_number(part) / whole_v * 100).quantize(self.quantum, rounding=ROUND_HALF_UP)
        return f"{share}%"

    def growth(self, old, new) -> str:
        old_v = _number(old)
        if old_v == 0:
            raise TemplateDataError("growth from zero")
        rate = ((_number(new) - old_v) / old_v * 100).quantize(self.quantum, rounding=ROUND_HALF_UP)
        return f"{rate}%"

    def names(self, rows) -> list[str]:
        out = []
        for r in rows:
            city = r.get("city") if isinstance(r, dict) else r
            if city not in self.city_names:
                raise TemplateDataError(f"unknown city id '{city}' (not in cities.csv)")
            out.append(self.city_names[city])
        return out


def _number(x) -> Decimal:
    if isinstance(x, Quantity):
        return x.value
    if isinstance(x, Decimal):
        return x
    try:
        return Decimal(str(x))
    except Exception:
        raise TemplateDataError(f"{x!r} is not a number") from None


def _matches(cell, wanted) -> bool:
    if isinstance(wanted, (list, tuple)):
        return any(_matches(cell, w) for w in wanted)
    if cell is None:
        return wanted is None or wanted == ""
    if isinstance(cell, (int, Decimal)) and not isinstance(wanted, str):
        try:
            return Decimal(str(cell)) == Decimal(str(wanted))
        except Exception:
            return False
    return str(cell) == str(wanted)


def _date(row) -> str:
    """'2007 年 6 月 15 日' from a row with year/month/day (missing parts omitted)."""
    parts = []
    for key, suffix in (("year", "年"), ("month", "月"), ("day", "日")):
        value = row.get(key) if isinstance(row, dict) else None
        if value not in (None, ""):
            parts.append(f"{value} {suffix}")
    return " ".join(parts)


def make_environment(data: _Data) -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                               keep_trailing_newline=False)
    env.filters["cn"] = cn_numeral
    env.globals.update(q=data.q, row=data.row, rows=data.rows, pct=data.pct, growth=data.growth,
                       names=data.names, date=_date)
    return env


# ---------------------------------------------------------------- inline markup

ALLOWED_TAGS = {"b", "strong", "i", "em", "sup", "sub", "a"}
ALLOWED_SCHEMES = ("http://", "https://", "mailto:")


class _MarkupError(Exception):
    pass


class _RunParser(HTMLParser):
    """Parse the documented inline whitelist into runs; anything else is an error."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.runs: list[TextRun] = []
        self.stack: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            raise _MarkupError(f"markup <{tag}> is not allowed; allowed: <b>, <i>, <sup>, <sub>, <a href=\"https://…\">")
        href = None
        if tag == "a":
            attrs = dict(attrs)
            href = attrs.get("href") or ""
            if not href.startswith(ALLOWED_SCHEMES):
                raise _MarkupError(f"link target {href!r} must start with http://, https:// or mailto:")
            if set(attrs) - {"href"}:
                raise _MarkupError("<a> takes only href")
        elif attrs:
            raise _MarkupError(f"<{tag}> takes no attributes")
        self.stack.append((tag, href))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            raise _MarkupError(f"unexpected </{tag}>")
        self.stack.pop()

    def handle_data(self, data):
        tags = {t for t, _ in self.stack}
        link = next((h for t, h in reversed(self.stack) if t == "a"), None)
        self.runs.append(TextRun(data, bold=bool(tags & {"b", "strong"}), italic=bool(tags & {"i", "em"}),
                                 sup="sup" in tags, sub="sub" in tags, link=link))

    def handle_comment(self, data):
        raise _MarkupError("comments are not allowed in text")

    def handle_decl(self, decl):
        raise _MarkupError("declarations are not allowed in text")

    def handle_pi(self, data):
        raise _MarkupError("processing instructions are not allowed in text")


_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u201c-\u201d\u2018-\u2019\u2014\u2026"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def normalize_text(text: str) -> str:
    """Collapse white space; drop the spaces YAML folding puts between Chinese characters."""
    text = re.sub(r"\s+", " ", text).strip()
    return _SPACE_BETWEEN_CJK.sub("", text)


def parse_runs(text: str) -> tuple[TextRun, ...]:
    parser = _RunParser()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise _MarkupError(f"<{parser.stack[-1][0]}> is never closed")
    merged: list[TextRun] = []
    for run in parser.runs:
        if merged and (merged[-1].bold, merged[-1].italic, merged[-1].sup, merged[-1].sub, merged[-1].link) == \
                (run.bold, run.italic, run.sup, run.sub, run.link):
            merged[-1] = TextRun(merged[-1].text + run.text, run.bold, run.italic, run.sup, run.sub, run.link)
        else:
            merged.append(run)
    return tuple(r for r in merged if r.text)


# ---------------------------------------------------------------- the document


class _Resolver:
    def __init__(self, project: Project, city: str | None = None):
        self.project = project
        self.city = city
        decimals = project.tables_doc.data.get("percent_decimals", 1)
        self.data = _Data(project, decimals)
        self.env = make_environment(self.data)
        self.problems: list[Problem] = []
        self.context: dict[str, Any] = {"edition": dict(project.edition.data)}
        periods = project.tables.get("periods")
        for r in periods.rows if periods else ():
            self.context[f"{r['name']}_year"] = r["year"]

    # -- templates
    def render(self, source: str, doc: YamlDoc, path: tuple) -> str | None:
        pos = doc.pos(path)
        try:
            template = self.env.from_string(source)
            return template.render(self.context)
        except jinja2.TemplateSyntaxError as e:
            line = pos.line + (e.lineno or 1) - 1 if pos.line else 0
            self.problems.append(Problem(SourcePos(pos.file, line), dotted(path), f"template error: {e.message}"))
        except jinja2.UndefinedError as e:
            self.problems.append(Problem(pos, dotted(path), f"template error: {e.message}{self._name_hint(e)}"))
        except jinja2.exceptions.SecurityError as e:
            self.problems.append(Problem(pos, dotted(path), f"template not allowed: {e}"))
        except TemplateDataError as e:
            self.problems.append(Problem(pos, dotted(path), f"data error: {e}"))
        except (TypeError, ValueError, ArithmeticError, AttributeError, jinja2.TemplateError) as e:
            self.problems.append(Problem(pos, dotted(path), f"template error: {e}"))
        return None

    def _name_hint(self, error: Exception) -> str:
        import difflib

        m = re.match(r"'(\w+)' is undefined", str(error.message or ""))
        if not m:
            return ""
        known = list(self.context) + list(self.env.globals)
        close = difflib.get_close_matches(m.group(1), known, n=1)
        return f" (did you mean '{close[0]}'?)" if close else ""

    def text(self, source: str, doc: YamlDoc, path: tuple) -> tuple[TextRun, ...] | None:
        rendered = self.render(source, doc, path)
        if rendered is None:
            return None
        try:
            return parse_runs(normalize_text(rendered))
        except _MarkupError as e:
            self.problems.append(Problem(doc.pos(path), dotted(path), str(e)))
            return None

    def plain(self, source: str, doc: YamlDoc, path: tuple) -> str:
        runs = self.text(source, doc, path)
        return "".join(r.text for r in runs) if runs else ""

    # -- the whole document
    def document(self, epoch: int) -> ResolvedDocument:
        ed = self.project.edition
        edition = Edition(
            title=self.plain(ed.data["title"], ed, ("title",)),
            short_title=self.plain(ed.data["short_title"], ed, ("short_title",)),
            subtitle=self.plain(ed.data.get("subtitle") or "", ed, ("subtitle",)) if ed.data.get("subtitle") else "",
            year=ed.data["year"], month=ed.data.get("month"),
            publisher=ed.data["publisher"], co_publishers=tuple(ed.data.get("co_publishers") or ()),
            guidance=ed.data.get("guidance", ""), keywords=tuple(ed.data.get("keywords") or ()),
            copyright=self.plain(ed.data.get("copyright") or "", ed, ("copyright",)) if ed.data.get("copyright") else "",
        )
        chapters = [self.chapter(doc) for doc in sorted(self.project.chapters, key=lambda d: d.data["number"])]
        self.check_rules()
        if self.problems:
            raise ContentError(self.problems)
        return ResolvedDocument(edition=edition, chapters=tuple(c for c in chapters if c is not None), epoch=epoch)

    def chapter(self, doc: YamlDoc) -> ResolvedChapter | None:
        number = doc.data["number"]
        title = self.plain(doc.data["title"], doc, ("title",))
        blocks = []
        figure_no = table_no = section_no = 0
        for i, block in enumerate(doc.data["blocks"]):
            kind, spec = next(iter(block.items()))
            path = ("blocks", i, kind)
            if kind == "paragraph":
                source = spec["text"] if isinstance(spec, dict) else spec
                tpath = path + ("text",) if isinstance(spec, dict) else path
                runs = self.text(source, doc, tpath)
                if runs:
                    blocks.append(Paragraph(runs, doc.pos(tpath)))
            elif kind == "heading":
                level = spec.get("level", 2)
                section_no += 1
                label = f"（{cn_numeral(section_no)}）" if level == 2 else f"{section_no}."
                blocks.append(Heading(level, label, self.plain(spec["title"], doc, path + ("title",)), doc.pos(path)))
            elif kind == "figure":
                figure_no += 1
                fig = self.figure(spec, doc, path, f"{number}-{figure_no}")
                if fig:
                    blocks.append(fig)
            elif kind == "table":
                table_no += 1
                tab = self.table(spec, doc, path, f"{number}-{table_no}")
                if tab:
                    blocks.append(tab)
        label = f"{cn_numeral(number)}、" if number else ""
        return ResolvedChapter(number=number, label=label, title=title, blocks=tuple(blocks),
                               pos=doc.pos(()), front_matter=number == 0)

    # -- figures
    def _selected_rows(self, spec: dict, doc: YamlDoc, path: tuple) -> list[dict] | None:
        try:
            return self.data.rows(spec["table"], **(spec.get("where") or {}))
        except TemplateDataError as e:
            self.problems.append(Problem(doc.pos(path + ("where",)), dotted(path + ("where",)), str(e)))
            return None

    def _display(self, column: str, value, labels: dict) -> str:
        key = "" if value is None else (format_decimal(value) if isinstance(value, Decimal) else str(value))
        if key in labels:
            return labels[key]
        if column == "city" and key in self.data.city_names:
            return self.data.city_names[key]
        return key

    def figure(self, spec: dict, doc: YamlDoc, path: tuple, number: str) -> Figure | None:
        title = self.plain(spec["title"], doc, path + ("title",))
        rows = self._selected_rows(spec, doc, path)
        if rows is None:
            return None
        if not rows:
            self.problems.append(Problem(doc.pos(path + ("where",)), dotted(path), "no data rows selected for the chart"))
            return None
        labels = {str(k): str(v) for k, v in (spec.get("labels") or {}).items()}
        x, y, series_col = spec["x"], spec.get("y"), spec.get("series")
        table_columns = self.project.tables[spec["table"]].columns
        if y is not None and y not in table_columns and y != "count":
            self.problems.append(Problem(doc.pos(path + ("y",)), dotted(path + ("y",)),
                                         f"table '{spec['table']}' has no column '{y}'"))
            return None
        counting = y is None or y not in table_columns  # no value column: count rows per category
        categories: list[str] = []
        series_names: list[str] = []
        values: dict[tuple[str, str], float] = {}
        point_labels: dict[str, str] = {}
        for r in rows:
            cat = self._display(x, r.get(x), labels)
            ser = self._display(series_col, r.get(series_col), labels) if series_col else (spec.get("unit") or "")
            if cat not in categories:
                categories.append(cat)
            if ser not in series_names:
                series_names.append(ser)
            if counting:
                values[(ser, cat)] = values.get((ser, cat), 0) + 1
            else:
                v = r.get(y)
                if v is None:
                    continue
                if not isinstance(v, (int, Decimal)):
                    self.problems.append(Problem(doc.pos(path + ("y",)), dotted(path + ("y",)),
                                                 f"column '{y}' is not numeric in data/tables.yaml"))
                    return None
                values[(ser, cat)] = values.get((ser, cat), 0) + float(v)
            if spec.get("label"):
                point_labels.setdefault(cat, self._display(spec["label"], r.get(spec["label"]), labels))
        if spec["chart"] == "barh":
            # most designations first; ties keep the data's order
            totals = {c: sum(values.get((s, c), 0) for s in series_names) for c in categories}
            categories.sort(key=lambda c: -totals[c])
        series = tuple((s, tuple(values.get((s, c), 0.0) for c in categories)) for s in series_names)
        highlight = ()
        if self.city and self.city in self.data.city_names:
            highlight = (self.data.city_names[self.city],)
        chart = ChartSpec(kind=spec["chart"], title=title, categories=tuple(categories), series=series,
                          unit=spec.get("unit") or "", highlight=highlight,
                          labels=tuple(point_labels.get(c, "") for c in categories),
                          data_files=(self.project.tables[spec["table"]].file,))
        source = spec.get("source") or ""
        return Figure(spec["id"], number, title, source, chart, doc.pos(path))

    # -- tables
    def table(self, spec: dict, doc: YamlDoc, path: tuple, number: str) -> TableBlock | None:
        title = self.plain(spec["title"], doc, path + ("title",))
        rows = self._selected_rows(spec, doc, path)
        if rows is None:
            return None
        columns = dict(spec["columns"])
        if spec.get("view") == "city_matrix":
            header, body, numeric = self.city_matrix(rows, columns, doc, path)
        else:
            header = tuple(columns.values())
            table = self.project.tables[spec["table"]]
            numeric = tuple(table.columns.get(c) in ("integer", "number") and c not in ("year", "order")
                            for c in columns)
            body = tuple(tuple(self._display(c, r.get(c), {}) for c in columns) for r in rows)
        return TableBlock(spec["id"], number, title, spec.get("unit") or "", spec.get("source") or "",
                          header, body, numeric, doc.pos(path))

    def city_matrix(self, rows, columns, doc, path):
        """One row per city, one column per designation type: √, the site's name or the target market."""
        types = self.data.rows("designation_types") if "designation_types" in self.project.tables else []
        type_names = {t["id"]: t["name"] for t in types}
        wanted = [c for c in columns if c != "city"] or list(type_names)
        for c in wanted:
            if c not in type_names:
                self.problems.append(Problem(doc.pos(path + ("columns",)), dotted(path + ("columns",)),
                                             f"'{c}' is not a designation id in designation_types.csv"))
        cities = [r["id"] for r in self.data.rows("cities")] if "cities" in self.project.tables else []
        cells: dict[str, dict[str, str]] = {}
        for r in rows:
            mark = r.get("site") or r.get("target_market") or "√"
            cells.setdefault(r["city"], {})[r["designation"]] = mark
        order = [c for c in cities if c in cells] + [c for c in cells if c not in cities]
        header = (columns.get("city", "城市"),) + tuple(columns.get(c) or type_names.get(c, c) for c in wanted)
        body = tuple((self.data.city_names.get(c, c),) + tuple(cells[c].get(t, "") for t in wanted) for c in order)
        return header, body, tuple(False for _ in header)

    # -- consistency rules declared beside the data
    def check_rules(self) -> None:
        for rule in self.project.rules:
            try:
                expression = self.env.compile_expression(rule.check, undefined_to_none=False)
                ok = expression(**self.context)
            except jinja2.TemplateSyntaxError as e:
                self.problems.append(Problem(rule.pos, "check", f"rule '{rule.name}': syntax error: {e.message}"))
                continue
            except (TemplateDataError, jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as e:
                self.problems.append(Problem(rule.pos, "check", f"rule '{rule.name}': {e}"))
                continue
            if not ok:
                self.problems.append(Problem(rule.pos, "check", f"consistency rule failed: {rule.name}"
                                                                f" ({self._explain_rule(rule.check)})"))

    def _explain_rule(self, check: str) -> str:
        """Show the values on each side of a failed comparison."""
        for op in ("==", "<=", ">=", "<", ">"):
            if op in check:
                left, right = check.split(op, 1)
                try:
                    lv = self.env.compile_expression(left)(**self.context)
                    rv = self.env.compile_expression(right)(**self.context)
                    return f"{lv} {op} {rv} is false"
                except Exception:  # the rule itself was already evaluated; this is only a hint
                    return check
        return check


def resolve_document(project: Project, epoch: int, city: str | None = None) -> ResolvedDocument:
    return _Resolver(project, city).document(epoch)
