"""Text on charts: wrapped category labels, numbers and shares."""
from __future__ import annotations

def _wrap(label: str, width: int) -> str:
    """Break a long Chinese label into balanced lines of at most ``width`` characters,
    never inside a number or Latin word (国家软件/产业基地, not 国家软件产业基/地)."""
    import re

    if len(label) <= width:
        return label
    tokens = re.findall(r"[A-Za-z0-9.\-%]+|.", label)
    lines_needed = -(-len(label) // width)
    per = -(-len(label) // lines_needed)
    lines, current = [], ""
    for token in tokens:
        if current and len(current) + len(token) > per and token not in "，。、；：）》」”":
            carry = ""
            while current and current[-1] in "（《「“【":  # an opening mark never ends a line
                carry, current = current[-1] + carry, current[:-1]
            if current:
                lines.append(current)
            current = carry
        current += token
    lines.append(current)
    return "\n".join(lines)


def _share(part: float, whole: float, decimals: int) -> str:
    """A share rounded half up, as resolve.pct rounds the text's shares (not Python's half-even)."""
    from decimal import ROUND_HALF_UP, Decimal

    share = Decimal(repr(part)) / Decimal(repr(whole)) * 100
    return f"{share.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)}%"


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))
