"""Chinese typesetting rules (shared/typesetting.md R1–R9), checked on real PDFs.

Positions are read back from the PDF with PyMuPDF; the rule character lists
below are copied from typesetting.md, not from the code under test.
"""
from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest

from conftest import ROOT, source_paragraphs
from pdf_lines import pdf_lines
from pipeline.load import FONT_FILES
from pipeline.model import TextRun
from pipeline.typeset import typeset_samples

R1 = set("、，。．：；！？‼⁇”’」』）〕］｝】〗》〉–～·・‧/／%％‰℃")
R2 = set("“‘「『（〔［｛【〖《〈¥￥$＄£")
CLOSING = set("、，。．：；！？”’」』）〕］｝】〗》〉")
PUNCT = R1 | R2 | set("——……")
FONTS = {role: ROOT / "fonts" / name for role, name in FONT_FILES.items()}
SIZE = 10.5
TOL = 0.5            # R4: flush right within ±0.5 pt
HAN = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z0-9]")

STRESS = [
    "预计 2010 年，离岸外包市场规模将达到 56 亿美元，占产业总体市场规模的 20.0%；在岸外包市场规模将达到 224 亿美元。",
    "中国软件与信息服务外包产业国家公共品牌暨“ChinaSourcing”，具有四层涵义——代表着中国服务……包含国家公共服务平台的形象。",
    "通过 CMM、CMMI 等资质认证的企业越来越多，《振兴软件产业行动纲要（2002-2005）》（国办发【2002】47 号）已颁布。",
    "离岸市场规模达到 22.8 亿美元，约占 15.0%，其中 ITO 为 90.4 亿美元，BPO 为 61.6 亿美元，合计 152 亿美元。",
]


def _effective_end(ch, right: float | None = None) -> float:
    """Right edge of what the glyph occupies: a closing mark at line end may be compressed to ½ em (R5),
    so it ends either at its full advance or at half of it, whichever is nearer the margin."""
    if ch.c in CLOSING:
        half = ch.x0 + 0.5 * ch.size
        if right is None:
            return half
        return min((half, ch.x1), key=lambda end: abs(end - right))
    return ch.x1


def _paragraph_lines(lines, left: float):
    """Split lines into paragraphs: a line starting 2 em in from ``left`` opens a paragraph (R7)."""
    paragraphs: list[list] = []
    for line in lines:
        indent = line.chars[0].x0 - left
        if not paragraphs or abs(indent - 2 * SIZE) < 0.3:
            paragraphs.append([])
        paragraphs[-1].append(line)
    return paragraphs


def _check_paragraph_rules(paragraphs, left: float, right: float, check_r1r2: bool = True):
    """Problems found; with check_r1r2=False only the geometric rules (margin, flush) are checked,
    for measures so narrow that a legal break does not always exist."""
    problems = []
    for para in paragraphs:
        for k, line in enumerate(para):
            chars = line.visible
            last = k == len(para) - 1
            where = f"page {line.page + 1}: {line.text!r}"
            if chars[-1].x1 > right + 0.01 and chars[-1].c not in CLOSING:
                problems.append(f"past the margin: {where}")
            if _effective_end(chars[-1]) > right + TOL:
                problems.append(f"past the margin: {where}")
            end = _effective_end(chars[-1], right)
            if chars[-1].c in CLOSING:
                # a closing mark may be compressed by up to ½ em: its (blank) right half may pass the measure
                flush = chars[-1].x0 + 0.5 * chars[-1].size - TOL <= right <= chars[-1].x1 + TOL
            else:
                flush = abs(end - right) <= TOL
            if not last and len(chars) > 1 and not flush:
                problems.append(f"not flush right ({end - right:+.2f} pt): {where}")
            if check_r1r2 and k > 0 and chars[0].c in R1:
                problems.append(f"R1 character {chars[0].c!r} starts a line: {where}")
            if check_r1r2 and not last and chars[-1].c in R2:
                problems.append(f"R2 character {chars[-1].c!r} ends a line: {where}")
            if not check_r1r2:
                continue
            if not last:
                nxt = para[k + 1].visible[0].c
                # a number or word is split only when it is wider than the whole measure (R3)
                token = _token_width(chars, para[k + 1].visible)
                if token <= right - left:
                    if re.match(r"[0-9.]", chars[-1].c) and re.match(r"[0-9.%]", nxt):
                        problems.append(f"number split across lines: {where}")
                    if re.match(r"[A-Za-z]", chars[-1].c) and re.match(r"[A-Za-z0-9]", nxt):
                        problems.append(f"word split across lines: {where}")
                if chars[-1].c == nxt and chars[-1].c in "—…":
                    problems.append(f"—— or …… split: {where}")
            else:
                letters = [c for c in chars if c.c not in PUNCT and c.c != " "]
                if len(para) > 1 and len(letters) < 2:
                    problems.append(f"R8 last line with one character: {where}")
    return problems


def _token_width(line_end, next_start) -> float:
    """Width of the Latin/digit token that spans a line break (0 if none does)."""
    pat = re.compile(r"[A-Za-z0-9.%\-]")
    width = 0.0
    for ch in reversed(line_end):
        if not pat.match(ch.c):
            break
        width += ch.x1 - ch.x0
    if not width:
        return 0.0
    for ch in next_start:
        if not pat.match(ch.c):
            break
        width += ch.x1 - ch.x0
    return width


def _gaps(lines):
    """(gap in pt, is last line) between a Han character and a Latin letter/digit, either order."""
    out = []
    for line in lines:
        chars = [c for c in line.chars if c.c != " "]
        for a, b in zip(chars, chars[1:]):
            if (HAN.match(a.c) and LATIN.match(b.c)) or (LATIN.match(a.c) and HAN.match(b.c)):
                out.append((b.x0 - a.x1, a.size))
    return out


# ---------------------------------------------------------------- the whitepaper itself


@pytest.fixture(scope="module")
def body_lines(edition):
    result, _ = edition
    with pymupdf.open(result.pdf) as doc:
        body_pages = {p.number for p in doc if p.get_label().isdigit()}
    clip = pymupdf.Rect(0, 75, 595.3, 842 - 60)
    return [l for l in pdf_lines(result.pdf, "Serif", SIZE, clip=clip) if l.page in body_pages]


def test_whitepaper_body_keeps_r1_to_r8(body_lines):
    left = min(l.chars[0].x0 for l in body_lines)
    right = left + 43 * SIZE
    paragraphs = _paragraph_lines(body_lines, left)
    assert len(paragraphs) >= 20
    assert _check_paragraph_rules(paragraphs, left, right) == []


def test_whitepaper_every_justified_line_is_flush(body_lines):
    left = min(l.chars[0].x0 for l in body_lines)
    paragraphs = _paragraph_lines(body_lines, left)
    flush = [p[:-1] for p in paragraphs]
    right = left + 43 * SIZE
    ends = [_effective_end(l.visible[-1], right) for lines in flush for l in lines]
    assert len(ends) > 40
    assert max(ends) - min(ends) <= 2 * TOL


def test_whitepaper_cjk_latin_gap_is_a_quarter_em(body_lines):
    gaps = _gaps(body_lines)
    assert len(gaps) > 30
    for gap, size in gaps:
        # ¼ em, shrinkable to ⅛ em, stretchable to ⅓ em (R6), plus the line's even spread
        assert size / 8 - 0.05 <= gap <= size / 3 + 1.0, gap
    # with the source's ASCII space replaced by the gap, never a full space plus the gap
    assert max(g for g, _ in gaps) < 0.5 * SIZE


def test_number_and_unit_tokens_are_never_split(body_lines):
    text = "".join(l.text for l in body_lines)
    for token in ("22.8 亿美元", "129.2 亿美元", "15.0%", "85.0%", "ChinaSourcing2007", "CMMI"):
        assert token in text
    # and no line ends inside a number: its last digit is followed by a unit or punctuation
    for a, b in zip(body_lines, body_lines[1:]):
        if a.visible and b.visible and a.page == b.page:
            assert not (a.visible[-1].c.isdigit() and b.visible[0].c in "0123456789.%"), (a.text, b.text)


def test_first_line_indent_is_two_characters(body_lines):
    left = min(l.chars[0].x0 for l in body_lines)
    indents = {round(l.chars[0].x0 - left, 1) for l in body_lines}
    assert indents <= {0.0, round(2 * SIZE, 1)}


# ---------------------------------------------------------------- narrow columns


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("samples")
    paragraphs = [(TextRun(p),) for p in source_paragraphs() + STRESS]
    built = {}
    for chars in (3, 5, 8, 13, 21, 30, 40):
        path = folder / f"w{chars}.pdf"
        with open(path, "wb") as f:
            typeset_samples(paragraphs, chars * SIZE, FONTS, f)
        built[chars] = path
    return built, [p[0].text for p in paragraphs]


@pytest.mark.parametrize("chars", [3, 5, 8, 13, 21, 30, 40])
def test_narrow_columns_keep_the_rules(samples, chars):
    built, _ = samples
    lines = pdf_lines(built[chars], "Serif", SIZE)
    left = 36.0
    right = left + chars * SIZE
    paragraphs = _paragraph_lines(lines, left)
    # below 13 characters "“ChinaSourcing”，" (8.5 em even compressed) has no legal break:
    # there only the geometry is checked; the hypothesis test in test_linebreak.py covers R1/R2
    # "whenever a legal break exists" at every width from 3 to 40.
    problems = _check_paragraph_rules(paragraphs, left, right, check_r1r2=chars >= 13)
    assert problems == []


@pytest.mark.parametrize("chars", [3, 13, 40])
def test_copied_text_is_the_source_text(samples, chars):
    built, sources = samples
    lines = pdf_lines(built[chars], "Serif", SIZE)
    assert "".join(l.text for l in lines) == "".join(sources)


def test_our_setter_beats_reportlab_on_the_same_text(tmp_path):
    """The reason this module exists: ReportLab's CJK wrap breaks R1 and leaves the right edge ragged."""
    paragraphs = [(TextRun(p),) for p in source_paragraphs()]
    results = {}
    for engine in ("reportlab", "whitepaper"):
        path = tmp_path / f"{engine}.pdf"
        with open(path, "wb") as f:
            typeset_samples(paragraphs, 15 * SIZE, FONTS, f, engine=engine)
        lines = pdf_lines(path, "Serif", SIZE)
        results[engine] = _check_paragraph_rules(_paragraph_lines(lines, 36.0), 36.0, 36.0 + 15 * SIZE)
    assert results["reportlab"], "ReportLab's own wrap was expected to break the rules"
    assert results["whitepaper"] == []


def test_inline_bold_superscript_and_link(tmp_path):
    runs = (TextRun("离岸外包市场规模达到 "), TextRun("22.8 亿美元", bold=True), TextRun("1", sup=True),
            TextRun("，详见"), TextRun("CSIP 网站", link="https://www.csip.cn/"), TextRun("。"))
    path = tmp_path / "inline.pdf"
    with open(path, "wb") as f:
        typeset_samples([runs] * 3, 12 * SIZE, FONTS, f)
    with pymupdf.open(path) as doc:
        page = doc[0]
        spans = [s for b in page.get_text("dict")["blocks"] for l in b.get("lines", []) for s in l["spans"]]
        bold = [s for s in spans if "Bold" in s["font"]]
        assert bold and all(s["text"].strip() in "22.8 亿美元" for s in bold)
        sup = [s for s in spans if s["size"] < SIZE - 1]
        assert sup and sup[0]["text"] == "1"
        # the glyph before the note mark ("元") sits on the line's baseline; the mark is raised
        before = next(c for c in pdf_lines(path, "Serif") if "元" in c.text and c.chars[0].size == SIZE)
        assert sup[0]["origin"][1] < before.chars[0].y - 2
        links = [l for l in page.get_links() if l.get("uri") == "https://www.csip.cn/"]
        assert len(links) >= 3  # one rectangle per line the link text occupies
    with pymupdf.open(path) as doc:
        text = "".join(p.get_text().replace("\n", "") for p in doc)
    assert text == "离岸外包市场规模达到 22.8 亿美元1，详见CSIP 网站。" * 3


def test_strict_kinsoku_keeps_ellipsis_off_line_starts(project):
    """edition.yaml `kinsoku: strict` (clreq's strict level) also keeps …… from starting a line."""
    import yaml

    from pipeline.build import Options, build

    # 41 characters fill the first line after the 2-em indent, so …… falls at the start of line 2
    text = "软" * 41 + "……" + "产业联盟的服务宗旨是联合国内外企事业单位。"
    chapter = project / "chapters" / "10-alliance.yaml"
    data = yaml.safe_load(chapter.read_text(encoding="utf-8"))
    data["blocks"].append({"paragraph": text})
    chapter.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    starts = {}
    for level in ("basic", "strict"):
        edition = project / "editions" / "2008.yaml"
        edition.write_text(re.sub(r"kinsoku: \w+", f"kinsoku: {level}", edition.read_text(encoding="utf-8")),
                           encoding="utf-8")
        result = build(Options(project=project, output=project / "output" / f"{level}.pdf"))
        lines = pdf_lines(result.pdf, "Serif", SIZE)
        i = next(k for k, l in enumerate(lines) if l.text.startswith("软" * 10))
        starts[level] = lines[i + 1].text
    assert starts["basic"].startswith("……")
    assert starts["strict"].startswith("软……")
