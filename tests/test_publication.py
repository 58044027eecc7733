"""A publication, not a print-out (issue 10): punctuation pairs, page fill, floats, tables and furniture,
measured on the built PDFs of the edition, every city excerpt and the bulletin.

Positions are read back with PyMuPDF; the mark lists and limits come from the typesetting rules
(clreq, GB/T 15834), not from the code under test.
"""
from __future__ import annotations

import re

import pytest

from conftest import body_text
from pdf_lines import pdf_lines

# full-width marks (GB/T 15834): closing marks have their ink in the left half, opening in the right
CLOSING = set("、，。．：；！？”’」』）〕］｝】〗》〉")
OPENING = set("“‘「『（〔［｛【〖《〈")
PAIR_LIMIT = 1.55      # em: two adjacent marks set as a pair take 1½ em (R5), with rounding to spare


def punctuation_pairs(pdf_path) -> list[tuple[float, str, int, str]]:
    """(advance in em, the two marks, page, line text) of every two adjacent full-width marks on a line.

    The pair's advance is the first mark's advance read back from the positions (origin to origin)
    plus the second mark's width: its glyph box, or less when the glyph after it starts sooner
    (a third mark); at a line end a closing mark counts ½ em. Justification may add space after
    the pair like after any character, so that gap is not counted."""
    out = []
    for line in pdf_lines(pdf_path):
        chars = line.visible
        for k in range(len(chars) - 1):
            a, b = chars[k], chars[k + 1]
            if a.c in CLOSING | OPENING and b.c in CLOSING | OPENING:
                if k + 2 < len(chars):
                    second = min(b.x1 - b.x0, chars[k + 2].x0 - b.x0)
                else:
                    second = (0.5 if b.c in CLOSING else 1.0) * b.size
                out.append(((b.x0 - a.x0 + second) / a.size, a.c + b.c, line.page + 1, line.text))
    return out


def _assert_pairs_set_tight(pdf_path, minimum: int):
    pairs = punctuation_pairs(pdf_path)
    assert len(pairs) >= minimum, f"expected at least {minimum} mark pairs in {pdf_path}"
    loose = [f"page {page}: {marks} takes {em:.2f} em in {text!r}" for em, marks, page, text in pairs
             if em > PAIR_LIMIT]
    assert not loose, "\n".join(loose)


def test_punctuation_pairs_in_the_edition_take_one_and_a_half_em(edition):
    # the edition's pairs: 》（ ）、 、《 ）》 ”， ”。 … in body text, tables and the copyright page
    _assert_pairs_set_tight(edition[0].pdf, minimum=15)


def test_punctuation_pairs_on_the_copyright_page(edition_pdf, edition):
    # （CSIP）、中国 on the copyright page is set like body text
    pairs = [p for p in punctuation_pairs(edition[0].pdf) if p[2] == 2]
    assert any(marks == "）、" for _, marks, _, _ in pairs)
    assert all(em <= PAIR_LIMIT for em, *_ in pairs)


def test_punctuation_pairs_in_every_city_excerpt(cities_build):
    _, outcomes = cities_build
    assert len(outcomes) == 20
    for outcome in outcomes.values():
        _assert_pairs_set_tight(outcome.pdf, minimum=3)


def test_punctuation_pairs_in_the_bulletin(bulletin):
    # the bulletin's copyright page has 》中 and ），: one pair at least
    _assert_pairs_set_tight(bulletin[0].pdf, minimum=1)


# ---------------------------------------------------------------- page fill and flow

# The text block of the default page (A4, 28 mm top and 24 mm bottom margins), in PDF points from the top.
BLOCK_TOP, BLOCK_BOTTOM = 28 * 72 / 25.4, 842 - 24 * 72 / 25.4


def page_fill(page) -> float:
    """How far down the text block the page's content (text, charts, rules) reaches: 0 empty, 1 full."""
    import pymupdf

    lowest = BLOCK_TOP
    clip = pymupdf.Rect(0, BLOCK_TOP - 2, page.rect.width, BLOCK_BOTTOM + 2)
    for block in page.get_text("dict", clip=clip)["blocks"]:
        lowest = max(lowest, block["bbox"][3])
    for drawing in page.get_drawings():
        r = drawing["rect"]
        if r.y0 >= BLOCK_TOP - 2 and r.y1 <= BLOCK_BOTTOM + 2:
            lowest = max(lowest, r.y1)
    return (lowest - BLOCK_TOP) / (BLOCK_BOTTOM - BLOCK_TOP)


def body_page_fills(pdf_path) -> list[tuple[str, float]]:
    """(printed page number, fill) of every body page (arabic page labels)."""
    import pymupdf

    with pymupdf.open(pdf_path) as doc:
        return [(p.get_label(), page_fill(p)) for p in doc if p.get_label().isdigit()]


def _assert_no_half_empty_page(pdf_path):
    fills = body_page_fills(pdf_path)
    assert len(fills) >= 2
    short = [f"page {label}: {fill:.0%} full" for label, fill in fills[:-1] if fill < 0.5]
    assert not short, f"{pdf_path}: " + ", ".join(short)


def test_no_body_page_of_the_edition_is_less_than_half_full(edition):
    _assert_no_half_empty_page(edition[0].pdf)


def test_no_body_page_of_the_bulletin_is_less_than_half_full(bulletin):
    _assert_no_half_empty_page(bulletin[0].pdf)


def test_no_body_page_of_an_excerpt_is_less_than_half_full(cities_build):
    for outcome in cities_build[1].values():
        _assert_no_half_empty_page(outcome.pdf)


CN_NUMERALS = "一二三四五六七八九十"


def chapter_heading_positions(pdf_path) -> list[tuple[int, float, str]]:
    """(page index, top y, text) of every body chapter heading: a 16 pt Hei line starting 一、 二、 …"""
    import pymupdf

    out = []
    with pymupdf.open(pdf_path) as doc:
        for page in doc:
            if not page.get_label().isdigit():
                continue
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    spans = line["spans"]
                    text = "".join(s["text"] for s in spans)
                    if spans and abs(spans[0]["size"] - 16) < 0.1 and text[:1] in CN_NUMERALS and "、" in text[:3]:
                        out.append((page.number, line["bbox"][1], text))
    return out


def test_chapters_run_on_by_default_with_space_above(edition):
    headings = chapter_heading_positions(edition[0].pdf)
    assert len(headings) == 10
    mid_page = [h for h in headings if h[1] > BLOCK_TOP + 40]
    assert len(mid_page) >= 5, headings          # most chapters start below the previous one
    # generous space above a run-on chapter heading: at least two body lines (34 pt) of white
    import pymupdf

    with pymupdf.open(edition[0].pdf) as doc:
        for page_no, top, text in mid_page:
            above = [b["bbox"][3] for b in doc[page_no].get_text("dict")["blocks"]
                     if b["bbox"][3] <= top and b["bbox"][1] >= BLOCK_TOP - 2 and b.get("lines")]
            assert above and top - max(above) >= 34, (text, top, above)


@pytest.mark.parametrize("start", ["new page", "odd page"])
def test_edition_option_starts_chapters_on_a_new_or_odd_page(project, start):
    from pipeline.build import Options, build

    edition = project / "editions" / "2008.yaml"
    edition.write_text(re.sub(r"chapter_start: [a-z -]+?(?=\s*#|\n)", f"chapter_start: {start}",
                              edition.read_text(encoding="utf-8")), encoding="utf-8")
    result = build(Options(project=project))
    headings = chapter_heading_positions(result.pdf)
    assert len(headings) == 10
    for page_no, top, text in headings:
        assert top < BLOCK_TOP + 20, f"{text} does not open its page"
        if start == "odd page":
            assert page_no % 2 == 0, f"{text} is on physical page {page_no + 1}, a left-hand page"
    # the pages before a forced break may be short; the others are still at least half full
    import pymupdf

    with pymupdf.open(result.pdf) as doc:
        opening = {p for p, _, _ in headings}
        blank = {page.number for page in doc if not body_text(page)}
        assert (start == "odd page") == bool(blank)          # a verso left blank now and then
        for number in blank:                                 # and blank indeed: no running head, no folio
            assert not doc[number].get_text().strip(), f"physical page {number + 1}: {doc[number].get_text()!r}"
        for page in doc:
            following = page.number + 1
            while following in blank:
                following += 1
            if page.get_label().isdigit() and following not in opening and following < len(doc) \
                    and page.number not in blank:
                assert page_fill(page) >= 0.5, f"page {page.get_label()} is {page_fill(page):.0%} full"


def test_headings_keep_two_lines_of_text_below_them(edition, bulletin):
    """A chapter or section heading is followed on its page by at least two lines of something."""
    import pymupdf

    for pdf_path in (edition[0].pdf, bulletin[0].pdf):
        with pymupdf.open(pdf_path) as doc:
            for page in doc:
                if not page.get_label().isdigit():
                    continue
                lines = sorted((line["bbox"][1], line["bbox"][3], line["spans"][0]["size"], line["spans"][0]["font"])
                               for b in page.get_text("dict", clip=pymupdf.Rect(0, BLOCK_TOP - 2, 595, BLOCK_BOTTOM + 2))["blocks"]
                               for line in b.get("lines", []) if line["spans"])
                for k, (y0, y1, size, font) in enumerate(lines):
                    if "Sans" in font and size >= 11 and "Bold" in font:
                        below = [l for l in lines[k + 1:] if l[0] > y1 and not ("Bold" in l[3] and l[2] >= 11)]
                        assert len(below) >= 2 or y1 < BLOCK_TOP + 60, \
                            f"{pdf_path.name} page {page.get_label()}: a heading at y={y0:.0f} is left at the foot"


def _float_order(project_root, pdf_path):
    """For every figure and table: (its caption, the page it is on, the pages of the paragraphs just
    before and just after it in the source). Block order from the resolved document, pages from the PDF."""
    import pymupdf

    from pipeline.build import Options, check
    from pipeline.model import Figure, Paragraph, TableBlock

    _, document = check(Options(project=project_root))
    with pymupdf.open(pdf_path) as doc:
        texts = [(p.number, body_text(p)) for p in doc if p.get_label().isdigit()]

    def page_of(snippet: str) -> int:
        return next(n for n, text in texts if snippet in text)

    out = []
    for chapter in document.chapters:
        blocks = chapter.blocks
        for k, block in enumerate(blocks):
            if not isinstance(block, (Figure, TableBlock)):
                continue
            caption = f"{'图' if isinstance(block, Figure) else '表'} {block.number}\u3000"
            before = next((b.text[-12:] for b in reversed(blocks[:k]) if isinstance(b, Paragraph)), None)
            after = next((b.text[:12] for b in blocks[k + 1:] if isinstance(b, Paragraph)), None)
            # the caption on a body page below the 目录s: the last occurrence
            page = max(n for n, text in texts if caption in text)
            out.append((caption, page, before and page_of(before), after and page_of(after)))
    return out


def test_floats_never_precede_their_mention_and_text_flows_past_them(edition, bulletin):
    floated = []
    for result, root in (edition, bulletin):
        for caption, page, before, after in _float_order(root, result.pdf):
            assert before is None or page >= before, f"{caption} on page {page}, before its text (page {before})"
            if after is not None and after < page:
                floated.append(caption)
    # at least one float did not fit where it came: the text after it went on filling the page
    assert floated


# ---------------------------------------------------------------- words: labels, headers, the cover

# breaks a line must never make: inside a two-character word, and the ones the issue saw
# (服务外/包, 示范/基地, 实/训, 集成电/路); 服务/外包 is between two words and allowed
CUTS = ["服务外/包", "示范/基地", "实/训", "集成电/路", "集成/电路", "基/地", "软/件", "产/业", "城/市", "出/口",
        "外/包", "服/务", "示/范", "人/才"]


def _cut_words(lines: list[str]) -> list[str]:
    """The forbidden CUTS that a break between two of these lines makes."""
    cut = []
    for a, b in zip(lines, lines[1:]):
        cut += [c for c in CUTS if a.endswith(c.split("/")[0]) and b.startswith(c.split("/")[1])]
    return cut


@pytest.mark.parametrize("label, width, expected", [
    ("国家软件与信息服务外包人才实训基地", 7, ["国家软件与", "信息服务外包", "人才实训基地"]),
    ("中国服务外包示范基地", 7, ["中国服务", "外包示范基地"]),
    ("鼓励软件产业和集成电路产业发展的若干政策", 14, ["鼓励软件产业和", "集成电路产业发展的若干政策"]),
    ("振兴软件产业行动纲要（2002-2005）", 12, ["振兴软件产业行动纲要", "（2002-2005）"]),
    ("2016 年服务外包产业运行简报", 10, ["2016 年", "服务外包产业运行简报"]),
])
def test_labels_break_between_words(label, width, expected):
    from pipeline.words import wrap_words

    assert wrap_words(label, width) == expected


def _header_lines(pdf_path, page_filter) -> list[list[str]]:
    """Lines of bold Hei 7.5–9 pt text (table header cells), grouped into cells by their x position."""
    import pymupdf

    cells: dict[tuple[int, int], list[tuple[float, str]]] = {}
    with pymupdf.open(pdf_path) as doc:
        for page in doc:
            if not page_filter(page):
                continue
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    span = line["spans"][0]
                    if "Sans" in span["font"] and "Bold" in span["font"] and 7.4 <= span["size"] <= 9.1:
                        x = round((line["bbox"][0] + line["bbox"][2]) / 2 / 4)
                        text = "".join(s["text"] for s in line["spans"])
                        cells.setdefault((page.number, x), []).append((line["bbox"][1], text))
    return [[t for _, t in sorted(lines)] for lines in cells.values()]


def test_table_header_cells_break_only_between_words(edition, cities_build):
    pdfs = [edition[0].pdf, cities_build[1]["dalian"].pdf, cities_build[1]["suzhou"].pdf]
    broken = 0
    for pdf_path in pdfs:
        for lines in _header_lines(pdf_path, lambda page: page.get_label().isdigit() or "摘编" in page.get_text()):
            assert not _cut_words(lines), (pdf_path.name, lines)
            broken += len(lines) > 1
    assert broken >= 3      # long headers (国家软件产业基地 …) do take two lines


def test_tables_are_three_line_tables(edition):
    """三线表: heavy rules above and below, a thin one under the header, nothing vertical, no fills."""
    import pymupdf

    with pymupdf.open(edition[0].pdf) as doc:
        page = next(p for p in doc if p.get_label().isdigit() and "表 5-1\u3000" in body_text(p))
        rules = [d for d in page.get_drawings() if d["rect"].width > 200 and d["rect"].height < 2
                 and d.get("color") == (0.0, 0.0, 0.0)]          # the table's black rules (not a chart's grid)
        widths = sorted({round(d["width"], 1) for d in rules if d.get("width")})
        assert len(rules) >= 3 and widths[0] < 0.8 and widths[-1] >= 1.0, widths
        table_top = min(d["rect"].y0 for d in rules)
        table_bottom = max(d["rect"].y1 for d in rules)
        inside = [d for d in page.get_drawings() if table_top - 1 <= d["rect"].y0 and d["rect"].y1 <= table_bottom + 1]
        assert not [d for d in inside if d.get("fill") is not None and d["rect"].width > 20], "a tinted cell or band"
        assert not [d for d in inside if d["rect"].width < 1 and d["rect"].height > 5], "a vertical rule"


def test_every_table_has_a_caption_the_city_profile_too(cities_build):
    import pymupdf

    for city, outcome in cities_build[1].items():
        with pymupdf.open(outcome.pdf) as doc:
            profile = next(p for p in doc if body_text(p).startswith("城市概况："))
            text = body_text(profile)
            if "载体类别" in text:              # the city holds something: its table is captioned above it
                assert text.index("获批的国家级") < text.index("载体类别"), city


def test_an_unknown_title_breaks_between_words_on_the_cover(tmp_path):
    from conftest import copy_bulletin
    import pymupdf

    from pipeline.build import Options, build

    root = copy_bulletin(tmp_path / "b")
    edition = root / "chapters" / "edition.yaml"
    text = edition.read_text(encoding="utf-8")
    title = "2016 年服务外包产业运行简报与重点城市发展监测年度报告"
    text = re.sub(r"(?m)^cover_title:.*\n", "", text).replace('title: "{{ latest_year }} 年服务外包产业运行简报"', f"title: {title}", 1)
    edition.write_text(text, encoding="utf-8")
    result = build(Options(project=root))
    with pymupdf.open(result.pdf) as doc:
        lines = [l for l in (line.text for line in pdf_lines(result.pdf) if line.page == 0) if l and l in title]
    assert "".join(lines) == title and len(lines) >= 2, lines
    assert not _cut_words(lines) and not any(a.endswith(("服务外", "年服")) for a in lines), lines


def test_chart_category_labels_break_between_words(edition, cities_build):
    """Chart text (Hei, at most 9 pt) read back from the figure pages, grouped by column: no forbidden cut."""
    import pymupdf

    groups_seen = 0
    for pdf_path in (edition[0].pdf, cities_build[1]["dalian"].pdf):
        with pymupdf.open(pdf_path) as doc:
            for page in doc:
                if not (page.get_label().isdigit() and "资料来源" in page.get_text()):
                    continue
                columns: dict[int, list[tuple[float, str]]] = {}
                for block in page.get_text("dict")["blocks"]:
                    for line in block.get("lines", []):
                        span = line["spans"][0]
                        if "Sans" in span["font"] and span["size"] <= 9.1:
                            x = round((line["bbox"][0] + line["bbox"][2]) / 2)
                            columns.setdefault(x, []).append((line["bbox"][1], "".join(s["text"] for s in line["spans"])))
                for lines in columns.values():
                    texts = [t for _, t in sorted(lines)]
                    groups_seen += len(texts) > 1
                    assert not _cut_words(texts), (pdf_path.name, page.get_label(), texts)
    assert groups_seen >= 3       # wrapped labels were found and checked


# ---------------------------------------------------------------- charts in greyscale print

def lightness(rgb) -> float:
    """CIE L* of an sRGB colour given as 0–1 floats (D65)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return 116 * (y ** (1 / 3) if y > 0.008856 else 7.787 * y + 16 / 116) - 16


def _series_fills(page) -> dict[tuple, object]:
    """The fill colours of a chart's bars and legend keys (not white, black or the grid greys), each with one
    rectangle filled with it."""
    fills = {}
    for d in page.get_drawings():
        fill = d.get("fill")
        if fill is None or d["rect"].width < 3 or d["rect"].height < 3:
            continue
        fill = tuple(round(c, 3) for c in fill)
        if max(fill) - min(fill) < 0.02 and (min(fill) > 0.97 or max(fill) < 0.05):
            continue                        # white paper, black ink
        fills.setdefault(fill, d["rect"])
    return fills


def test_chart_series_stay_distinct_in_greyscale(edition):
    """The series of 图 5-2: their L* at least 15 apart, and apart again in a greyscale rendering."""
    import pymupdf

    with pymupdf.open(edition[0].pdf) as doc:
        page = next(p for p in doc if p.get_label().isdigit() and "图 5-2\u3000" in body_text(p))
        fills = _series_fills(page)
        assert len(fills) >= 5, fills                   # the five designation types (and 图 5-1 on the page)
        levels = sorted(lightness(f) for f in fills)
        steps = [b - a for a, b in zip(levels, levels[1:])]
        assert min(steps) >= 15, [round(v, 1) for v in levels]
        # print it in grey: each series' grey, sampled in the middle of one of its bars
        grey = page.get_pixmap(colorspace=pymupdf.csGRAY, dpi=144)
        scale = 144 / 72
        values = sorted(grey.pixel(int((r.x0 + r.x1) / 2 * scale), int((r.y0 + r.y1) / 2 * scale))[0]
                        for r in fills.values())
        assert min(b - a for a, b in zip(values, values[1:])) >= 25, values


def test_other_cities_are_neutral_grey_in_an_excerpt(cities_build, edition):
    import pymupdf

    with pymupdf.open(edition[0].pdf) as doc:
        page = next(p for p in doc if p.get_label().isdigit() and "图 5-2\u3000" in body_text(p))
        assert "其他城市" not in body_text(page)            # the full edition greys nothing

    with pymupdf.open(cities_build[1]["dalian"].pdf) as doc:
        page = next(p for p in doc if p.get_label().isdigit() and "图 5-2\u3000" in body_text(p))
        fills = _series_fills(page)
        key = body_text(page)
    assert "其他城市" in key                                 # the grey has a legend key (edition wording others_key)
    neutral = [f for f in fills if max(f) - min(f) < 0.02]
    assert len(neutral) == 1, fills                         # one grey for the other cities
    assert all(abs(lightness(neutral[0]) - lightness(f)) >= 5 for f in fills if f not in neutral)
