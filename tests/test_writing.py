"""Writing tools (issue 12): cross-references, footnotes, notes under figures and tables, lists and images.

The bulletin test publication (tests/fixtures/bulletin) uses every one of them; its PDF is read back with
PyMuPDF. Expected numbers, labels and texts are written by hand from the bulletin's chapter files.
"""
from __future__ import annotations

import re
import shutil

import pymupdf
import pytest
import yaml
from click.testing import CliRunner

from conftest import body_text, copy_bulletin, copy_project
from pdf_lines import pdf_lines
from pipeline.build import Options, build
from pipeline.cli import cli

MM = 72 / 25.4
BODY_LEFT = (595.2756 - 43 * 10.5) / 2        # the text block's left edge (A4, 43 characters of 10.5 pt)


@pytest.fixture(scope="module")
def pdf(bulletin):
    doc = pymupdf.open(bulletin[0].pdf)
    yield doc
    doc.close()


def _page_with(doc, text: str, skip_lists: bool = True) -> int:
    """The index of the body page that shows ``text`` (not the 目录 or 图表目录 pages)."""
    for page in doc:
        body = body_text(page)
        if skip_lists and (body.startswith("目录") or "图目录" in body or "表目录" in body):
            continue
        if text in body:
            return page.number
    raise AssertionError(f"{text!r} is on no body page")


def _links_by_label(page) -> dict[str, dict]:
    """The internal links of a page, by the text under them."""
    out = {}
    for link in page.get_links():
        if link["kind"] != pymupdf.LINK_GOTO:
            continue
        label = page.get_textbox(link["from"]).replace("\n", "").strip()
        out[label] = link
    return out


# ---------------------------------------------------------------- cross-references


def test_references_print_the_number_and_link_to_the_target(pdf):
    here = _page_with(pdf, "简报数据按以下三个步骤采集和汇总")
    links = _links_by_label(pdf[here])
    expected = {                                     # label → text that opens the target's page
        "图 5-1": "图 5-1\u3000简报数据的采集与汇总流程",
        "表 1-1": "表 1-1\u30002016 年分季度服务外包执行金额",
        "图 2-1": "图 2-1\u30002016 年服务外包执行金额的业务构成",
        "图 3-1": "图 3-1\u30002016 年离岸服务外包执行金额的主要来源市场",
        "第二章": "二、业务结构变化",
    }
    for label, target_text in expected.items():
        found = [link for text, link in links.items() if label in text]
        assert found, f"no link on {label} (links: {list(links)})"
        assert found[0]["page"] == _page_with(pdf, target_text), label
    # a section: （二） of chapter one, the heading with id 'quarterly'
    section = [link for text, link in links.items() if "（二）" in text]
    assert section and section[0]["page"] == _page_with(pdf, "（二）季度走势")


def test_a_page_reference_prints_the_targets_page_label(pdf):
    here = _page_with(pdf, "简报数据按以下三个步骤采集和汇总")
    lines = [line.text for line in pdf_lines(pdf.name) if line.page == here]
    section_page = pdf[_page_with(pdf, "（二）季度走势")].get_label()
    pie_page = pdf[_page_with(pdf, "图 2-1\u30002016 年服务外包执行金额的业务构成")].get_label()
    assert (section_page, pie_page) == ("1", "2")       # chapter one opens page 1, the pie is on chapter two's
    assert any(f"（二）（第 {section_page} 页）" in text for text in lines), lines
    assert any(f"图 2-1（第 {pie_page} 页）" in text for text in lines), lines


def test_a_forward_reference_gets_its_page_number_in_the_same_build(pdf):
    here = _page_with(pdf, "本简报数据的采集方法见")
    image_page = _page_with(pdf, "图 5-1\u3000简报数据的采集与汇总流程")
    assert image_page > here
    line = next(line for line in pdf_lines(pdf.name) if line.page == here and "本简报数据的采集方法见" in line.text)
    assert f"本简报数据的采集方法见图 5-1（第 {pdf[image_page].get_label()} 页），各项金额的口径见第五章。" in line.text
    links = _links_by_label(pdf[here])
    assert {link["page"] for label, link in links.items() if "图 5-1" in label} == {image_page}
    assert [link["page"] for label, link in links.items() if "第五章" in label] == [_page_with(pdf, "五、统计说明")]


def test_a_markup_link_to_an_id_goes_to_the_figure(pdf):
    note_page = _page_with(pdf, "执行金额不含已签约但尚未结算的部分")
    links = _links_by_label(pdf[note_page])
    found = [link for label, link in links.items() if "合同金额与执行金额的对比" in label]   # in a footnote
    assert found and found[0]["page"] == _page_with(pdf, "图 1-1\u30002013 年至 2016 年")


# ---------------------------------------------------------------- footnotes


CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


def _marks_and_notes(doc):
    """(page, mark, y) of every superscript mark in the text and (page, mark, y, text) of every note.

    A mark is a line of its own in the PDF (it sits above the baseline, in a smaller size): ① … ⑩,
    then the digits 11, 12 … (the fonts have no ⑪); a note is a 9 pt line that starts with its circled
    mark, or follows its mark's superscript digits (5.4 pt, 3.6 pt above the note's baseline)."""
    marks, notes = [], []
    digits = None          # (page, text, baseline, x) of a note's superscript digits at the page foot
    for line in pdf_lines(doc.name):
        first = line.chars[0]
        if all(ch.size < 8 for ch in line.visible) and re.fullmatch(f"[{CIRCLED}]|\\d+", line.text.strip()):
            if abs(first.size - 5.4) < 0.05:
                digits = (line.page, line.text.strip(), first.y, first.x0)
            else:
                marks.append((line.page, line.text.strip(), first.y))
        elif abs(first.size - 9) < 0.1:
            if digits is not None:
                page, mark, y, x = digits
                assert page == line.page and first.y - y == pytest.approx(3.6, abs=0.1), (digits, line.text)
                assert x == pytest.approx(BODY_LEFT, abs=0.1)        # where a circled mark stands
                notes.append((line.page, mark, first.y, line.text.strip()))
                digits = None
                continue
            m = re.match(f"([{CIRCLED}])\\s*(.*)", line.text)
            if m:
                notes.append((line.page, m.group(1), first.y, m.group(2)))
    assert digits is None, digits
    return marks, notes


def test_each_footnote_is_at_the_foot_of_its_marks_page(pdf):
    marks, notes = _marks_and_notes(pdf)
    assert [n[3] for n in notes] == [
        "采集口径与上年相同：合同金额按签约日、执行金额按结算日计入当年。",
        "离岸业务指来自境外发包方的业务，不含境内发包方转包的部分。",
        "执行金额不含已签约但尚未结算的部分，见合同金额与执行金额的对比。",
    ]
    # each note on its mark's page, with its mark's number; numbers start again at ① on every page
    assert [(p, m) for p, m, _ in marks] == [(p, m) for p, m, _, _ in notes]
    for page in {p for p, _, _ in marks}:
        on_page = [m for p, m, _ in marks if p == page]
        assert on_page == list(CIRCLED[:len(on_page)])
    for _, _, y, _ in notes:
        assert y > 700                                        # at the foot of the page
    # the short rule above the notes
    page = pdf[notes[0][0]]
    rules = [d for d in page.get_drawings() for item in d["items"]
             if item[0] == "l" and abs(item[1].y - item[2].y) < 0.1 and 690 < item[1].y < notes[0][2]
             and 80 < abs(item[2].x - item[1].x) < 150]
    assert rules, "no short rule above the footnotes"


def _long_chapter(root, n: int, numbering: str) -> None:
    """Replace the bulletin's chapter five by ``n`` paragraphs, each with a footnote in its last line."""
    text = ("合同金额指报告期内新签订的服务外包合同的金额，执行金额指报告期内实际完成并结算的金额，两者之差反映在手合同的多少；"
            "合同金额增长快于执行金额时，在手合同增加，反之则减少。课题组按季度汇总企业填报的数据，剔除重复填报和明显错误后形成"
            "本简报的各项数字，增长率按四舍五入保留一位小数。本段用于检验脚注与其标记总在同一页")
    blocks = [{"paragraph": text + f"{{{{ footnote('第 {i} 条脚注：口径说明。') }}}}。"} for i in range(1, n + 1)]
    chapter = {"number": 5, "title": "统计说明", "blocks": blocks}
    outlook = root / "chapters" / "04-outlook.yaml"          # its last paragraph refers to chapter five's image
    kept = yaml.safe_load(outlook.read_text(encoding="utf-8"))
    kept["blocks"] = [b for b in kept["blocks"] if "ref(" not in str(b)]
    outlook.write_text(yaml.safe_dump(kept, allow_unicode=True), encoding="utf-8")
    (root / "chapters" / "05-notes.yaml").write_text(yaml.safe_dump(chapter, allow_unicode=True), encoding="utf-8")
    edition = root / "chapters" / "edition.yaml"
    edition.write_text(edition.read_text(encoding="utf-8").replace("footnote_numbering: page",
                                                                   f"footnote_numbering: {numbering}"),
                       encoding="utf-8")


@pytest.mark.parametrize("numbering", ["page", "chapter"])
def test_a_footnote_never_leaves_its_marks_page(tmp_path, numbering):
    root = copy_bulletin(tmp_path / "bulletin")
    _long_chapter(root, 24, numbering)
    result = build(Options(project=root))
    with pymupdf.open(result.pdf) as doc:
        marks, notes = _marks_and_notes(doc)
        lines = pdf_lines(doc.name)
    pages = sorted({p for p, _, _ in marks})
    assert len(pages) >= 3, "the test chapter must run over several pages"
    # every note's number matches a mark of the same page, in order, and the note says which paragraph
    for page in pages:
        page_marks = [m for p, m, _ in marks if p == page]
        page_notes = [(m, t) for p, m, _, t in notes if p == page]
        assert page_marks == [m for m, _ in page_notes]
    texts = [t for _, _, _, t in notes]
    assert texts == [f"第 {i} 条脚注：口径说明。" for i in range(1, 25)]
    first = [m for p, m, _ in marks if p == pages[1]][0]
    on_first_page = len([p for p, _, _ in marks if p == pages[0]])
    assert first == ("①" if numbering == "page" else CIRCLED[on_first_page])   # ⑧ after ①…⑦
    if numbering == "chapter":
        # past ⑩ the marks are superscript digits, in the text and at the foot: the shipped fonts (GBK)
        # have no ⑪ … ⑳ (read from the font file itself)
        assert [m for _, m, _ in marks] == list(CIRCLED) + [str(n) for n in range(11, 25)]
        assert [m for _, m, _, _ in notes] == list(CIRCLED) + [str(n) for n in range(11, 25)]
    # the notes sit below the last line of body text and do not overlap it
    for page in pages:
        body = [line.chars[0].y for line in lines if line.page == page and abs(line.chars[0].size - 10.5) < 0.1]
        top_note = min(y for p, _, y, _ in notes if p == page)
        assert max(body) + 10 < top_note - 9


def test_marks_past_ten_are_circled_where_the_font_has_them_else_superscript_digits(tmp_path):
    from fontTools.ttLib import TTFont

    from conftest import ROOT

    cmap = TTFont(ROOT / "fonts" / "NotoSerifSC-Regular.ttf", lazy=True).getBestCmap()
    assert all(c in cmap for c in range(0x2460, 0x246A)) and not any(c in cmap for c in range(0x246A, 0x2474))
    root = copy_bulletin(tmp_path / "bulletin")
    _long_chapter(root, 12, "chapter")
    result = build(Options(project=root))
    with pymupdf.open(result.pdf) as doc:
        marks, notes = _marks_and_notes(doc)
        text = "".join(page.get_text() for page in doc)
    assert [m for _, m, _ in marks] == list(CIRCLED) + ["11", "12"]
    assert [(m, t) for _, m, _, t in notes] == [(m, f"第 {i} 条脚注：口径说明。")
                                                for i, m in enumerate(list(CIRCLED) + ["11", "12"], 1)]
    assert not set(text) & {chr(c) for c in range(0x246A, 0x2474)}      # no ⑪ drawn as a blank box
    # a mark condensed into its box (12 is wider than ①) leaves the rest of its line at full width
    tails = [line for line in pdf_lines(result.pdf) if "同一页" in line.text]
    assert len(tails) == 12
    assert {round(ch.size, 2) for line in tails for ch in line.chars if ch.c in "同一页。"} == {10.5}


# ---------------------------------------------------------------- notes under figures and tables


def test_notes_under_figure_and_table_follow_the_source_line(pdf):
    lines = [line for line in pdf_lines(pdf.name) if abs(line.chars[0].size - 9) < 0.1]
    texts = [line.text for line in lines]
    i = texts.index("资料来源：服务外包运行监测课题组（测试数据）")      # under 图 1-1
    assert texts[i + 1] == "注：合同金额按签约日计入当年，执行金额按结算日计入当年。"
    j = texts.index("注：1. 各季度执行金额之和等于全年执行金额 704.1 亿美元。")
    assert texts[j - 1] == "资料来源：服务外包运行监测课题组（测试数据）"
    assert texts[j + 1] == "2. 第四季度含年末集中结算的合同。"
    # the second note hangs under the first one's text, after 注：
    first, second = lines[j], lines[j + 1]
    assert abs(second.chars[0].x0 - first.chars[2].x0) < 0.5
    assert second.chars[0].y > first.chars[0].y


def test_notes_above_the_source_line_when_the_edition_says_so(tmp_path):
    root = copy_bulletin(tmp_path / "b")
    _edit(root / "chapters" / "edition.yaml", "footnote_numbering: page", "footnote_numbering: page\nnote_position: above")
    result = build(Options(project=root))
    texts = [line.text for line in pdf_lines(result.pdf) if abs(line.chars[0].size - 9) < 0.1]
    i = texts.index("注：合同金额按签约日计入当年，执行金额按结算日计入当年。")       # under 图 1-1
    assert texts[i + 1] == "资料来源：服务外包运行监测课题组（测试数据）"
    j = texts.index("注：1. 各季度执行金额之和等于全年执行金额 704.1 亿美元。")   # under 表 1-1
    assert texts[j + 1:j + 3] == ["2. 第四季度含年末集中结算的合同。", "资料来源：服务外包运行监测课题组（测试数据）"]


# ---------------------------------------------------------------- lists


def test_list_items_hang_under_their_first_character(pdf):
    chapter = _page_with(pdf, "五、统计说明")
    lines = [line for line in pdf_lines(pdf.name) if line.page >= chapter and abs(line.chars[0].size - 10.5) < 0.1]
    texts = [line.text for line in lines]
    numbered = [line for line in lines if re.match(r"\d\.", line.text)]
    assert [line.text[:2] for line in numbered] == ["1.", "2.", "3."]
    paren = [line for line in lines if line.text.startswith("（")]
    assert [line.text[:3] for line in paren] == ["（1）", "（2）"]
    bullets = [line for line in lines if line.text.startswith("•")]
    assert len(bullets) == 3
    for group in (numbered, paren, bullets):
        assert all(abs(line.chars[0].x0 - (BODY_LEFT + 21)) < 0.5 for line in group)   # two characters in
    # the bullet item that wraps: its second line starts where its first line's text does
    wrapped = texts.index(bullets[1].text)
    follow = lines[wrapped + 1]
    assert not follow.text.startswith("•")
    assert abs(follow.chars[0].x0 - bullets[1].chars[1].x0) < 0.5
    assert follow.chars[0].x0 > BODY_LEFT + 21 + 5
    # inline markup and templates inside items
    item = next(line for line in paren if line.text.startswith("（1）"))
    bold = [ch.c for ch in item.chars if "Bold" in ch.font]
    assert "".join(bold) == "合同金额"
    assert "2016 年为 1064.6 亿美元" in item.text


# ---------------------------------------------------------------- images


def test_image_is_embedded_at_its_width_numbered_and_listed(pdf):
    here = _page_with(pdf, "图 5-1\u3000简报数据的采集与汇总流程")
    infos = pdf[here].get_image_info()
    assert len(infos) == 1
    box = pymupdf.Rect(infos[0]["bbox"])
    assert abs(box.width - 80 * MM) < 0.5                         # width: 80mm
    assert abs(box.height - 80 * MM * 200 / 600) < 0.5            # the PNG's 600 × 200 pixels
    assert (infos[0]["width"], infos[0]["height"]) == (600, 200)  # embedded as it is, not resampled
    assert abs(box.x0 + box.x1 - 595.2756) < 1                    # centred
    text = body_text(pdf[here])
    assert text.index("图 5-1\u3000简报数据的采集与汇总流程") < text.index("注：1. 方框自左至右")
    lists = "".join(p.get_text() for p in pdf if "图目录" in p.get_text())
    assert "图 5-1\u3000简报数据的采集与汇总流程" in lists


def test_cover_logo_is_drawn_as_vectors_at_its_width(pdf):
    cover = pdf[0]
    assert not cover.get_images()
    navy = [d for d in cover.get_drawings() if d.get("fill") and
            tuple(round(c, 2) for c in d["fill"]) == (round(0x1f / 255, 2), round(0x4e / 255, 2), round(0x79 / 255, 2))
            and d["rect"].height < 60]
    # the logo's square is 40 of its 120 units: a third of 30 mm
    assert any(abs(d["rect"].width - 10 * MM) < 0.5 and abs(d["rect"].height - 10 * MM) < 0.5 for d in navy)


# ---------------------------------------------------------------- mistakes


def _check(root):
    return CliRunner().invoke(cli, ["check", "--project", str(root)])


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unknown_reference_is_located_with_a_suggestion(tmp_path):
    root = copy_bulletin(tmp_path / "b")
    chapter = root / "chapters" / "05-notes.yaml"
    _edit(chapter, "ref('origin-markets')", "ref('origin-market')")
    result = _check(root)
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(chapter.read_text(encoding="utf-8").splitlines(), 1) if "origin-market'" in text)
    column = chapter.read_text(encoding="utf-8").splitlines()[line - 1].index("'origin-market'") + 1
    assert f"chapters/05-notes.yaml:{line}:{column}:" in result.output
    assert "no figure, table, chapter or heading has the id 'origin-market' (did you mean 'origin-markets'?)" \
        in result.output
    assert "Traceback" not in result.output


def test_a_link_to_an_unknown_id_is_an_error(tmp_path):
    root = copy_bulletin(tmp_path / "b")
    _edit(root / "chapters" / "05-notes.yaml", 'href="#contract-execution"', 'href="#contract-executoin"')
    result = _check(root)
    assert result.exit_code == 1
    assert "chapters/05-notes.yaml:" in result.output
    assert "'#contract-executoin'" in result.output and "did you mean 'contract-execution'" in result.output


def test_a_footnote_in_a_caption_is_an_error(tmp_path):
    root = copy_bulletin(tmp_path / "b")
    _edit(root / "chapters" / "05-notes.yaml", "title: 简报数据的采集与汇总流程",
          "title: \"简报数据的采集与汇总流程{{ footnote('x') }}\"")
    result = _check(root)
    assert result.exit_code == 1
    assert "chapters/05-notes.yaml:" in result.output and "blocks[4].image.title" in result.output
    assert "footnote() is allowed in paragraphs and list items only" in result.output


@pytest.mark.parametrize("damage, message", [
    ("missing", "image file 'images/data-flow.png' not found"),
    ("garbage", "cannot read image 'images/data-flow.png': not a PNG or JPEG file, or damaged"),
    ("truncated", "cannot read image 'images/data-flow.png': not a PNG or JPEG file, or damaged"),
])
def test_a_missing_or_unreadable_image_is_named(tmp_path, damage, message):
    root = copy_bulletin(tmp_path / "b")
    image = root / "images" / "data-flow.png"
    if damage == "missing":
        image.unlink()
    elif damage == "garbage":
        image.write_bytes(b"this is not a picture")
    else:
        image.write_bytes(image.read_bytes()[:60])
    result = _check(root)
    assert result.exit_code == 1, result.output
    chapter = (root / "chapters" / "05-notes.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(chapter, 1) if "file: images/data-flow.png" in text)
    assert f"chapters/05-notes.yaml:{line}:" in result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_jpeg_images_and_default_size(tmp_path):
    from PIL import Image

    root = copy_bulletin(tmp_path / "b")
    Image.new("RGB", (300, 150), "#2e8b8b").save(root / "images" / "photo.jpg", dpi=(150, 150), quality=80)
    chapter = root / "chapters" / "05-notes.yaml"
    _edit(chapter, "file: images/data-flow.png\n      title: 简报数据的采集与汇总流程\n      width: 80mm\n",
          "file: images/photo.jpg\n      title: 简报数据的采集与汇总流程\n")
    result = build(Options(project=root))
    with pymupdf.open(result.pdf) as doc:
        page = doc[_page_with(doc, "图 5-1\u3000简报数据的采集与汇总流程")]
        info = page.get_image_info()[0]
    box = pymupdf.Rect(info["bbox"])
    # no width given: the image's own size, 300 pixels at 150 dpi = 2 inches
    assert abs(box.width - 144) < 0.5 and abs(box.height - 72) < 0.5


# ---------------------------------------------------------------- per-city excerpts


def test_a_reference_to_a_block_left_out_of_an_excerpt_prints_its_number_without_a_link(tmp_path):
    root = copy_project(tmp_path / "edition")
    _edit(root / "chapters" / "07-ip-protection.yaml", "number: 7\n", "number: 7\nid: ip-protection\n")
    market = root / "chapters" / "02-market.yaml"
    market.write_text(market.read_text(encoding="utf-8") + (
        "  - paragraph: >-\n"
        "      知识产权保护见{{ ref('ip-protection', page=true) }}，载体分布见{{ ref('city-designations') }}。\n"),
        encoding="utf-8")
    full = build(Options(project=root))
    excerpt = build(Options(project=root, city="dalian"))
    with pymupdf.open(full.pdf) as doc:
        page = doc[_page_with(doc, "知识产权保护见")]
        links = _links_by_label(page)
        assert any("第七章" in label for label in links)
        line = next(line.text for line in pdf_lines(doc.name) if line.page == page.number and "知识产权保护见" in line.text)
        ip_page = doc[_page_with(doc, "七、中国软件与信息服务外包知识产权保护")].get_label()
        assert f"知识产权保护见第七章（第 {ip_page} 页）" in line
    with pymupdf.open(excerpt.pdf) as doc:
        page = doc[_page_with(doc, "知识产权保护见")]
        text = body_text(page)
        assert "知识产权保护见第七章，载体分布见表 5-1。" in text          # chapter 七 is not in the excerpt
        links = _links_by_label(page)
        assert not any("第七章" in label for label in links)
        table_link = [link for label, link in links.items() if "表 5-1" in label]
        assert table_link and table_link[0]["page"] == _page_with(doc, "表 5-1\u3000")   # 表 5-1 is kept
    # a chapter may declare such references an error
    _edit(market, "excerpt: full", "excerpt: full\nexcerpt_refs: error")
    result = CliRunner().invoke(cli, ["build", "--project", str(root), "--city", "dalian"])
    assert result.exit_code == 1, result.output
    assert "chapters/02-market.yaml:" in result.output
    assert "ref('ip-protection'): 第七章 is not in the excerpt for 大连" in result.output


def test_shipped_edition_carries_notes_under_its_figures_and_table(edition_pdf):
    """The 2008 edition uses notes where they fit: the paragraphs stay word for word the source's
    (test_edition checks them); the notes restate the text's definition and the titles' 预计."""
    lines = [line.text for line in pdf_lines(edition_pdf.name) if abs(line.chars[0].size - 9) < 0.1]
    source = "资料来源：信息产业部软件与集成电路促进中心（CSIP）"
    notes = [(lines[i - 1], lines[i], lines[i + 1]) for i, text in enumerate(lines) if text.startswith("注：")]
    assert (source, "注：1. 离岸外包市场仅指直接从海外获得的外包市场。", "2. 2010 年为预计数。") in notes
    assert any(n[:2] == (source, "注：2010 年为预计数。") for n in notes)
    assert any(n[1].startswith("注：√ 表示该城市获批该类载体") for n in notes)
