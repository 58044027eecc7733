"""The number model: quantities with a unit and a declared print format, and the one formatter.

Stage-neutral and stdlib only: resolve prints text and table cells with it, the chart stage
prints its labels and axes with it, so a datum reads the same everywhere (docs/numbers.md).

* A :class:`NumberFormat` is declared once per column in ``data/tables.yaml`` (``unit``,
  ``decimals``, ``scale`` 万/亿, ``percent``); without ``decimals`` a value prints as the CSV
  wrote it (``152``, ``90.4``).
* Rounding is half up everywhere (never Python's half-even); negatives get a true minus
  sign (−); ``%`` follows the number without a space.
* A computed value with no declared decimals (a ratio, a raw float in a template) is rounded
  to :data:`COMPUTED_DECIMALS` decimals, trailing zeros dropped: never ``0.30000000000000004``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MINUS = "\u2212"          # a true minus sign, not the hyphen
SCALES = {"": 0, "万": 4, "亿": 8}
COMPUTED_DECIMALS = 2     # the house rule for numbers nobody declared a format for
POINTS_UNIT = "个百分点"    # the unit of a difference of two percentages


class NumberError(Exception):
    """Numbers that cannot be combined or printed (different units, not a number); the message
    says it in a writer's words."""


@dataclass(frozen=True)
class NumberFormat:
    """How one column's numbers print.  ``decimals`` None: as written (or the house rule when
    computed); ``thousands``: the separator put between groups of three digits of integer parts
    of five digits or more (house style, package property ``thousands_separator``)."""

    unit: str = ""
    decimals: int | None = None
    scale: str = ""
    percent: bool = False
    thousands: str = ""

    @property
    def unit_text(self) -> str:
        """The unit as printed: the scale comes first (16.87 万份); percent has none."""
        return "%" if self.percent else f"{self.scale}{self.unit}"


PLAIN = NumberFormat()


def to_decimal(value) -> Decimal:
    """A Decimal for anything numeric; floats through their shortest repr (0.1 → 0.1, not 0.1000…055)."""
    if isinstance(value, Quantity):
        return value.value
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise NumberError(f"{value!r} is a yes/no value, not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(float(value)))   # float() first: numpy floats repr as np.float64(…)
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise NumberError(f"'{value}' is not a number") from None


def round_half_up(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _house_rounded(value: Decimal) -> Decimal:
    """At most COMPUTED_DECIMALS decimals, trailing zeros of the fraction dropped."""
    if value.as_tuple().exponent < -COMPUTED_DECIMALS:
        value = round_half_up(value, COMPUTED_DECIMALS)
    if value.as_tuple().exponent < 0:
        value = value.normalize()
        if value.as_tuple().exponent > 0:
            value = value.quantize(Decimal(1))
    return value


def format_number(value, fmt: NumberFormat = PLAIN, *, unit: bool = True, computed: bool = False) -> str:
    """The one formatter: ``value`` as ``fmt`` says, e.g. '152 亿美元', '15.0%', '−3.2', '16.87 万份'.
    ``unit=False``: the number alone (a chart label under a 单位 line); a percentage keeps its %.

    ``computed``: the value was calculated (not read): without declared decimals it is rounded
    by the house rule instead of printed with every digit.
    """
    v = to_decimal(value)
    if not v.is_finite():
        raise NumberError(f"{value} is not a finite number")
    if fmt.scale:
        v = v.scaleb(-SCALES[fmt.scale])
        if fmt.decimals is None:
            computed = True   # 168700 → 16.87 (万), not 16.8700
    if fmt.decimals is not None:
        v = round_half_up(v, fmt.decimals)
    elif computed:
        v = _house_rounded(v)
    text = _digits(abs(v), fmt.thousands)
    if v < 0 and v != 0:      # −0.0 after rounding prints as 0.0
        text = MINUS + text
    if fmt.percent:
        return f"{text}%"    # the percent sign is part of the number, also where the unit is left out
    if not unit:
        return text
    return f"{text} {fmt.unit_text}" if fmt.unit_text else text


def _digits(v: Decimal, thousands: str) -> str:
    """Plain digits, no exponent; the integer part grouped by threes from five digits up."""
    text = format(v, "f")
    whole, dot, fraction = text.partition(".")
    if thousands and len(whole) >= 5:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = thousands.join([whole, *groups])
    return whole + dot + fraction


def format_raw(value) -> str:
    """A number a template printed without a format (a float, a computed Decimal): the house rule."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{MINUS}{-value}" if value < 0 else str(value)
    if isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent >= -COMPUTED_DECIMALS:
        return format_number(value)   # a cell as the CSV wrote it (90.40 stays 90.40)
    return format_number(value, computed=True)


class Quantity:
    """A number with its unit, print format and the CSV rows it came from.

    Supports + − × ÷, comparisons, abs(), round() and sum(), refusing to mix units:
    ``a + b`` of 家 and 亿美元 is an error naming both.  Percent − percent gives 个百分点.
    """

    __slots__ = ("value", "fmt", "sources", "computed")

    def __init__(self, value, fmt: NumberFormat | str = PLAIN, sources: tuple = (), computed: bool = False):
        self.value = to_decimal(value)
        self.fmt = NumberFormat(unit=fmt) if isinstance(fmt, str) else fmt
        self.sources = tuple(sources)       # (file, line) of each CSV row the value was read from
        self.computed = computed

    @property
    def unit(self) -> str:
        return self.fmt.unit_text

    def __str__(self) -> str:
        return format_number(self.value, self.fmt, computed=self.computed)

    def __repr__(self) -> str:
        return str(self)

    # -- helpers
    def _derived(self, value, other=None, fmt: NumberFormat | None = None, computed: bool | None = None) -> Quantity:
        sources = self.sources + (other.sources if isinstance(other, Quantity) else ())
        if computed is None:
            computed = self.computed or (isinstance(other, Quantity) and other.computed)
        return Quantity(value, fmt or self.fmt, tuple(dict.fromkeys(sources)), computed)

    def _same_unit(self, other, verb: str) -> Decimal:
        """The other operand's value, if it may be combined with this one (a bare number may)."""
        if isinstance(other, Quantity):
            if other.unit != self.unit and self.unit and other.unit:
                raise NumberError(f"cannot {verb} {self} and {other}: the units differ "
                                  f"({self.unit} and {other.unit})")
            return other.value
        return to_decimal(other)

    # -- arithmetic
    def __add__(self, other):
        value = self._same_unit(other, "add")
        fmt = self.fmt if self.unit or not isinstance(other, Quantity) else other.fmt
        return self._derived(self.value + value, other, fmt)

    def __radd__(self, other):
        return self.__add__(other)

    def __sub__(self, other):
        value = self._same_unit(other, "subtract")
        fmt = self.fmt if self.unit or not isinstance(other, Quantity) else other.fmt
        if self.fmt.percent and isinstance(other, Quantity) and other.fmt.percent:
            # 52.9% − 50.1% is 2.8 个百分点, not 2.8%
            fmt = NumberFormat(unit=POINTS_UNIT, decimals=self.fmt.decimals, thousands=self.fmt.thousands)
        return self._derived(self.value - value, other, fmt)

    def __rsub__(self, other):
        return Quantity(to_decimal(other), self.fmt).__sub__(self)

    def __mul__(self, other):
        if isinstance(other, Quantity) and self.unit and other.unit:
            raise NumberError(f"cannot multiply {self} by {other}: both have a unit "
                              f"({self.unit} and {other.unit})")
        fmt = self.fmt if self.unit or not isinstance(other, Quantity) else other.fmt
        return self._derived(self.value * to_decimal(other), other, fmt, computed=True)

    def __rmul__(self, other):
        return self.__mul__(other)

    def __truediv__(self, other):
        divisor = to_decimal(other)
        if divisor == 0:
            raise NumberError(f"division of {self} by zero")
        if isinstance(other, Quantity) and other.unit:
            if self.unit and other.unit != self.unit:
                raise NumberError(f"cannot divide {self} by {other}: the units differ ({self.unit} and "
                                  f"{other.unit}); ratio(a, b) divides different units")
            return self._derived(self.value / divisor, other, PLAIN, computed=True)   # 亿美元 ÷ 亿美元: a ratio
        return self._derived(self.value / divisor, other, computed=True)

    def __rtruediv__(self, other):
        if self.value == 0:
            raise NumberError(f"division of {other} by zero")
        if self.unit:
            raise NumberError(f"cannot divide {format_raw(other)} by {self}: ratio(a, b) divides different units")
        return Quantity(to_decimal(other) / self.value, PLAIN, self.sources, computed=True)

    def __neg__(self):
        return self._derived(-self.value)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._derived(abs(self.value))

    def __round__(self, ndigits: int | None = None):
        decimals = int(ndigits or 0)
        return self._derived(round_half_up(self.value, decimals), fmt=replace(self.fmt, decimals=decimals))

    # -- comparisons (same unit, or a bare number)
    def __eq__(self, other):
        try:
            return self.value == self._same_unit(other, "compare")
        except NumberError:
            if isinstance(other, Quantity):
                raise
            return False   # a Quantity is never equal to text

    def __ne__(self, other):
        return not self.__eq__(other)

    def __lt__(self, other):
        return self.value < self._same_unit(other, "compare")

    def __le__(self, other):
        return self.value <= self._same_unit(other, "compare")

    def __gt__(self, other):
        return self.value > self._same_unit(other, "compare")

    def __ge__(self, other):
        return self.value >= self._same_unit(other, "compare")

    def __hash__(self):
        return hash(self.value)

    def __bool__(self):
        return self.value != 0

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)


def ratio(a, b) -> Quantity:
    """a ÷ b of any units, as a bare number (rounded by the house rule when printed)."""
    divisor = to_decimal(b)
    if divisor == 0:
        raise NumberError(f"ratio of {a} to zero")
    sources = (a.sources if isinstance(a, Quantity) else ()) + (b.sources if isinstance(b, Quantity) else ())
    return Quantity(to_decimal(a) / divisor, PLAIN, sources, computed=True)


def percent_of(part, whole, decimals: int, what: str = "share") -> Quantity:
    """part ÷ whole × 100, rounded half up to ``decimals`` (the value itself, so that rules and
    differences use what the page shows)."""
    if isinstance(part, Quantity) and isinstance(whole, Quantity) and part.unit and whole.unit \
            and part.unit != whole.unit:
        raise NumberError(f"a {what} of {part} in {whole}: the units differ ({part.unit} and {whole.unit})")
    w = to_decimal(whole)
    if w == 0:
        raise NumberError(f"a {what} of a zero total")
    value = round_half_up(to_decimal(part) / w * 100, decimals)
    sources = (part.sources if isinstance(part, Quantity) else ()) + \
              (whole.sources if isinstance(whole, Quantity) else ())
    thousands = part.fmt.thousands if isinstance(part, Quantity) else ""
    return Quantity(value, NumberFormat(decimals=decimals, percent=True, thousands=thousands),
                    tuple(dict.fromkeys(sources)))


def growth_of(old, new, decimals: int) -> Quantity:
    """(new − old) ÷ old × 100, in percent, rounded half up."""
    if isinstance(old, Quantity) and isinstance(new, Quantity) and old.unit and new.unit and old.unit != new.unit:
        raise NumberError(f"a growth from {old} to {new}: the units differ ({old.unit} and {new.unit})")
    o = to_decimal(old)
    if o == 0:
        raise NumberError("a growth from zero")
    change = (new - old) if isinstance(new, Quantity) else Quantity(to_decimal(new) - o)
    return percent_of(change if isinstance(change, Quantity) else Quantity(change), old, decimals, "growth")


def change_words(q) -> str:
    """A change in words: growth 增长 8.4% / 下降 3.1%; percentage points 提高/降低 N 个百分点;
    any other quantity 增加/减少 N unit; 持平 for zero."""
    if not isinstance(q, Quantity):
        q = Quantity(q, computed=True)
    if q.value == 0:
        return "持平"
    up = q.value > 0
    if q.fmt.percent:
        word = "增长" if up else "下降"
    elif q.fmt.unit == POINTS_UNIT:
        word = "提高" if up else "降低"
    else:
        word = "增加" if up else "减少"
    return f"{word} {abs(q)}"
