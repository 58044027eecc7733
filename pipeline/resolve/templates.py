"""The Jinja2 sandbox in which chapters and rules are rendered, and the data helpers it offers."""
from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.lexer import newline_re
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, SandboxedFormatter

from ..model import DataTable, Project
from ..numbers import (
    NumberError,
    NumberFormat,
    change_words,
    format_raw,
    growth_of,
    percent_of,
    ratio,
    to_decimal,
)
from .quantities import Quantity, TemplateDataError, cn_numeral


class Row(dict):
    """A data row; templates read cells as attributes (row.year) or items (row['year'])."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


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


class _Budget:
    def __init__(self):
        self.steps = 0

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise BudgetError(f"more than {MAX_STEPS:,} loop iterations and calls; simplify the template")


def _check_text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise BudgetError(f"a text of more than {MAX_TEXT:,} characters")
    if isinstance(value, (list, tuple)) and len(value) > MAX_ITEMS:
        raise BudgetError(f"a list of more than {MAX_ITEMS:,} items")
    if isinstance(value, int) and not isinstance(value, bool) and _int_digits(value) > MAX_INT_DIGITS:
        raise BudgetError(f"a whole number of more than {MAX_INT_DIGITS} digits")
    return value


def _int_digits(n: int) -> int:
    return max(1, math.ceil(abs(n).bit_length() * math.log10(2)))


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _size(x) -> int:
    return len(x) if isinstance(x, (str, list, tuple)) else 0


_SPEC_NUMBERS = re.compile(r"\d+")


def _check_spec(spec: str) -> None:
    """A str.format spec ('x>100000000', '.500f'): its width and precision are bounded."""
    for number in _SPEC_NUMBERS.findall(spec or ""):
        if len(number) > 4 or int(number) > MAX_WIDTH:
            raise BudgetError(f"a format width or precision of {number} (at most {MAX_WIDTH})")


_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?[hlL]?[diouxXeEfFgGcrsa%]")


def _check_percent_format(template: str) -> None:
    """A printf-style format ('%0100000000d'): widths and precisions bounded, no '*'."""
    for width, precision in _PERCENT_FIELD.findall(template):
        for number in (width, precision):
            if number == "*":
                raise BudgetError("a '*' width in a % format; write the width out")
            if number and (len(number) > 4 or int(number) > MAX_WIDTH):
                raise BudgetError(f"a format width or precision of {number} (at most {MAX_WIDTH})")


class _BudgetFormatter(SandboxedFormatter):
    def format_field(self, value, format_spec):
        _check_spec(format_spec)
        return _check_text(super().format_field(value, format_spec))


_PADDING_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox (no list.append, dict.update … on shared data) with budgets:
    the operators that can blow up (**, *, %, +) are intercepted, loops and calls counted,
    format widths and padding bounded."""

    intercepted_binops = frozenset(["**", "*", "%", "+", "//", "/"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.budget = _Budget()
        self.globals["range"] = self._range
        self.globals["_wp_counted"] = self._counted
        self.globals["_wp_concat"] = self._concat
        self.filters.update(format=self._format_filter, center=self._center_filter,
                            indent=self._indent_filter, replace=self._replace_filter)

    def new_budget(self) -> None:
        self.budget = _Budget()

    # -- the syntax tree: every for loop counts its iterations, every ~ checks its length
    def _generate(self, source, name, filename, defer_init=False):
        for loop in list(source.find_all(nodes.For)):
            loop.iter = nodes.Call(nodes.Name("_wp_counted", "load"), [loop.iter], [], None, None,
                                   lineno=loop.lineno)
        for concat in list(source.find_all(nodes.Concat)):
            parts = concat.nodes
            concat.nodes = [nodes.Call(nodes.Name("_wp_concat", "load"), parts, [], None, None,
                                       lineno=concat.lineno)]
        return super()._generate(source, name, filename, defer_init)

    def _counted(self, iterable):
        for item in iterable:
            self.budget.step()
            yield item

    def _concat(self, *parts):
        total = sum(len(p) if isinstance(p, str) else 0 for p in parts)
        if total > MAX_TEXT:
            raise BudgetError(f"a text of more than {MAX_TEXT:,} characters")
        return "".join(str(p) for p in parts)

    def _range(self, *args):
        if not all(_is_int(a) for a in args):
            raise TypeError("range() takes whole numbers")
        r = range(*args)
        if len(r) > MAX_STEPS:
            raise BudgetError(f"range() of {len(r):,} numbers (at most {MAX_STEPS:,})")
        return self._counted(r)

    # -- operators
    def call_binop(self, context, operator, left, right):
        if operator == "**":
            self._check_power(left, right)
        elif operator == "*":
            self._check_repeat(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        elif operator == "+" and _size(left) + _size(right) > max(MAX_TEXT, MAX_ITEMS):
            raise BudgetError(f"a text or list of more than {MAX_TEXT:,} characters or items")
        try:
            result = self.binop_table[operator](left, right)
        except OverflowError:
            raise BudgetError(f"a number too large to compute ({operator})") from None
        return _check_text(result)

    @staticmethod
    def _check_power(base, exponent) -> None:
        if isinstance(exponent, (int, float, Decimal)) and not isinstance(exponent, bool):
            if abs(exponent) > 10_000:
                raise BudgetError(f"an exponent of {exponent} (at most 10,000)")
        if _is_int(base) and _is_int(exponent) and exponent > 0 and base not in (0, 1, -1):
            if exponent * math.log10(abs(base)) > MAX_INT_DIGITS:
                raise BudgetError(f"a whole number of more than {MAX_INT_DIGITS} digits ({base} ** {exponent})")

    @staticmethod
    def _check_repeat(left, right) -> None:
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and _is_int(times):
                if len(seq) * times > max(MAX_TEXT, MAX_ITEMS):
                    raise BudgetError(f"repeating a text or list {times:,} times makes more than "
                                      f"{MAX_TEXT:,} characters or items")
        if _is_int(left) and _is_int(right) and _int_digits(left) + _int_digits(right) > MAX_INT_DIGITS + 1:
            raise BudgetError(f"a whole number of more than {MAX_INT_DIGITS} digits")

    # -- calls (macros, functions, methods) and the string methods that allocate by argument
    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 — Jinja2's own signature
        __self.budget.step()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            name = getattr(__obj, "__name__", "")
            if name in _PADDING_METHODS:
                for a in list(args) + list(kwargs.values()):
                    if _is_int(a) and a > MAX_WIDTH:
                        raise BudgetError(f"{name}() to a width of {a} (at most {MAX_WIDTH})")
            elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
                _check_replace(owner, args[0], args[1])
            elif name == "join" and args:
                items = list(args[0])
                __self.budget.step(len(items))
                if len(owner) * len(items) + sum(_size(i) for i in items) > MAX_TEXT:
                    raise BudgetError(f"a text of more than {MAX_TEXT:,} characters")
                args = (items,) + args[1:]
        return _check_text(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value):
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        formatter = _BudgetFormatter(self)
        f_self = value.__self__

        def checked(*args, **kwargs):
            if value.__name__ == "format_map":
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes one mapping")
                args, kwargs = (), args[0]
            return _check_text(formatter.vformat(f_self, args, kwargs))

        return checked

    # -- filters that allocate by argument
    @staticmethod
    def _format_filter(value, *args, **kwargs):
        _check_percent_format(str(value))
        return _check_text(jinja2.filters.do_format(value, *args, **kwargs))

    @staticmethod
    def _center_filter(value, width=80):
        if _is_int(width) and width > MAX_WIDTH:
            raise BudgetError(f"center to a width of {width} (at most {MAX_WIDTH})")
        return jinja2.filters.do_center(value, width)

    @staticmethod
    def _indent_filter(value, width=4, first=False, blank=False):
        if _is_int(width) and width > MAX_WIDTH or isinstance(width, str) and len(width) > MAX_WIDTH:
            raise BudgetError(f"indent by {width} (at most {MAX_WIDTH})")
        return _check_text(jinja2.filters.do_indent(value, width, first, blank))

    @staticmethod
    @jinja2.pass_eval_context
    def _replace_filter(eval_ctx, value, old, new, count=None):
        _check_replace(str(value), str(old), str(new))
        return jinja2.filters.do_replace(eval_ctx, value, old, new, count)

    def render_plain(self, source: str) -> str:
        """What :meth:`render_text` gives for a source without template syntax (see
        :func:`is_plain_text`), without compiling it: the text with every line break made a line feed
        and one final line break dropped, as Jinja2's lexer does (keep_trailing_newline=False)."""
        lines = newline_re.split(source)[::2]
        if lines[-1] == "":
            del lines[-1]
        text = "\n".join(lines)
        if len(text) > MAX_TEXT:
            raise BudgetError(f"the block renders to more than {MAX_TEXT:,} characters")
        return text

    def render_text(self, template: jinja2.Template, context: dict) -> str:
        """Render with a fresh budget, stopping as soon as the text passes MAX_TEXT."""
        self.new_budget()
        out, length = [], 0
        for chunk in template.generate(context):
            length += len(chunk)
            if length > MAX_TEXT:
                raise BudgetError(f"the block renders to more than {MAX_TEXT:,} characters")
            out.append(chunk)
        return "".join(out)


def is_plain_text(source: str) -> bool:
    """No {{ … }}, {% … %} or {# … #} (the environment's delimiters): Jinja2 would print the text
    as it is, so it need not be compiled (most paragraphs hold no data)."""
    return "{{" not in source and "{%" not in source and "{#" not in source


def _check_replace(text: str, old: str, new: str) -> None:
    count = len(text) + 1 if old == "" else text.count(old)
    if len(text) + count * (len(new) - len(old)) > MAX_TEXT:
        raise BudgetError(f"replace() making a text of more than {MAX_TEXT:,} characters")


def _finalize(value):
    """What {{ … }} prints: text or a finite number, never NaN, infinity or a Python object's repr.
    Numbers nobody formatted are rounded by the house rule (never 0.30000000000000004) and get a
    true minus sign."""
    if isinstance(value, jinja2.Undefined):
        return value    # printing it raises the 'x is undefined' error, with the name
    if isinstance(value, Quantity):
        number = value.value
    elif isinstance(value, (str, int, float, Decimal)):
        number = value
    elif isinstance(value, Check):
        return value
    elif isinstance(value, (list, tuple)):
        raise TemplateDataError("the expression gives a list, not text; join it, e.g. {{ names(…)|join('、') }}")
    elif isinstance(value, dict):
        raise TemplateDataError("the expression gives a whole data row, not text; pick a cell, e.g. row.value")
    elif value is None:
        raise TemplateDataError("the expression gives nothing (none)")
    else:
        raise TemplateDataError("the expression gives a template object, not text or a number")
    if isinstance(number, float) and not math.isfinite(number) or isinstance(number, Decimal) and not number.is_finite():
        raise TemplateDataError(f"the expression gives {number}, not a finite number")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return format_raw(value)
    return value


def make_environment(data: _Data) -> _Sandbox:
    env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False,
                   finalize=_finalize)
    env.filters["cn"] = cn_numeral
    env.filters["change"] = change_words
    functions = dict(q=data.q, row=data.row, rows=data.rows, pct=data.pct, share=data.pct, growth=data.growth,
                     points=data.points, change=change_words, ratio=ratio, approx=approx,
                     names=data.names, date=_date)
    env.globals.update({name: _checked(name, fn) for name, fn in functions.items()})
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


def _compile_expression(env: SandboxedEnvironment, source: str):
    """env.compile_expression(source, undefined_to_none=False) with the compiled code kept per
    process, like _from_string (the same steps as Jinja2's own compile_expression)."""
    from jinja2 import nodes
    from jinja2.environment import TemplateExpression
    from jinja2.parser import Parser

    key = (type(env), "\0expression", source)
    code = _compiled.get(key)
    if code is None:
        parser = Parser(env, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            raise jinja2.TemplateSyntaxError("chunk after expression", parser.stream.current.lineno, None, None)
        expr.set_environment(env)
        body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
        code = _compiled[key] = env.compile(nodes.Template(body, lineno=1))
    return TemplateExpression(env.template_class.from_code(env, code, env.make_globals(None)), False)
