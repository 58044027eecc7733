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
import weakref
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..load import dotted
from ..model import (
    ChartSpec,
    CityProfile,
    ContentError,
    Edition,
    Figure,
    Footnote,
    Heading,
    ImageFigure,
    ListBlock,
    Paragraph,
    Problem,
    Project,
    ResolvedChapter,
    ResolvedDocument,
    SourcePos,
    TableBlock,
    TextRun,
    Theme,
    YamlDoc,
)
from .markup import _MarkupError, normalize_text, parse_runs
from ..numbers import NumberFormat, format_number, growth_of, percent_of
from .quantities import NumberError, Quantity, TemplateDataError, cn_numeral, format_decimal

# what a data row holding a stated total calls itself in the part column (a 合计 row)
TOTAL_WORDS = {"total", "合计", "总计"}
from .references import Numbering, Writing, expand_runs, plain_text
from .rendercache import RenderCache, open_render_cache
from .functions import BudgetError, Check, _Data, _our_types, _quoted_name, is_plain_text, render_plain

__all__ = ["resolve_document", "cn_numeral", "parse_runs", "normalize_text", "Quantity", "format_decimal"]


MAX_CHART_LABEL = 60   # characters: a longer category name cannot be set legibly beside a bar


class _Resolver:
    def __init__(self, project: Project, city: str | None = None, trace: "Trace | None" = None):
        self.project = project
        self.city = city
        decimals = project.tables_doc.data.get("percent_decimals", 1)
        self.data = _Data(project, decimals, project.tables_doc.data.get("thousands_separator", ""))
        self.numbering = Numbering(project.chapters)
        self.writing = Writing(self.numbering)
        self.trace = trace
        self._env = None
        # rendered texts of earlier builds (pipeline/resolve/rendercache.py); never with a trace, whose
        # bindings only a render makes
        self.cache: RenderCache | None = None
        self.problems: list[Problem] = []
        self.wording: dict[str, str] = {}
        self.context: dict[str, Any] = {"edition": dict(project.edition.data), "periods": dict(project.periods)}
        for name, year in project.periods.items():
            self.context[f"{name}_year"] = year

    # -- templates
    @property
    def env(self):
        """The Jinja2 sandbox, made (and Jinja2 imported) when the first text must be rendered: a
        build whose texts all come from the render cache never needs it."""
        if self._env is None:
            from .templates import make_environment

            env = make_environment(self.data)
            env.globals.update(ref=self.writing.ref, footnote=self.writing.footnote)
            if self.trace is not None:
                env.globals["_bind"] = self.trace.bind
            self._env = env
        return self._env

    def render(self, source: str, doc: YamlDoc, path: tuple) -> str | None:
        if self.trace is not None:
            source = self.trace.start(doc.path, path, source)
        elif is_plain_text(source):
            try:
                return render_plain(source)
            except BudgetError as e:
                self.problems.append(Problem(doc.pos(path), dotted(path), f"template too costly: {e}"))
                return None
        key = None
        if self.cache is not None and self.trace is None:
            key = self.cache.key("paragraph" if self.writing.in_paragraph else "text", repr(self.context), source)
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        shared = self._shared_key(source) if self.city is not None and self.trace is None else None
        if shared is not None:
            text = _excerpt_renders(self.project).get(shared)
            if text is not None:
                if key is not None:
                    self.cache.put(key, text)
                return text
        return self._rendered(source, doc, path, key, shared)

    def _shared_key(self, source: str) -> tuple | None:
        """What decides an excerpt's render of ``source``, so the other excerpts of the process may take
        it: the source, where it renders (a paragraph or not) and the context values it names (the city's
        name, for one).  The globals are the project's data functions and ``ref()``, whose marker names
        the same target in every excerpt (what an excerpt left out is decided after, from the markers);
        a render calling ``footnote()`` is never kept (see _rendered)."""
        from .templates import referenced_names

        names = referenced_names(self.env, source)
        if names is None:
            return None
        values = tuple((name, repr(self.context[name])) for name in sorted(names) if name in self.context)
        return self.writing.in_paragraph, source, values

    def _rendered(self, source: str, doc: YamlDoc, path: tuple, key: str | None,
                  shared: tuple | None = None) -> str | None:
        """``source`` rendered by Jinja2 (kept under ``key`` in the render cache and under ``shared`` for
        the process's other excerpts when that is safe), or None and a located problem."""
        import jinja2

        from .templates import _from_string

        pos = doc.pos(path)
        try:
            notes = len(self.writing.notes)
            template = _from_string(self.env, source)
            text = self.env.render_text(template, self.context)
            if len(self.writing.notes) == notes:   # a footnote() is numbered by its render
                if key is not None:
                    self.cache.put(key, text)
                if shared is not None:
                    _excerpt_renders(self.project)[shared] = text
            return text
        except BudgetError as e:
            self.problems.append(Problem(_template_line(pos, source, e), dotted(path),
                                         f"template too costly: {e}"))
        except jinja2.TemplateSyntaxError as e:
            # Jinja2 knows the line inside the template (a | block keeps the YAML's lines), not the column
            line = pos.line + (e.lineno or 1) - 1 if pos.line else 0
            self.problems.append(Problem(SourcePos(pos.file, line), dotted(path), f"template syntax error: {e.message}"))
        except jinja2.UndefinedError as e:
            self.problems.append(Problem(doc.locate(path, _quoted_name(e.message)), dotted(path),
                                         f"template error: {_our_types(e.message)}{self._name_hint(e)}"))
        except jinja2.exceptions.SecurityError as e:
            self.problems.append(Problem(doc.locate(path, _quoted_name(str(e))), dotted(path),
                                         f"template not allowed: {e}"))
        except NumberError as e:
            self.problems.append(Problem(pos, dotted(path), f"data error: {e}"))
        except TemplateDataError as e:
            at = pos
            if e.literal:
                at = doc.locate(path, e.literal)
            elif e.needle:
                at = doc.locate(path, f"'{e.needle}'")
                at = at if at != pos else doc.locate(path, f'"{e.needle}"')
            self.problems.append(Problem(at, dotted(path), f"data error: {e}"))
        except RecursionError:
            self.problems.append(Problem(_template_line(pos, source, None), dotted(path),
                                         "template error: a macro calls itself without end"))
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError, RuntimeError, NameError,
                jinja2.TemplateError) as e:
            # RuntimeError: a recursive macro; LookupError: '{0}'.format() and the like
            self.problems.append(Problem(_template_line(pos, source, e), dotted(path),
                                         f"template error: {_readable(e)}"))
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
            runs = parse_runs(normalize_text(rendered))
            if self.trace is not None:
                self.trace.texts[self.trace.current] = ("".join(r.text for r in runs), doc.pos(path))
            return runs
        except _MarkupError as e:
            self.problems.append(Problem(doc.locate(path, e.needle), dotted(path), str(e)))
            return None

    def plain(self, source: str, doc: YamlDoc, path: tuple) -> str:
        runs = self.text(source, doc, path)
        return plain_text("".join(r.text for r in runs)) if runs else ""

    def paragraph(self, source: str, doc: YamlDoc, path: tuple) -> Paragraph | None:
        """Text that may hold footnote() and ref(…, page=true): a paragraph or a list item."""
        self.writing.in_paragraph = True
        try:
            runs = self.text(source, doc, path)
        finally:
            self.writing.in_paragraph = False
        return Paragraph(runs, doc.pos(path)) if runs else None

    def notes(self, spec: dict, doc: YamlDoc, path: tuple) -> tuple[str, ...]:
        """The 注： lines of a figure, image or table (``note:`` a text or a list of texts)."""
        note = spec.get("note")
        if note is None:
            return ()
        if isinstance(note, str):
            return (self.plain(note, doc, path + ("note",)),)
        return tuple(self.plain(n, doc, path + ("note", i)) for i, n in enumerate(note))

    def title(self, source: str, doc: YamlDoc, path: tuple) -> str:
        """A title: text that prints something (a blank one would leave '四、' or '表 2-1' alone)."""
        problems = len(self.problems)
        title = self.plain(source, doc, path)
        if not title.strip() and len(self.problems) == problems:
            self.problems.append(Problem(doc.pos(path), dotted(path),
                                         "the title is empty (only spaces, or a template that prints nothing)"))
        return title

    # -- the whole document
    def document(self, epoch: int, rules: bool = True) -> ResolvedDocument:
        ed = self.project.edition
        # the edition's own texts are templates too ({{ edition.year }} 年…); chapters see them rendered
        for key in ("title", "short_title", "subtitle", "copyright"):
            if isinstance(ed.data.get(key), str) and "{" in ed.data[key]:
                self.context["edition"][key] = self.plain(ed.data[key], ed, (key,))
        edition = Edition(
            title=self.plain(ed.data["title"], ed, ("title",)),
            short_title=self.plain(ed.data["short_title"], ed, ("short_title",)),
            subtitle=self.plain(ed.data.get("subtitle") or "", ed, ("subtitle",)) if ed.data.get("subtitle") else "",
            cover_title=tuple(self.plain(line, ed, ("cover_title", i))
                              for i, line in enumerate(ed.data.get("cover_title") or ())),
            kinsoku=ed.data.get("kinsoku", "basic"),
            chapter_start=ed.data.get("chapter_start", "run-on"),
            footnote_numbering=ed.data.get("footnote_numbering", "page"),
            note_position=ed.data.get("note_position", "below"),
            logo=self.logo(ed),
            year=ed.data["year"], month=ed.data.get("month"),
            publisher=ed.data["publisher"], co_publishers=tuple(ed.data.get("co_publishers") or ()),
            guidance=ed.data.get("guidance", ""), keywords=tuple(ed.data.get("keywords") or ()),
            copyright=self.plain(ed.data.get("copyright") or "", ed, ("copyright",)) if ed.data.get("copyright") else "",
            theme=self.project.theme or Theme(),
        )
        profile = None
        if self.city is not None:
            edition, profile = self._excerpt_edition(edition)
        edition = self._with_wording(edition, profile)
        self.wording = edition.wording
        if edition.cover_title and "".join(edition.cover_title) != edition.title:
            self.problems.append(Problem(ed.pos(("cover_title",)), "cover_title",
                                         f"the cover lines joined ('{''.join(edition.cover_title)}') must equal "
                                         f"the title ('{edition.title}')"))
        docs = sorted(self.project.chapters, key=lambda d: d.data["number"])
        chapters = [(self.chapter(doc), doc) for doc in docs]
        if rules:
            self.check_rules()
        if self.problems:
            raise ContentError(self.problems)
        kept = [(c, doc) for c, doc in chapters if c is not None]
        finished = self._expand_references(kept)
        if self.problems:
            raise ContentError(self.problems)
        return ResolvedDocument(edition=edition, chapters=tuple(finished), epoch=epoch, city_profile=profile)

    def chapter(self, doc: YamlDoc) -> ResolvedChapter | None:
        number = doc.data["number"]
        title = self.title(doc.data["title"], doc, ("title",))
        blocks = []
        origins: list[tuple[dict | str, tuple]] = []   # per resolved block: its YAML spec and key path
        for i, block in enumerate(doc.data["blocks"]):
            kind, spec = next(iter(block.items()))
            path = ("blocks", i, kind)
            resolved_before = len(blocks)
            numbered = self.numbering.block_numbers.get((doc.path, i), "")
            if kind == "paragraph":
                source = spec["text"] if isinstance(spec, dict) else spec
                tpath = path + ("text",) if isinstance(spec, dict) else path
                para = self.paragraph(source, doc, tpath)
                if para:
                    blocks.append(para)
            elif kind == "heading":
                level = spec.get("level", 2)
                blocks.append(Heading(level, numbered, self.title(spec["title"], doc, path + ("title",)),
                                      doc.pos(path), id=spec.get("id") or ""))
            elif kind == "list":
                items = [self.paragraph(item, doc, path + ("items", j)) for j, item in enumerate(spec["items"])]
                items = [item for item in items if item is not None]   # an item that prints nothing is left out
                if items:
                    blocks.append(ListBlock(spec.get("style", "bullet"), tuple(items), doc.pos(path)))
            elif kind == "figure":
                fig = self.figure(spec, doc, path, numbered)
                if fig:
                    blocks.append(fig)
            elif kind == "image":
                image = self.image(spec, doc, path, numbered)
                if image:
                    blocks.append(image)
            elif kind == "table":
                tab = self.table(spec, doc, path, numbered)
                if tab:
                    blocks.append(tab)
            if len(blocks) > resolved_before:
                origins.append((spec, path))
        if self.city is not None and not self.problems:
            # resolved in full first, so an excerpt reports exactly the edition's problems
            blocks = self._excerpt_blocks(blocks, origins, doc)
            if not blocks:
                return None
        label = f"{cn_numeral(number)}、" if number else ""
        return ResolvedChapter(number=number, label=label, title=title, blocks=tuple(blocks),
                               pos=doc.pos(()), front_matter=number == 0)

    # -- figures
    def _selected_rows(self, spec: dict, doc: YamlDoc, path: tuple) -> list[dict] | None:
        where = {}
        for column, wanted in (spec.get("where") or {}).items():
            # a value may be a template ("{{ base_year - 1 }}"), a period name (base) or a range (first..latest)
            at = path + ("where", column)
            if isinstance(wanted, list):
                wanted = [self.render(w, doc, at + (i,)) if isinstance(w, str) and "{" in w else w
                          for i, w in enumerate(wanted)]
            elif isinstance(wanted, str) and "{" in wanted:
                wanted = self.render(wanted, doc, at)
            if wanted is None or (isinstance(wanted, list) and None in wanted):
                return None   # the template's problem is reported
            where[column] = wanted
        try:
            return self.data.rows(spec["table"], **where)
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
        title = self.title(spec["title"], doc, path + ("title",))
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
        table = self.project.tables[spec["table"]]
        data_table = table
        declared_order = ((data_table.fields.get(x) or {}).get("constraints") or {}).get("enum")
        if spec["chart"] == "barh":
            pass   # sorted by total below
        elif isinstance(declared_order, list):
            # categories in the column's declared order (its enum), not the CSV's row order
            rank = {str(v): i for i, v in enumerate(declared_order)}
            rows = sorted(rows, key=lambda r: rank.get(str(r.get(x)), len(rank)))
        elif table_columns.get(x) in ("integer", "number"):
            # numbers (years) ascending, not the CSV's row order
            rows = sorted(rows, key=lambda r: (r.get(x) is None, r.get(x) or 0))
        period_axis = x == data_table.period and spec["chart"] != "timeline"
        categories: list[str] = []
        raw_x: dict[str, Any] = {}        # category → its x value in the data (before labels)
        series_names: list[str] = []
        values: dict[tuple[str, str], Any] = {}     # exact (Decimal or int), summed per point
        fmt = None
        point_labels: dict[str, str] = {}
        shown_as: dict[tuple[str, str], tuple] = {}   # (series, category) as printed → the data it came from
        estimated: set[str] = set()
        for r in rows:
            cat = self._display(x, r.get(x), labels)
            if period_axis and cat == self._display(x, r.get(x), {}):
                cat = f"{cat} 年"
            if data_table.basis and str(r.get(data_table.basis) or "") in data_table.estimates:
                estimated.add(cat)
            ser = self._display(series_col, r.get(series_col), labels) if series_col else (spec.get("unit") or "")
            if not counting:
                raw = (r.get(series_col) if series_col else None, r.get(x))
                if (ser, cat) in shown_as:
                    self.problems.append(self._same_label(spec, doc, path, table, rows, ser, cat,
                                                          shown_as[(ser, cat)], raw, r))
                    return None
                shown_as[(ser, cat)] = (raw, r)
            if cat not in categories:
                categories.append(cat)
                raw_x[cat] = r.get(x)
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
                values[(ser, cat)] = values.get((ser, cat), 0) + v
                fmt = fmt or self.data.column_format(table, y, r)
            if spec.get("label"):
                point_labels.setdefault(cat, self._display(spec["label"], r.get(spec["label"]), labels))
        fmt = fmt or NumberFormat(thousands=self.data.thousands)
        if spec["chart"] == "barh":
            # most designations first; ties keep the data's order
            totals = {c: sum(values.get((s, c), 0) for s in series_names) for c in categories}
            categories.sort(key=lambda c: -totals[c])
        series = tuple((s, tuple(float(values.get((s, c), 0)) for c in categories)) for s in series_names)
        marked = tuple(c in estimated for c in categories)
        undrawable = self._undrawable(spec, categories, series, doc, path) or \
            self._label_too_long(spec, categories, series_names, point_labels, doc, path)
        if undrawable is not None:
            self.problems.append(undrawable)
            return None
        highlight = ()
        if self.city and self.data.city_names.get(self.city) in categories + series_names:
            # only charts that show the city highlight it: the others keep one cache entry for every city
            highlight = (self.data.city_names[self.city],)
        numbers = self._chart_numbers(spec, table, categories, raw_x, series_names, values, fmt, counting, doc, path)
        # a forecast reads as one on the axis, from the data's basis column: 2010 年（预计）
        categories = [f"{c}（预计）" if m else c for c, m in zip(categories, marked)]
        unit = spec.get("unit") or ("" if fmt.percent else fmt.unit_text)
        chart = ChartSpec(kind=spec["chart"], title=title, categories=tuple(categories), series=series,
                          unit=unit, highlight=highlight,
                          others_label=self.wording.get("others_key", "") if highlight else "",
                          labels=tuple(point_labels.get(c, "") for c in categories),
                          estimated=marked if any(marked) else (),
                          data_files=(self.project.tables[spec["table"]].file,),
                          percent_decimals=self.data.percent_decimals, number_format=fmt,
                          palette=self.project.theme.palette if self.project.theme else (), **numbers)
        source = spec.get("source") or ""
        return Figure(spec["id"], number, title, source, chart, doc.pos(path), notes=self.notes(spec, doc, path))

    def _chart_numbers(self, spec: dict, table, categories: list, raw_x: dict, series_names: list,
                       values: dict, fmt: NumberFormat, counting: bool, doc: YamlDoc, path: tuple) -> dict:
        """The chart's numbers as text, by the text's formatter: value labels, totals (a stated total
        wins over the sum of the parts) and a pie's shares."""
        kind = spec["chart"]
        value_labels = tuple(tuple(format_number(values[(s, c)], fmt, unit=False) if (s, c) in values else ""
                                   for c in categories) for s in series_names)
        stated = {} if counting else self._stated_totals(spec, table, raw_x, doc, path)
        out: dict[str, Any] = {"value_labels": value_labels}
        if kind == "pie":
            parts = [values[(series_names[0], c)] for c in categories if (series_names[0], c) in values]
            total = stated.get(None, sum(parts, Decimal(0) if parts and isinstance(parts[0], Decimal) else 0))
            out["total_labels"] = (format_number(total, fmt, unit=False),)
            if total:
                out["share_labels"] = tuple(str(percent_of(values.get((series_names[0], c), 0), total,
                                                           self.data.percent_decimals)) for c in categories)
        elif kind in ("stacked_bar", "barh"):
            totals = []
            for c in categories:
                parts = [values[(s, c)] for s in series_names if (s, c) in values]
                total = stated.get(c, sum(parts) if parts else 0)
                totals.append(format_number(total, fmt, unit=False))
            out["total_labels"] = tuple(totals)
        return out

    def _stated_totals(self, spec: dict, table, raw_x: dict, doc: YamlDoc, path: tuple) -> dict:
        """Totals the data states: the figure's ``total:`` filter, or else a row whose part column
        (the series, or x for a pie) says total / 合计.  Category (None for a pie) → value."""
        kind = spec["chart"]
        part_column = spec.get("series") if kind != "pie" and spec.get("series") else spec["x"]
        if kind not in ("pie", "stacked_bar", "barh") or part_column == spec["x"] and kind != "pie":
            return {}
        total_filter = spec.get("total")
        if isinstance(total_filter, str):
            # a total column: every row of a category states the category's total
            table_rows = self._selected_rows(spec, doc, path) or []
            stated = {}
            for r in table_rows:
                category = next((c for c, x in raw_x.items() if x == r.get(spec["x"])), None)
                if r.get(total_filter) is not None:
                    stated.setdefault(None if kind == "pie" else category, r[total_filter])
            return stated
        if total_filter is None:
            words = {str(r.get(part_column)) for r in table.rows} & TOTAL_WORDS
            if len(words) != 1:
                return {}
            total_filter = {part_column: words.pop()}
        where = {k: v for k, v in (spec.get("where") or {}).items() if k not in total_filter and k != part_column}
        try:
            found = self.data.rows(spec["table"], **{**where, **total_filter})
        except TemplateDataError as e:
            self.problems.append(Problem(doc.pos(path + ("total",)), dotted(path + ("total",)), str(e)))
            return {}
        y = spec.get("y")
        if kind == "pie":
            return {None: found[0][y]} if len(found) == 1 and found[0].get(y) is not None else {}
        by_x = {}
        for r in found:
            by_x.setdefault(r.get(spec["x"]), r.get(y))
        return {c: by_x[x] for c, x in raw_x.items() if by_x.get(x) is not None}

    def _same_label(self, spec, doc, path, table, rows, ser, cat, first, raw, row) -> Problem:
        """Two data rows would be one bar or wedge: summing them silently would print a number no
        row holds."""
        (first_raw, first_row) = first
        name = f"'{cat}'" + (f" of series '{ser}'" if spec.get("series") else "")
        first_line = next((line for r, line in zip(table.rows, table.lines) if r == first_row), None)
        line = next((line for r, line in zip(table.rows, table.lines) if r == row and line != first_line), None)
        where = f" ({table.file} lines {first_line} and {line})" if first_line and line else f" ({table.file})"
        if first_raw != raw:
            shown = lambda v: "/".join(str(p) for p in v if p is not None)  # noqa: E731
            return Problem(doc.pos(path + ("labels",)) if spec.get("labels") else doc.pos(path + ("x",)),
                           dotted(path), f"'{shown(first_raw)}' and '{shown(raw)}' both show as {name}{where}; "
                                         "give them different labels")
        return Problem(doc.pos(path + ("x",)), dotted(path + ("x",)),
                       f"two selected rows have the same category {name}{where}; a chart shows one value "
                       "per category: narrow 'where' or choose another 'x'")

    def _label_too_long(self, spec, categories, series_names, point_labels, doc, path) -> Problem | None:
        """A chart wraps and shrinks long labels, up to a point: beyond it the label would be unreadable."""
        for kind, names in (("category", categories), ("series", series_names), ("label", point_labels.values())):
            for name in names:
                if len(name) > MAX_CHART_LABEL:
                    shown = name[:20] + "…"
                    # at the label that says it, else at the column it comes from (a name in the data)
                    given = [k for k, v in (spec.get("labels") or {}).items() if str(v) == name]
                    where = ("labels", given[0]) if given else \
                        ("x",) if kind == "category" else ("series",) if kind == "series" else ("label",)
                    return Problem(doc.pos(path + where) if where[0] in spec else doc.pos(path), dotted(path),
                                   f"the chart {kind} '{shown}' is {len(name)} characters long (at most "
                                   f"{MAX_CHART_LABEL}); give it a shorter name with labels:")
        return None

    def _undrawable(self, spec: dict, categories: list, series: tuple, doc: YamlDoc, path: tuple) -> Problem | None:
        """Data the chart kind cannot draw, as a located problem instead of a matplotlib error in charts."""
        import math

        points = [(name, c, v) for name, vs in series for c, v in zip(categories, vs)]
        for name, c, v in points:
            if not math.isfinite(v):
                return Problem(doc.pos(path + ("y",)), dotted(path + ("y",)), f"the value for '{c}' is too large to draw")
        if spec["chart"] == "pie":
            negative = [(c, v) for _, c, v in points if v < 0]
            if negative:
                return Problem(doc.pos(path + ("chart",)), dotted(path + ("chart",)),
                               f"a pie chart cannot show the negative value {negative[0][1]:g} for '{negative[0][0]}'")
            if not any(v for _, _, v in points):
                return Problem(doc.pos(path + ("chart",)), dotted(path + ("chart",)),
                               "a pie chart needs a value above zero; every selected value is 0 or empty")
        if spec["chart"] == "timeline":
            for c in categories:
                try:
                    ok = math.isfinite(float(c))
                except ValueError:
                    ok = False
                if not ok:
                    return Problem(doc.pos(path + ("x",)), dotted(path + ("x",)),
                                   f"a timeline needs years in x; got '{c}'")
        return None

    # -- tables
    def table(self, spec: dict, doc: YamlDoc, path: tuple, number: str,
              city_rows_only: bool = False) -> TableBlock | None:
        title = self.title(spec["title"], doc, path + ("title",)) if not city_rows_only \
            else self.plain(spec["title"], doc, path + ("title",))
        rows = self._selected_rows(spec, doc, path)
        if rows is None:
            return None
        if not rows:
            # a header-only table, listed in 表目录, would say there is data where there is none
            self.problems.append(Problem(doc.pos(path + ("where",)) if "where" in spec else doc.pos(path),
                                         dotted(path), f"no data rows selected for the table (table "
                                                       f"'{spec['table']}' has none that match)"))
            return None
        if city_rows_only:
            rows = [r for r in rows if self._row_concerns_city(r)]
            if not rows:
                return None   # nothing about the city: the excerpt leaves the table out
        columns = dict(spec["columns"])
        total_rows: tuple[int, ...] = ()
        if spec.get("view") == "city_matrix":
            header, body, numeric = self.city_matrix(rows, columns, doc, path)
        else:
            header, body, numeric, total_rows = self._table_cells(spec, rows, columns, doc, path)
        return TableBlock(spec["id"], number, title, spec.get("unit") or "", spec.get("source") or "",
                          header, body, numeric, doc.pos(path), total_rows=total_rows,
                          notes=self.notes(spec, doc, path))

    def _table_cells(self, spec: dict, rows: list, columns: dict, doc: YamlDoc, path: tuple):
        """Header, cells (numbers by the column's format), which columns are numeric, which rows
        state a total; computed columns (share of the total, growth over the previous row)."""
        table = self.project.tables[spec["table"]]
        labels = {"total": "合计", **{str(k): str(v) for k, v in (spec.get("labels") or {}).items()}}
        computed = spec.get("computed") or {}
        total_rows = tuple(i for i, r in enumerate(rows)
                           if any(str(r.get(c)) in TOTAL_WORDS for c in table.columns if isinstance(r.get(c), str)))
        parts = [r for i, r in enumerate(rows) if i not in total_rows]

        def numeric_column(c: str) -> bool:
            return c in computed or (table.columns.get(c) in ("integer", "number") and c not in ("year", "order"))

        def cell(c: str, i: int, r: dict) -> str:
            if c in computed:
                return self._computed_cell(computed[c], c, i, r, rows, parts, total_rows, doc, path)
            v = r.get(c)
            if numeric_column(c) and v is not None:
                return format_number(v, self.data.column_format(table, c, r), unit=False)
            return self._display(c, v, labels)

        header = []
        for c, title in columns.items():
            fmt = self.data.column_format(table, c, rows[0]) if rows and numeric_column(c) and c not in computed else None
            if fmt and not spec.get("unit") and fmt.unit_text and not fmt.percent and f"（{fmt.unit_text}）" not in title:
                title = f"{title}（{fmt.unit_text}）"   # no 单位 line: the unit goes into the header
            header.append(title)
        body = tuple(tuple(cell(c, i, r) for c in columns) for i, r in enumerate(rows))
        numeric = tuple(numeric_column(c) for c in columns)
        return tuple(header), body, numeric, total_rows

    def _computed_cell(self, how: dict, column: str, i: int, r: dict, rows: list, parts: list,
                       total_rows: tuple, doc: YamlDoc, path: tuple) -> str:
        at = path + ("computed", column)
        try:
            if "share_of" in how:
                source = how["share_of"]
                total = rows[total_rows[0]].get(source) if total_rows else \
                    sum((p.get(source) or 0) for p in parts)
                return str(percent_of(r.get(source) or 0, total, self.data.percent_decimals))
            source = how["growth_of"]
            if i in total_rows:
                return ""
            earlier = [p for p in rows[:i] if rows.index(p) not in total_rows]
            if not earlier or earlier[-1].get(source) in (None, 0) or r.get(source) is None:
                return "—"
            return str(growth_of(earlier[-1][source], r[source], self.data.percent_decimals))
        except NumberError as e:
            self.problems.append(Problem(doc.pos(at), dotted(at), f"data error: {e}"))
            return ""

    def city_matrix(self, rows, columns, doc, path):
        """One row per city, one column per designation type: √, the site's name or the target market."""
        from ..cities import city_tables

        roles = city_tables(self.project)
        types = self.data.rows(roles.designation_types) if roles and roles.designation_types else []
        type_names = {t["id"]: t["name"] for t in types}
        wanted = [c for c in columns if c != "city"] or list(type_names)
        for c in wanted:
            if c not in type_names:
                where = self.project.tables[roles.designation_types].file if types else "the designation types"
                self.problems.append(Problem(doc.pos(path + ("columns",)), dotted(path + ("columns",)),
                                             f"'{c}' is not a designation id in {where}"))
        cities = [r["id"] for r in self.data.rows(roles.cities)] if roles else []
        cells: dict[str, dict[str, str]] = {}
        for r in rows:
            mark = r.get("site") or r.get("target_market") or "√"
            cells.setdefault(r["city"], {})[r["designation"]] = mark
        order = [c for c in cities if c in cells] + [c for c in cells if c not in cities]
        header = (columns.get("city", "城市"),) + tuple(columns.get(c) or type_names.get(c, c) for c in wanted)
        body = tuple((self.data.city_names.get(c, c),) + tuple(cells[c].get(t, "") for t in wanted) for c in order)
        return header, body, tuple(False for _ in header)

    # -- per-city excerpts
    def _with_wording(self, edition: Edition, profile: CityProfile | None) -> Edition:
        """The edition's ``wording:`` (or the defaults of pipeline/wording.py) rendered, and its ``lists``."""
        from dataclasses import replace

        from ..wording import LISTS, WORDING

        ed = self.project.edition
        given = ed.data.get("wording") or {}
        if profile is not None:
            self.context.update(city=profile.name, designations=len(profile.designations))
        self.context["edition"].setdefault("guidance", "")
        wording = {}
        for key, (default, _) in WORDING.items():
            if profile is None and key.startswith(("excerpt_", "profile_")):
                wording[key] = ""         # a city's words: only in its excerpt
                continue
            path = ("wording", key) if key in given else ("title",)
            source = given.get(key, default)
            wording[key] = self.plain(source, ed, path) if source else ""
        lists = tuple(ed.data["lists"]) if "lists" in ed.data else LISTS
        return replace(edition, wording=wording, lists=lists)

    def _excerpt_edition(self, edition: Edition) -> tuple[Edition, CityProfile]:
        """The cover and running header name the city: …白皮书 · 大连摘编 (wording ``excerpt_tag``)."""
        from dataclasses import replace

        from ..cities import city_profiles
        from ..wording import WORDING

        profile = city_profiles(self.project)[self.city]
        self.context.update(city=profile.name, designations=len(profile.designations))
        ed = self.project.edition
        given = (ed.data.get("wording") or {}).get("excerpt_tag")
        tag = self.plain(given or WORDING["excerpt_tag"][0], ed, ("wording", "excerpt_tag") if given else ("title",))
        subtitle = f"{edition.subtitle}\u3000{tag}" if edition.subtitle else tag
        return replace(edition, subtitle=subtitle, short_title=f"{edition.short_title} · {tag}"), profile

    def _excerpt_blocks(self, blocks: list, origins: list, doc: YamlDoc) -> list:
        """What of a chapter goes into the city's excerpt (chapter ``excerpt`` key, then each block's).

        ``full`` keeps the chapter (its blocks default to ``always``), ``none``
        drops it, ``city`` (the default) keeps only blocks about the city: a
        paragraph that names it, a table reduced to its rows, a chart that
        shows it among its peers (highlighted).  A heading under ``city``
        stays when something of its section stays.
        """
        mode = doc.data.get("excerpt", "city")
        if mode == "none":
            return []
        default = "always" if mode == "full" else "city"
        name = self.data.city_names[self.city]
        decided: list[tuple[Any, str, Any]] = []
        for block, (spec, path) in zip(blocks, origins):
            rule = spec.get("excerpt", default) if isinstance(spec, dict) else default
            kept = None
            if rule == "always":
                kept = block
            elif rule == "city":
                if isinstance(block, Paragraph):
                    kept = block if name in block.text else None
                elif isinstance(block, ListBlock):
                    kept = block if any(name in item.text for item in block.items) else None
                elif isinstance(block, Figure):
                    kept = block if block.chart.highlight else None
                elif isinstance(block, TableBlock):
                    kept = self.table(spec, doc, path, block.number, city_rows_only=True)
                elif isinstance(block, Heading):
                    kept = block   # decided below, by its section
            decided.append((block, rule, kept))
        out = []
        for i, (block, rule, kept) in enumerate(decided):
            if kept is None:
                continue
            if isinstance(block, Heading) and rule == "city":
                section = []
                for later, _, later_kept in decided[i + 1:]:
                    if isinstance(later, Heading) and later.level <= block.level:
                        break
                    if not isinstance(later, Heading):
                        section.append(later_kept)
                if not any(k is not None for k in section):
                    continue
            out.append(kept)
        if all(isinstance(b, Heading) for b in out):
            return []
        return out

    # -- images
    def image(self, spec: dict, doc: YamlDoc, path: tuple, number: str) -> ImageFigure | None:
        from .images import ImageProblem, read_image

        title = self.title(spec["title"], doc, path + ("title",))
        try:
            found = read_image(self.project.root, spec["file"])
        except ImageProblem as e:
            self.problems.append(Problem(doc.pos(path + ("file",)), dotted(path + ("file",)), str(e)))
            return None
        return ImageFigure(spec["id"], number, title, spec.get("source") or "", found.path, found.kind,
                           found.width, found.height, doc.pos(path), notes=self.notes(spec, doc, path),
                           requested_width=spec.get("width") or "")

    def logo(self, ed: YamlDoc) -> ImageFigure | None:
        from .images import ImageProblem, read_image

        spec = ed.data.get("logo")
        if not spec:
            return None
        try:
            found = read_image(self.project.root, spec["file"])
        except ImageProblem as e:
            self.problems.append(Problem(ed.pos(("logo", "file")), "logo.file", str(e)))
            return None
        return ImageFigure("logo", "", "", "", found.path, found.kind, found.width, found.height,
                           ed.pos(("logo",)), requested_width=spec.get("width") or "30mm")

    # -- cross-references and footnotes, once the blocks are final
    def _expand_references(self, chapters: list[tuple[ResolvedChapter, YamlDoc]]) -> list[ResolvedChapter]:
        """Markers left by ref() and footnote() become links, page numbers and footnote marks.

        In a per-city excerpt a reference to a block left out prints the full
        edition's number without a link (and without its page number), or is an
        error when the referring chapter says ``excerpt_refs: error``.
        """
        from dataclasses import replace

        from ..model import chapter_key, heading_key

        present: set[str] = set()
        for chapter, _ in chapters:
            present.add(chapter_key(chapter.number))
            for b in chapter.blocks:
                if isinstance(b, (Figure, ImageFigure)):
                    present.add(f"fig-{b.id}")
                elif isinstance(b, TableBlock):
                    present.add(f"tab-{b.id}")
                elif isinstance(b, Heading):
                    present.add(heading_key(chapter.number, b.number))
        by_key = {t.key: t for t in self.numbering.targets.values()}

        def finish(para: Paragraph, doc: YamlDoc) -> Paragraph:
            strict = doc.data.get("excerpt_refs", "plain") == "error"

            def unresolved(key: str) -> None:
                if strict and self.city is not None:
                    target = by_key[key]
                    self.problems.append(Problem(para.pos, dotted(self._path_of(doc, para)),
                                                 f"ref('{target.id}'): {target.label} is not in the "
                                                 f"excerpt for {self.data.city_names[self.city]} "
                                                 "(the chapter says excerpt_refs: error)"))

            def note_runs(index: int) -> Footnote:
                runs = self.text_runs(self.writing.notes[index], doc, para)
                runs, _ = expand_runs(runs, present, note_runs, unresolved)
                return Footnote(self._internal_links(runs, para, doc, present), para.pos)

            runs, notes = expand_runs(para.runs, present, note_runs, unresolved)
            return replace(para, runs=self._internal_links(runs, para, doc, present), notes=notes)

        out = []
        for chapter, doc in chapters:
            blocks = []
            for b in chapter.blocks:
                if isinstance(b, Paragraph):
                    b = finish(b, doc)
                elif isinstance(b, ListBlock):
                    b = replace(b, items=tuple(finish(item, doc) for item in b.items))
                blocks.append(b)
            out.append(replace(chapter, blocks=tuple(blocks)))
        return out

    def text_runs(self, markup: str, doc: YamlDoc, para: Paragraph) -> tuple[TextRun, ...]:
        try:
            return parse_runs(normalize_text(markup))
        except _MarkupError as e:
            self.problems.append(Problem(para.pos, "footnote", str(e)))
            return ()

    def _internal_links(self, runs: tuple[TextRun, ...], para: Paragraph, doc: YamlDoc,
                        present: set[str]) -> tuple[TextRun, ...]:
        """``<a href="#id">`` written in the text: the id of a figure, table, chapter or heading."""
        from dataclasses import replace

        from ..load import did_you_mean

        keys = {t.key for t in self.numbering.targets.values()}
        out = []
        for run in runs:
            if run.link and run.link.startswith("#") and run.link[1:] not in keys:
                wanted = run.link[1:]
                target = self.numbering.targets.get(wanted)
                if target is None:
                    path = self._path_of(doc, para)
                    self.problems.append(Problem(doc.locate(path, f"#{wanted}"), dotted(path),
                                                 f"link to '#{wanted}': no figure, table, chapter or heading has "
                                                 f"this id{did_you_mean(wanted, self.numbering.targets)}"))
                    run = replace(run, link=None)
                else:
                    run = replace(run, link=f"#{target.key}" if target.key in present else None)
            out.append(run)
        return tuple(out)

    @staticmethod
    def _path_of(doc: YamlDoc, para: Paragraph) -> tuple:
        """The key path of the value at the paragraph's position (to locate a word inside it)."""
        for path, pos in doc.positions.items():
            if pos == para.pos:
                return path
        return ()

    def _row_concerns_city(self, row: dict) -> bool:
        """A data row is about the city when its ``city`` is it or its ``cities`` list (a;b;c) names it."""
        if str(row.get("city") or "") == self.city:
            return True
        return self.city in str(row.get("cities") or "").split(";")

    # -- consistency rules declared beside the data
    def check_rules(self) -> None:
        for rule in self.project.rules:
            key = None
            if self.cache is not None:
                key = self.cache.key("rule", repr(self.context), rule.check)
                if self.cache.get(key) is not None:
                    continue   # held with the same data before
            import jinja2

            from .templates import _compile_expression

            self.data.trace = []
            self.env.new_budget()
            failure: Exception | None = None
            try:
                expression = _compile_expression(self.env, rule.check)   # compiled once per process
                ok = bool(expression(**self.context))   # bool() here: an undefined result raises inside the try
            except (jinja2.TemplateSyntaxError, BudgetError, TemplateDataError, NumberError, jinja2.TemplateError,
                    TypeError, ValueError, ArithmeticError, AttributeError, LookupError, RuntimeError,
                    NameError) as e:
                failure = e
            finally:
                used, self.data.trace = self.data.trace, None
            if failure is None and ok:
                if key is not None:
                    self.cache.put(key, "")
                continue
            name = self._rule_name(rule)   # only a rule reported needs its name
            if isinstance(failure, jinja2.TemplateSyntaxError):
                self.problems.append(Problem(rule.pos, "check", f"rule '{name}': syntax error: {failure.message}"))
            elif isinstance(failure, BudgetError):
                self.problems.append(Problem(rule.pos, "check", f"rule '{name}' too costly: {failure}"))
            elif failure is not None:
                self.problems.append(Problem(rule.pos, "check", f"rule '{name}': {_readable(failure)}"))
            else:
                self.problems.append(Problem(rule.pos, "check", f"consistency rule failed: {name}"
                                                                f" ({self._explain_rule(rule.check)})"
                                                                f"{_rows_used(used)}"))

    def _rule_name(self, rule) -> str:
        """A rule's name is a template too ({{ base_year }} 年…); a broken one is shown as written, so it
        cannot hide the rule's own result."""
        if "{" not in rule.name:
            return rule.name
        from .templates import _from_string

        self.env.new_budget()
        try:
            return _from_string(self.env, rule.name).render(self.context)
        except Exception:  # noqa: BLE001
            return rule.name

    def _explain_rule(self, check: str) -> str:
        """Why a rule is false: the values on each side of the failing comparison; for ``and`` the
        first false part, for ``or`` every part."""
        try:
            tokens = [(kind, value) for _, kind, value in self.env.lex("{{ " + check + " }}")][1:-1]
            return self._explain_tokens(tokens)
        except Exception:  # the rule itself was already evaluated; this is only a hint
            return check

    def _value(self, tokens) -> Any:
        return self.env.compile_expression(_source(tokens), undefined_to_none=False)(**self.context)

    def _explain_tokens(self, tokens) -> str:
        tokens = _unwrap(tokens)
        for word in ("or", "and"):
            parts = _split_top(tokens, lambda kind, value: kind == "name" and value == word)
            if len(parts) > 1:
                if word == "and":
                    failing = next(p for p, _ in parts if not self._value(p))
                    return self._explain_tokens(failing)
                return "; ".join(self._explain_tokens(p) for p, _ in parts)
        if tokens and tokens[0] == ("name", "not"):
            return f"{_source(tokens[1:])} is true"
        compared = _split_top(tokens, lambda kind, value: (kind == "operator" and value in _COMPARISONS)
                              or (kind == "name" and value == "in"))
        if len(compared) == 2:
            (left, op), (right, _) = compared
            return f"{_shown(self._value(left))} {op} {_shown(self._value(right))} is false"
        value = self._value(tokens)
        if isinstance(value, Check):
            return str(value)
        return f"{_source(tokens)} is {_shown(value)}"


_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


def _source(tokens) -> str:
    return "".join(value for _, value in tokens).strip()


def _unwrap(tokens):
    """Drop whitespace at the ends and parentheses around the whole expression."""
    while True:
        tokens = list(tokens)
        while tokens and tokens[0][0] == "whitespace":
            tokens.pop(0)
        while tokens and tokens[-1][0] == "whitespace":
            tokens.pop()
        if len(tokens) >= 2 and tokens[0] == ("operator", "(") and tokens[-1] == ("operator", ")"):
            inner = tokens[1:-1]
            depth = 0
            for kind, value in inner:
                depth += 1 if (kind, value) in _OPEN else -1 if (kind, value) in _CLOSE else 0
                if depth < 0:
                    return tokens   # (a) and (b): the parentheses are not one pair
            tokens = inner
            continue
        return tokens


_OPEN = {("operator", "("), ("operator", "["), ("operator", "{")}
_CLOSE = {("operator", ")"), ("operator", "]"), ("operator", "}")}


def _split_top(tokens, is_separator) -> list[tuple[list, str]]:
    """Split at separators outside brackets: [(part, separator after it), …]."""
    parts, current, depth = [], [], 0
    for kind, value in tokens:
        if (kind, value) in _OPEN:
            depth += 1
        elif (kind, value) in _CLOSE:
            depth -= 1
        if depth == 0 and is_separator(kind, value):
            parts.append((current, value))
            current = []
        else:
            current.append((kind, value))
    parts.append((current, ""))
    return parts


def _shown(value) -> str:
    """A value as a failed rule shows it: numbers by the house rule, long lists shortened."""
    from ..numbers import format_raw

    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return format_raw(value)
    if isinstance(value, (list, tuple)):
        items = [_shown(v) for v in value[:6]]
        return "[" + ", ".join(items) + (", …" if len(value) > 6 else "") + "]"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _rows_used(used: list[tuple[str, int]] | None) -> str:
    """'; rows used: data/market.csv:2-4, 6; data/periods.csv:2' (CSV lines read by the rule)."""
    if not used:
        return ""
    by_file: dict[str, list[int]] = {}
    for file, line in used:
        by_file.setdefault(file, [])
        if line not in by_file[file]:
            by_file[file].append(line)
    shown = []
    for file, lines in by_file.items():
        lines.sort()
        runs, start = [], lines[0]
        for prev, line in zip(lines, lines[1:] + [None]):
            if line != prev + 1:
                runs.append(f"{start}" if start == prev else f"{start}-{prev}")
                start = line
        shown.append(f"{file}:{', '.join(runs)}")
    return f"; rows used: {'; '.join(shown)}"


def _readable(error: Exception) -> str:
    """An exception as a writer can read it: decimal's signals ([<class 'decimal.DivisionByZero'>])
    and Python's type names become words."""
    import decimal

    signals = [(decimal.DivisionByZero, "division by zero"),
               (decimal.Overflow, "a number too large to compute"),
               (decimal.Underflow, "a number too small to compute"),
               (decimal.InvalidOperation, "an impossible calculation (0/0, or a text used as a number)")]
    for signal, words in signals:
        if isinstance(error, signal):
            return words
    if isinstance(error, RecursionError):
        return "a macro calls itself without end"
    if isinstance(error, NameError) and re.search(r"'(nan|inf)'", str(error)):
        return "the expression gives a value that is not a finite number"
    return _our_types(str(error)) or "the expression cannot be evaluated"


def _template_line(pos: SourcePos, source: str, error: Exception | None) -> SourcePos:
    """The block's position, moved down to the template line that failed when the block is
    literal (|) text whose lines are the file's lines."""
    if error is None or not pos.line or "\n" not in source.strip():
        return pos
    lineno = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    if not lineno:
        return pos
    return SourcePos(pos.file, pos.line + lineno - 1)


class Trace:
    """Where each printed value came from, for ``whitepaper diff``: every ``{{ expression }}`` of every
    text is bound to its place (file, key path, expression number, occurrence in a loop) and its output.

    The templates are rewritten to pass each expression's value through :meth:`bind`, which records it
    and returns it unchanged, so a traced document prints exactly what an untraced one does.
    """

    _EXPRESSION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)

    def __init__(self):
        self.bindings: dict[tuple[str, tuple, str], list[tuple[int, str, int, str]]] = {}
        self.texts: dict[tuple[str, tuple, str], tuple[str, SourcePos]] = {}
        self._expressions: list[str] = []
        self._current: tuple[str, tuple, str] = ("", (), "")
        self._seen: dict[int, int] = {}
        self.edition_file = ""

    @property
    def current(self) -> tuple[str, tuple, str]:
        return self._current

    def start(self, file: str, path: tuple, source: str) -> str:
        """Rewrite ``source`` so its expressions report to this trace while it renders at (file, path).

        A text is keyed by its file, key path and source: the edition's words that have no key of their
        own are rendered at the title's position, and must not take the title's place."""
        import hashlib

        self._current = (file, path, hashlib.sha256(source.encode("utf-8")).hexdigest()[:12])
        self.bindings[self._current] = []
        self._seen = {}
        self._expressions = []

        def wrap(m: re.Match) -> str:
            self._expressions.append(" ".join(m.group(2).split()))
            return "{{%s _bind(%d, (%s)) %s}}" % (m.group(1), len(self._expressions) - 1, m.group(2), m.group(3))

        return self._EXPRESSION.sub(wrap, source)

    def bind(self, number: int, value):
        text = str(value)
        occurrence = self._seen.get(number, 0)
        self._seen[number] = occurrence + 1
        self.bindings[self._current].append((number, self._expressions[number], occurrence, text))
        return value


_renders_of: list = [None, {}]   # [a weak reference to the project, its excerpts' shared renders]


def _excerpt_renders(project: Project) -> dict:
    """Texts rendered for one excerpt that another excerpt of the same project may take as they are (a
    batch resolves twenty excerpts whose national chapters render alike), kept for the last project:
    the data, code and versions behind them are the process's own."""
    if _renders_of[0] is None or _renders_of[0]() is not project:
        _renders_of[:] = [weakref.ref(project), {}]
    renders = _renders_of[1]
    if len(renders) > 50_000:   # a bound for a long watch session
        renders.clear()
    return renders


def resolve_traced(project: Project, epoch: int) -> tuple[ResolvedDocument, Trace]:
    """The full edition, with the :class:`Trace` of where each printed value came from."""
    trace = Trace()
    return _Resolver(project, None, trace).document(epoch), trace


def resolve_document(project: Project, epoch: int, city: str | None = None, rules: bool = True,
                     cache_dir: Path | None = None) -> ResolvedDocument:
    """The full edition, or with ``city`` (an id or name from the declared cities table) that city's excerpt.
    ``rules=False`` skips the consistency rules: for an excerpt resolved after the edition was checked on
    the same data (a rule sees the data, not the city; each excerpt of a batch would check them again).

    An unknown city raises :class:`~pipeline.model.UsageError` listing the known ones.  With
    ``cache_dir``, texts rendered by earlier builds from the same sources and data are reused
    (pipeline/resolve/rendercache.py).
    """
    if city is not None:
        from ..cities import find_city

        city = find_city(project, city)
    resolver = _Resolver(project, city)
    if cache_dir is None:
        return resolver.document(epoch, rules)
    targets = [(t.id, t.key, t.label) for t in resolver.numbering.targets.values()]
    resolver.cache = open_render_cache(cache_dir, project, city, epoch, targets)
    try:
        document = resolver.document(epoch, rules)
    except ContentError:
        resolver.cache.save()   # the texts that did render: fixing the mistake re-renders only it
        raise
    resolver.cache.save()
    return document
