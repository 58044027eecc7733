"""Numbers from data/ with their units, and how they print (Chinese numerals included)."""
from __future__ import annotations

from decimal import Decimal

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

    def __init__(self, message: str, needle: str | None = None):
        super().__init__(message)
        self.needle = needle   # the word of the template to point at, when known (a table name)


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


def _number(x) -> Decimal:
    if isinstance(x, Quantity):
        return x.value
    if isinstance(x, Decimal):
        return x
    try:
        return Decimal(str(x))
    except Exception:
        raise TemplateDataError(f"{x!r} is not a number") from None
