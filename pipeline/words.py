"""Where a short label (a table header, a chart category) may break without cutting a word.

Pure standard library: the chart stage and the typesetting stage both use it.

Chinese has no spaces, and a dictionary segmenter is heavy to load and weak on the terms of a
trade report (it cuts 服务外包 into 服务/外/包). Labels are compounds of two-character words, so
a run of Han characters is read as two-character words from its start, with one-character
function words (与 和 及 或 的 …) standing alone and an odd character left at the end of a run
joining the word before it (示范区, 服务业), and the character right after a number standing alone
as its unit (2016 年, 4 项): 国家/软件/与/信息/服务/外包/人才/实训/基地, 集成/电路. A Latin word or number is one word; a line never starts with a closing mark nor ends
with an opening one. Known limit: a three-character word inside a run (示范区城市) can still be
cut after its second character, but only where no other break gives balanced lines.
"""
from __future__ import annotations

import re

__all__ = ["break_points", "wrap_words", "words"]

# one-character words: conjunctions, particles and prepositions that join the words of a compound
SINGLE = frozenset("与和及或的之等并且而对在为以于")
_CLOSING = frozenset("，。、；：！？）》」』】〕］｝〗〉”’%％")
_OPENING = frozenset("（《「『【〔［｛〖〈“‘")
_TOKEN = re.compile(r"[A-Za-z0-9.\-%+/]+|\s+|.")


def _is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF


def words(text: str) -> list[str]:
    """The label cut into words (joined again they give ``text`` back)."""
    out: list[str] = []
    run = ""

    def flush_run():
        nonlocal run
        segment = ""
        for ch in run + "\0":
            if ch in SINGLE or ch == "\0":
                out.extend(_pairs(segment))
                segment = ""
                if ch != "\0":
                    out.append(ch)
            else:
                segment += ch
        run = ""

    after_number = False
    for token in _TOKEN.findall(text):
        if len(token) == 1 and _is_han(token):
            if after_number:
                out.append(token)     # the unit or measure word of a number: 2016 年, 4 项
            else:
                run += token
            after_number = False
            continue
        if run:
            flush_run()
        out.append(token)
        after_number = token[0].isdigit() or (token.isspace() and after_number)
    if run:
        flush_run()
    return out


def _pairs(segment: str) -> list[str]:
    chunks = [segment[i:i + 2] for i in range(0, len(segment), 2)]
    if len(chunks) > 1 and len(chunks[-1]) == 1:
        last = chunks.pop()               # 示范区, 服务业: an odd last character belongs to the word before
        chunks[-1] = chunks[-1] + last
    return chunks


def break_points(text: str) -> list[tuple[int, bool]]:
    """``(i, strong)`` for each offset where a line may end before ``text[i]`` without cutting a
    word or breaking R1/R2; ``strong`` when the break is also outside a run of two-character
    words (next to a one-character word, a Latin word, a space or punctuation), which keeps
    compounds such as 集成电路 whole when possible."""
    out = []
    pos = 0
    parts = words(text)
    for k, (a, b) in enumerate(zip(parts, parts[1:])):
        pos += len(a)
        if b[0] in _CLOSING or a[-1] in _OPENING or b.isspace():
            continue
        number_before = a[0].isdigit() or (a.isspace() and k > 0 and parts[k - 1][0].isdigit())
        if number_before and len(b) == 1 and _is_han(b):
            continue                  # a number keeps its unit (2016 年)
        han_pair = len(a) >= 2 and len(b) >= 2 and _is_han(a[-1]) and _is_han(b[0])
        out.append((pos, not han_pair))
    return out


def wrap_words(text: str, width: float, measure=len) -> list[str]:
    """Break ``text`` into lines of at most ``width`` (by ``measure``) at word boundaries: least
    overflow (a word wider than the line), then fewest lines, then the shortest longest line, where a
    break inside a run of two-character words counts as 2½ characters more. A word wider than ``width`` stays whole."""
    if measure(text) <= width:
        return [text]
    points = [(0, True)] + break_points(text) + [(len(text), True)]
    weak_cost = 2.5 * measure("中")     # a break inside a compound costs 2½ characters of balance
    best: dict[int, tuple[float, int, int, float, list[int]]] = {0: (0.0, 0, 0, 0.0, [0])}
    for j in range(1, len(points)):
        end, strong = points[j]
        candidates = []
        for i in range(j):
            start = points[i][0]
            if start not in best:
                continue
            overflow, lines, weak, longest, path = best[start]
            w = measure(text[start:end].strip())
            candidates.append((overflow + max(0.0, w - width), lines + 1, weak + (not strong),
                               max(longest, w), path + [end]))
        if candidates:
            best[end] = min(candidates, key=lambda c: (c[0], c[1], c[3] + weak_cost * c[2]))
    path = best[len(text)][4]
    return [text[a:b].strip() for a, b in zip(path, path[1:])]
