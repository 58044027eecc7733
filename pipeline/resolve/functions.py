"""What templates see of the project without Jinja2: the data functions (q, row, rows, pct …) over its
tables, approx() and its verdict, the budgets' limits, and plain texts (no template syntax) as Jinja2
would print them.  A build whose every template is in the render cache (rendercache.py) needs nothing
more, so it does not import Jinja2 (templates.py, the sandbox, does)."""
from __future__ import annotations

import re
from decimal import Decimal

from ..model import DataTable, Project
from ..numbers import (
    NumberError,
    NumberFormat,
    format_raw,
    growth_of,
    percent_of,
    to_decimal,
)
from .quantities import Quantity, Row, TemplateDataError


class _Data:
    """The template functions over the project's tables."""

    def __init__(self, project: Project, percent_decimals: int, thousands: str = ""):
        self.tables = project.tables
        self.percent_decimals = percent_decimals
        self.thousands = thousands
        from ..cities import city_tables

        roles = city_tables(project)
        cities = project.tables[roles.cities] if roles else None
        self.city_names = {r["id"]: r["name"] for r in cities.rows} if cities else {}
        self.cities_file = cities.file if cities else "the data dictionary's cities: table"
        self.periods = dict(project.periods)
        # while a rule is checked: the (file, line) of every CSV row it read, its evidence
        self.trace: list[tuple[str, int]] | None = None

    def column_format(self, table: DataTable, column: str, row: dict | None = None) -> NumberFormat:
        """How a column's numbers print, as data/tables.yaml declares it; the unit defaults to the
        row's ``unit`` cell when the table has that column."""
        field = table.fields.get(column) or {}
        unit = field.get("unit")
        if unit is None and row is not None and "unit" in table.columns and column != "unit":
            unit = row.get("unit") or ""
        return NumberFormat(unit=str(unit or ""), decimals=field.get("decimals"), scale=field.get("scale", ""),
                            percent=bool(field.get("percent")), thousands=self.thousands)

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
        where = {c: self.period_value(t, c, v) for c, v in where.items()}
        found = [(r, line) for r, line in zip(t.rows, t.lines)
                 if all(_matches(r.get(c), v) for c, v in where.items())]
        if self.trace is not None:
            self.trace.extend((t.file, line) for _, line in found)
        out = [Row(r) for r, _ in found]
        if "order" in t.columns:
            out.sort(key=lambda r: (r["order"] is None, r["order"] if r["order"] is not None else 0))
        return out

    def period_value(self, t: DataTable, column: str, wanted):
        """A selection may name the edition's periods instead of years: ``year='base'`` is the base year,
        ``year='base..forecast'`` every year from the one to the other; lists may mix both."""
        if isinstance(wanted, (list, tuple)):
            out = []
            for w in wanted:
                value = self.period_value(t, column, w)
                out.extend(value if isinstance(value, list) else [value])
            return out
        if not isinstance(wanted, str) or t.columns.get(column) != "integer":
            return wanted
        text = wanted.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if ".." in text:
            first, _, last = (part.strip() for part in text.partition(".."))
            start, end = self._period_year(first, wanted), self._period_year(last, wanted)
            if start > end:
                raise TemplateDataError(f"the period range '{wanted}' runs backwards ({start} to {end})",
                                        needle=wanted)
            return list(range(start, end + 1))
        return self._period_year(text, wanted)

    def _period_year(self, name: str, wanted: str) -> int:
        if re.fullmatch(r"[+-]?\d+", name):
            return int(name)
        if name in self.periods:
            return self.periods[name]
        from ..load import did_you_mean

        known = ", ".join(f"{k} ({v})" for k, v in self.periods.items()) or "none"
        raise TemplateDataError(f"'{name}' is not a period of this edition{did_you_mean(name, self.periods)}; "
                                f"its periods: {known}", needle=wanted)

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
        """The one matching row's ``value`` as a quantity, printed as the column's format says."""
        r = self.row(table, **where)
        t = self._table(table)
        line = next((ln for row, ln in zip(t.rows, t.lines) if row == r), 0)
        if "value" not in r or r["value"] is None:
            raise TemplateDataError(f"the matching row, {t.file}:{line}, has an empty 'value' cell")
        if isinstance(r["value"], str):
            raise TemplateDataError(f"column 'value' of {t.file} is not declared as a number in data/tables.yaml")
        return Quantity(r["value"], self.column_format(t, "value", r), sources=((t.file, line),))

    def _decimals(self, decimals) -> int:
        if decimals is None:
            return self.percent_decimals
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
            raise TemplateDataError(f"decimals must be a whole number from 0 to 6; got {format_raw(decimals)}")
        return decimals

    def pct(self, part, whole, decimals=None) -> Quantity:
        """part as a percentage of whole: 15.0% (rounded half up to percent_decimals)."""
        return percent_of(part, whole, self._decimals(decimals))

    def growth(self, old, new, decimals=None) -> Quantity:
        """The growth rate from old to new, in percent: 84.2% (negative when it fell)."""
        return growth_of(old, new, self._decimals(decimals))

    def points(self, old, new) -> Quantity:
        """new − old of two percentages, in 个百分点."""
        if not (isinstance(old, Quantity) and old.fmt.percent and isinstance(new, Quantity) and new.fmt.percent):
            raise TemplateDataError("points() compares two percentages, such as pct() or growth() values")
        return new - old

    def names(self, rows) -> list[str]:
        out = []
        for r in rows:
            city = r.get("city") if isinstance(r, dict) else r
            if city not in self.city_names:
                raise TemplateDataError(f"unknown city id '{city}' (not in {self.cities_file})")
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
    names = {"Row": "the data row", "Quantity": "the number", "_Data": "the data", "Check": "the check"}
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


class Check:
    """The verdict of approx(): true or false, and in words why (shown when a rule fails)."""

    def __init__(self, ok: bool, explanation: str):
        self.ok, self.explanation = ok, explanation

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.explanation


def approx(a, b, tol) -> Check:
    """a and b differ by at most tol (all in the same unit; tol may be a bare number)."""
    difference = abs(a - b) if isinstance(a, Quantity) else abs(Quantity(a) - b)
    tolerance = to_decimal(tol)
    if isinstance(tol, Quantity) and isinstance(a, Quantity):
        a._same_unit(tol, "compare")
    ok = to_decimal(difference) <= tolerance
    return Check(ok, f"{a} and {b} differ by {difference}, {'within' if ok else 'more than'} "
                     f"the tolerance {format_raw(tol) if not isinstance(tol, Quantity) else tol}")


def _checked(name: str, fn):
    """fn as a template calls it: a wrong number or kind of argument is one line naming the function
    (never a Python signature)."""
    import functools
    import inspect

    signature = inspect.signature(fn)
    params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    shown = ", ".join(p.name if p.default is p.empty else f"{p.name}={format_raw(p.default) if p.default is not None else '…'}"
                      for p in params)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        shown += ", column=value, …"
    literal = f"{name}("

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError:
            raise TemplateDataError(f"{name}({shown}) was called with {_describe_call(args, kwargs, params)}",
                                    literal=literal) from None
        try:
            return fn(*args, **kwargs)
        except NumberError as e:
            raise TemplateDataError(f"{name}(): {e}", literal=literal) from None
        except TemplateDataError as e:
            if e.needle is None and e.literal is None:
                e.literal = literal
            raise

    return call


def _describe_call(args, kwargs, params) -> str:
    allowed = {p.name for p in params}
    unknown = [k for k in kwargs if k not in allowed]
    if unknown and len(params) == len(allowed):
        return f"an unknown argument '{unknown[0]}'"
    n = len(args)
    return f"{n} argument{'s' if n != 1 else ''}"


# ---------------------------------------------------------------- budgets
#
# A template or rule is text from the project; it must not be able to hang or exhaust a build.
# Each limit is generous for a whitepaper and tiny for an attack; exceeding one is a BudgetError,
# reported at the block's file:line.

MAX_STEPS = 100_000        # loop iterations plus calls, per block or rule
MAX_TEXT = 100_000         # characters of any string made, and of a block's rendered text
MAX_ITEMS = 100_000        # items of any list made by * or +
MAX_INT_DIGITS = 100       # digits of any whole number computed
MAX_WIDTH = 1_000          # a format field's width or precision, a padding width


class BudgetError(Exception):
    """A template or rule went over one of the limits above."""



# Jinja2's line breaks (jinja2.lexer.newline_re): what its lexer turns into a line feed
_NEWLINE = re.compile(r"(\r\n|\r|\n)")


def is_plain_text(source: str) -> bool:
    """No {{ … }}, {% … %} or {# … #} (the environment's delimiters): Jinja2 would print the text
    as it is, so it need not be compiled (most paragraphs hold no data)."""
    return "{{" not in source and "{%" not in source and "{#" not in source


def render_plain(source: str) -> str:
    """What the sandbox's render_text gives for a source without template syntax (see
    :func:`is_plain_text`), without compiling it: the text with every line break made a line feed
    and one final line break dropped, as Jinja2's lexer does (keep_trailing_newline=False)."""
    lines = _NEWLINE.split(source)[::2]
    if lines[-1] == "":
        del lines[-1]
    text = "\n".join(lines)
    if len(text) > MAX_TEXT:
        raise BudgetError(f"the block renders to more than {MAX_TEXT:,} characters")
    return text
