"""Text on charts: wrapped category labels, numbers and shares (numbers come from resolve, printed
by pipeline.numbers like the text's)."""
from __future__ import annotations


def _wrap(label: str, width: int) -> str:
    """Break a long Chinese label into lines of at most ``width`` characters, between words only
    (集成电路 stays whole, never 集成电/路; see pipeline/words.py), as even as the words allow."""
    from ..words import wrap_words

    head, bracket, tail = label.partition("（")
    if len(label) > width and head and bracket and len(head.rstrip()) <= width and len(bracket + tail) <= width:
        return f"{head.rstrip()}\n{bracket}{tail}"   # 2010 年 / （预计）: a note in brackets goes below
    return "\n".join(wrap_words(label, width))


def fit_labels(labels, room_chars: int, size: float = 9.0, min_size: float = 5.5) -> list[tuple[str, float]]:
    """Each label for a margin ``room_chars`` characters wide at ``size``, with its own size: as it
    is when it fits; else broken into two balanced lines, set smaller only when a line is still too
    long. A long label never shrinks the others."""
    fitted = []
    for label in labels:
        if len(label) <= room_chars:
            fitted.append((label, size))
            continue
        wrapped = _wrap(label, -(-len(label) // 2))
        longest = max(len(line) for line in wrapped.split("\n"))
        fitted.append((wrapped, max(min_size, min(size, size * room_chars / longest))))
    return fitted


def label_width(fitted: list[tuple[str, float]], size: float = 9.0) -> float:
    """The widest fitted label, in characters at ``size``."""
    return max((len(line) * s / size for text, s in fitted for line in text.split("\n")), default=2)


def _share(part: float, whole: float, decimals: int) -> str:
    """A share rounded half up, as resolve.pct rounds the text's shares (not Python's half-even)."""
    from decimal import ROUND_HALF_UP, Decimal

    share = Decimal(repr(part)) / Decimal(repr(whole)) * 100
    return f"{share.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)}%"


def _fmt(v: float) -> str:
    """A number drawn without a label from resolve (a spec built by hand): the house rule."""
    from ..numbers import format_raw

    return format_raw(v)


def value_labels(spec) -> tuple[tuple[str, ...], ...]:
    """Each point's label as resolve printed it (the text's formatter); the house rule otherwise."""
    if spec.value_labels:
        return spec.value_labels
    return tuple(tuple(_fmt(v) for v in values) for _, values in spec.series)


def tick_formatter(spec):
    """Axis numbers by the same formatter as the labels: true minus, the column's scale, % on a
    percent axis, decimals only where the tick step needs them."""
    from matplotlib.ticker import FuncFormatter

    from ..numbers import NumberFormat, format_number

    fmt = spec.number_format or NumberFormat()
    ticks = NumberFormat(scale=fmt.scale, percent=fmt.percent, thousands=fmt.thousands)
    return FuncFormatter(lambda v, _pos: format_number(round(v, 9), ticks, unit=False, computed=True))


def legend_above(ax, handles, names, fontsize: float = 8.5) -> None:
    """The legend above the plot, right-aligned (the 单位 line is on the left): it covers no data."""
    ax.legend(handles, names, frameon=False, ncols=len(names), loc="lower right", bbox_to_anchor=(1.0, 1.0),
              fontsize=fontsize, borderaxespad=0.2, handlelength=1.2, columnspacing=1.0)
