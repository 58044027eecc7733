"""Tests for pipeline.linebreak (rules R1-R6, R8 of docs typesetting.md).

All tests use a fake metric: 1 em for CJK / full-width characters, 0.5 em
for ASCII letters, digits and punctuation, 0.25 em for the ASCII space.
Body size 10 pt, so 1 em == 10 pt.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.linebreak import (
    Line,
    PlacedGlyph,
    Run,
    _new_glyph,
    break_lines,
)

SIZE = 10.0
EM = SIZE
TOL = 1e-6

# The rule lists exactly as /work/shared/typesetting.md states them (the
# module may add to them, the tests check the documented minimum).
R1_BASIC = "、，。．：；！？‼⁇”’」』）〕］｝】〗》〉–～·・‧/／%％‰℃"
R2 = "“‘「『（〔［｛【〖《〈¥￥$＄£"
# House extension of the clreq lists: ASCII closing punctuation does not start a line,
# ASCII opening brackets do not end one (as their full-width forms).
R1_BASIC += ")]},.;:!?"
R2 += "([{"
R1_STRICT = R1_BASIC + "—⸺…⋯"
PUNCT_FULL = "，。、；：！？）》」』】〕”’（《「『【“‘"


def fake(font: str, ch: str) -> float:
    if ch == " ":
        return 0.25
    if ord(ch) < 128:
        return 0.5
    return 1.0


def lay(text: str, width_em: float, **kw) -> list[Line]:
    return break_lines([Run(text, "Serif", SIZE)], width_em * EM, fake, **kw)


def texts(lines: list[Line]) -> list[str]:
    return ["".join(g.char for g in ln.glyphs if g.advance or g.char != " ") for ln in lines]


def line_index_of(lines: list[Line]) -> dict[int, int]:
    """source index -> line number, from Line.start/end."""
    out = {}
    for k, ln in enumerate(lines):
        for i in range(ln.start, ln.end):
            out[i] = k
    return out


def check_basic(text: str, lines: list[Line], width: float, first_indent: float = 0.0):
    """Invariants every layout must keep (used by examples and hypothesis)."""
    src = text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    # no character lost, duplicated or reordered; only spaces at breaks dropped
    pos = 0
    for k, ln in enumerate(lines):
        assert ln.glyphs, "empty line"
        assert src[pos : ln.start].strip(" ") == "", (pos, ln.start, src)
        assert "".join(g.char for g in ln.glyphs) == src[ln.start : ln.end]
        pos = ln.end
        assert ln.last == (k == len(lines) - 1)
    assert src[pos:].strip(" ") == ""
    if src.strip(" "):
        assert lines
    for k, ln in enumerate(lines):
        x0 = first_indent if k == 0 else 0.0
        gl = ln.glyphs
        # spaces at a break are kept for copy-paste as zero-width glyphs at the line end
        while len(gl) > 1 and gl[-1].char == " " and gl[-1].advance == 0:
            assert not ln.last
            assert gl[-1].x == pytest.approx(ln.width, abs=TOL)
            gl = gl[:-1]
        assert gl[0].x == pytest.approx(x0, abs=TOL)
        # no glyph past the measure, none before the line start
        for g in gl:
            assert g.x >= x0 - TOL
            assert g.x + g.advance <= width + TOL, (k, g, width)
            assert g.advance > 0
        for g1, g2 in zip(gl, gl[1:]):
            assert g2.x > g1.x  # strictly increasing
            assert g2.x == pytest.approx(g1.x + g1.advance, abs=TOL)
        assert ln.width == pytest.approx(gl[-1].x + gl[-1].advance, abs=TOL)
        assert ln.width <= width + TOL
        # no line starts or ends with a space
        assert gl[0].char != " " and gl[-1].char != " "


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------


def test_api_types_and_empty_input():
    assert break_lines([], 100, fake) == []
    assert break_lines([Run("", "Serif", 10)], 100, fake) == []
    assert break_lines([Run("   \n ", "Serif", 10)], 100, fake) == []
    lines = lay("中文", 10)
    assert isinstance(lines[0], Line)
    assert isinstance(lines[0].glyphs[0], PlacedGlyph)
    assert lines[0].last


def test_fast_glyph_factory_equals_constructor():
    g = _new_glyph("中", 2, 1.5, 10.0)
    assert g == PlacedGlyph("中", 2, 1.5, 10.0)
    assert hash(g) == hash(PlacedGlyph("中", 2, 1.5, 10.0))
    with pytest.raises(Exception):
        g.x = 3.0  # still frozen


def test_first_indent_and_runs():
    runs = [Run("第一段", "Serif", 10), Run("粗体", "Serif-Bold", 10), Run("ABC", "Serif", 10)]
    lines = break_lines(runs, 100, fake, first_indent=20)
    check_basic("第一段粗体ABC", lines, 100, 20)
    gl = lines[0].glyphs
    assert gl[0].x == 20
    assert [g.run for g in gl] == [0, 0, 0, 1, 1, 2, 2, 2]


def test_advance_called_with_run_font_and_scaled_by_size():
    calls = []

    def adv(font, ch):
        calls.append((font, ch))
        return 1.0

    lines = break_lines([Run("中中", "Big", 20), Run("中", "Small", 5)], 500, adv)
    assert ("Big", "中") in calls and ("Small", "中") in calls
    assert [g.advance for g in lines[0].glyphs] == [20, 20, 5]


def test_newlines_and_tabs_are_spaces():
    lines = lay("abc\ndef\tghi", 40)
    assert texts(lines) == ["abc def ghi"]


# ---------------------------------------------------------------------------
# R1 / R2
# ---------------------------------------------------------------------------


def test_comma_never_starts_a_line():
    text = "一二三四五，六七八九十。一二三四五，六七八九十。"
    for w in range(3, 13):
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        for t in texts(lines)[1:]:
            assert not t.startswith("，") and not t.startswith("。"), (w, texts(lines))


@pytest.mark.parametrize("mark", list(R1_BASIC))
def test_r1_basic_marks_never_start_a_line(mark):
    text = f"一二三四五{mark}六七八九"
    for w in (4, 5, 6):
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        for t in texts(lines):
            assert not t.startswith(mark), (w, texts(lines))


@pytest.mark.parametrize("mark", list("—⸺…⋯"))
def test_r1_strict_adds_dashes_and_ellipses(mark):
    text = f"一二三四五{mark}六七八九"
    lines = lay(text, 5, strict=True)
    assert not any(t.startswith(mark) for t in texts(lines)), texts(lines)
    # the basic level allows it
    assert texts(lay(text, 5))[1].startswith(mark)


@pytest.mark.parametrize("mark", list(R2))
def test_r2_marks_never_end_a_line(mark):
    text = f"一二三四{mark}五六七八九"
    for w in (4, 5, 6):
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        for t in texts(lines)[:-1]:
            assert not t.endswith(mark), (w, texts(lines))


def test_closing_quote_and_period_stay_with_text():
    text = "他说：“一二三四五。”六七八九十"
    for w in range(4, 12):
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        for t in texts(lines)[1:]:
            assert t[0] not in "。”：", (w, texts(lines))
        for t in texts(lines)[:-1]:
            assert t[-1] != "“"


# ---------------------------------------------------------------------------
# R3
# ---------------------------------------------------------------------------


UNITS = ["22.8", "15.0%", "CMMI", "ChinaSourcing2007", "2002-2005", "——", "……"]


@pytest.mark.parametrize("unit", UNITS)
def test_units_are_never_split(unit):
    text = f"我国服务外包在{unit}期间快速发展，达到{unit}的水平，其中包括{unit}。"
    for w in range(9, 30):
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        where = line_index_of(lines)
        start = 0
        while (i := text.find(unit, start)) >= 0:
            assert len({where[j] for j in range(i, i + len(unit))}) == 1, (w, texts(lines))
            start = i + len(unit)


def test_decimal_with_unit_keeps_number_whole():
    text = "离岸外包执行额达到 22.8 亿美元，同比增长 15.0%。"
    for w in range(3, 25):
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        for t in texts(lines):
            assert "22." not in t or "22.8" in t
            assert not t.startswith(".8") and not t.startswith("8 ")
            assert not t.startswith("%")


def test_number_unit_break_is_a_last_resort():
    # "一..八" is 8 em; "八152" adds a 1/4 em gap and 1.5 em: 9.75 em <= 10.
    # Breaking after 152 is legal but penalized: break after 八 instead.
    lines = lay("一二三四五六七八152 亿美元", 10)
    assert texts(lines) == ["一二三四五六七八", "152 亿美元"]
    # ... but it is taken when nothing else is possible
    lines = lay("152 亿美元", 2)
    assert texts(lines)[0] == "152"


def test_long_word_is_split_when_nothing_else_fits():
    word = "Abcdefghijklmnopqrst"  # 20 letters = 10 em
    for w in (3, 4, 7):
        text = f"中文{word}中文"
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        assert "".join(texts(lines)) == text


def test_no_legal_break_degrades_gracefully():
    for text in ("（（（（（（（（（（", "，，，，，，，，，，", "一——二——三——四", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        for w in (1, 2, 3):
            lines = lay(text, w)
            check_basic(text, lines, w * EM)


def test_too_narrow_never_loops():
    # a measure narrower than one glyph: one glyph per line (overflow)
    lines = lay("中文ABC", 0.5)
    assert "".join(texts(lines)) == "中文ABC"
    assert all(len(ln.glyphs) >= 1 for ln in lines)
    for w in (0.0, -10.0):
        lines = break_lines([Run("中文，ABC", "S", 10)], w, fake)
        assert "".join(texts(lines)) == "中文，ABC"


# ---------------------------------------------------------------------------
# R4 justification
# ---------------------------------------------------------------------------


def test_justified_lines_end_at_width():
    text = "我国服务外包产业在2002-2005年间快速发展，2007 年离岸外包执行额达到 22.8 亿美元，同比增长 15.0%。“中国服务外包”（ChinaSourcing2007）品牌逐步建立。"
    for w in (9.3, 10, 12.7, 15, 20, 23.1):
        width = w * EM
        lines = lay(text, w, first_indent=2 * EM)
        check_basic(text, lines, width, 2 * EM)
        for ln in lines[:-1]:
            if len(ln.glyphs) > 1:
                assert abs(ln.width - width) <= 0.01, (w, texts(lines))


def test_last_line_is_not_justified():
    lines = lay("一二三四五六七八九十一二三", 10)
    assert texts(lines) == ["一二三四五六七八九十", "一二三"]
    last = lines[-1]
    assert last.width == pytest.approx(30)
    assert [g.x for g in last.glyphs] == pytest.approx([0, 10, 20])


def test_slack_is_spread_evenly_between_cjk_characters():
    # "一..八" then a 3 em word that does not fit: 8 em stretched to 9 em
    lines = lay("一二三四五六七八CMMIX", 9)
    first = lines[0]
    assert texts(lines)[0] == "一二三四五六七八"
    steps = [g2.x - g1.x for g1, g2 in zip(first.glyphs, first.glyphs[1:])]
    assert steps == pytest.approx([10 + 10 / 7] * 7)
    assert first.width == pytest.approx(90)


def test_no_stretch_inside_latin_words():
    text = "中文CMMI中文ABC 中文认证企业数量增长，中国服务外包"
    for w in (9, 11, 13):
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        for ln in lines:
            gl = ln.glyphs
            for g1, g2 in zip(gl, gl[1:]):
                if g1.char.isascii() and g2.char.isascii() and g1.char != " " and g2.char != " ":
                    assert g2.x - g1.x == pytest.approx(0.5 * EM), (w, texts(lines))


def test_justify_false_gives_ragged_lines():
    text = "一二三四五六七八CMMIX一二三"
    lines = lay(text, 9, justify=False)
    assert lines[0].width == pytest.approx(80)


# ---------------------------------------------------------------------------
# R5 punctuation compression
# ---------------------------------------------------------------------------


def test_compress_first_line_end_mark():
    # 5 Han + "，" = 6 em; at 5.5 em the comma shrinks to 1/2 em and stays
    lines = lay("一二三四五，六七八九十", 5.5)
    assert texts(lines)[0] == "一二三四五，"
    last = lines[0].glyphs[-1]
    assert last.advance == pytest.approx(0.5 * EM)
    assert lines[0].width == pytest.approx(55)
    # at 5.4 em compression is not enough: push out (5.5 em needed)
    lines = lay("一二三四五，六七八九十", 5.4)
    assert texts(lines)[0] == "一二三四"


def test_compress_pair_of_marks():
    lines = lay("一二三四。”五六七八", 5.5)
    t = texts(lines)
    assert t[0] == "一二三四。”", t
    gl = lines[0].glyphs
    assert lines[0].width == pytest.approx(55)
    for g in gl:  # a full-width mark keeps at least half an em
        assert g.advance >= 0.5 * EM - TOL


def test_pair_compression_inside_a_line():
    # "），" in the middle of an overfull line: compressed by at most 1/2 em
    text = "一二（三）），四五"
    lines = lay(text, 8.5)
    assert len(lines) == 1  # 9 em of text fits in 8.5 em
    gl = lines[0].glyphs
    assert lines[0].width <= 85 + TOL
    for g in gl:
        assert g.advance >= 0.5 * EM - TOL


def test_opening_mark_at_line_start_is_not_moved_left():
    text = "一二三四五（六七八）九十一二三四五（六七八）"
    for w in range(4, 12):
        lines = lay(text, w)
        check_basic(text, lines, w * EM)
        for ln in lines:
            assert ln.glyphs[0].x >= 0


# ---------------------------------------------------------------------------
# R6 CJK-Latin gap
# ---------------------------------------------------------------------------


def _gap_after(line: Line, i: int) -> float:
    g1, g2 = line.glyphs[i], line.glyphs[i + 1]
    return g2.x - (g1.x + fake("", g1.char) * EM)


def test_cjk_latin_gap_is_quarter_em_on_last_line():
    lines = lay("在2007年", 20)
    ln = lines[0]
    assert texts(lines) == ["在2007年"]
    assert _gap_after(ln, 0) == pytest.approx(2.5)  # 在|2
    assert _gap_after(ln, 4) == pytest.approx(2.5)  # 7|年
    assert _gap_after(ln, 1) == pytest.approx(0)  # inside the number


def test_source_space_becomes_the_same_gap_and_is_kept():
    lines = lay("2007 年达到 22.8 亿美元", 30)
    ln = lines[0]
    assert texts(lines) == ["2007 年达到 22.8 亿美元"]
    spaces = [g for g in ln.glyphs if g.char == " "]
    assert len(spaces) == 3
    assert all(g.advance == pytest.approx(2.5) for g in spaces)
    natural = 4 * 5 + 2.5 + 3 * 10 + 2.5 + 4 * 5 + 2.5 + 3 * 10
    assert ln.width == pytest.approx(natural)


def test_space_between_latin_words_is_a_normal_space():
    lines = lay("Hello world 中文", 30)
    ln = lines[0]
    sp = [g for g in ln.glyphs if g.char == " "]
    assert sp[0].advance == pytest.approx(2.5)  # fake: 0.25 em natural space
    assert sp[1].advance == pytest.approx(2.5)  # Latin|Han: 1/4 em gap


def test_cjk_latin_gap_stretches_at_most_to_third_em_when_others_can_take_it():
    # first line has many Han-Han gaps and one Han-Latin gap
    text = "一二三四五六七AB" + "CDEFGHIJ" * 3
    lines = lay(text, 12)
    first = lines[0]
    check_basic(text, lines, 120)
    txt = texts(lines)[0]
    i = txt.index("A") - 1
    gap = _gap_after(first, i)
    assert 2.5 - TOL <= gap <= 10 / 3 + TOL


def test_cjk_latin_gap_shrinks_to_eighth_em():
    # natural 3 + 1/4 + 2 + 1/4 + 2 = 7.5 em; set at 7.3 em on one line
    lines = lay("一二三ABCD四五", 7.3)
    assert len(lines) == 1
    ln = lines[0]
    assert ln.width == pytest.approx(73)
    assert _gap_after(ln, 2) >= 1.25 - TOL
    assert _gap_after(ln, 6) >= 1.25 - TOL
    # below 1/8 em each the text no longer fits on one line
    assert len(lay("一二三ABCD四五", 7.2)) == 2


def test_space_at_line_break_is_kept_as_zero_width_glyph():
    text = "一二三四五六七八 ABCD"
    lines = lay(text, 9)
    assert texts(lines) == ["一二三四五六七八", "ABCD"]
    assert lines[0].glyphs[-1].char == " " and lines[0].glyphs[-1].advance == 0
    check_basic(text, lines, 90)


# ---------------------------------------------------------------------------
# R8 last line
# ---------------------------------------------------------------------------


def test_last_line_has_two_characters():
    lines = lay("一二三四五六七八九十一。", 10)
    assert texts(lines) == ["一二三四五六七八九", "十一。"]
    assert lines[0].width == pytest.approx(100)  # re-justified


def test_last_line_two_characters_with_indent():
    # 8 em after the 2 em indent; "九。" alone would be the last line
    lines = lay("一二三四五六七八九。", 10, first_indent=20)
    assert texts(lines) == ["一二三四五六七", "八九。"]
    assert lines[0].glyphs[0].x == 20
    assert lines[0].width == pytest.approx(100)


def test_last_line_rule_respects_r1():
    # moving one character down must not put "，" at a line start
    lines = lay("一二三四五六七八，九十。", 9)
    t = texts(lines)
    assert sum(1 for c in t[-1] if c not in "，。") >= 2, t
    assert not any(x.startswith("，") for x in t), t


# ---------------------------------------------------------------------------
# hypothesis: mixed paragraphs
# ---------------------------------------------------------------------------

HANS = "我国服务外包产业在年间快速发展离岸执行额达到亿美元同比增长中品牌逐步建立认证企业数量"
tokens = st.one_of(
    st.sampled_from(HANS).map(str),
    st.sampled_from(HANS).map(str),
    st.sampled_from(HANS).map(str),
    st.sampled_from(list("，。、；：！？“”（）《》「」·") + ["——", "……", "—", "…"]),
    st.integers(0, 99999).map(str),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 999), st.integers(0, 99)),
    st.builds(lambda a: f"{a}%", st.integers(0, 100)),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzCMI", min_size=1, max_size=14),
    st.sampled_from([" ", " ", "  ", "\n"]),
    st.sampled_from(list(R1_STRICT + R2 + "()[],.;:!?/-'\"")),
)


def _inside_unit(src: str, i: int, j: int) -> bool:
    """Oracle: is the boundary src[i] | src[j] inside an R3 unit?"""
    if j != i + 1:
        return False  # a space separates them
    left, right = src[i], src[j]
    if left.isascii() and right.isascii():
        return True  # inside a Latin word / number
    return left == right and left in "—…"  # —— / ……


def _legal_break_between(src: str, i: int, j: int, strict: bool) -> bool:
    """Oracle: may a line end at src[i] and the next start at src[j]?"""
    r1 = R1_STRICT if strict else R1_BASIC
    return not _inside_unit(src, i, j) and src[j] not in r1 and src[i] not in R2


def _unit_width(src: str, i: int, sizes: list[float]) -> float:
    """Natural width of the R3 unit containing src[i] (fake metric, pt)."""
    a = i
    while a > 0 and _inside_unit(src, a - 1, a):
        a -= 1
    b = i
    while b + 1 < len(src) and _inside_unit(src, b, b + 1):
        b += 1
    return sum(fake("", src[k]) * sizes[k] for k in range(a, b + 1))


@settings(max_examples=int(os.environ.get("LINEBREAK_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(tokens, min_size=1, max_size=60),
    width_em=st.integers(3, 40),
    indent=st.sampled_from([0.0, 2 * EM]),
    strict=st.booleans(),
    justify=st.booleans(),
    split=st.integers(0, 200),
    size2=st.sampled_from([SIZE, SIZE, 9.0, 8.0]),
)
def test_property_mixed_paragraphs(parts, width_em, indent, strict, justify, split, size2):
    text = "".join(parts)
    split = min(split, len(text))
    runs = [Run(text[:split], "Serif", SIZE), Run(text[split:], "Serif-Bold", size2)]
    width = width_em * EM
    lines = break_lines(runs, width, fake, first_indent=indent, strict=strict, justify=justify)
    check_basic(text, lines, width, indent)
    src = text.replace("\n", " ")
    sizes = [SIZE] * split + [size2] * (len(text) - split)
    # run indices
    for ln in lines:
        for k, g in enumerate(ln.glyphs):
            assert g.run == (0 if ln.start + k < split else 1)
    for k in range(len(lines) - 1):
        a, b = lines[k], lines[k + 1]
        # justified lines end at the measure
        a_end = _visible_end(a)
        if justify and a_end - a.start > 1:
            assert abs(a.width - width) <= 0.01, (texts(lines), k)
        # R1 / R2 (and R3) kept whenever the line had a legal break
        if not _legal_break_between(src, a_end - 1, b.start, strict):
            inner = [
                p
                for p in range(a.start + 1, a_end)
                if src[p - 1] != " "
                and _legal_break_between(src, p - 1, _next_nonspace(src, p), strict)
            ]
            if _inside_unit(src, a_end - 1, b.start):
                # a unit is split: only if it is wider than a whole line
                # (it would be split anyway) or the line had no legal break
                assert not inner or _unit_width(src, b.start, sizes) > width, (texts(lines), k)
            else:
                assert not inner, (texts(lines), k, inner)


def _visible_end(line: Line) -> int:
    """End of the line's text without the zero-width spaces kept at a break."""
    n = len(line.glyphs)
    while n > 1 and line.glyphs[n - 1].char == " " and line.glyphs[n - 1].advance == 0:
        n -= 1
    return line.start + n


def _next_nonspace(s: str, p: int) -> int:
    while p < len(s) and s[p] == " ":
        p += 1
    return p


def _pair_advance(glyphs, k):
    """The first mark's advance plus the second's natural em (or less, when it is compressed)."""
    return (glyphs[k + 1].x - glyphs[k].x + min(EM, glyphs[k + 2].x - glyphs[k + 1].x)) / EM


@pytest.mark.parametrize("text, k", [
    ("一二》（三四", 2), ("一二）、三四", 2), ("一二、《三四", 2), ("一二）》三四", 2), ("一二”。三四", 2),
    ("一二（《三四", 2),
])
def test_a_pair_of_marks_is_always_one_and_a_half_em(text, k):
    # on a roomy, justified line too: the pair is not opened up by the stretch
    lines = lay(text + "五六七八九十" + text, 30)
    for g in (lines[0].glyphs, ):
        assert _pair_advance(g, k) == pytest.approx(1.5)
        assert _pair_advance(g, k + 12) == pytest.approx(1.5)
    lines = lay("甲乙丙丁戊己庚辛" + text + "五六七八九十" + text, 10)
    for line in lines:
        gl = line.glyphs
        for i in range(len(gl) - 2):
            if gl[i].char in "》）、”（" and gl[i + 1].char in "（、《》。":
                assert _pair_advance(gl, i) == pytest.approx(1.5, abs=1e-6), [g.char for g in gl]


def test_a_closing_mark_at_a_line_end_is_always_half_an_em():
    # roomy or tight, the line-end comma is ½ em and the line is flush with the measure
    for width in (6.0, 5.5):
        line = lay("一二三四五，六七八九十", width)[0]
        assert line.glyphs[-1].char == "，"
        assert line.glyphs[-1].advance == pytest.approx(0.5 * EM)
        assert line.width == pytest.approx(width * EM)
