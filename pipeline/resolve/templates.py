"""The Jinja2 sandbox in which chapters and rules are rendered (the data functions it offers are in
functions.py, which a build needs even when every text comes from the render cache)."""
from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, SandboxedFormatter

from ..numbers import change_words, format_raw, ratio
from .quantities import Quantity, TemplateDataError, cn_numeral
from .functions import (  # noqa: F401 - the sandbox's functions; also importable from here
    MAX_INT_DIGITS,
    MAX_ITEMS,
    MAX_STEPS,
    MAX_TEXT,
    MAX_WIDTH,
    BudgetError,
    Check,
    Row,
    _checked,
    _Data,
    _date,
    _describe_call,
    _matches,
    _our_types,
    _quoted_name,
    approx,
    is_plain_text,
    render_plain,
)


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
        return render_plain(source)

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
_names: dict[str, frozenset | None] = {}


def referenced_names(env: SandboxedEnvironment, source: str) -> frozenset | None:
    """The names a template looks up (context variables and globals), kept per process; None when it
    does not parse (its render reports the error)."""
    known = _names.get(source, False)
    if known is False:
        from jinja2 import meta

        try:
            known = frozenset(meta.find_undeclared_variables(env.parse(source)))
        except jinja2.TemplateSyntaxError:
            known = None
        _names[source] = known
    return known


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
