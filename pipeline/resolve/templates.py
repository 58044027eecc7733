"""The Jinja2 sandbox in which chapters and rules are rendered, and the data helpers it offers."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..model import DataTable, Project
from .quantities import Quantity, TemplateDataError, _number, cn_numeral


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
            from ..load import did_you_mean

            raise TemplateDataError(f"no table '{name}' in data/tables.yaml{did_you_mean(str(name), self.tables)}",
                                    needle=str(name))
        return self.tables[name]

    def _lines(self, table: str, found: list) -> list[int]:
        """The CSV line numbers of rows returned by :meth:`rows`."""
        t = self._table(table)
        return [line for r, line in zip(t.rows, t.lines) if any(r == f for f in found)]

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
            lines = ", ".join(map(str, self._lines(table, found)))
            raise TemplateDataError(f"{len(found)} rows of {self._table(table).file} match {shown} "
                                    f"(lines {lines}); expected one")
        return found[0]

    def q(self, table: str, **where) -> Quantity:
        r = self.row(table, **where)
        if "value" not in r or r["value"] is None:
            where_ = "".join(f":{line}" for line in self._lines(table, [r])[:1])
            raise TemplateDataError(f"the matching row, {self._table(table).file}{where_}, has an empty 'value' cell")
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


def _our_types(message: str | None) -> str:
    """Jinja2 names Python classes ('pipeline.resolve.Row object'); say what they are to a writer."""
    names = {"Row": "the data row", "Quantity": "the number", "_Data": "the data"}
    return re.sub(r"'pipeline\.(?:\w+\.)*(\w+) object'", lambda m: names.get(m.group(1), m.group(1)), message or "")


def _quoted_name(message: str | None) -> str | None:
    """The name a Jinja2 message quotes first: 'base_yaer' is undefined, attribute '__class__' of …"""
    m = re.search(r"'([A-Za-z_]\w*)'", message or "")
    return m.group(1) if m else None


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


_compiled: dict[tuple[type, str], Any] = {}


def _from_string(env: SandboxedEnvironment, source: str) -> jinja2.Template:
    """env.from_string with the compiled code kept per process: a batch of city excerpts
    renders the same templates once per city, and compiling is most of the cost."""
    key = (type(env), source)
    code = _compiled.get(key)
    if code is None:
        code = _compiled[key] = env.compile(source)   # raises TemplateSyntaxError as from_string does
    return env.template_class.from_code(env, code, env.make_globals(None))
