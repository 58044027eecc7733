"""Numbers in templates: the number model (pipeline.numbers), Chinese numerals, template data errors."""
from __future__ import annotations

from decimal import Decimal

from ..numbers import NumberError, NumberFormat, Quantity, format_number, to_decimal

__all__ = ["NumberError", "NumberFormat", "Quantity", "format_number", "cn_numeral", "format_decimal",
           "TemplateDataError", "Row"]

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

    def __init__(self, message: str, needle: str | None = None, literal: str | None = None):
        super().__init__(message)
        self.needle = needle   # the word of the template to point at, when known (a table name)
        self.literal = literal  # text of the template to point at as it is (a function call: 'pct(')


class Row(dict):
    """A data row; templates read cells as attributes (row.year) or items (row['year'])."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _number(x) -> Decimal:
    try:
        value = to_decimal(x)
    except NumberError as e:
        raise TemplateDataError(str(e)) from None
    if not value.is_finite():
        raise TemplateDataError(f"{x} is not a finite number")
    return value
