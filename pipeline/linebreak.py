"""Line breaking and justification of one paragraph of Chinese mixed with
Latin text and digits.

Pure Python, standard library only (no ReportLab): the caller measures glyphs
through the ``advance(font, char)`` callback (em units) and draws the
:class:`PlacedGlyph` positions this module returns.

Rules implemented (numbers refer to /work/shared/typesetting.md, after the
W3C clreq and GB/T 15834-2011):

* R1 characters that may not start a line, R2 characters that may not end a
  line (tables below);
* R3 unbreakable units: a Latin word / number (any run of non-space Latin
  characters, ASCII punctuation included: ``22.8``, ``15.0%``,
  ``2002-2005``, ``ChinaSourcing2007``), ``——`` and ``……``; a number followed
  by a unit (``152 亿美元``) breaks only as a last resort;
* R4 justification: every line but the last ends exactly at ``width``; slack
  goes evenly into the gaps between units (never inside a word);
* R5 punctuation compression: a closing mark before another full-width mark
  (``），`` ``》（`` ``”。``), an opening mark before another (``（《``) and a
  closing mark at a line end are always ½ em,
  so a pair is 1½ em wherever it falls; the R6 gaps and Latin spaces shrink
  next, before anything is pushed to the next line ("compress first, push
  out second");
* R6 ¼ em CJK–Latin gap (shrink to ⅛ em, stretch to ⅓ em);
* R8 the last line holds at least two non-punctuation characters.

Model
-----
The paragraph is a list of characters.  Each character *i* has a natural
advance ``a[i]`` and an extra gap ``g[i]`` placed after it (the implicit R6
gap when no space separates a Han character from a Latin letter/digit).  A
run of ASCII spaces is the glue between two units; every space stays a glyph
whose advance is its share of the glue (¼ em in total between Han and Latin,
its natural width between two Latin words).  Within a line
``x[i+1] == x[i] + advance[i]`` always holds, so ``advance`` includes the gap
(and any justification stretch) that follows the glyph.

Spaces that fall on a line break (and leading/trailing spaces of the
paragraph) are dropped: they are the only characters that can be missing
from the output.  Tabs, newlines and other ASCII whitespace become ``" "``
glyphs (PlacedGlyph.char is then ``" "``, not the original control char).
``Line.start``/``Line.end`` index the paragraph text (the runs' texts
concatenated), so ``text[line.start:line.end]`` is exactly the line's chars.

Breaking is greedy first fit: for each line the farthest end that fits
*after* all possible compression (R5 punctuation, R6 gaps shrunk to ⅛ em,
Latin spaces to ⅔) is found by bisection on prefix sums, then the breaker
looks back to the best break: legal (tier 0), else number|unit / URL /
hyphen (tier 1), else one breaking R1/R2 between two units (tier 2), else a
split inside a unit (tier 3/4).  Then R8 may move the last break back.

Known limits
------------
* Greedy, not Knuth–Plass: no look-ahead to even out stretch over several
  lines; a line before an unbreakable unit that almost fills a line (e.g.
  ``（ChinaSourcing2007）``) can be short and widely stretched.
* A line made of one glyph cannot be justified (it stays ragged); a line
  made of one split word is letter-spaced as a last resort.
* A glyph wider than the measure (or a first indent larger than the width)
  overflows: one glyph per line, never an endless loop.
* A lone opening mark is never compressed (not even at a line start);
  middle dots (·) and dashes are never compressed.  Compression is fixed,
  not elastic: a closing mark followed by another full-width mark, and a
  closing mark that ends a line, are always ½ em.
* No hyphenation: a Latin word longer than a line is cut at a character
  without adding a hyphen (the text must not change).
* Full width is judged from the advance (> 0.75 em): proportional quotes
  from a Latin font are not compressed.
* Combining sequences, bidi and vertical text are not handled specially.
* ``advance`` must be a pure function: its results are cached per function
  object (weakly), per (font, size).
"""
from __future__ import annotations

import unicodedata
import weakref
from dataclasses import dataclass
from bisect import bisect_right
from itertools import accumulate
from operator import add, sub
from typing import Callable, Sequence

__all__ = [
    "Run",
    "PlacedGlyph",
    "Line",
    "break_lines",
    "NO_START",
    "NO_START_STRICT",
    "NO_END",
    "CLOSING_MARKS",
    "OPENING_MARKS",
]


@dataclass(frozen=True)
class Run:
    text: str
    font: str  # a font name the caller understands, e.g. "SerifSC"
    size: float  # pt
    rise: float = 0.0  # baseline shift in pt (superscript note marks)
    link: str | None = None
    mark: bool = False  # drawn on a highlight (a diff proof's changed numbers)


@dataclass(frozen=True)
class PlacedGlyph:
    char: str  # exactly one source character (" " for tab/newline)
    run: int  # index into the runs list
    x: float  # left edge where the glyph is drawn, pt from the line's left edge
    advance: float  # width occupied after compression/stretching (incl. gap after it)


def _new_glyph(char: str, run: int, x: float, adv: float, _new=object.__new__) -> PlacedGlyph:
    """Fast PlacedGlyph factory (the frozen __init__ costs ~1 us a glyph).

    Equivalent to ``PlacedGlyph(char, run, x, adv)``; keep it in step with
    the class's fields (tests compare the two).
    """
    g = _new(PlacedGlyph)
    d = g.__dict__
    d["char"] = char
    d["run"] = run
    d["x"] = x
    d["advance"] = adv
    return g


@dataclass(frozen=True)
class Line:
    glyphs: tuple[PlacedGlyph, ...]
    width: float  # x + advance of the last glyph (its visible, compressed box)
    last: bool  # last line of the paragraph (not justified)
    # --- added fields -----------------------------------------------------
    start: int = 0  # index of the first glyph's char in the concatenated run texts
    end: int = 0  # index after the last glyph's char (exclusive)
    target: float = 0.0  # width available to the line (width - indent on line 1)


# ---------------------------------------------------------------------------
# Character tables
# ---------------------------------------------------------------------------

# R1 (clreq "basic" level): may not start a line.
NO_START_BASIC = frozenset("、，。．：；！？‼⁇”’」』）〕］｝】〗》〉–～·・‧/／%％‰℃")
# R1 strict level adds the dashes and ellipses.
NO_START_STRICT_EXTRA = frozenset("—⸺…⋯")
# Extension (not in the R1 list): ASCII closing punctuation may not start a
# line either (it is normally glued to a Latin word anyway).
NO_START_ASCII = frozenset(")]},.;:!?")
NO_START = NO_START_BASIC | NO_START_ASCII
NO_START_STRICT = NO_START | NO_START_STRICT_EXTRA

# R2: may not end a line (opening marks, currency/number prefixes), plus the
# ASCII opening brackets (extension).
NO_END = frozenset("“‘「『（〔［｛【〖《〈¥￥$＄£") | frozenset("([{")

# R5: full-width closing marks, ink on the left half (Simplified Chinese
# placement, GB/T 15834: ，。、；：！？ sit in the left half of the em box);
# their right half may be compressed.
CLOSING_MARKS = frozenset("，。、；：！？）》」』】〕］｝〗〉”’．")
# R5: full-width opening marks, ink on the right half.  Never compressed here
# (safe rule: we only remove closing marks' right halves).
OPENING_MARKS = frozenset("（《「『【“‘〔［｛〖〈")
# R3: dashes and ellipses; a run of the same character (—— ……) is one unit.
DASH_MARKS = frozenset("—⸺…⋯")

# Never break next to a no-break space, narrow no-break space, figure space,
# word joiner or zero-width no-break space (emergency splits aside).
NO_BREAK_GLUE = frozenset("\u00a0\u202f\u2007\u2060\ufeff")

# Character classes.
_SP, _HAN, _LAT, _CLO, _OPN, _DSH, _OTH = range(7)

_SPACES = " \t\n\r\f\v"
_WS_TABLE = str.maketrans({c: " " for c in "\t\n\r\f\v"})

# R6: gap between Han and Latin letter/digit, in em of the Han run's size.
CJK_LATIN_GAP = 0.25
CJK_LATIN_GAP_MIN = 0.125
CJK_LATIN_GAP_MAX = 1.0 / 3.0
# Latin inter-word space may shrink to 2/3 of its natural width.
SPACE_SHRINK = 1.0 / 3.0
# R5: a full-width mark keeps at least half an em; only marks whose natural
# advance exceeds this fraction of an em count as full width.
FULLWIDTH_MIN = 0.75
# R3: break after a number before its unit only if the line would otherwise
# be filled less than this fraction ("last resort").
UNIT_BREAK_MIN_FILL = 0.5

_EPS = 1e-9

_class_cache: dict[str, int] = {}
_punct_cache: dict[str, bool] = {}


# advance() results in pt, per advance function, per (font, size).  The
# callback is a font metric, i.e. pure: caching it across calls is safe.
_adv_caches: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def _advance_caches(advance: Callable[[str, str], float]) -> dict:
    try:
        d = _adv_caches.get(advance)
        if d is None:
            d = _adv_caches[advance] = {}
        return d
    except TypeError:  # not weak-referenceable: cache for this call only
        return {}


def _classify(ch: str) -> int:
    c = _class_cache.get(ch)
    if c is not None:
        return c
    o = ord(ch)
    if ch in _SPACES:
        c = _SP
    elif ch in CLOSING_MARKS:
        c = _CLO
    elif ch in OPENING_MARKS:
        c = _OPN
    elif ch in DASH_MARKS:
        c = _DSH
    elif ch in NO_START_BASIC or ch in NO_END and o >= 0x80:
        # ·・‧–～／％‰℃ ￥＄ etc.: symbols that follow their own R1/R2 rule
        c = _OTH if o >= 0x80 else _LAT
    elif (
        0x3400 <= o <= 0x9FFF  # CJK ext A, unified ideographs (and Yijing)
        or 0x3040 <= o <= 0x30FF  # kana
        or 0x2E80 <= o <= 0x2FDF  # radicals
        or 0x3100 <= o <= 0x31FF  # bopomofo, kana ext
        or 0xAC00 <= o <= 0xD7AF  # hangul
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0xFF10 <= o <= 0xFF19  # full-width digits
        or 0xFF21 <= o <= 0xFF3A
        or 0xFF41 <= o <= 0xFF5A  # full-width letters
        or 0x20000 <= o <= 0x3FFFF  # ideograph extensions B..
    ):
        c = _HAN
    elif o < 0x2000 and ch.isprintable():
        # ASCII, Latin-1, Latin extended, Greek, Cyrillic...: Latin-like
        c = _LAT
    else:
        c = _OTH
    _class_cache[ch] = c
    return c


def _is_punct(ch: str) -> bool:
    """R8: punctuation does not count towards the last line's characters."""
    p = _punct_cache.get(ch)
    if p is None:
        p = (
            ch in _SPACES
            or ch in NO_START_STRICT
            or ch in NO_END
            or ch in OPENING_MARKS
            or ch in CLOSING_MARKS
            or unicodedata.category(ch)[0] in "PZ"
        )
        _punct_cache[ch] = p
    return p


# ---------------------------------------------------------------------------
# The breaker
# ---------------------------------------------------------------------------


def break_lines(
    runs: Sequence[Run],
    width: float,
    advance: Callable[[str, str], float],
    first_indent: float = 0.0,
    strict: bool = False,
    justify: bool = True,
) -> list[Line]:
    """Break and justify one paragraph; see the module docstring.

    ``advance(font, char)`` gives the advance in em; it is called once per
    distinct (font, size, char) and cached.  ``width`` and ``first_indent``
    are in pt; the first glyph of the first line is at x = first_indent.
    ``strict`` adds the dashes and ellipses to R1; ``justify=False`` leaves
    every line at its natural width (compression still applies when needed).
    Returns one :class:`Line` per output line (an empty list for an empty or
    all-space paragraph).
    """
    width = float(width)
    first_indent = float(first_indent)

    # -- 1. flatten the runs ------------------------------------------------
    chars: list[str] = []
    rix: list[int] = []
    cls: list[int] = []
    a: list[float] = []
    size: list[float] = []
    cc = _class_cache
    wcaches = _advance_caches(advance)
    for ri, run in enumerate(runs):
        text = run.text
        if not text:
            continue
        if not text.isprintable():  # tabs, newlines -> spaces
            text = text.translate(_WS_TABLE)
        font = run.font
        sz = float(run.size)
        wc = wcaches.get((font, sz))
        if wc is None:
            wc = wcaches[(font, sz)] = {}
        try:
            ws = list(map(wc.__getitem__, text))
            cs = list(map(cc.__getitem__, text))
        except KeyError:  # first sight of some characters: measure them
            for ch in set(text):
                if ch not in wc:
                    w = float(advance(font, ch)) * sz
                    wc[ch] = w if w >= 0.0 else 0.0  # also catches NaN
                if ch not in cc:
                    _classify(ch)
            ws = list(map(wc.__getitem__, text))
            cs = list(map(cc.__getitem__, text))
        ln = len(text)
        chars.extend(text)
        cls.extend(cs)
        a.extend(ws)
        size.extend([sz] * ln)
        rix.extend([ri] * ln)
    n = len(chars)
    if n == 0:
        return []

    no_start = NO_START_STRICT if strict else NO_START
    no_end = NO_END

    # Only boundaries next to a non-Han character need work: between two Han
    # characters the defaults hold (legal break, stretchable gap, no shrink).
    specials = [i for i, c in enumerate(cls) if c != _HAN]

    nxt = list(range(n + 1))  # next non-space index at or after i
    g = [0.0] * n  # implicit R6 gap after char i
    gsh = [0.0] * n  # R6 gap / space shrink of char i (line interior)
    esh = [0.0] * n  # R5 compression when char i ends a line
    sw = [1.0] * n  # stretch weight of the gap after char i (0: none)
    scap = [-1.0] * n  # stretch cap in pt (<0: uncapped)
    join = [False] * (n + 1)  # char i and i+1 are one unit (R3)
    # tier[e], line ending after char e-1, next line starting at nxt[e]:
    # 0 legal; 1 legal but penalized (number|unit, URL, hyphen);
    # 2 breaks R1/R2 (emergency); 3 splits a unit (emergency); 4 splits a
    # unit and breaks R1/R2; 255 invalid (a space).
    tier = bytearray(n + 1)
    adj = [0.0] * n  # see step 4

    # -- 2. spaces: glue between units (R6) ---------------------------------
    i_end = -1
    for i in specials:
        if cls[i] != _SP or i < i_end:
            continue
        j = i
        while j < n and cls[j] == _SP:
            j += 1
        i_end = j
        k = j - i
        for m in range(i, j):
            nxt[m] = j
            tier[m + 1] = 255
        if i > 0 and j < n:
            cl, cr = cls[i - 1], cls[j]
            if (cl == _HAN and cr == _LAT) or (cl == _LAT and cr == _HAN):
                # R6: the source space becomes the 1/4 em CJK-Latin gap.
                hs = size[i - 1] if cl == _HAN else size[j]
                share = CJK_LATIN_GAP * hs / k
                shr = (CJK_LATIN_GAP - CJK_LATIN_GAP_MIN) * hs / k
                cap = (CJK_LATIN_GAP_MAX - CJK_LATIN_GAP) * hs / k
                for m in range(i, j):
                    a[m] = share
                    gsh[m] = shr
                    sw[m] = 1.0 / k
                    scap[m] = cap
                continue
        for m in range(i, j):
            gsh[m] = a[m] * SPACE_SHRINK
            sw[m] = 1.0 / k
    s0 = nxt[0]
    if s0 >= n:
        return []  # only spaces
    n_eff = n
    while cls[n_eff - 1] == _SP:
        n_eff -= 1

    # -- 3. boundaries next to special characters -------------------------------
    bounds = set(specials)
    bounds.update([i - 1 for i in specials])
    bounds.discard(-1)
    bounds.discard(n - 1)
    for b in sorted(bounds):
        c = cls[b]
        if c == _SP:
            continue
        ch = chars[b]
        cn = cls[b + 1]
        if c == _CLO and a[b] > FULLWIDTH_MIN * size[b]:
            esh[b] = a[b] - 0.5 * size[b]  # R5: line-end mark may shrink to 1/2 em
        if cn == _SP:
            sw[b] = 0.0  # the space run carries the gap
            adj[b] = -esh[b]
            r = nxt[b + 1]
            if r >= n:
                continue
        else:
            r = b + 1
            chn = chars[r]
            if (c == _LAT and cn == _LAT) or (c == _DSH and chn == ch):
                # R3: one Latin word / number; "——" and "……" stay together.
                join[b] = True
                sw[b] = 0.0
                if ch == "-" and b > 0 and chars[b - 1].isalpha() and chn.isalpha():
                    t = 1  # hyphenated compound: may break after the hyphen
                elif chn in no_start or ch in no_end:
                    t = 4  # splitting here would also break R1/R2
                else:
                    t = 3
                tier[b + 1] = t
                continue
            if c == _HAN:
                if cn == _LAT and chn.isalnum():
                    hs = size[b]
                    g[b] = CJK_LATIN_GAP * hs
                    gsh[b] = (CJK_LATIN_GAP - CJK_LATIN_GAP_MIN) * hs
                    scap[b] = (CJK_LATIN_GAP_MAX - CJK_LATIN_GAP) * hs
            elif c == _LAT:
                if cn == _HAN and ch.isalnum():
                    hs = size[r]
                    g[b] = CJK_LATIN_GAP * hs
                    gsh[b] = (CJK_LATIN_GAP - CJK_LATIN_GAP_MIN) * hs
                    scap[b] = (CJK_LATIN_GAP_MAX - CJK_LATIN_GAP) * hs
            elif c == _CLO and (cn == _CLO or cn == _OPN):
                # R5: two adjacent full-width marks are always set as a pair in
                # 1 1/2 em: the closing mark loses its blank right half for good
                # (wherever the pair falls, so the same pair looks the same on
                # every line).
                if esh[b] and a[r] > FULLWIDTH_MIN * size[r]:
                    a[b] -= esh[b]
                    esh[b] = 0.0
                    sw[b] = 0.0  # justification does not open the pair up
            elif c == _OPN and cn == _OPN and a[b] > FULLWIDTH_MIN * size[b] \
                    and a[r] > FULLWIDTH_MIN * size[r]:
                # R5: two opening marks (（《): the second one's blank left half
                # overlaps the first one's right half, which carries its ink
                a[b] -= 0.5 * size[b]
                sw[b] = 0.0
            adj[b] = -g[b] + gsh[b] - esh[b]
        chr_ = chars[r]
        if ch in NO_BREAK_GLUE or chr_ in NO_BREAK_GLUE:
            tier[b + 1] = 3  # no-break space / word joiner
        elif chr_ in no_start or ch in no_end:
            tier[b + 1] = 2  # R1 / R2
        elif c == _LAT and ch.isdigit() and (
            cls[r] == _HAN or chr_ in "%‰℃％" or _short_unit(chars, cls, r)
        ):
            tier[b + 1] = 1  # R3: number + unit, last resort
    if n > 0 and cls[n - 1] == _CLO and a[n - 1] > FULLWIDTH_MIN * size[n - 1]:
        esh[n - 1] = a[n - 1] - 0.5 * size[n - 1]
        adj[n - 1] = -esh[n - 1]

    # R3: a URL may break after "/" or before "." (penalized).
    para = "".join(chars)
    if "://" in para or "www." in para:
        i = 0
        while i < n:
            if join[i]:
                j = i
                while join[j]:
                    j += 1
                word = "".join(chars[i : j + 1])
                if "://" in word or word.startswith("www."):
                    for m in range(i + 1, j + 1):
                        cl_ch, cr_ch = chars[m - 1], chars[m]
                        if (cl_ch == "/" and cr_ch != "/") or (cr_ch == "." and cl_ch != "."):
                            tier[m] = 1
                i = j + 1
            else:
                i += 1

    # -- 4. prefix sums ---------------------------------------------------------
    # W[k]: natural width of chars < k (gaps after them included);
    # WS[k] = W[k] - SH[k] with all interior shrink applied.
    W = [0.0]
    W.extend(accumulate(map(add, a, g)))
    SH = [0.0]
    SH.extend(accumulate(gsh))
    WS = list(map(sub, W, SH))
    # F[e]: the narrowest width of chars [0, e) as one line ending at e-1, so
    # that a line [s, e) fits iff F[e] - WS[s] <= avail.  F is
    # non-decreasing (advance >= end compression, gap >= its shrink, ...).
    # adj[i] = -g + gsh - esh of char i (0 for spaces: a space never
    # ends a line, it stays shrunk) was filled in step 3.
    F = [float("-inf")]
    F.extend(map(add, WS[1:], adj))

    # -- 5. greedy first fit, "compress first, push out second" (R5) --------
    breaks: list[tuple[int, int]] = []
    s = s0
    first = True
    unit_lo = unit_hi = -1  # last unit whose end was looked up
    while s < n_eff:
        avail = width - first_indent if first else width
        target = WS[s] + avail + _EPS
        over = bisect_right(F, target, s + 1, n_eff + 1)
        if over > n_eff:
            breaks.append((s, n_eff))
            break
        # look back from the first overflowing end for the best break
        l0 = l1 = l2 = l3 = l4 = -1
        e = over - 1
        while e > s:
            t = tier[e]
            if t == 0:
                l0 = e
                break
            if t == 1:
                if l1 < 0:
                    l1 = e
            elif t == 2:
                if l2 < 0:
                    l2 = e
            elif t == 3:
                if l3 < 0:
                    l3 = e
            elif t == 4:
                if l4 < 0:
                    l4 = e
            e -= 1
        if l0 > 0:
            ch = l0
            if l1 > l0 and (W[l0] - W[s] - g[l0 - 1]) < UNIT_BREAK_MIN_FILL * avail:
                ch = l1
        elif l1 > 0:
            ch = l1
        elif l2 > 0:
            ch = l2
        elif l3 > 0:
            ch = l3
        elif l4 > 0:
            ch = l4
        else:
            ch = s + 1  # not even one glyph fits: overflow (documented limit)
        # A unit wider than a whole line will be split anyway: start splitting
        # it here rather than leaving a short line before it.
        if l3 > ch and cls[over - 1] != _SP:
            b = over - 1
            while b > s and join[b - 1]:
                b -= 1
            if l3 - 1 >= b:
                if not unit_lo <= over - 1 <= unit_hi:  # not the last unit seen
                    unit_lo = bend = over - 1
                    while join[bend]:
                        bend += 1
                    unit_hi = bend
                if W[unit_hi + 1] - W[b] - g[unit_hi] > width + _EPS:
                    ch = l3
        breaks.append((s, ch))
        s = nxt[ch]
        first = False

    # -- 6. R8: the last line holds at least two non-punctuation characters ------
    if len(breaks) >= 2:
        ls, le = breaks[-1]
        if _count_chars(chars, ls, le) < 2:
            ps, pe = breaks[-2]
            moved = False
            for allowed in (0, 1):
                e = pe - 1
                while e > ps:
                    if tier[e] <= allowed:
                        ns = nxt[e]
                        if _count_chars(chars, ns, le) >= 2:
                            if F[le] - WS[ns] <= width + _EPS:
                                breaks[-2] = (ps, e)
                                breaks[-1] = (ns, le)
                                moved = True
                            break  # moving more would only be worse
                    e -= 1
                if moved:
                    break

    # -- 7. placement and justification (R4, R5, R6) ---------------------------
    out: list[Line] = []
    nb = len(breaks)
    for li, (s, e) in enumerate(breaks):
        is_last = li == nb - 1
        x0 = first_indent if li == 0 else 0.0
        avail = width - x0
        advs = list(map(add, a[s:e], g[s:e]))
        # R5, one rule for every line end: a closing mark ending a line is set
        # in 1/2 em (its blank right half dropped), needed or not.
        advs[-1] = a[e - 1] - esh[e - 1]
        slack = avail - (W[e] - W[s] - g[e - 1] - esh[e - 1])
        if slack < -_EPS:
            _shrink(advs, e - s, -slack, gsh[s : e - 1])
        elif slack > _EPS and justify and not is_last:
            _stretch(advs, s, e, slack, sw, scap)
        glyphs = tuple(map(_new_glyph, chars[s:e], rix[s:e], accumulate(advs, initial=x0), advs))
        lg = glyphs[-1]
        line_end = lg.x + lg.advance
        end = e
        if not is_last and nxt[e] > e:
            # Source spaces at the break stay in the text (so copying the PDF gives the
            # source sentence back) as zero-width glyphs at the line's end.
            end = nxt[e]
            glyphs += tuple(_new_glyph(chars[k], rix[k], line_end, 0.0) for k in range(e, end))
        out.append(Line(glyphs, line_end, is_last, s, end, avail))
    return out


def _shrink(advs: list[float], count: int, need: float, gsh: list[float]) -> None:
    """R5 "compress first": punctuation is already at its narrowest (pairs and
    the line-end mark), so what is left to shrink is the R6 gaps and spaces."""
    gt = sum(gsh)
    if gt > 0.0 and count > 1:
        f = need / gt
        if f > 1.0:
            f = 1.0
        last = advs[-1]
        advs[:-1] = [x - q * f for x, q in zip(advs, gsh)]
        advs[-1] = last


def _short_unit(chars: list[str], cls: list[int], r: int) -> bool:
    """R3: a short alphabetic Latin word (``MB``, ``km``) read as a unit."""
    n = len(chars)
    m = r
    while m < n and cls[m] == _LAT:
        if not chars[m].isalpha() or m - r >= 4:
            return False
        m += 1
    return m > r


def _count_chars(chars: list[str], s: int, e: int) -> int:
    n = 0
    for i in range(s, e):
        if not _is_punct(chars[i]):
            n += 1
            if n >= 2:
                return n
    return n


def _stretch(
    advs: list[float],
    s: int,
    e: int,
    slack: float,
    sw: list[float],
    scap: list[float],
) -> None:
    """R4: spread ``slack`` evenly over the line's inter-unit gaps.

    Every gap (Han-Han, Han-Latin, punctuation, a Latin inter-word space)
    gets the same share; R6 gaps stop at 1/3 em and their excess goes to the
    other gaps; when every gap is capped the rest is spread evenly over all
    of them.  A line without any gap (one split word) is letter-spaced as a
    last resort; a single glyph stays ragged.
    """
    last = advs[-1]
    ws = sw[s : e - 1]
    tw = sum(ws)
    if tw <= 0.0:
        if e - s > 1:
            d = slack / (e - s - 1)
            advs[:-1] = [x + d for x in advs[:-1]]
            advs[-1] = last
        return
    r = slack / tw
    cp = scap[s : e - 1]
    if max(cp) < 0.0 or not any(0.0 <= c < r * w for c, w in zip(cp, ws)):
        advs[:-1] = [x + r * w for x, w in zip(advs, ws)]
        advs[-1] = last
        return
    # water filling: capped R6 gaps take their cap, the rest share the slack
    add = [0.0] * len(ws)
    active = [k for k, w in enumerate(ws) if w > 0.0]
    remaining = slack
    while active:
        tw = 0.0
        for k in active:
            tw += ws[k]
        r = remaining / tw
        keep = []
        for k in active:
            if 0.0 <= cp[k] < r * ws[k]:
                add[k] = cp[k]
                remaining -= cp[k]
            else:
                keep.append(k)
        if len(keep) == len(active):
            for k in active:
                add[k] = r * ws[k]
            remaining = 0.0
            break
        active = keep
    if remaining > _EPS:  # every gap is at its cap: exceed the caps evenly
        r = remaining / sum(ws)
        add = [d + r * w for d, w in zip(add, ws)]
    advs[:-1] = [x + d for x, d in zip(advs, add)]
    advs[-1] = last
